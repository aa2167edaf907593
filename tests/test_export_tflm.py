"""`export` with runtime=tflm: the tree's contents (the image's file list, the header closure, licenses,
pins, C++ usage requirements), determinism and the drift check without a compiler; then real builds:
the host export by CMake+Ninja and by the Make fragment with the host g++, the qemu-m4 export
(kernels=cmsis-nn) by CMake with an arm-none-eabi toolchain file, run in QEMU -- every output
byte-identical to the pinned TFLM oracle. Skips when the pinned upstream sources do not resolve.

CI time: the TFLM core dominates (parsing its headers: ~1 minute per build on 2 cores, whatever the
-O level), so the default run builds twice: the host export with arena=auto by scons (its host arena
probe compiles the export's own files natively; the tree then runs bit-exact with those objects, the
measured arena and nothing added) and qemu-m4 by CMake; GNU make reads the fragment and it must name
the CMake file's sources and flags, and the CMake and Make builds of the host export run with
TINYML_FULL_MATRIX=1 (as tflm's other "compile TFLM once more" tests).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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
ARENA = "65536"  # explicit where the test needs no measurement (arena=auto: the host_auto fixture, scons)


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
    plan = plan_export(host, PROJECT_DIR, tmp_path / "host", "kws")  # the host probe's arena.json (scons export)
    assert plan.arena_file == Path(host.out_dir) / "arena.json"
    plan = plan.__class__(**{**plan.__dict__, "arena_file": tmp_path / "missing.json"})
    with pytest.raises(TinyMLError) as err:
        render_export(plan)
    assert "natively for target=host" in err.value.fix


def test_the_host_probe_compiles_the_exports_own_files_with_its_flags(tmp_path, host_kws):
    from tinyml_build.runtimes.tflm.host_probe import INVOKE_DEFINE, plan_host_probe

    plan, _ = host_kws
    config = resolve(PROJECT_DIR, "host", "kws", runtime="tflm", build_dir=str(tmp_path))
    probe = plan_host_probe(config, plan_export(config, PROJECT_DIR, tmp_path / "tml_kws", "kws"))
    copied = dict(plan.tflm.copied)
    generated = {"src/kws_tflm_api.cc", "src/kws_model_data.cc", "src/kws_model.c"}
    assert sorted(src for src, _ in probe.upstream) == sorted(copied[p] for p in plan.sources if p not in generated)
    assert any(src.name == "debug_log.cc" for src, _ in probe.upstream)  # the export's core, not the image's
    assert probe.definitions == plan.tflm.definitions and probe.cxx_flags == plan.flags.cxx
    assert set(probe.private) | set(probe.c_flags) == set(plan.flags.private)
    assert all(obj.is_relative_to(tmp_path / "host" / "_common" / "tflm-host-probe" / "reference")
               for _, obj in probe.upstream)
    assert probe.arena_json == tmp_path / "host" / "kws" / "arena.json" and INVOKE_DEFINE not in probe.definitions


def test_the_host_probe_depends_on_the_compilers_identity(tmp_path):
    from tinyml_build.runtimes.tflm.host_probe import compiler_identity

    _need("gcc", "g++")
    real = compiler_identity()
    assert "gcc" in real and "g++" in real
    fake = _fake_compilers(tmp_path / "bin")
    other = compiler_identity(f"{fake}:{os.environ.get('PATH', '')}")
    assert other != real and "fake 99" in other
    with pytest.raises(TinyMLError) as err:
        compiler_identity(str(tmp_path / "nowhere"))
    assert "arena=<bytes>" in err.value.fix


def _fake_compilers(folder: Path) -> Path:
    """gcc and g++ that say they are another version and otherwise are the real ones."""
    folder.mkdir(parents=True)
    for name in ("gcc", "g++"):
        script = folder / name
        script.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo "{name} (fake 99) 99.0"; exit 0; fi\n'
                          f'exec {shutil.which(name)} "$@"\n')
        script.chmod(0o755)
    return folder


def _scons_host_export(build: Path, model: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", "target=host", f"model={model}",
                           "runtime=tflm", f"build_dir={build}", "export", *extra], cwd=PROJECT_DIR,
                          capture_output=True, text=True, env=env)


STEP = re.compile(r"^\[\d+/\d+\] (\w+)\s+(.*)$")


def _steps(result) -> list[tuple[str, str]]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [(m.group(1), m.group(2)) for m in map(STEP.match, result.stdout.splitlines()) if m]


@pytest.fixture(scope="module")
def host_auto(tmp_path_factory):
    """`scons target=host model=<a copy of kws> runtime=tflm export`, arena=auto: the host probe compiles the
    export's own files natively (the one TFLM compile of the default run here), runs them and measures."""
    _need("gcc", "g++")
    root = tmp_path_factory.mktemp("host-auto")
    model = root / "models" / "kws.tflite"
    model.parent.mkdir()
    shutil.copy(PROJECT_DIR / "models" / "kws" / "kws.tflite", model)
    build = root / "build"
    result = _scons_host_export(build, model)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    config = resolve(PROJECT_DIR, "host", str(model), runtime="tflm", build_dir=str(build))
    plan = plan_export(config, PROJECT_DIR, build / "host" / "kws" / "export" / "tml_kws", model.name)
    return plan, config, result.stdout


