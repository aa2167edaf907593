"""`export` with runtime=tflm for the ESP targets: the tree (ESP-NN's wrappers in place of their reference
twins, only the portable C of ESP-NN they reach, the port for builds without ESP-IDF, licenses, pins,
the link flags, the url), the drift check and Espressif's component manager, without a compiler; then
CMake with the image's esp32c3 compilers (riscv64-unknown-elf-gcc for C, clang++-22 over libc++ and
picolibc for C++): the ESP-NN objects in the default run, the whole library linked with an application
(picolibc's semihosting start-up) and run in qemu-system-riscv32 bit-exact with TINYML_FULL_MATRIX=1
(it compiles TFLM: ~2 minutes on 2 shared cores). Skips when the pinned sources do not resolve.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from export_testlib import export, golden_of
from test_export_tflm import _need, _run
from tflm_testlib import FULL_MATRIX

from tinyml_build.config.build_config import resolve
from tinyml_build.config.options import declared_options
from tinyml_build.errors import TinyMLError
from tinyml_build.export import layout
from tinyml_build.export.drift import compare_tree
from tinyml_build.export.render import plan_export, render_export
from tinyml_build.export.request import plan_from_manifest
from tinyml_build.runtimes.tflm.sources import load_lock, missing_reason, resolve_sources

PROJECT_DIR = Path(__file__).resolve().parents[1]
_WHY_NOT = missing_reason(["FULLY_CONNECTED"], "esp-nn")
pytestmark = [pytest.mark.tflm_sources,
              pytest.mark.skipif(_WHY_NOT is not None, reason=f"ESP-NN's sources do not resolve here: {_WHY_NOT}")]
ARENA = "65536"
ESP_NN_OPS = ("conv.cc", "depthwise_conv.cc", "fully_connected.cc", "pooling.cc", "softmax.cc")  # kws's ops
KERNELS = "src/tensorflow/lite/micro/kernels"


@pytest.fixture(scope="module")
def c3_kws(tmp_path_factory):
    return export(tmp_path_factory.mktemp("c3") / "tml_kws", "esp32c3", "kws", runtime="tflm", arena=ARENA)


def test_esp_nn_wrappers_replace_their_reference_twins_with_only_the_portable_c_they_reach(c3_kws):
    plan, files = c3_kws
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["options"]["kernels"] == "esp-nn" and "ESP_NN=1" in manifest["definitions"]
    for name in ESP_NN_OPS:
        assert f"{KERNELS}/esp_nn/{name}" in plan.sources and f"{KERNELS}/{name}" not in files
    assert f"{KERNELS}/conv_common.cc" in plan.sources  # the wrappers call the reference's Prepare
    library = [p for p in plan.sources if p.startswith("src/esp-nn/")]
    assert library and all(p.startswith("src/esp-nn/src/") and p.endswith(".c") for p in library)
    assert not any("esp32s3" in p or "esp32p4" in p or p.endswith(".S") for p in library)  # portable C only
    assert "src/esp-nn/src/softmax/esp_nn_softmax_opt.c" in library and "src/esp_nn.h" in files  # <esp_nn.h>
    assert "src/common_functions.h" in files  # reached by <common_functions.h> from ESP-NN's own sources
    lock = load_lock()
    assert {n: manifest["pins"][n] for n in ("esp-nn", "esp-tflite-micro")} == \
        {n: lock.get(n).commit for n in ("esp-nn", "esp-tflite-micro")}
    assert {f"licenses/{n}/LICENSE" for n in ("esp-nn", "esp-tflite-micro", "tflite-micro")} <= set(files)
    assert manifest["memory"]["arena_source"].startswith(f"arena={ARENA}")


def test_the_port_serves_builds_without_esp_idf_and_esp_idf_gets_its_own_esp_timer(c3_kws):
    plan, files = c3_kws
    assert "src/esp_timer.h" not in files  # it would shadow ESP-IDF's in the user's code
    assert {"port/esp_timer.h", "port/tml_esp_timer_default.c"} <= set(files)
    assert not any(p.startswith("port/") for p in plan.sources)
    cmake = files[layout.CMAKE].decode()
    idf, plain = cmake.split("return()\nendif()", 1)
    assert "PRIV_REQUIRES esp_timer" in idf and "port/" not in idf and "BUILD_COMPONENTS" in idf
    assert "esp-tflite-micro|esp-nn" in idf and "FATAL_ERROR" in idf and "PRIVATE -Wno-error)" in idf
    assert '"${CMAKE_CURRENT_SOURCE_DIR}/port/tml_esp_timer_default.c"' in plain
    assert 'target_include_directories(tml_kws PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/port")' in plain
    # riscv links with -march without the z* extensions (GCC's multilib choice), compiles with them
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["flags"]["link"][:2] == ["-march=rv32imc", "-mabi=ilp32"]
    assert "target_link_options(tml_kws INTERFACE -march=rv32imc -mabi=ilp32" in plain
    fragment = files[layout.make_fragment(plan.library)].decode()
    assert "$(TML_KWS_DIR)/port/tml_esp_timer_default.c" in fragment
    assert "TML_KWS_LDFLAGS := -march=rv32imc " in fragment
    assert "ESP-IDF" in files[layout.README].decode() and "esp_timer" in files[layout.README].decode()


def test_the_url_is_the_option_else_the_pinned_tflm_repository(c3_kws, tmp_path):
    plan, files = c3_kws
    tflm = load_lock().get("tflite-micro").repository
    properties = dict(line.split("=", 1) for line in files[layout.LIBRARY_PROPERTIES].decode().splitlines())
    assert properties["url"] == tflm and json.loads(files[layout.LIBRARY_JSON])["homepage"] == tflm
    assert f'url: "{tflm}"' in files[layout.IDF_COMPONENT].decode()
    config = resolve(PROJECT_DIR, "esp32c3", "kws", runtime="tflm")
    mine = render_export(plan_export(config, PROJECT_DIR, tmp_path / "x", "kws", arena=ARENA,
                                     options={"export_url": "https://example.org/fw"}))
    assert b"url=https://example.org/fw\n" in mine[layout.LIBRARY_PROPERTIES]
    assert json.loads(mine[layout.MANIFEST])["options"]["export_url"] == "https://example.org/fw"
    aot = render_export(plan_export(resolve(PROJECT_DIR, "esp32c3", "kws", runtime="aot"), PROJECT_DIR,
                                    tmp_path / "a", "kws"))
    assert b"\nurl=\n" in aot[layout.LIBRARY_PROPERTIES]  # runtime=aot has no upstream: no page to name
    [option] = [o for o in declared_options() if o.name == "export_url"]
    for bad in ("example.org", "https://a b", 'https://x/"', "javascript:alert(1)", "https://x/\\y"):
        with pytest.raises(TinyMLError) as err:
            option.check(bad)
        assert "export_url=" in err.value.where


def test_the_drift_check_and_a_second_export_agree_with_the_esp_tree(c3_kws, tmp_path):
    plan, files = c3_kws
    assert compare_tree(plan.folder, files) == []
    assert render_export(plan_from_manifest(plan.folder, PROJECT_DIR)) == files  # `tinyml-build export --check`
    _, again = export(tmp_path / "tml_kws", "esp32c3", "kws", runtime="tflm", arena=ARENA)
    assert again == files
    config = resolve(PROJECT_DIR, "esp32c3", "kws", runtime="tflm")
    cache = str(Path(resolve_sources(config.op_names(), "esp-nn").trees["esp-nn"]).parent).encode()
    assert not any(cache in data for path, data in files.items() if not path.startswith("licenses/"))


def test_esp32s3_exports_esp_nns_portable_c_and_says_it(tmp_path):
    plan, files = export(tmp_path / "tml_kws", "esp32s3", "kws", runtime="tflm", arena=ARENA)
    assert f"{KERNELS}/esp_nn/conv.cc" in plan.sources
    assert not any("esp32s3" in p for p in plan.sources)
    assert "SIMD assembly" in files[layout.README].decode()


def test_idf_component_manager_accepts_and_packs_the_esp_tflm_component(c3_kws, tmp_path):
    _need("compote")
    from test_export_integrations import _offline_env

    plan, files = c3_kws
    env = _offline_env(tmp_path)
    _run(["compote", "manifest", "lint", str(plan.folder / layout.IDF_COMPONENT)], env=env)
    _run(["compote", "component", "pack", "--name", plan.library, "--dest-dir", str(tmp_path / "dist")],
         cwd=plan.folder, env=env)
    with tarfile.open(tmp_path / "dist" / f"{plan.library}_0.1.0.tgz") as archive:
        packed = {name.removeprefix("./") for name in archive.getnames()}
    assert {p for p in files if not p.startswith("port/")} - {layout.LIBRARY_JSON, layout.LIBRARY_PROPERTIES,
                                                              layout.make_fragment(plan.library)} <= packed
    assert "licenses/esp-nn/LICENSE" in packed


def test_platformio_packs_the_esp_tflm_library(c3_kws, tmp_path):
    _need("pio")
    from test_export_integrations import _offline_env

    plan, files = c3_kws
    manifest = json.loads(files[layout.LIBRARY_JSON])
    assert manifest.pop("license") == "Apache-2.0"  # offline, pio cannot check the SPDX id (as in the aot test)
    assert manifest["homepage"] == load_lock().get("tflite-micro").repository
    copy = tmp_path / "offline" / plan.library
    shutil.copytree(plan.folder, copy)
    (copy / layout.LIBRARY_JSON).write_text(json.dumps(manifest, indent=2) + "\n")
    _run(["pio", "pkg", "pack", "-o", str(tmp_path)], cwd=copy, env=_offline_env(tmp_path))
    [tarball] = list(tmp_path.glob("*.tar.gz"))
    with tarfile.open(tarball) as archive:
        packed = set(archive.getnames())
    assert {p for p in files if p.startswith("src/")} <= packed
    assert f"+<{KERNELS[4:]}/esp_nn/conv.cc>" in manifest["build"]["srcFilter"]


def test_make_reads_the_esp_fragment_port_and_link_flags(c3_kws, tmp_path):
    _need("make")
    plan, files = c3_kws
    show = "".join(f"\t@echo $(TML_KWS_{v})\n" for v in ("SRCS", "CPPFLAGS", "LDFLAGS"))
    (tmp_path / "Makefile").write_text(f"include {plan.folder}/{layout.make_fragment(plan.library)}\nshow:\n{show}")
    srcs, cppflags, ldflags = _run(["make", "-s", "show"], cwd=tmp_path).stdout.splitlines()
    assert srcs.split() == [f"{plan.folder}/{s}" for s in plan.sources + ["port/tml_esp_timer_default.c"]]
    manifest = json.loads(files[layout.MANIFEST])
    assert cppflags.split() == [f"-I{plan.folder}/src", f"-I{plan.folder}/port"] + \
        [f"-D{d}" for d in manifest["definitions"]]
    assert ldflags.split() == manifest["flags"]["link"]


def test_cmake_keeps_every_xtensa_arch_flag(tmp_path):
    """clang-xtensa's arch flags repeat `-Xclang -target-feature`: CMake would drop the repeats of plain
    option items, so each feature is one SHELL: item (checked in the commands CMake generates)."""
    _need("cmake", "ninja", "clang-22")
    plan, files = export(tmp_path / "tml_hello_world", "esp32s3", "hello_world", runtime="aot")
    features = [f for f in plan.flags.arch if f.startswith("+")]
    (tmp_path / "x.cmake").write_text("set(CMAKE_SYSTEM_NAME Generic)\nset(CMAKE_C_COMPILER clang-22)\n"
                                      "set(CMAKE_C_COMPILER_WORKS 1)\n")
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(fw C)\n"
                                             f"add_subdirectory(\"{plan.folder}\" lib)\n")
    _run(["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(tmp_path / "b"),
          f"-DCMAKE_TOOLCHAIN_FILE={tmp_path / 'x.cmake'}"])
    command = _run(["ninja", "-C", str(tmp_path / "b"), "-t", "commands"]).stdout.splitlines()[0]
    assert len(features) > 20 and all(f"-Xclang -target-feature -Xclang {f} " in command for f in features)


def _c3_toolchain_file(folder: Path) -> Path:
    """What an esp32c3 user without Espressif's toolchain would write: the image's own compilers."""
    from tinyml_build.config.targets import load_target
    from tinyml_build.toolchains import libcxx, riscv_gcc

    why = riscv_gcc.cxx_unavailable()
    if why is not None or shutil.which("riscv64-unknown-elf-gcc") is None:
        pytest.skip(f"the esp32c3 compilers are not installed: {why or 'riscv64-unknown-elf-gcc'}")
    command = riscv_gcc.cxx_command(riscv_gcc.find_toolchain(), load_target("esp32c3"))
    flags = " ".join(f for f in command[1:] if not f.startswith("-DTML_LIBCXX"))
    path = folder / "riscv32.cmake"
    path.write_text("set(CMAKE_SYSTEM_NAME Generic)\nset(CMAKE_SYSTEM_PROCESSOR riscv32)\n"
                    "set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)\n"
                    f"set(CMAKE_CXX_COMPILER {libcxx.CLANG_CXX})\nset(CMAKE_CXX_FLAGS_INIT \"{flags}\")\n"
                    "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)\n")
    return path


def _configure(tmp_path: Path, plan) -> Path:
    _need("cmake", "ninja")
    toolchain = _c3_toolchain_file(tmp_path)
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(fw C CXX)\n"
                                             f"add_subdirectory(\"{plan.folder}\" tml_kws)\n")
    build = tmp_path / "build"
    _run(["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"])
    return build


def test_cmake_compiles_the_esp_nn_parts_with_the_esp32c3_compilers(c3_kws, tmp_path):
    """The default run compiles the export's ESP-specific objects (ESP-NN's C, the port, one wrapper
    over TFLM's headers) by CMake's own rules; the whole library is the FULL_MATRIX test below."""
    plan, _ = c3_kws
    build = _configure(tmp_path, plan)
    parts = ["src/esp-nn/src/softmax/esp_nn_softmax_opt.c", "port/tml_esp_timer_default.c",
             f"{KERNELS}/esp_nn/softmax.cc"]
    objects = [f"tml_kws/CMakeFiles/tml_kws.dir/{p}.obj" for p in parts]
    result = _run(["ninja", "-C", str(build), "-v", *objects])
    assert "-DESP_NN=1" in result.stdout and "-march=rv32imc_zicsr_zifencei" in result.stdout
    assert all((build / o).is_file() for o in objects)


C3_APP_LINK = ("-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost",
               "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x400000",
               "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x400000",
               "-Wl,--defsym=__stack_size=0x4000", "-Wl,--gc-sections")


# The Cortex-M export test's application (test_export_integrations._qemu_app) on picolibc's stdio and
# start-up instead of the project's platform layer, plus the one C++ runtime hook TFLM's classes reference.
PICOLIBC_APP_PRELUDE = """#include <stdio.h>

