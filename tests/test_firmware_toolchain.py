"""The arm-none-eabi-gcc layer: finding it, checking it, and the flags it gets per target."""

import os
import shutil
import stat

import pytest
from conftest import PROJECT_DIR

from tinyml_build.config.targets import list_targets, load_target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains import arm_gcc

ARM_TARGETS = [n for n in list_targets() if load_target(n).toolchain == "arm-none-eabi-gcc"]
needs_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def _fake_gcc(folder, version="12.2.1", libc="/usr/lib/libc_nano.a"):
    """An arm-none-eabi-gcc stand-in that answers the three questions find_toolchain asks."""
    script = folder / "arm-none-eabi-gcc"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$1" in -dumpfullversion) echo {version};; -print-file-name=*) echo {libc};; '
        f"--version) echo 'arm-none-eabi-gcc (fake) {version}';; esac\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_missing_compiler_names_the_apt_command(tmp_path):
    with pytest.raises(ToolchainError) as err:
        arm_gcc.find_toolchain(search_path=str(tmp_path), environ={})
    assert "arm-none-eabi-gcc not found" in str(err.value)
    assert "sudo apt-get install gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi" in str(err.value)


def test_too_old_compiler_is_refused(tmp_path):
    _fake_gcc(tmp_path, version="9.3.1")
    with pytest.raises(ToolchainError) as err:
        arm_gcc.find_toolchain(search_path=str(tmp_path), environ={})
    assert "9.3.1" in str(err.value) and "too old" in str(err.value)


def test_missing_newlib_is_reported(tmp_path):
    _fake_gcc(tmp_path, libc="libc_nano.a")  # gcc echoes the bare name when it has no such file
    with pytest.raises(ToolchainError) as err:
        arm_gcc.find_toolchain(search_path=str(tmp_path), environ={})
    assert "libc_nano.a" in str(err.value) and "libnewlib-arm-none-eabi" in str(err.value)


def test_toolchain_folder_variable(tmp_path):
    (tmp_path / "bin").mkdir()
    _fake_gcc(tmp_path / "bin", version="13.3.1")
    found = arm_gcc.find_toolchain(environ={arm_gcc.TOOLCHAIN_DIR_VARIABLE: str(tmp_path)})
    assert found.version == (13, 3, 1) and found.gcc == tmp_path / "bin" / "arm-none-eabi-gcc"
    with pytest.raises(ToolchainError) as err:
        arm_gcc.find_toolchain(environ={arm_gcc.TOOLCHAIN_DIR_VARIABLE: str(tmp_path / "nope")})
    assert arm_gcc.TOOLCHAIN_DIR_VARIABLE in str(err.value)


@needs_gcc
def test_the_installed_compiler_is_found():
    found = arm_gcc.find_toolchain()
    assert found.version >= arm_gcc.MIN_VERSION
    assert found.objcopy.is_file() and "arm-none-eabi-gcc" in found.version_text


@pytest.mark.parametrize("version, expected", [("12.2.1", (12, 2, 1)), ("10", (10,)), (" 13.2\n", (13, 2))])
def test_parse_version(version, expected):
    assert arm_gcc.parse_version(version) == expected


def test_parse_version_rejects_noise():
    with pytest.raises(ToolchainError):
        arm_gcc.parse_version("gcc version unknown")


@pytest.mark.parametrize("name", ARM_TARGETS)
def test_flags_follow_the_target(name):
    target = load_target(name)
    flags = arm_gcc.firmware_flags(target, PROJECT_DIR)
    assert flags.arch == tuple(target.arch_flags)
    assert f"-mcpu={target.cpu}" in flags.arch and "-mthumb" in flags.arch
    assert any(f.startswith("-mfloat-abi=") for f in flags.arch)
    assert {"-ffunction-sections", "-fdata-sections"} <= set(flags.common)
    assert "-Wl,--gc-sections" in flags.link and "-nostartfiles" in flags.link
    assert flags.framework_optimization == "-Os" and flags.kernel_optimization == "-O2"
    assert {"-fno-exceptions", "-fno-rtti"} <= set(flags.cxx)
    assert f"-ffile-prefix-map={PROJECT_DIR.resolve()}=." in flags.path_maps


def test_every_build_folder_is_mapped_to_build(tmp_path):
    flags = arm_gcc.firmware_flags(load_target("qemu-m4"), PROJECT_DIR, tmp_path / "out")
    maps = [f for f in flags.path_maps if f.startswith("-ffile-prefix-map=")]
    assert maps == [f"-ffile-prefix-map={PROJECT_DIR.resolve()}=.",
                    f"-ffile-prefix-map={(tmp_path / 'out').resolve()}=build"]
    inside = arm_gcc.firmware_flags(load_target("qemu-m4"), PROJECT_DIR, PROJECT_DIR / "build")
    assert list(inside.path_maps) == [maps[0], f"-ffile-prefix-map={(PROJECT_DIR / 'build').resolve()}=build"]
    other = arm_gcc.firmware_flags(load_target("qemu-m4"), PROJECT_DIR, PROJECT_DIR / "out")
    assert other.path_maps[-1] == "-ffile-prefix-map=out/=build/"  # SCons names it out/... in commands


def test_non_arm_target_is_refused():
    with pytest.raises(ToolchainError) as err:
        arm_gcc.firmware_flags(load_target("esp32"), PROJECT_DIR)
    assert "esp32" in str(err.value) and "arm-none-eabi-gcc" in str(err.value)


def test_no_environment_leaks_into_flags(monkeypatch):
    monkeypatch.setenv("CFLAGS", "-O0")
    flags = arm_gcc.firmware_flags(load_target("qemu-m4"), PROJECT_DIR)
    assert "-O0" not in str(flags.as_dict()) and os.environ["CFLAGS"] == "-O0"
