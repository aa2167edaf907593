"""The generated model array: aligned, const, exact bytes, fast for big models."""

import hashlib
import re
import subprocess
import time

import numpy as np
import pytest

from tinyml_build.codegen.model_data import array_body, render_model_data, write_model_data


def _parse_array(source: str) -> bytes:
    body = source.split("= {", 1)[1].rsplit("};", 1)[0]
    return bytes(int(token, 16) for token in re.findall(r"0x[0-9a-f]{2}", body))


def test_array_round_trips_every_byte():
    data = bytes(range(256)) * 3 + b"\x01"
    files = render_model_data("demo", data, hashlib.sha256(data).hexdigest(), "demo.tflite")
    source = files["demo_model_data.cc"]
    assert _parse_array(source) == data
    assert "alignas(16) const unsigned char demo_model_data[769]" in source
    assert hashlib.sha256(data).hexdigest() in source and hashlib.sha256(data).hexdigest() in files["demo_model_data.h"]
    assert "section" not in source


def test_linker_section_is_applied():
    source = render_model_data("demo", b"\x00" * 4, "0" * 64, "demo.tflite", section=".tml_model")["demo_model_data.cc"]
    assert '__attribute__((section(".tml_model")))' in source


def test_four_megabyte_model_is_fast(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 4 << 20, dtype=np.uint8).tobytes()
    start = time.process_time()
    write_model_data(tmp_path, "big", data, "0" * 64, "big.tflite")
    elapsed = time.process_time() - start
    assert elapsed < 2.0, f"4 MB model took {elapsed:.2f} s of CPU"
    assert _parse_array((tmp_path / "big_model_data.cc").read_text()) == data


def test_empty_lines_are_not_emitted():
    assert array_body(b"") == ""
    assert array_body(b"\x01" * 17).count("\n") == 1


def test_compiles_and_is_aligned_in_flash(tmp_path):
    gxx = "arm-none-eabi-g++"
    if subprocess.run(["which", gxx], capture_output=True).returncode:
        pytest.skip(f"{gxx} not installed (apt-get install gcc-arm-none-eabi)")
    data = bytes(range(100))
    write_model_data(tmp_path, "demo", data, "0" * 64, "demo.tflite")
    obj = tmp_path / "demo.o"
    subprocess.run([gxx, "-mcpu=cortex-m4", "-mthumb", "-std=c++17", "-c", str(tmp_path / "demo_model_data.cc"),
                    "-o", str(obj)], check=True)
    sections = subprocess.run(["arm-none-eabi-objdump", "-h", str(obj)], capture_output=True, text=True,
                              check=True).stdout
    rodata = [line for line in sections.splitlines() if ".rodata" in line]
    assert rodata and any("2**4" in line for line in rodata), sections  # 16-byte alignment
    symbols = subprocess.run(["arm-none-eabi-nm", str(obj)], capture_output=True, text=True, check=True).stdout
    assert re.search(r" R demo_model_data$", symbols, re.M)  # read-only: stays in flash
