"""`export` (tinyml_build/export/): the vendored tree's contents, determinism, safety and drift check,
and real builds of it -- CMake (add_subdirectory and FetchContent) and the Make fragment with the
host gcc, every aot model bit-exact with tflite-micro. Cross builds, QEMU and the packers of ESP-IDF
and PlatformIO are in test_export_integrations.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, project_checkout, shared_model_paths
from export_testlib import export, golden_of, host_app, vector_files

from tinyml_build.config.build_config import resolve
from tinyml_build.errors import TinyMLError
from tinyml_build.export import layout
from tinyml_build.export.drift import compare_tree
from tinyml_build.export.render import plan_export, render_export
from tinyml_build.export.tree import write_tree

MODELS = ["kws", "hello_world"] + [str(p) for p in shared_model_paths()]


def _aot_models() -> list[str]:
    """Every model of models/ and the reference models that runtime=aot builds."""
    found = []
    for model in MODELS:
        try:
            resolve(PROJECT_DIR, "host", model, runtime="aot")
        except TinyMLError:
            continue
        found.append(model)
    return found


def _scons(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "random"})


# ---- the tree -----------------------------------------------------------------------------------


def test_tree_holds_the_api_the_model_and_only_the_kernels_it_uses(tmp_path):
    plan, files = export(tmp_path / "tml_kws", "host", "kws")
    config = resolve(PROJECT_DIR, "host", "kws", runtime="aot")
    kernels = {f"src/{k}.c" for k in config.models[0].facts.check_aot()}
    assert plan.library == "tml_kws"
    assert {p for p in files if p.endswith(".c")} == kernels | {"src/kws_model.c"}
    assert {"src/tml_model_api.h", "src/tml_kws.h", "src/kws_model.h", "src/tml_kernels.h"} <= set(files)
    assert "src/tml_broadcast.h" not in files  # kws has no broadcasting op: its header is not included
    for name in ("CMakeLists.txt", "tml_kws.mk", "idf_component.yml", "library.json", "library.properties",
                 "README.md", "manifest.json"):
        assert name in files
    assert not any("platform" in p or "main" in p or "test_vectors" in p for p in files)
    header = files["src/tml_kws.h"].decode()
    for constant in ("TML_KWS_NAME \"kws\"", "TML_KWS_INPUT0_TYPE TML_INT8",
                     "TML_KWS_INPUT0_DIMS \\\n  { 1, 49, 10, 1 }",
                     "TML_KWS_OUTPUT0_ZERO_POINT (-128)", "TML_KWS_ARENA_BYTES", "TML_KWS_API kws_model_api"):
        assert constant in header
    manifest = json.loads(files["manifest.json"])
    assert manifest["model"] == {"name": "kws", "source": "kws", "sha256": config.models[0].sha256,
                                 "bytes": config.models[0].tflite.stat().st_size}
    assert manifest["runtime"] == "aot" and manifest["target"] == "host" and manifest["flags"]["arch"] == []
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    text = b"".join(files.values())
    for folder in (str(tmp_path), str(PROJECT_DIR), str(Path.home())):
        assert folder.encode() not in text  # no absolute paths
    if shutil.which("clang-format"):  # the generated header is in the project's C style
        style = subprocess.run(["clang-format", f"--style=file:{PROJECT_DIR / '.clang-format'}", "--dry-run",
                                "--Werror", str(tmp_path / "tml_kws" / "src" / "tml_kws.h")], capture_output=True)
        assert style.returncode == 0, style.stderr.decode()[-2000:]
    cmake = files["CMakeLists.txt"].decode()
    assert "if(ESP_PLATFORM)" in cmake and "idf_component_register(" in cmake and "-mcpu" not in cmake


def test_cross_target_records_its_arch_flags_as_usage_requirements(tmp_path):
    _, files = export(tmp_path / "e", "qemu-m4", "kws")
    cmake, fragment = files["CMakeLists.txt"].decode(), files["tml_kws.mk"].decode()
    arch = "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
    assert f"target_compile_options(tml_kws PUBLIC {arch})" in cmake
    assert f"target_link_options(tml_kws INTERFACE {arch})" in cmake
    assert f"TML_KWS_ARCH_FLAGS := {arch}" in fragment
    assert arch in files["README.md"].decode()


def test_libm_is_a_usage_requirement_only_when_a_kernel_calls_it(tmp_path):
    """Float math kernels (SIN: kernels/float_math.c) call libm: CMake and Make users link it; an int8
    model's export names no library."""
    from tflite_builder import ModelBuilder

    from tinyml_build.model.schema import fb

    b = ModelBuilder()
    x, y = b.tensor("x", "float32", (4,)), b.tensor("y", "float32", (4,))
    b.op(b.opcode(fb.BuiltinOperator.SIN), [x], [y])
    b.inputs, b.outputs = [x], [y]
    (tmp_path / "sin.tflite").write_bytes(b.build())
    _, files = export(tmp_path / "e", "host", str(tmp_path / "sin.tflite"))
    assert "target_link_libraries(tml_sin INTERFACE m)" in files["CMakeLists.txt"].decode()
    assert "TML_SIN_LDLIBS := -lm\n" in files["tml_sin.mk"].decode()
    _, files = export(tmp_path / "k", "host", "kws")
    assert "target_link_libraries(tml_kws INTERFACE" not in files["CMakeLists.txt"].decode()
    assert "TML_KWS_LDLIBS :=\n" in files["tml_kws.mk"].decode()


