"""cache_dir= shares compiled objects: a clean build in another build folder, or from another
checkout, with the same cache compiles nothing and gives the same image. Object signatures hold
what changes an object's bytes (sources, flags) and not the paths the build happens to use."""

import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

pytestmark = [pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                 reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)"),
              pytest.mark.slow]

ARGS = ("target=qemu-m4", "model=hello_world", "runtime=aot")


def _build(project, build_dir, *args, env=None):
    import os

    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", *ARGS, f"build_dir={build_dir}", *args],
                            capture_output=True, text=True, cwd=project, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return result.stdout


def _compiled(output):
    return [line for line in output.splitlines() if re.match(r"^\[\d+/\d+\] (CC|CXX|AS)\s", line)]


def test_another_build_folder_and_another_checkout_compile_nothing(tmp_path):
    cache = tmp_path / "cache"
    first = _build(PROJECT_DIR, tmp_path / "a", f"cache_dir={cache}")
    assert len(_compiled(first)) >= 10
    second = _build(PROJECT_DIR, tmp_path / "b", f"cache_dir={cache}")
    assert _compiled(second) == [], second
    elf = "qemu-m4/hello_world/firmware.elf"
    assert (tmp_path / "a" / elf).read_bytes() == (tmp_path / "b" / elf).read_bytes()
    assert "manifest.json" in second  # it records tool versions: never taken from the cache

    checkout = tmp_path / "checkout"
    shutil.copytree(PROJECT_DIR, checkout, ignore=shutil.ignore_patterns("build", ".git", "__pycache__", ".sconsign*",
                                                                       "tests", "bench"))
    third = _build(checkout, checkout / "build", env={"TINYML_CACHE_DIR": str(cache)})
    assert _compiled(third) == [], third
    assert (checkout / "build" / elf).read_bytes() == (tmp_path / "a" / elf).read_bytes()
    # Cached or not, inside the checkout or outside it: the same bytes (what makes sharing correct).
    uncached = _build(checkout, checkout / "out")
    assert len(_compiled(uncached)) >= 10
    for name in (elf, "qemu-m4/hello_world/firmware.map", "qemu-m4/_common/platform/startup.o"):
        assert (checkout / "out" / name).read_bytes() == (tmp_path / "a" / name).read_bytes(), name


def test_a_flag_change_misses_the_cache(tmp_path):
    cache = tmp_path / "cache"
    _build(PROJECT_DIR, tmp_path / "a", f"cache_dir={cache}")
    other = _build(PROJECT_DIR, tmp_path / "b", f"cache_dir={cache}", "target=qemu-m7")
    assert len(_compiled(other)) >= 10  # other arch flags: other objects
