"""Same sources, same bytes: two checkouts in different folders, built at different times,
give byte-identical firmware (.elf, .bin, .hex; for ESP targets esptool's .bin) and identical
reports and manifests -- with each toolchain: arm-none-eabi-gcc, riscv64-unknown-elf-gcc, clang-22."""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import project_checkout

# target -> the program its build needs
TOOLCHAINS = {"stm32f407": "arm-none-eabi-gcc", "esp32c3": "riscv64-unknown-elf-gcc", "esp32s3": "clang-22"}
CHECKOUT = ("SConstruct", "site_scons", "tinyml_build", "targets", "models/hello_world")
COMPARED = ("firmware.elf", "firmware.bin", "size.json", "size.txt", "manifest.json", "golden/hello_world.json",
            "gen/hello_world_model.c", "gen/hello_world_test_vectors.c")
EXTRA = {"stm32f407": ("firmware.hex",)}


def _checkout(dest: Path) -> Path:
    return project_checkout(dest, CHECKOUT)


def _build(checkout: Path, target: str) -> Path:
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", f"target={target}", "model=hello_world",
                             "runtime=aot"],
                            cwd=checkout, capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "random"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return checkout / "build" / target / "hello_world"


@pytest.mark.parametrize("target", sorted(TOOLCHAINS))
def test_two_checkouts_at_two_times_give_identical_bytes(tmp_path, target):
    if shutil.which(TOOLCHAINS[target]) is None:
        pytest.skip(f"{TOOLCHAINS[target]} not installed (./setup.sh installs it)")
    first = _build(_checkout(tmp_path / "a" / "checkout"), target)
    time.sleep(1.5)  # a different second: any timestamp in an output would show
    second_checkout = _checkout(tmp_path / "elsewhere" / "deeper" / "copy")
    for path in second_checkout.rglob("*"):  # and different file times
        os.utime(path, (time.time() + 3600, time.time() + 3600))
    second = _build(second_checkout, target)
    for name in COMPARED + EXTRA.get(target, ()):
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        assert a == b, f"{name} differs: {hashlib.sha256(a).hexdigest()} vs {hashlib.sha256(b).hexdigest()}"
    elf = (first / "firmware.elf").read_bytes()
    for folder in (tmp_path, Path.home()):
        assert str(folder).encode() not in elf