#define tml_printf printf

static void tml_print_hex_bytes(const uint8_t *bytes, uint32_t count) {
  uint32_t b;
  for (b = 0; b < count; ++b) {
    printf("%02x", bytes[b]);
  }
}

void __cxa_pure_virtual(void) {
  printf("EXPORT-FAIL pure virtual\\n");
  for (;;) {
  }
}
"""


def _c3_app(plan, inputs: bytes, vectors: int) -> str:
    from test_export_integrations import _qemu_app

    app = _qemu_app(plan, inputs, vectors)
    platform = '#include "tml_platform.h"\n#include "tml_print.h"\n'
    assert platform in app and "  tml_platform_init();\n" in app
    return app.replace(platform, PICOLIBC_APP_PRELUDE).replace("  tml_platform_init();\n", "")


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.skipif(not FULL_MATRIX, reason="compiles TFLM for the esp32c3 (about 2 minutes on 2 shared cores); "
                                            "TINYML_FULL_MATRIX=1 runs it")
def test_esp32c3_export_built_with_cmake_runs_bit_exact_in_qemu(c3_kws, tmp_path):
    _need("qemu-system-riscv32")
    plan, files = c3_kws
    build = _configure(tmp_path, plan)
    result = _run(["cmake", "--build", str(build), "-j", "2", "-v"])
    assert "-DESP_NN=1" in result.stdout and "-DTF_LITE_STATIC_MEMORY" in result.stdout
    manifest = json.loads(files[layout.MANIFEST])
    g = golden_of(plan)
    (tmp_path / "app.c").write_text(_c3_app(plan, b"".join(b for v in g.vectors for b in v.inputs), len(g.vectors)))
    _run(["riscv64-unknown-elf-gcc", *manifest["flags"]["arch"], "-O2", f"-I{plan.folder / layout.SRC}",
          *[f"-D{d}" for d in manifest["definitions"]], "-c", str(tmp_path / "app.c"), "-o", str(tmp_path / "app.o")])
    _run(["riscv64-unknown-elf-gcc", *C3_APP_LINK, str(tmp_path / "app.o"), str(build / "tml_kws" / "libtml_kws.a"),
          "-lm", "-o", str(tmp_path / "app.elf")])
    run = subprocess.run(["qemu-system-riscv32", "-M", "virt", "-cpu", "rv32,a=false,f=false,d=false", "-bios", "none",
                          "-display", "none", "-semihosting-config", "enable=on,target=native", "-icount", "shift=0",
                          "-kernel", str(tmp_path / "app.elf")], capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "EXPORT-DONE" in output, output[-2000:]
    got = [line.split()[1].lower() for line in output.splitlines() if line.startswith("EXPORT-OUT")]
    assert got == [b.hex() for v in g.vectors for b in v.outputs]


def test_where_esp_nn_would_abort_the_export_takes_the_reference_kernels_as_the_image(tmp_path):
    """kernel_limits.py sends a bias-less int8 convolution to TFLM's reference kernels (the esp_nn
    wrapper's DCHECK would abort): the export ships the reference conv.cc and nothing of ESP-NN."""
    from test_kernel_limits import _conv_model

    model = tmp_path / "conv_nobias.tflite"
    model.write_bytes(_conv_model("CONV_2D", bias=False))
    plan, files = export(tmp_path / "tml_conv_nobias", "esp32c3", str(model), runtime="tflm", arena=ARENA)
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["options"]["kernels"] == "reference" and f"{KERNELS}/conv.cc" in plan.sources
    assert not any("esp_nn" in p or "esp-nn" in p or p.startswith("port/") for p in files)
    assert "esp-nn" not in manifest["pins"] and "ESP_NN=1" not in manifest["definitions"]
    assert "PRIV_REQUIRES" not in files[layout.CMAKE].decode()
