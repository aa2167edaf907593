"""The ESP32 family end to end through scons: the image esptool accepts, its reports, the `flash`
alias, what runs in `test` (an ISA twin, named as such), and what is refused with a clean message.
Bit-exactness of every aot model on the three twins is tests/test_qemu_models.py's."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

from tinyml_build.image import esp_image

NEEDS = {"esp32c3": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32"),
         "esp32": ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa"),
         "esp32s3": ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa")}
OFFSETS = {"esp32": "0x1000", "esp32s3": "0x0", "esp32c3": "0x0"}
TOOLCHAINS = {"esp32": "clang-xtensa", "esp32s3": "clang-xtensa", "esp32c3": "riscv64-unknown-elf-gcc"}


def scons(*args, cwd=PROJECT_DIR):
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True, cwd=cwd)


def _require(target):
    missing = [tool for tool in NEEDS[target] if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (./setup.sh installs them)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """target -> (build output folder, scons result) of `model=hello_world test flash`, built once."""
    root = tmp_path_factory.mktemp("esp")
    cache = {}

    def get(target):
        _require(target)
        if target not in cache:
            result = scons(f"target={target}", "model=hello_world", f"build_dir={root}", "test", "flash")
            cache[target] = (root / target / "hello_world", result)
        return cache[target]
    return get


@pytest.mark.qemu
@pytest.mark.parametrize("target", sorted(NEEDS))
def test_image_reports_flash_command_and_twin_run(built, target):
    out, result = built(target)
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    # the banner says which compiler; the test line names the twin, never the chip
    assert f"toolchain={TOOLCHAINS[target]}" in text
    assert f"test: PASS ({target}'s objects on a" in text and "ISA twin" in text and "not a model of the chip" in text
    # firmware.bin: esptool reads it back, checksum and digest valid; no .hex for ESP images
    info = esp_image.image_info(out / "firmware.bin", target)
    assert "Checksum" in info and "(valid)" in info and "invalid" not in info.lower()
    assert not (out / "firmware.hex").exists()
    # the manifest: toolchain versions, esptool, chip and offset
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["toolchain"] == TOOLCHAINS[target]
    assert manifest["flash"]["offset"] == OFFSETS[target] and manifest["flash"]["chip"] == target
    assert manifest["tools"]["esptool"] == esp_image.esptool_version()
    assert any(name.startswith(("clang-22", "riscv64-unknown-elf-gcc")) for name in manifest["tools"])
    # the size report by the chip's regions: code in iram, the rest in ram
    size = json.loads((out / "size.json").read_text())
    assert size["regions"]["iram"]["used"] > 0 and size["regions"]["ram"]["used"] > size["arena"]["bytes"]
    # the flash alias: the command with the chip's offset and the keep flags, not run without port=
    flash_line = next(line for line in text.splitlines() if " write-flash " in line)
    assert f"--chip {target}" in flash_line and f" {OFFSETS[target]} " in flash_line
    assert "--flash-mode keep --flash-freq keep --flash-size keep" in flash_line
    assert "pass port=" in text
    # the compile database holds commands clangd can use (the clang behind the Xtensa driver)
    database = json.loads((out / "compile_commands.json").read_text())
    assert database and not any("xtensa_cc" in entry["command"] for entry in database)
    # the test's instruction counts: exact (plugin on Xtensa, minstret on RISC-V)
    verdict = json.loads((out / "test.json").read_text())
    time = verdict["models"]["hello_world"]["time"]
    assert time["unit"] == "qemu_instructions" and int(time["per_inference"]) > 0
    assert (time.get("counted_by") == "plugin") == (target != "esp32c3")


@pytest.mark.parametrize("target", ["esp32", "esp32s3"])  # what builds: tests/test_esp_tflm.py
def test_runtime_tflm_without_cxx_headers_is_refused_naming_aot(tmp_path, target):
    """PATH without clang++-22: one clean error before any output, naming the package and runtime=aot."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in NEEDS[target]:  # the C toolchain stays; only the C++ compiler is missing
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.path.dirname(sys.executable)}"}
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", f"target={target}", "model=hello_world",
                             "runtime=tflm", f"build_dir={tmp_path / 'build'}"], capture_output=True, text=True,
                            cwd=PROJECT_DIR, env=env)
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in text
    assert "runtime=tflm cannot be built for target" in text and "use runtime=aot" in text
    assert "clang++-22 is not on PATH" in text and "libc++-22-dev" in text
    assert not (tmp_path / "build" / target).exists()  # refused before any output was written


def test_a_model_that_cannot_fit_the_loader_ram_fails_at_build_time(tmp_path):
    """RAM-loaded images: weights, arena and test vectors must fit the loader's DRAM; the message
    gives the numbers and the fix (no flash-mapped execution yet)."""
    _require("esp32c3")
    from tflite_builder import fully_connected_model  # the project's own model writer

    model = tmp_path / "big.tflite"
    model.write_bytes(fully_connected_model(units=512, features=512))  # 256 KB of int8 weights
    result = scons("target=esp32c3", f"model={model}", "runtime=aot", f"build_dir={tmp_path / 'out'}")
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in text
    assert "does not fit esp32c3" in text and "ram needs" in text
    assert "loaded into internal RAM by the ROM loader" in text
    assert not (tmp_path / "out" / "esp32c3" / "big" / "firmware.bin").exists()


def test_port_without_flash_is_refused(tmp_path):
    result = scons("target=esp32c3", "model=hello_world", "port=/dev/ttyUSB0", f"build_dir={tmp_path}")
    assert result.returncode != 0 and "port=/dev/ttyUSB0 has no effect" in result.stdout + result.stderr
