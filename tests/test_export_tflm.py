"""`export` with runtime=tflm: the tree's contents (the image's file list, the header closure, licenses,
pins, C++ usage requirements), determinism and the drift check without a compiler; then real builds:
the host export by CMake+Ninja and by the Make fragment with the host g++, the qemu-m4 export
(kernels=cmsis-nn) by CMake with an arm-none-eabi toolchain file, run in QEMU -- every output
byte-identical to the pinned TFLM oracle. Skips when the pinned upstream sources do not resolve.

CI time: the TFLM core dominates (parsing its headers: ~1 minute per build on 2 cores, whatever the
-O level), so the default run builds twice (host by CMake, qemu-m4 by CMake); GNU make reads the
fragment and it must name the CMake file's sources and flags, and the full Make build of the host
export runs with TINYML_FULL_MATRIX=1 (as tflm's other "compile TFLM once more" tests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from export_testlib import export, golden_of, host_app, vector_files
from tflm_testlib import FULL_MATRIX

from tinyml_build.config.build_config import resolve
from tinyml_build.errors import TinyMLError
from tinyml_build.export import layout
from tinyml_build.export.drift import compare_tree
from tinyml_build.export.render import plan_export, render_export
from tinyml_build.export.request import plan_from_manifest
from tinyml_build.runtimes.tflm.sources import missing_reason, resolve_sources

PROJECT_DIR = Path(__file__).resolve().parents[1]
_WHY_NOT = missing_reason(["FULLY_CONNECTED"], "cmsis-nn")
pytestmark = [pytest.mark.tflm_sources,
              pytest.mark.skipif(_WHY_NOT is not None, reason=f"TFLM sources do not resolve here: {_WHY_NOT}")]
ARENA = "65536"  # explicit: the arena probe (arena=auto) runs in the image build, not in these tests


def _need(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed (./setup.sh installs it)")


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, " ".join(map(str, command)) + "\n" + result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def host_kws(tmp_path_factory):
    folder = tmp_path_factory.mktemp("host") / "tml_kws"
    plan, files = export(folder, "host", "kws", runtime="tflm", arena=ARENA)
    return plan, files


def test_the_tree_is_the_images_file_list_with_its_header_closure_and_licenses(host_kws):
    plan, files = host_kws
    config = resolve(PROJECT_DIR, "host", "kws", runtime="tflm")
    image = resolve_sources(config.op_names(), config.kernels)
    manifest = json.loads(files[layout.MANIFEST])
    # Every upstream file the image compiles is compiled by the export, TFLM's debug_log.cc for the glue.
    upstream = {p for p in plan.sources if p.startswith("src/tensorflow/") or p.startswith("src/signal/")}
    expected = {"src/" + image.origin(p)[1] for p in image.portable_core() + image.kernel_files
                if image.origin(p)[0] == "tflite-micro"}
    assert upstream == expected and "src/tensorflow/lite/micro/debug_log.cc" in upstream
    assert "src/tml_tflm_platform.cc" not in files and "src/tml_tflm_checked_arena.cc" in plan.sources
    assert {f"licenses/{n}/LICENSE" for n in ("tflite-micro", "flatbuffers", "gemmlowp", "ruy")} <= set(files)
    assert set(manifest["pins"]) == {"tflite-micro", "flatbuffers", "gemmlowp", "ruy"}
    assert "src/flatbuffers/flatbuffers.h" in files and "src/fixedpoint/fixedpoint.h" in files
    assert "TF_LITE_STATIC_MEMORY" in manifest["definitions"] and "-fno-rtti" in manifest["flags"]["cxx"]
    header = files["src/tml_kws.h"].decode()
    assert "#define TML_KWS_ARENA_BYTES 65536u" in header and "extern const tml_model_api kws_model_api;" in header
    assert json.loads(files[layout.LIBRARY_JSON])["license"] == "Apache-2.0"
    cmake = files[layout.CMAKE].decode()
    assert "$<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions>" in cmake and "PUBLIC TF_LITE_STATIC_MEMORY" in cmake
    cache = str(Path(image.trees["tflite-micro"]).parent)
    assert not any(cache.encode() in data for path, data in files.items() if not path.startswith("licenses/"))


def test_two_exports_are_byte_identical_and_the_drift_check_sees_a_changed_arena(tmp_path, host_kws):
    plan, files = host_kws
    _, again = export(tmp_path / "b" / "tml_kws", "host", "kws", runtime="tflm", arena=ARENA)
    assert again == files
    assert compare_tree(plan.folder, files) == []
    from_manifest = plan_from_manifest(plan.folder, PROJECT_DIR)  # `tinyml-build export --check DIR`
    assert from_manifest.options["arena"] == ARENA and render_export(from_manifest) == files
    config = resolve(PROJECT_DIR, "host", "kws", runtime="tflm")
    bigger = render_export(plan_export(config, PROJECT_DIR, plan.folder, "kws", arena="70000"))
    drift = {d.path: d for d in compare_tree(plan.folder, bigger)}
    assert {"src/kws_model.c", "src/tml_kws.h"} <= set(drift) and drift["src/kws_model.c"].kind == "changed"
    edited = tmp_path / "b" / "tml_kws" / "src" / "tensorflow" / "lite" / "micro" / "micro_interpreter.cc"
    edited.write_bytes(edited.read_bytes() + b"// local fix\n")
    [hand] = compare_tree(tmp_path / "b" / "tml_kws", files)
    assert hand.reason == "hand edit" and hand.path.endswith("micro_interpreter.cc")


def test_arena_auto_takes_the_probes_measurement_and_refuses_without_one(tmp_path):
    from tinyml_build.runtimes.tflm.arena import ArenaDecision, to_json

    config = resolve(PROJECT_DIR, "qemu-m4", "kws", runtime="tflm")
    plan = plan_export(config, PROJECT_DIR, tmp_path / "tml_kws", "kws")
    assert plan.arena_file == Path(config.out_dir) / "arena.json" and plan.arena_file in plan.inputs
    plan = plan.__class__(**{**plan.__dict__, "arena_file": tmp_path / "arena.json"})
    with pytest.raises(TinyMLError) as err:
        render_export(plan)
    assert "arena" in err.value.what and "arena=<bytes>" in err.value.fix
    (tmp_path / "arena.json").write_text(to_json({"kws": ArenaDecision("kws", 9000, 9600, 9600, 600, 0, "auto", "q")}))
    assert b"#define TML_KWS_ARENA_BYTES 9600u" in render_export(plan)["src/tml_kws.h"]
    host = resolve(PROJECT_DIR, "host", "kws", runtime="tflm")
    with pytest.raises(TinyMLError) as err:
        plan_export(host, PROJECT_DIR, tmp_path / "host", "kws")
    assert err.value.where == "arena=auto"


def _host_vectors(tmp_path, plan):
    g = golden_of(plan)
    inputs, expected = vector_files(tmp_path, g)
    (tmp_path / "app.c").write_text(host_app(plan))
    return len(g.vectors), inputs, expected


@pytest.mark.slow
def test_host_export_built_with_cmake_matches_the_oracle(tmp_path, host_kws):
    _need("cmake", "ninja", "g++")
    plan, _ = host_kws
    runs, inputs, expected = _host_vectors(tmp_path, plan)
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(app C CXX)\n"
                                             f"add_subdirectory(\"{plan.folder}\" tml_kws)\n"
                                             "add_executable(app app.c)\ntarget_link_libraries(app PRIVATE tml_kws)\n")
    build = tmp_path / "cmake"
    _run(["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(build)])
    _run(["cmake", "--build", str(build), "-j", "2"])
    _run([str(build / "app"), str(inputs), str(tmp_path / "cmake.bin"), str(runs)])
    assert (tmp_path / "cmake.bin").read_bytes() == expected


def _makefile(plan, app: Path) -> str:
    p = layout.macro_prefix(plan.library)
    return (f"include {plan.folder}/{layout.make_fragment(plan.library)}\n"
            f"OBJS := $(patsubst {plan.folder}/%,obj/%.o,$({p}_SRCS)) obj/app.o\n"
            "app: $(OBJS)\n\tg++ -o $@ $^ -lm\n"
            f"obj/%.c.o: {plan.folder}/%.c\n\t@mkdir -p $(dir $@)\n\tgcc $({p}_CPPFLAGS) $({p}_CFLAGS) -c $< -o $@\n"
            f"obj/%.cc.o: {plan.folder}/%.cc\n\t@mkdir -p $(dir $@)\n"
            f"\tg++ $({p}_CPPFLAGS) $({p}_CXXFLAGS) -c $< -o $@\n"
            f"obj/app.o: {app}\n\t@mkdir -p obj\n\tgcc $({p}_CPPFLAGS) -c $< -o $@\n"
            f"show:\n\t@echo $({p}_SRCS)\n\t@echo $({p}_CPPFLAGS)\n\t@echo $({p}_CXXFLAGS)\n")


def test_make_fragment_names_the_cmake_sources_definitions_and_cxx_flags(tmp_path, host_kws):
    """GNU make itself reads the fragment (cheap); the full Make build is the FULL_MATRIX test below."""
    _need("make")
    plan, files = host_kws
    (tmp_path / "Makefile").write_text(_makefile(plan, tmp_path / "app.c"))
    srcs, cppflags, cxxflags = _run(["make", "-s", "show"], cwd=tmp_path).stdout.splitlines()
    assert srcs.split() == [f"{plan.folder}/{s}" for s in plan.sources]
    manifest = json.loads(files[layout.MANIFEST])
    assert cppflags.split() == [f"-I{plan.folder}/src"] + [f"-D{d}" for d in manifest["definitions"]]
    assert {"-std=c++17", "-fno-exceptions", "-fno-rtti", "-ffp-contract=off"} <= set(cxxflags.split())


@pytest.mark.slow
@pytest.mark.skipif(not FULL_MATRIX, reason="compiles TFLM once more for the host (about a minute on 2 cores); "
                                            "TINYML_FULL_MATRIX=1 runs it")
def test_host_export_built_with_the_make_fragment_matches_the_oracle(tmp_path, host_kws):
    _need("g++", "make")
    plan, _ = host_kws
    runs, inputs, expected = _host_vectors(tmp_path, plan)
    make_dir = tmp_path / "make"
    make_dir.mkdir()
    (make_dir / "Makefile").write_text(_makefile(plan, tmp_path / "app.c"))
    _run(["make", "-j2", "-s", "app"], cwd=make_dir)
    _run([str(make_dir / "app"), str(inputs), str(tmp_path / "make.bin"), str(runs)])
    assert (tmp_path / "make.bin").read_bytes() == expected


ARM_TOOLCHAIN_FILE = """set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
"""

# What a bare-metal application provides for C++ code without libsupc++ and newlib's stdio-based
# abort/assert (the image's platform glue does the same, tml_tflm_platform.cc).
BARE_METAL_HOOKS = """
void abort(void) {
  tml_printf("EXPORT-FAIL abort\\n");
  tml_exit(3);
}
void __assert_func(const char *file, int line, const char *function, const char *expression) {
  (void)file; (void)line; (void)function; (void)expression;
  tml_printf("EXPORT-FAIL assert\\n");
  tml_exit(3);
}
void __cxa_pure_virtual(void) {
  tml_printf("EXPORT-FAIL pure virtual\\n");
  tml_exit(3);
}
"""


@pytest.mark.qemu
@pytest.mark.slow
def test_qemu_m4_cmsis_nn_export_built_with_cmake_runs_bit_exact(tmp_path):
    _need("cmake", "ninja", "arm-none-eabi-gcc", "arm-none-eabi-g++", "qemu-system-arm")
    from test_export_integrations import _qemu_app

    from tinyml_build.config.targets import load_target
    from tinyml_build.runtimes.tflm.plan import link_libraries
    from tinyml_build.verification.cortex_m_program import ProgramBuilder

    plan, files = export(tmp_path / "vendor" / "tml_kws", "qemu-m4", "kws", runtime="tflm", arena=ARENA)
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["options"]["kernels"] == "cmsis-nn" and "CMSIS_NN" in manifest["definitions"]
    assert any(p.startswith("src/Source/") for p in plan.sources) and "licenses/cmsis-nn/LICENSE" in files
    (tmp_path / "arm.cmake").write_text(ARM_TOOLCHAIN_FILE)
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(fw C CXX)\n"
                                             f"add_subdirectory(\"{plan.folder}\" tml_kws)\n")
    build = tmp_path / "build"
    _run(["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(build),
          f"-DCMAKE_TOOLCHAIN_FILE={tmp_path / 'arm.cmake'}"])
    result = _run(["cmake", "--build", str(build), "--target", "tml_kws", "-j", "2", "-v"])
    assert "-mcpu=cortex-m4" in result.stdout and "-DCMSIS_NN" in result.stdout
    g = golden_of(plan)
    app = _qemu_app(plan, b"".join(b for v in g.vectors for b in v.inputs), len(g.vectors))
    (tmp_path / "app.c").write_text(app.replace("int main(void)", BARE_METAL_HOOKS + "\nint main(void)", 1))
    builder = ProgramBuilder(load_target("qemu-m4"), tmp_path / "program")
    builder.flags = link_libraries(builder.flags)  # TFLM calls libm, as the image links it
    objects = builder.compile([tmp_path / "app.c"], "app", include_dirs=[plan.folder / layout.SRC],
                              defines=[d for d in manifest["definitions"]])
    outcome = builder.run(builder.link(objects + [str(build / "tml_kws" / "libtml_kws.a")], tmp_path / "app.elf"),
                          timeout=120)
    assert "EXPORT-DONE" in outcome.output, outcome.output[-2000:] + outcome.stderr[-2000:]
    got = [line.split()[1].lower() for line in outcome.output.splitlines() if line.startswith("EXPORT-OUT")]
    assert got == [b.hex() for v in g.vectors for b in v.outputs]