def test_model_strings_reach_the_tree_only_escaped(tmp_path):
    hostile = tmp_path / "evil ??= name\n#error x.tflite"
    shutil.copy(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite", hostile)
    plan, files = export(tmp_path / "out", "host", str(hostile))
    assert plan.library == "tml_evil_____name__error_x"  # the checked C name, never the file name
    for path, data in files.items():
        if path != "manifest.json":
            assert b"??=" not in data and b"\n#error x" not in data, path
    assert json.loads(files["manifest.json"])["model"]["source"] == hostile.name


def test_runtime_auto_exports_aot_and_says_why(tmp_path):
    """runtime=auto picks tflm where its sources resolve, but for an export it chooses aot (the banner
    says why); runtime=tflm exports TFLM (tests/test_export_tflm.py)."""
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world",
                             f"build_dir={tmp_path}", "export"], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "runtime=aot (auto: `export` vendors runtime=aot" in result.stdout
    assert (tmp_path / "qemu-m4" / "hello_world" / "export" / "tml_hello_world" / "manifest.json").is_file()


# ---- writing safely --------------------------------------------------------------------------------


def test_refuses_a_users_folder_and_hand_edits_and_removes_only_its_own_stale_files(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "main.c").write_text("int main(void) { return 0; }\n")
    with pytest.raises(TinyMLError, match="holds no tinyml_build export"):
        export(user, "host", "kws")
    assert sorted(p.name for p in user.iterdir()) == ["main.c"]

    folder = tmp_path / "vendored"
    _, kws = export(folder, "host", "kws")
    (folder / "src" / "notes.txt").write_text("mine\n")  # a user's own file in the tree: kept
    _, hello = export(folder, "host", "hello_world")  # another model into the same export folder
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present == set(hello) | {"src/notes.txt"}
    assert "src/kws_model.c" not in present and "tml_kws.mk" not in present  # stale files of kws removed

    edited = folder / "src" / "hello_world_model.c"
    edited.write_text(edited.read_text() + "/* tuned by hand */\n")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(TinyMLError, match="edited by hand") as err:
        export(folder, "host", "kws")
    assert "hand edit: src/hello_world_model.c" in "\n".join(err.value.detail_lines)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # nothing written


def test_never_writes_through_a_link_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "src").symlink_to(outside)
    files = {"src/a.c": b"x", "manifest.json": b"{}"}
    with pytest.raises(TinyMLError, match="outside the export folder"):
        write_tree(folder, files)
    assert not list(outside.iterdir())


# ---- drift -----------------------------------------------------------------------------------------