@pytest.mark.slow
def test_the_host_probe_measures_again_only_when_the_model_or_the_compiler_changes(tmp_path, host_auto):
    """Dry runs (-n): nothing to do; another compiler recompiles and measures again; another kernel set
    compiles its files and relinks the probe, another model regenerates and recompiles its own files and
    relinks the probe (whose new bytes then re-run it: a dry run cannot see past the link), leaving the
    core's objects alone."""
    plan, config, _ = host_auto
    build, model = Path(config.build_root), plan.tflite
    assert _steps(_scons_host_export(build, model, "-n")) == []
    fake = _fake_compilers(tmp_path / "bin")
    steps = _steps(_scons_host_export(build, model, "-n", env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}))
    assert ("RUN", f"host arena probe -> {plan.arena_file}") in steps
    assert any(kind == "CXX" and what.endswith("micro_allocator.cc") for kind, what in steps)
    steps = _steps(_scons_host_export(build, model, "-n", "kernels=cmsis-nn"))  # another kernel set: its objects
    assert ("LINK", str(plan.arena_file.parent / "probe" / "arena_probe")) in steps
    assert any(kind == "CC" and "/Source/" in what for kind, what in steps)  # CMSIS-NN's own C files
    original = model.read_bytes()
    try:
        model.write_bytes((PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite").read_bytes())
        steps = _steps(_scons_host_export(build, model, "-n"))
    finally:
        model.write_bytes(original)
    assert ("LINK", str(plan.arena_file.parent / "probe" / "arena_probe")) in steps
    assert any(kind == "CXX" and what.endswith("kws_model_data.cc") for kind, what in steps)
    assert not any(what.endswith("micro_allocator.cc") for _, what in steps)


def _host_vectors(tmp_path, plan):
    g = golden_of(plan)
    inputs, expected = vector_files(tmp_path, g)
    (tmp_path / "app.c").write_text(host_app(plan))
    return len(g.vectors), inputs, expected


def _check_measured_tree(plan, output: str) -> None:
    """The tree's arena is the host probe's measurement, and the manifest and README say so."""
    from tinyml_build.runtimes.tflm.arena import from_json

    decision = from_json(plan.arena_file.read_text())["kws"]
    assert decision.measured_on == "host" and decision.reserved == decision.needed >= decision.used > 0
    assert f"arena kws: {decision.used:,} used / {decision.reserved:,} reserved" in output
    assert f"#define TML_KWS_ARENA_BYTES {decision.reserved}u" in (plan.folder / "src" / "tml_kws.h").read_text()
    manifest = json.loads((plan.folder / layout.MANIFEST).read_text())
    assert manifest["options"]["arena"] == "auto" and manifest["memory"]["arena_bytes"] == decision.reserved
    assert manifest["memory"]["arena_source"] == decision.comment() and "probed on host" in decision.comment()
    assert "measured natively" in (plan.folder / layout.README).read_text()
    assert "status=OK" in (plan.arena_file.parent / "probe" / "arena_probe.log").read_text()


@pytest.mark.slow
def test_the_measured_host_tree_runs_bit_exact_in_exactly_its_arena(tmp_path, host_auto):
    """The tree's descriptor and header (the measured arena, no headroom) with the probe's objects -- the
    export's own files compiled with its flags -- and an application that uses only the API: it sets up
    in that arena on this 64-bit host and computes every output byte as the oracle (no second TFLM compile;
    the CMake build of the same tree is the FULL_MATRIX test below)."""
    from tinyml_build.runtimes.tflm.host_probe import plan_host_probe

    plan, config, output = host_auto
    _check_measured_tree(plan, output)
    probe = plan_host_probe(config, plan)
    runs, inputs, expected = _host_vectors(tmp_path, plan)
    manifest = json.loads((plan.folder / layout.MANIFEST).read_text())
    flags = [f"-I{plan.folder / layout.SRC}", *[f"-D{d}" for d in manifest["definitions"]], *probe.private]
    for name in ("app.c", "kws_model.c"):
        source = tmp_path / name if name == "app.c" else plan.folder / layout.SRC / name
        _run(["gcc", *flags, *probe.c_flags, "-c", str(source), "-o", str(tmp_path / f"{name}.o")])
    objects = [str(o) for _, o in probe.upstream] + [str(probe.obj_dir / f"kws_{n}.o")
                                                      for n in ("tflm_api", "model_data")]
    _run(["g++", "-o", str(tmp_path / "app"), str(tmp_path / "app.c.o"), str(tmp_path / "kws_model.c.o"), *objects,
          "-lm"])
    _run([str(tmp_path / "app"), str(inputs), str(tmp_path / "out.bin"), str(runs)])
    assert (tmp_path / "out.bin").read_bytes() == expected


@pytest.mark.slow
@pytest.mark.skipif(not FULL_MATRIX, reason="compiles TFLM once more for the host (about a minute on 2 cores) after "
                                            "the host probe did; TINYML_FULL_MATRIX=1 runs it")
def test_host_export_built_with_cmake_matches_the_oracle(tmp_path, host_auto):
    """arena=auto on the host: the library built by CMake sets up in exactly the measured arena and
    computes every output byte as the oracle."""
    _need("cmake", "ninja", "g++")
    plan, _, output = host_auto
    _check_measured_tree(plan, output)
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
def test_host_export_built_with_the_make_fragment_matches_the_oracle(tmp_path, host_auto):
    _need("g++", "make")
    plan, _, _ = host_auto
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

