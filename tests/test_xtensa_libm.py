"""platform/xtensa_libm: newlib's float math (expf, logf, tanhf, fminf, fmaxf) comes from Debian's
newlib-source at build time, never from the repository; a missing package is one message naming the
apt command; its tanhf and logf give the host oracle's bits."""

import io
import tarfile

import pytest

from tinyml_build.errors import ToolchainError
from tinyml_build.platform import xtensa_libm


def _tarball(path, members):
    with tarfile.open(path, "w:xz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_only_the_xtensa_toolchain_needs_it():
    assert xtensa_libm.needed("clang-xtensa")
    assert not xtensa_libm.needed("riscv64-unknown-elf-gcc") and not xtensa_libm.needed("arm-none-eabi-gcc")


def test_a_missing_tarball_names_the_package(tmp_path):
    with pytest.raises(ToolchainError) as err:
        xtensa_libm.find_tarball(tmp_path)
    assert "apt-get install newlib-source" in str(err.value) and "runtime=aot" in str(err.value)
    with pytest.raises(ToolchainError, match="apt-get install libnewlib-dev"):
        xtensa_libm.headers_dir(tmp_path)


def test_extract_writes_exactly_the_needed_files(tmp_path):
    names = xtensa_libm.SOURCES + xtensa_libm.HEADERS
    members = {f"newlib-x/{xtensa_libm.MEMBER_DIR}{n}": f"/* {n} */\n".encode() for n in names}
    members["newlib-x/newlib/libm/common/sf_log.c"] = b"not wanted"
    members["newlib-x/newlib/libm/mathfp/sf_tanh.c"] = b"another tanhf, not wanted"
    (tmp_path / "src").mkdir()
    _tarball(tmp_path / "src" / "newlib-9.9.tar.xz", members)
    assert xtensa_libm.find_tarball(tmp_path / "src").name == "newlib-9.9.tar.xz"
    out = tmp_path / "out"
    files = xtensa_libm.extract(tmp_path / "src" / "newlib-9.9.tar.xz", out)
    flat = [name.rsplit("/", 1)[1] for name in names]  # libm/common/ and libm/math/ files side by side
    assert [f.name for f in files] == flat
    assert sorted(p.name for p in out.iterdir()) == sorted(flat)
    assert (out / "sf_exp.c").read_bytes() == b"/* common/sf_exp.c */\n"
    assert (out / "sf_tanh.c").read_bytes() == b"/* math/sf_tanh.c */\n"
    described = xtensa_libm.describe(tmp_path / "src" / "newlib-9.9.tar.xz")
    assert described["tarball"] == "newlib-9.9.tar.xz" and len(described["sha256"]) == 64
    assert described["files"][0] == "newlib/libm/common/sf_exp.c" and "/" not in described["tarball"]


def test_a_tarball_without_the_files_is_refused(tmp_path):
    _tarball(tmp_path / "newlib-1.0.tar.xz", {"newlib-x/README": b"x"})
    with pytest.raises(ToolchainError, match="lacks .*newlib/libm/common/sf_exp.c"):
        xtensa_libm.extract(tmp_path / "newlib-1.0.tar.xz", tmp_path / "out")


def test_tflm_log_on_xtensa_is_refused_not_a_link_error(tmp_path):
    from conftest import PROJECT_DIR

    from tinyml_build.config import build_config
    from tinyml_build.config.options import OptionValues
    from tinyml_build.errors import TinyMLError
    from tinyml_build.runtimes.tflm import plan

    config = build_config.resolve(PROJECT_DIR, "esp32s3", "hello_world", runtime="aot", build_dir=str(tmp_path),
                                  env={"PATH": ""})
    with pytest.raises(TinyMLError, match="tflm_log=on cannot apply on target esp32s3"):
        plan.plan(config, PROJECT_DIR, OptionValues({"arena": "auto", "arena_headroom": "0", "tflm_log": "on"}, {}))


TANH_STRIDE = 4093  # every 4093rd float bit pattern: ~1M inputs across every binade, both signs, inf, NaN

ORACLE_CHECK = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
float nl_tanhf(float);
float nl_fminf(float, float);
float nl_fmaxf(float, float);
float nl_logf(float);
static uint32_t U(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float F(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static int same(float a, float b) { return U(a) == U(b) || (isnan(a) && isnan(b)) || (a == 0 && b == 0); }
/* a signaling NaN operand: glibc's fminf/fmaxf return a NaN (IEEE 754-2008), newlib's the other operand;
 * arithmetic never makes one, so models never pass one */
static int signaling(float a) { return isnan(a) && !(U(a) & 0x00400000u); }
int main(void) {
  unsigned long checked = 0, differ = 0;
  for (uint64_t i = 0; i < 0x100000000ull; i += @STRIDE@) {
    const float x = F((uint32_t)i), y = F((uint32_t)(i * 2654435761u));
    checked += 1;
    if (!same(nl_tanhf(x), tanhf(x)) && differ++ < 3) printf("MISMATCH tanhf %08x\n", (uint32_t)i);
    if (!same(nl_logf(x), logf(x)) && differ++ < 3) printf("MISMATCH logf %08x\n", (uint32_t)i);
    checked += 1;
    if (signaling(x) || signaling(y)) continue;
    checked += 2;
    if (!same(nl_fminf(x, y), fminf(x, y)) && differ++ < 3) printf("MISMATCH fminf %08x %08x\n", U(x), U(y));
    if (!same(nl_fmaxf(x, y), fmaxf(x, y)) && differ++ < 3) printf("MISMATCH fmaxf %08x %08x\n", U(x), U(y));
  }
  printf("RESULT %lu %lu\n", checked, differ);
  return 0;
}
"""
RENAMED = ("tanhf", "logf", "expm1f", "fminf", "fmaxf", "__fpclassifyf", "__math_oflowf", "__math_uflowf",
           "__math_may_uflowf", "__math_divzerof", "__math_invalidf", "__math_check_uflowf", "__math_check_oflowf")


def test_newlibs_tanhf_gives_the_host_oracles_bits(tmp_path):
    """The pinned TFLM oracle runs on the host with glibc's libm: newlib's tanhf (fdlibm over expm1f)
    and logf, compiled as the Xtensa build compiles them (no contraction), return the same bits as the host's
    for a spread of inputs over every binade (all 2^32 were checked by hand against Debian 12's glibc
    2.36, for both); fminf/fmaxf are exact (signaling NaNs aside, which no arithmetic makes). A host whose glibc
    tanhf changed algorithm fails here."""
    import shutil
    import subprocess

    compiler = shutil.which("gcc")
    tarballs = sorted(xtensa_libm.TARBALL_DIR.glob(xtensa_libm.TARBALL_PATTERN))
    if compiler is None or not tarballs or not (xtensa_libm.HEADERS_DIR / "math.h").is_file():
        pytest.skip(f"needs gcc, newlib-source and libnewlib-dev ({xtensa_libm.SOURCE_APT_COMMAND}; "
                    f"{xtensa_libm.HEADERS_APT_COMMAND})")
    files = xtensa_libm.extract(tarballs[-1], tmp_path / "newlib")
    rename = tmp_path / "rename.h"
    rename.write_text("".join(f"#define {name} nl_{name}\n" for name in RENAMED))
    gcc_include = subprocess.run([compiler, "-print-file-name=include"], capture_output=True, text=True,
                                 check=True).stdout.strip()
    objects = []
    for source in files[:len(xtensa_libm.SOURCES)]:
        obj = tmp_path / f"{source.stem}.o"
        # newlib's own headers (as on Xtensa), not glibc's; the same defines as the build
        subprocess.run([compiler, "-O2", "-ffp-contract=off", "-nostdinc", "-isystem", str(xtensa_libm.HEADERS_DIR),
                        "-isystem", gcc_include, "-include", str(rename), "-I", str(source.parent),
                        *(f"-D{d}" for d in xtensa_libm.DEFINES), "-c", str(source), "-o", str(obj)],
                       check=True, capture_output=True)
        objects.append(str(obj))
    check = tmp_path / "check.c"
    check.write_text(ORACLE_CHECK.replace("@STRIDE@", str(TANH_STRIDE)))
    program = tmp_path / "check"
    subprocess.run([compiler, "-O2", "-o", str(program), str(check), *objects, "-lm"], check=True,
                   capture_output=True)
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True, timeout=120).stdout
    assert "MISMATCH" not in out, out
    checked, differ = out.split("RESULT ", 1)[1].split()
    assert int(differ) == 0 and int(checked) > 3_000_000