def test_drift_check_tells_hand_edits_from_model_changes(tmp_path):
    model = tmp_path / "m.tflite"
    shutil.copy(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite", model)
    folder = tmp_path / "tml_m"
    export(folder, "host", str(model))
    cli = [sys.executable, "-m", "tinyml_build", "export", "--check", str(folder), "--project", str(PROJECT_DIR),
           "--model", str(model)]
    ok = subprocess.run(cli, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "matches" in ok.stdout

    header = folder / "src" / "tml_m.h"
    header.write_text(header.read_text() + "/* edit */\n")
    (folder / "src" / "extra.c").write_text("/* mine */\n")
    edited = subprocess.run(cli, capture_output=True, text=True)
    assert edited.returncode == 2 and "Traceback" not in edited.stderr
    assert "changed  src/tml_m.h: hand edit" in edited.stderr
    assert "added    src/extra.c: added by hand" in edited.stderr
    header.write_text(header.read_text().replace("/* edit */\n", ""))
    (folder / "src" / "extra.c").unlink()

    shutil.copy(shared_or_kws(), model)  # the model changed; the vendored code did not
    changed = subprocess.run(cli, capture_output=True, text=True)
    assert changed.returncode == 2
    assert "model changed (sha256" in changed.stderr and "hand edit" not in changed.stderr
    assert "missing " in changed.stderr or "added " in changed.stderr  # other kernels


def shared_or_kws() -> Path:
    return PROJECT_DIR / "models" / "kws" / "kws.tflite"


def test_drift_of_a_generator_change_is_not_a_hand_edit(tmp_path):
    folder = tmp_path / "tml_kws"
    _, files = export(folder, "host", "kws")
    newer = dict(files)
    newer["src/conv2d.c"] = files["src/conv2d.c"] + b"/* a newer kernel */\n"
    drift = compare_tree(folder, newer)
    assert [(d.path, d.kind, d.reason.split(" (")[0]) for d in drift] == [("src/conv2d.c", "changed",
                                                                           "generator changed")]
    assert compare_tree(folder, files) == []


# ---- SCons and determinism -----------------------------------------------------------------------


def test_scons_export_is_byte_identical_from_two_checkouts_and_a_noop_the_second_time(tmp_path):
    first = project_checkout(tmp_path / "a" / "checkout")
    result = _scons(first, "target=host", "model=kws", "export")
    assert result.returncode == 0, result.stdout + result.stderr
    again = _scons(first, "target=host", "model=kws", "export")
    assert "is up to date" in again.stdout, again.stdout
    time.sleep(1.1)
    second = project_checkout(tmp_path / "elsewhere" / "deeper")
    for path in second.rglob("*"):
        os.utime(path, (time.time() + 3600, time.time() + 3600))
    result = _scons(second, "target=host", "model=kws", "export", "export_dir=vendor/tml_kws")
    assert result.returncode == 0, result.stdout + result.stderr
    tree_a, tree_b = first / "build" / "host" / "kws" / "export" / "tml_kws", second / "vendor" / "tml_kws"
    files_a = {p.relative_to(tree_a): p.read_bytes() for p in tree_a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(tree_b): p.read_bytes() for p in tree_b.rglob("*") if p.is_file()}
    assert files_a == files_b and len(files_a) > 10

    check = _scons(second, "target=host", "model=kws", "export", "export_dir=vendor/tml_kws", "export_check=1")
    assert check.returncode == 0 and "matches" in check.stdout, check.stdout + check.stderr
    (tree_b / "src" / "kws_model.c").write_bytes(b"/* mine */\n")
    check = _scons(second, "target=host", "model=kws", "export", "export_dir=vendor/tml_kws", "export_check=1")
    assert check.returncode == 2 and "src/kws_model.c: hand edit" in check.stdout
    rewrite = _scons(second, "target=host", "model=kws", "export", "export_dir=vendor/tml_kws")
    assert rewrite.returncode == 2 and "hand edit: src/kws_model.c" in rewrite.stdout
    assert (tree_b / "src" / "kws_model.c").read_bytes() == b"/* mine */\n"  # never overwritten (nor deleted)
    refused = _scons(second, "target=host", "model=kws", "export_check=1")
    assert refused.returncode == 2 and "export_check=1 has no effect" in refused.stderr


# ---- real builds on the host ------------------------------------------------------------------------


def _need(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed (./setup.sh installs it: apt-get install cmake ninja-build)")


def _run_app(exe: Path, plan, work: Path) -> None:
    g = golden_of(plan)
    inputs, expected = vector_files(work, g)
    outputs = work / f"{plan.model_name}.out"
    result = subprocess.run([str(exe), str(inputs), str(outputs), str(len(g.vectors))],
                            capture_output=True, timeout=60)
    assert result.returncode == 0, f"{plan.model_name}: exit {result.returncode} {result.stderr[-500:]!r}"
    assert outputs.read_bytes() == expected, f"{plan.model_name}: outputs differ from the oracle's"


@pytest.mark.slow
def test_every_aot_model_builds_with_cmake_and_matches_tflite_micro(tmp_path):
    _need("cmake", "ninja", "gcc")
    models = _aot_models()
    lines = ["cmake_minimum_required(VERSION 3.13)", "project(export_apps C)", "include(FetchContent)"]
    plans = []
    for index, model in enumerate(models):
        plan, _ = export(tmp_path / "exports" / f"m{index}", "host", model)
        plans.append(plan)
        (tmp_path / f"app_{plan.model_name}.c").write_text(host_app(plan))
        if index == 0:  # one through FetchContent, the rest through add_subdirectory
            lines += [f"FetchContent_Declare({plan.library} SOURCE_DIR \"{plan.folder}\")",
                      f"FetchContent_MakeAvailable({plan.library})"]
        else:
            lines.append(f"add_subdirectory(\"{plan.folder}\" {plan.library})")
        lines += [f"add_executable(app_{plan.model_name} app_{plan.model_name}.c)",
                  f"target_compile_options(app_{plan.model_name} PRIVATE -Wall -Wextra -Werror -Wpedantic)",
                  f"target_link_libraries(app_{plan.model_name} PRIVATE {plan.library})"]
    (tmp_path / "CMakeLists.txt").write_text("\n".join(lines) + "\n")
    build = tmp_path / "build"
    configure = subprocess.run(["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(build)], capture_output=True,
                               text=True)
    assert configure.returncode == 0, configure.stdout[-3000:] + configure.stderr[-3000:]
    compiled = subprocess.run(["cmake", "--build", str(build), "-j", "2"], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    for plan in plans:
        _run_app(build / f"app_{plan.model_name}", plan, tmp_path)
    assert {"kws", "hello_world"} <= {p.model_name for p in plans}


def test_make_fragment_builds_kws_bit_exact(tmp_path):
    _need("make", "gcc")
    plan, _ = export(tmp_path / "vendor" / "tml_kws", "host", "kws")
    (tmp_path / "app.c").write_text(host_app(plan))
    (tmp_path / "Makefile").write_text(
        "include vendor/tml_kws/tml_kws.mk\n"
        "OBJS := app.o $(patsubst %.c,obj/%.o,$(notdir $(TML_KWS_SRCS)))\n"
        "vpath %.c $(TML_KWS_DIR)/src\n"
        "app: $(OBJS)\n\t$(CC) $(TML_KWS_LDFLAGS) -o $@ $^\n"
        "app.o: app.c\n\t$(CC) -Wall -Wextra -Werror $(TML_KWS_CPPFLAGS) -c -o $@ $<\n"
        "obj/%.o: %.c\n\tmkdir -p obj\n"
        "\t$(CC) $(TML_KWS_ARCH_FLAGS) $(TML_KWS_CFLAGS) $(TML_KWS_CPPFLAGS) -c -o $@ $<\n")
    result = subprocess.run(["make", "-j2", "app"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "-O2 -std=c99" in result.stdout
    _run_app(tmp_path / "app", plan, tmp_path)


def test_export_of_each_model_is_deterministic_in_process(tmp_path):
    config = resolve(PROJECT_DIR, "host", "hello_world", runtime="aot")
    plan = plan_export(config, PROJECT_DIR, tmp_path / "a", "hello_world")
    assert render_export(plan) == render_export(plan)
    assert layout.library_name("hello_world") == "tml_hello_world"
