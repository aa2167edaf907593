"""Builds killed part way, and outputs damaged afterwards, never leave a state that later builds take
as good: the next `scons` gives what a clean build gives, or one clean message and then that."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import PROJECT_DIR

pytestmark = [pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                 reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)"),
              pytest.mark.slow]

ARGS = ("target=qemu-m4", "model=hello_world", "runtime=aot")
OUTPUTS = ("firmware.elf", "firmware.bin", "firmware.hex", "firmware.map", "size.json", "gen/hello_world_model.c")


def _command(build_dir, *args):
    return [sys.executable, "-m", "SCons", "-Q", "-j1", *ARGS, f"build_dir={build_dir}", *args]


def _build(build_dir, env=None):
    return subprocess.run(_command(build_dir), capture_output=True, text=True, cwd=PROJECT_DIR,
                          env={**os.environ, **(env or {})})


def _digests(build_dir):
    out = build_dir / "qemu-m4" / "hello_world"
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in OUTPUTS}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    assert _build(root).returncode == 0
    return _digests(root)


def _fake_linker(folder):
    """A toolchain folder whose gcc, when it links, writes half an ELF where it was told to and hangs
    (a build killed mid-link); every other call goes to the real toolchain."""
    real = shutil.which("arm-none-eabi-gcc")
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("gcc", "g++", "objcopy", "ar", "ranlib", "ld", "nm"):
        target = shutil.which(f"arm-none-eabi-{tool}")
        if target:
            os.symlink(target, bin_dir / f"arm-none-eabi-{tool}")
    (bin_dir / "arm-none-eabi-gcc").unlink()
    wrapper = bin_dir / "arm-none-eabi-gcc"
    wrapper.write_text(f"""#!/bin/sh
case "$*" in
  *-Wl,-Map=*)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
    printf '\\177ELF\\001\\001partial' > "$out"
    touch "{folder}/linking"
    sleep 60
    ;;
esac
exec {real} "$@"
""")
    wrapper.chmod(0o755)
    return folder


def _run_and_kill(build_dir, env, when, sig):
    """Start a build, send `sig` to its process group once `when()` is true, wait for it to end."""
    process = subprocess.Popen(_command(build_dir), cwd=PROJECT_DIR, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while not when() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the build ended before the point it was to be killed at"
    os.killpg(process.pid, sig)
    process.wait(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_while_linking(tmp_path, clean, sig):
    fake = _fake_linker(tmp_path / "toolchain")
    root = tmp_path / "build"
    _run_and_kill(root, {"TINYML_ARM_TOOLCHAIN": str(fake)}, lambda: (fake / "linking").exists(), sig)
    out = root / "qemu-m4" / "hello_world"
    assert not (out / "firmware.elf").exists()  # the half-written file never had the final name
    assert not list(out.glob(".*.partial")) or sig == signal.SIGKILL
    result = _build(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _digests(root) == clean


def test_killed_while_compiling(tmp_path, clean):
    root = tmp_path / "build"
    objects = root / "qemu-m4" / "_common"
    _run_and_kill(root, {}, lambda: len(list(objects.rglob("*.o"))) >= 3, signal.SIGKILL)
    result = _build(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _digests(root) == clean


def test_a_damaged_image_is_one_clean_error_then_rebuilt(tmp_path, clean):
    root = tmp_path / "build"
    assert _build(root).returncode == 0
    elf = root / "qemu-m4" / "hello_world" / "firmware.elf"
    elf.write_bytes(elf.read_bytes()[:300])  # truncated behind the build's back
    broken = _build(root)
    text = broken.stdout + broken.stderr
    assert broken.returncode != 0 and "Traceback" not in text
    assert re.search(r"firmware\.elf.*is not a whole linked image", text) and "run scons again" in text
    again = _build(root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _digests(root) == clean
