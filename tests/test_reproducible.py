"""Same sources, same bytes: two checkouts in different folders, built at different times,
give byte-identical firmware (.elf, .bin, .hex) and identical reports and manifests."""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")

CHECKOUT = ("SConstruct", "site_scons", "tinyml_build", "targets", "models/hello_world")
COMPARED = ("firmware.elf", "firmware.bin", "firmware.hex", "size.json", "size.txt", "manifest.json",
            "golden/hello_world.json", "gen/hello_world_model.c", "gen/hello_world_test_vectors.c")


def _checkout(dest: Path) -> Path:
    for item in CHECKOUT:
        source = PROJECT_DIR / item
        if source.is_dir():
            shutil.copytree(source, dest / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (dest / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / item)
    return dest


def _build(checkout: Path) -> Path:
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", "target=stm32f407", "model=hello_world",
                             "runtime=aot"],
                            cwd=checkout, capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "random"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return checkout / "build" / "stm32f407" / "hello_world"


def test_two_checkouts_at_two_times_give_identical_bytes(tmp_path):
    first = _build(_checkout(tmp_path / "a" / "checkout"))
    time.sleep(1.5)  # a different second: any timestamp in an output would show
    second_checkout = _checkout(tmp_path / "elsewhere" / "deeper" / "copy")
    for path in second_checkout.rglob("*"):  # and different file times
        os.utime(path, (time.time() + 3600, time.time() + 3600))
    second = _build(second_checkout)
    for name in COMPARED:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        assert a == b, f"{name} differs: {hashlib.sha256(a).hexdigest()} vs {hashlib.sha256(b).hexdigest()}"
    elf = (first / "firmware.elf").read_bytes()
    for folder in (tmp_path, Path.home()):
        assert str(folder).encode() not in elf
