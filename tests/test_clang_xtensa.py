"""The Xtensa compiler layer: clang_xtensa's flags and link command, and the xtensa_cc driver.

Why: every ESP32/ESP32-S3 object goes through the driver, so its promises are checked here --
same input, same bytes; no temporary or machine path in the object; LLVM 22's float-select crash
handled; compiler errors passed through; an unresolved helper fails the link loudly.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import xtensa_testlib as xt

from tinyml_build.config.targets import load_target
from tinyml_build.errors import ToolchainError
from tinyml_build.platform import twin_xtensa
from tinyml_build.toolchains import arm_gcc, clang_xtensa, xtensa_cc

FLOAT_SELECT = "float tml_select(int c) { return c ? 1.0f : 0.0f; }\n"


def test_features_follow_the_cpu():
    esp32 = clang_xtensa.features(load_target("esp32"))
    s3 = clang_xtensa.features(load_target("esp32s3"))
    assert "dfpaccel" in esp32 and "dfpaccel" not in s3
    assert set(esp32) - set(s3) == {"dfpaccel"}
    for required in ("windowed", "fp", "loop", "mul32high", "div32"):
        assert required in s3
    with pytest.raises(ToolchainError, match="cortex-m4"):
        clang_xtensa.features(load_target("qemu-m4"))


def test_firmware_flags(tmp_path):
    target = load_target("esp32")
    flags = clang_xtensa.firmware_flags(target, tmp_path, tmp_path / "build")
    assert isinstance(flags, arm_gcc.Flags)
    assert flags.arch[0] == "--target=xtensa"
    assert flags.arch[1:5] == ("-Xclang", "-target-feature", "-Xclang", "+density")
    assert "+dfpaccel" in flags.arch
    assert "-D__XTENSA_WINDOWED_ABI__=1" in flags.common and "-ffunction-sections" in flags.common
    assert flags.c == ("-std=c99",) and flags.cxx[0] == "-std=c++17"  # runtime=tflm's C++ (cxx_command)
    assert "--gc-sections" in flags.link and "-nostdlib" in flags.link
    assert flags.libraries == ()  # never the call0 lx106 libgcc/libc
    assert flags.path_maps[0] == f"-ffile-prefix-map={tmp_path.resolve()}=."
    with pytest.raises(ToolchainError, match="arm-none-eabi-gcc"):
        clang_xtensa.firmware_flags(load_target("qemu-m4"), tmp_path)


def test_missing_programs_name_the_apt_command(tmp_path):
    with pytest.raises(ToolchainError) as err:
        clang_xtensa.find_toolchain(search_path=str(tmp_path))
    assert "clang-22" in str(err.value) and clang_xtensa.APT_COMMAND in str(err.value)


def test_find_toolchain():
    xt.require(*xt.COMPILE_TOOLS, *xt.LINK_TOOLS, "llvm-ar-22", "xtensa-lx106-elf-objcopy", "xtensa-lx106-elf-nm")
    toolchain = clang_xtensa.find_toolchain()
    assert toolchain.version[0] == 22 and toolchain.version_string.startswith("22.")
    assert "clang version 22" in toolchain.version_text and "GNU ld" in toolchain.version_text
    assert toolchain.program("ld").name == "xtensa-lx106-elf-ld"
    flags = clang_xtensa.firmware_flags(load_target("esp32"), Path.cwd())
    command = clang_xtensa.link_command(toolchain, flags, Path("a.ld"), Path("a.map"), Path("a.elf"),
                                        [Path("x.o"), Path("y.o")])
    assert command[0] == str(toolchain.ld)
    assert command[-6:] == ["-Map", "a.map", "-o", "a.elf", "x.o", "y.o"]
    assert command[command.index("-T") + 1] == "a.ld"
    assert clang_xtensa.driver_command(toolchain)[-1] == "--"


def test_parse_gcc_style_arguments():
    inv = xtensa_cc.parse(["-o", "out.o", "-c", "src.c", "-O2", "-I", "inc", "-DX=1", "-Xclang", "-target-feature",
                           "-Xclang", "+fp", "-g"])
    assert inv.mode == "c" and inv.output == "out.o" and inv.sources == ["src.c"]
    assert inv.features == ["+fp"]
    assert "-o" not in inv.clang_args and "-c" not in inv.clang_args and "inc" in inv.clang_args
    text = "\t.cfi_startproc\nentry a1, 32\n  .cfi_def_cfa a7, 32\nretw.n\n"
    assert xtensa_cc.strip_cfi(text) == "entry a1, 32\nretw.n\n"


def test_cxx_sources_and_uniform_file_directives():
    """C++ goes through the same driver; `.file` checksums are dropped so llvm-mc sees no mix."""
    inv = xtensa_cc.parse(["-c", "api.cc", "-o", "api.o", "-std=c++17"])
    assert inv.sources == ["api.cc"] and inv.mode == "c"
    text = ('\t.file\t0 "/src" "a.cc" md5 0x91706e1846c6edcaa624b9df7b287fa8\n'
            '\t.file\t4 "/usr/lib/llvm-22/include/c++/v1" "cstdint"\n\t.loc\t0 3 0\n')
    assert xtensa_cc.drop_file_md5(text) == ('\t.file\t0 "/src" "a.cc"\n'
                                             '\t.file\t4 "/usr/lib/llvm-22/include/c++/v1" "cstdint"\n\t.loc\t0 3 0\n')


def _compile(source: Path, obj: Path, *extra: str, options=()) -> subprocess.CompletedProcess:
    command = xt.driver(*options) + xt.arch() + ["-O2", "-g", "-Wall", *extra, "-c", str(source), "-o", str(obj)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_objects_are_deterministic_and_free_of_temporary_paths(tmp_path):
    xt.require(*xt.COMPILE_TOOLS)
    source = tmp_path / "src" / "unit.c"
    source.parent.mkdir()
    source.write_text("#include <string.h>\nint tml_f(char *d, const char *s, int n) {\n"
                      "  memcpy(d, s, (size_t)n);\n  return n / 3;\n}\n")
    objects = []
    for folder in ("one", "two"):
        obj = tmp_path / folder / "unit.o"
        result = _compile(source, obj, f"-ffile-prefix-map={tmp_path}=.")
        assert result.returncode == 0, result.stderr
        objects.append(obj.read_bytes())
        assert not [p for p in obj.parent.iterdir() if p.name.startswith(".xtensa_cc-")]  # temporaries removed
    assert objects[0] == objects[1]
    assert str(tmp_path).encode() not in objects[0]  # -ffile-prefix-map keeps working
    assert b".clang.s" not in objects[0] and b"xtensa_cc-" not in objects[0]
    assert b"unit.c" in objects[0]  # the debug info names the C source


def test_compiler_errors_pass_through(tmp_path):
    xt.require(*xt.COMPILE_TOOLS)
    source = tmp_path / "broken.c"
    source.write_text("int tml_broken(void) { return undeclared_name; }\n")
    obj = tmp_path / "broken.o"
    result = _compile(source, obj)
    assert result.returncode != 0
    assert "error: use of undeclared identifier 'undeclared_name'" in result.stderr
    assert not obj.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["broken.c"]


def test_float_select_crash_is_handled(tmp_path):
    xt.require(*xt.COMPILE_TOOLS)
    source = tmp_path / "select.c"
    source.write_text(FLOAT_SELECT)
    quiet = _compile(source, tmp_path / "quiet.o")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    verbose = _compile(source, tmp_path / "verbose.o", options=["--verbose"])
    assert verbose.returncode == 0
    assert "float-select crash with +fp; compiling this file without the FP unit" in verbose.stderr
    assert (tmp_path / "quiet.o").read_bytes() == (tmp_path / "verbose.o").read_bytes()
    # The crash is real (so the retry is needed): clang alone fails on it with +fp.
    direct = subprocess.run(["clang-22", *xt.arch(), "-O2", "-S", "-fno-crash-diagnostics", "-o", "-", str(source)],
                            capture_output=True, text=True, check=False)
    assert direct.returncode != 0 and xtensa_cc.is_float_select_crash(direct.stderr)


def test_usage_errors(tmp_path):
    result = subprocess.run(xt.driver() + ["x.o", "-o", "a.elf"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "linking is not done by this driver" in result.stderr
    result = subprocess.run(xt.driver()[:-1] + ["-c", "x.c"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_dependency_file_names_the_object(tmp_path):
    xt.require(*xt.COMPILE_TOOLS)
    (tmp_path / "dep.h").write_text("#define TML_DEP 1\n")
    source = tmp_path / "dep.c"
    source.write_text('#include "dep.h"\nint tml_dep(void) { return TML_DEP; }\n')
    result = _compile(source, tmp_path / "out" / "dep.o", "-MD")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out" / "dep.d").read_text()
    assert text.startswith(f"{tmp_path / 'out' / 'dep.o'}:") and "dep.h" in text


def test_unresolved_helper_fails_the_link(tmp_path):
    xt.require(*xt.COMPILE_TOOLS, *xt.LINK_TOOLS)
    source = tmp_path / "main.c"
    source.write_text("void tml_missing_helper(void);\nint main(void) {\n  tml_missing_helper();\n  return 0;\n}\n")
    objects = xt.twin_objects(tmp_path) + [tmp_path / "main.o"]
    assert _compile(source, objects[-1]).returncode == 0
    target = load_target("esp32")
    script = tmp_path / "twin.ld"
    script.write_text(twin_xtensa.render_twin_linker_script(target))
    toolchain = clang_xtensa.find_toolchain()
    command = clang_xtensa.link_command(toolchain, clang_xtensa.firmware_flags(target, tmp_path), script,
                                        tmp_path / "x.map", tmp_path / "x.elf", objects)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "undefined reference to `tml_missing_helper'" in result.stderr
    assert not (tmp_path / "x.elf").exists()


def test_driver_command_follows_the_driver_and_its_headers(tmp_path, monkeypatch):
    """Objects must rebuild when the driver or the headers it adds change: both are in its command."""
    import shutil as _shutil

    from tinyml_build.toolchains import xtensa_cc

    before = xtensa_cc.revision()
    headers = tmp_path / "include"
    _shutil.copytree(xtensa_cc.RT_INCLUDE_DIR, headers)
    monkeypatch.setattr(xtensa_cc, "RT_INCLUDE_DIR", headers)
    assert xtensa_cc.revision() == before  # same content, same revision, wherever it is
    (headers / "stdarg.h").write_text((headers / "stdarg.h").read_text() + "\n/* edited */\n")
    assert xtensa_cc.revision() != before


def test_assembly_comments_with_raw_bytes(tmp_path):
    """clang comments a DW_OP_implicit_value byte 0xff as that raw byte (not UTF-8): the driver keeps
    the assembly's bytes as they are (a float reduction starting at -FLT_MAX, as kernels/reduce.c)."""
    xt.require(*xt.COMPILE_TOOLS)
    source = tmp_path / "reduce_max.c"
    source.write_text("#include <float.h>\nfloat tml_max(const float *x, int n) {\n  float m = -FLT_MAX;\n"
                      "  int i;\n  for (i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;\n  return m;\n}\n")
    assembly = tmp_path / "reduce_max.s"
    result = subprocess.run(xt.driver() + xt.arch() + ["-O2", "-g", "-S", str(source), "-o", str(assembly)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    raw = assembly.read_bytes()
    assert b"\xff" in raw  # the raw byte clang writes in a comment is still there, unchanged
    obj = tmp_path / "reduce_max.o"
    result = _compile(source, obj)
    assert result.returncode == 0, result.stderr
    assert obj.stat().st_size > 0


def test_an_unresolved_helper_names_itself_and_the_way_out():
    message = ("ld: softmax.o:(.literal+0x0): undefined reference to `tanhf'\n"
               "ld: a.o:(.literal+0x4): undefined reference to `logf'\nld: b.o: undefined reference to `tanhf'")
    fix = clang_xtensa.link_failure_fix(message)
    assert fix.startswith("logf, tanhf: not in the project's windowed-Xtensa runtime support")
    assert "runtime=aot builds int8-quantized models" in fix and "Espressif's GCC" in fix
    assert clang_xtensa.link_failure_fix("ld: cannot open linker script") is None
