"""Which compiler builds a target: the target's own (Debian's), Espressif's GCC when an ESP-IDF
installation puts it on PATH, or the one toolchain= names; and what a C-only compiler means for
runtime=tflm. Stand-in programs on PATH test the detection without Espressif's toolchains."""

import stat

import pytest
from conftest import PROJECT_DIR

from tinyml_build import toolchains
from tinyml_build.config import build_config
from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.toolchains import esp_gcc, riscv_gcc


def _fake(folder, name, version="13.2.0"):
    """A GCC stand-in answering what find_toolchain asks (-dumpfullversion, --version, -print-file-name)."""
    script = folder / name
    script.write_text("#!/bin/sh\n"
                      f'case "$1" in -dumpfullversion) echo {version};; -print-file-name=*) echo /x/picolibc.specs;; '
                      f"--version) echo '{name} (crosstool-NG esp-13.2.0_20240530) {version}';; esac\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize("target, default", [("esp32", "clang-xtensa"), ("esp32s3", "clang-xtensa"),
                                             ("esp32c3", "riscv64-unknown-elf-gcc"),
                                             ("stm32f407", "arm-none-eabi-gcc")])
def test_without_espressif_gcc_the_target_default_is_used(tmp_path, target, default):
    choice = toolchains.choose(load_target(target), "auto", path=str(tmp_path))
    assert choice.name == default


@pytest.mark.parametrize("target, installed, expected", [
    ("esp32", ["xtensa-esp32-elf-gcc", "xtensa-esp-elf-gcc"], "xtensa-esp32-elf-gcc"),
    ("esp32", ["xtensa-esp-elf-gcc"], "xtensa-esp-elf-gcc"),
    ("esp32s3", ["xtensa-esp32-elf-gcc", "xtensa-esp32s3-elf-gcc"], "xtensa-esp32s3-elf-gcc"),
    ("esp32c3", ["riscv32-esp-elf-gcc", "xtensa-esp32-elf-gcc"], "riscv32-esp-elf-gcc"),
    ("esp32c3", ["xtensa-esp-elf-gcc"], "riscv64-unknown-elf-gcc"),  # the wrong chip's GCC is not taken
])
def test_espressif_gcc_on_path_is_preferred(tmp_path, target, installed, expected):
    for name in installed:
        _fake(tmp_path, name)
    choice = toolchains.choose(load_target(target), "auto", path=str(tmp_path))
    assert choice.name == expected
    assert "PATH" in choice.reason or expected.startswith(("riscv64", "clang"))


def test_toolchain_option_overrides_detection(tmp_path):
    _fake(tmp_path, "xtensa-esp32-elf-gcc")
    assert toolchains.choose(load_target("esp32"), "clang-xtensa", path=str(tmp_path)).name == "clang-xtensa"


@pytest.mark.parametrize("target, wrong", [("esp32", "riscv32-esp-elf-gcc"), ("stm32f407", "clang-xtensa"),
                                           ("esp32c3", "arm-none-eabi-gcc")])
def test_a_toolchain_that_cannot_build_the_target_is_refused(target, wrong):
    with pytest.raises(ToolchainError) as err:
        toolchains.choose(load_target(target), wrong, path="")
    assert "toolchain=" in str(err.value) and "auto" in str(err.value)


def test_espressif_gcc_found_gives_its_version_and_flags(tmp_path):
    _fake(tmp_path, "xtensa-esp-elf-gcc", version="14.2.0")
    found = toolchains.find("xtensa-esp-elf-gcc", search_path=str(tmp_path))
    assert found.version == (14, 2, 0) and "crosstool-NG" in found.version_text
    assert found.tool_versions()["xtensa-esp-elf-gcc"] == found.version_text
    flags = toolchains.firmware_flags("xtensa-esp-elf-gcc", load_target("esp32s3"), PROJECT_DIR)
    assert "-mdynconfig=xtensa_esp32s3.so" in flags.arch and "-mlongcalls" in flags.arch
    per_chip = toolchains.firmware_flags("xtensa-esp32-elf-gcc", load_target("esp32"), PROJECT_DIR)
    assert not any(f.startswith("-mdynconfig") for f in per_chip.arch)
    c3 = toolchains.firmware_flags("riscv32-esp-elf-gcc", load_target("esp32c3"), PROJECT_DIR)
    assert "-mabi=ilp32" in c3.arch and "--specs=picolibc.specs" not in c3.arch + c3.link  # newlib, not picolibc


