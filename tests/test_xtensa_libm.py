"""platform/xtensa_libm: newlib's expf comes from Debian's newlib-source at build time, never from
the repository; a missing package is one message naming the apt command."""

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
    (tmp_path / "src").mkdir()
    _tarball(tmp_path / "src" / "newlib-9.9.tar.xz", members)
    assert xtensa_libm.find_tarball(tmp_path / "src").name == "newlib-9.9.tar.xz"
    out = tmp_path / "out"
    files = xtensa_libm.extract(tmp_path / "src" / "newlib-9.9.tar.xz", out)
    assert [f.name for f in files] == list(names)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert (out / "sf_exp.c").read_bytes() == b"/* sf_exp.c */\n"
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