def test_missing_espressif_gcc_says_how_to_get_it(tmp_path):
    with pytest.raises(ToolchainError) as err:
        esp_gcc.find_toolchain("xtensa-esp32-elf-gcc", search_path=str(tmp_path))
    assert "ESP-IDF" in str(err.value)


def test_riscv_links_with_the_plain_multilib_arch():
    flags = riscv_gcc.firmware_flags(load_target("esp32c3"), PROJECT_DIR)
    assert "-march=rv32imc_zicsr_zifencei" in flags.arch
    assert flags.link_arch_flags == ("-march=rv32imc", "-mabi=ilp32")
    assert flags.as_dict()["link_arch"] == ["-march=rv32imc", "-mabi=ilp32"]


def test_missing_riscv_compiler_names_the_apt_command(tmp_path):
    with pytest.raises(ToolchainError) as err:
        riscv_gcc.find_toolchain(search_path=str(tmp_path))
    assert "apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf" in str(err.value)


def test_runtime_tflm_on_xtensa_without_cxx_headers_is_one_clean_error(tmp_path):
    """clang-xtensa builds TFLM's C++ only with clang++-22 and libc++'s headers: without them, auto
    gives way to aot and an explicit runtime=tflm names the package and runtime=aot."""
    board = load_target("esp32")
    choice = toolchains.choose(board, "auto", path=str(tmp_path))
    assert choice.name == "clang-xtensa" and toolchains.supports_cxx(choice.name)
    env = {"PATH": str(tmp_path)}
    runtime, why = build_config.choose_runtime("auto", ["FULLY_CONNECTED"], "reference", env=env, board=board,
                                               toolchain=choice)
    assert runtime == "aot" and "clang++-22 is not on PATH" in why
    with pytest.raises(TinyMLError) as err:
        build_config.choose_runtime("tflm", ["FULLY_CONNECTED"], "reference", env=env, board=board, toolchain=choice)
    text = str(err.value)
    assert "use runtime=aot" in text and "libc++-22-dev" in text


def test_the_banner_names_the_chosen_toolchain_on_esp_targets_only():
    esp = build_config.resolve(PROJECT_DIR, "esp32c3", "hello_world", env={"PATH": ""})
    assert " toolchain=riscv64-unknown-elf-gcc " in esp.banner()
    arm = build_config.resolve(PROJECT_DIR, "qemu-m4", "hello_world", runtime="aot", env={"PATH": ""})
    assert "toolchain=" not in arm.banner()


def test_runtime_tflm_on_esp_with_espressif_gcc_is_refused_not_faked(tmp_path):
    """A C++ compiler alone does not make TFLM + ESP-NN for the chips: that path is not built yet."""
    board = load_target("esp32s3")
    _fake(tmp_path, "xtensa-esp32s3-elf-gcc")
    choice = toolchains.choose(board, "auto", path=str(tmp_path))
    assert choice.name == "xtensa-esp32s3-elf-gcc" and toolchains.supports_cxx(choice.name)
    runtime, why = build_config.choose_runtime("auto", ["CONV_2D"], "esp-nn", board=board, toolchain=choice)
    assert runtime == "aot" and "not built for ESP targets" in why
    with pytest.raises(TinyMLError, match="runtime=aot"):
        build_config.choose_runtime("tflm", ["CONV_2D"], "esp-nn", board=board, toolchain=choice)
