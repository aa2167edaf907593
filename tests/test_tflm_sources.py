"""runtime=tflm source selection: the core rule, the model's kernels only, the CMSIS-NN closure,
what each kernel set needs from the lock, and runtime=auto.

Rule tests run on small synthetic trees (always); the rest on the real pinned trees, skipped
when they do not resolve on this machine.
"""

import dataclasses
import re
from pathlib import Path

import pytest

from tinyml_build.analysis import op_inventory
from tinyml_build.config import build_config
from tinyml_build.errors import TinyMLError
from tinyml_build.runtimes.tflm import sources
from tinyml_build.runtimes.tflm.sources import (
    PLATFORM_GLUE,
    core_sources,
    library_closure,
    missing_reason,
    required_dependencies,
    resolve_sources,
)
from tinyml_build.third_party import MissingSourceError

PROJECT_DIR = Path(__file__).resolve().parents[1]
_WHY_NOT = missing_reason(["FULLY_CONNECTED"], "cmsis-nn")
needs_sources = pytest.mark.skipif(_WHY_NOT is not None, reason=f"TFLM sources do not resolve here: {_WHY_NOT}")


def _touch(root: Path, *paths: str) -> None:
    for rel in paths:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("// file\n")


# --- the core rule, on a synthetic tree -----------------------------------------------------------

def test_core_rule_on_a_synthetic_tree(tmp_path):
    micro = "tensorflow/lite/micro"
    _touch(tmp_path,
           f"{micro}/micro_interpreter.cc", f"{micro}/micro_allocator.cc", f"{micro}/debug_log.cc",
           f"{micro}/micro_allocator_test.cc", f"{micro}/test_helpers.cc", f"{micro}/test_helpers_extra.cc",
           f"{micro}/test_helper_custom_ops.cc", f"{micro}/mock_micro_graph.cc", f"{micro}/fake_micro_context.cc",
           f"{micro}/arena_allocator/single_arena_buffer_allocator.cc",
           f"{micro}/arena_allocator/single_arena_buffer_allocator_test.cc",
           f"{micro}/memory_planner/greedy_memory_planner.cc", f"{micro}/tflite_bridge/micro_error_reporter.cc",
           f"{micro}/kernels/conv.cc", f"{micro}/examples/hello_world/main.cc", f"{micro}/tools/x.cc",
           "tensorflow/lite/core/c/common.cc", "tensorflow/lite/kernels/internal/common.cc",
           "tensorflow/lite/array.cc", "tensorflow/lite/experimental/foo.cc",
           "tensorflow/compiler/mlir/lite/schema/schema_utils.cc", "tensorflow/lite/micro/micro_interpreter.h",
           "signal/src/window.cc")
    got = [p.relative_to(tmp_path).as_posix() if p.parent != PLATFORM_GLUE.parent else p.name
           for p in core_sources(tmp_path)]
    assert sorted(got) == sorted([
        "tml_tflm_platform.cc",  # debug_log.cc is replaced by the project's platform glue
        "tml_tflm_checked_arena.cc",  # the arena probe's checked allocator
        f"{micro}/micro_interpreter.cc", f"{micro}/micro_allocator.cc",
        f"{micro}/arena_allocator/single_arena_buffer_allocator.cc", f"{micro}/memory_planner/greedy_memory_planner.cc",
        f"{micro}/tflite_bridge/micro_error_reporter.cc",
        "tensorflow/lite/core/c/common.cc", "tensorflow/lite/kernels/internal/common.cc",
        "tensorflow/compiler/mlir/lite/schema/schema_utils.cc",
    ])


def test_core_rule_refuses_a_tree_that_is_not_tflm(tmp_path):
    with pytest.raises(MissingSourceError, match="not a tflite-micro tree"):
        core_sources(tmp_path)


# --- the library closure, on a synthetic library ----------------------------------------------------

def test_library_closure_follows_calls_headers_and_nothing_else(tmp_path):
    src, inc = tmp_path / "Source", tmp_path / "Include"
    (src / "Sub").mkdir(parents=True)
    inc.mkdir()
    (src / "a.c").write_text("#include \"x.h\"\n/* arm_c is only named in a comment */\n"
                             "int32_t arm_a(int x,\n              int y)\n{\n    return arm_b(x) + y;\n}\n")
    (src / "Sub" / "b.c").write_text("static int arm_helper(void) { return 1; }\nint arm_b(int x)\n{\n"
                                     "    if (arm_helper()) {\n        return x;\n    }\n    return 0;\n}\n")
    (src / "c.c").write_text("int arm_c(void)\n{\n    return 3;\n}\n")
    (src / "d.c").write_text("int arm_d(void);\nint arm_d(void)\n{\n    return 4;\n}\n")
    (src / "e_f32.c").write_text("int arm_e(void)\n{\n    return arm_d();\n}\n")
    (inc / "x.h").write_text("int arm_d(void);\n__STATIC_FORCEINLINE int arm_inline(int v)\n{\n"
                             "    return v + arm_d();\n}\n")
    kernel = tmp_path / "kernel.cc"
    kernel.write_text("// uses arm_c? no, only in a comment\n"
                      "int f() { return arm_a(1, 2) + arm_inline(3) + arm_e(); }\n")
    (src / "t.c").write_text("const int16_t lookup_table[4] = {1, 2, 3, 4};\nstatic const int local[2] = {0, 1};\n")
    (src / "d.c").write_text("int arm_d(void);\nint arm_d(void)\n{\n    return lookup_table[1];\n}\n")
    got = library_closure(src, r"_f32\.c\Z", inc, [kernel])
    assert [p.relative_to(src).as_posix() for p in got] == ["Sub/b.c", "a.c", "d.c", "t.c"]


def test_a_function_defined_twice_is_an_error(tmp_path):
    (tmp_path / "Source").mkdir()
    (tmp_path / "Include").mkdir()
    for name in ("a.c", "b.c"):
        (tmp_path / "Source" / name).write_text("int arm_same(void)\n{\n    return 0;\n}\n")
    root = tmp_path / "k.cc"
    root.write_text("arm_same();")
    with pytest.raises(TinyMLError, match="arm_same is defined in both"):
        library_closure(tmp_path / "Source", r"\Z\A", tmp_path / "Include", [root])


# --- what each kernel set needs ---------------------------------------------------------------------

def test_reference_needs_tflm_and_its_header_libraries_only():
    assert required_dependencies(["FULLY_CONNECTED"], "reference") == ["tflite-micro", "flatbuffers", "gemmlowp", "ruy"]


def test_cmsis_nn_adds_cmsis_nn_and_cmsis_core():
    assert required_dependencies(["CONV_2D"], "cmsis-nn")[-2:] == ["cmsis-nn", "cmsis-6"]


def test_esp_nn_adds_esp_nn_and_the_esp_tflite_micro_wrappers():
    assert required_dependencies(["CONV_2D"], "esp-nn")[-2:] == ["esp-nn", "esp-tflite-micro"]


def test_esp_nn_without_its_wrappers_pinned_is_refused_naming_what_the_lock_lacks():
    lock = sources.load_lock()
    without = dataclasses.replace(lock, dependencies=tuple(d for d in lock.dependencies
                                                           if d.name != "esp-tflite-micro"))
    with pytest.raises(TinyMLError) as err:
        required_dependencies(["CONV_2D"], "esp-nn", without)
    assert "does not pin espressif/esp-tflite-micro" in err.value.what and "(it pins esp-nn)" in err.value.what
    assert "kernels=reference" in err.value.fix


@pytest.mark.tflm_sources
def test_esp_nn_plan_takes_the_wrappers_from_esp_tflite_micro_and_the_portable_esp_nn_sources():
    """esp_nn/*.cc replace their twins in our TFLM tree; ESP-NN's sources are the portable C files its
    CMakeLists.txt compiles for a chip that is neither S3 nor P4, reached through esp_nn.h's macros
    (esp_nn_conv_s8 -> esp_nn_conv_s8_opt under CONFIG_NN_OPTIMIZED); the ESP-IDF shim comes along."""
    why = missing_reason(["CONV_2D"], "esp-nn")
    if why is not None:
        pytest.skip(f"ESP-NN's sources do not resolve here: {why}")
    plan = resolve_sources(["CONV_2D", "DEPTHWISE_CONV_2D", "SOFTMAX", "RESHAPE"], "esp-nn")
    kernels = {"/".join(plan.origin(p)) for p in plan.kernel_files}
    esp = "esp-tflite-micro/tensorflow/lite/micro/kernels/esp_nn/"
    assert {f"{esp}conv.cc", f"{esp}depthwise_conv.cc", f"{esp}softmax.cc"} <= kernels
    assert "tflite-micro/tensorflow/lite/micro/kernels/reshape.cc" in kernels
    assert not {f"tflite-micro/tensorflow/lite/micro/kernels/{k}.cc" for k in ("conv", "depthwise_conv")} & kernels
    library = {"/".join(plan.origin(p)) for p in plan.library_files}
    assert {"esp-nn/src/convolution/esp_nn_conv_opt.c", "esp-nn/src/convolution/esp_nn_depthwise_conv_opt.c",
            "esp-nn/src/softmax/esp_nn_softmax_opt.c"} <= library
    assert not [f for f in library if "esp32s3" in f or "esp32p4" in f or f.endswith(".S")]
    assert not [f for f in library if "/basic_math/" in f or "/pooling/" in f], "no ADD/MUL/pooling in the model"
    assert {p.name for p in plan.glue_files} == {"tml_esp_timer.c", "tml_esp_printf.c"}
    assert plan.defines == ("ESP_NN=1", "CONFIG_NN_OPTIMIZED=1")


def test_an_op_needing_unpinned_code_is_refused():
    """A lock without kissfft (an older one, or a trimmed copy) refuses the FFTs by name."""
    lock = sources.load_lock()
    without = dataclasses.replace(lock, dependencies=tuple(d for d in lock.dependencies if d.name != "kissfft"))
    with pytest.raises(TinyMLError, match="SignalRfft.*kissfft.*does not pin"):
        required_dependencies(["SignalRfft"], "reference", without)


def test_the_ffts_need_the_pinned_kissfft():
    assert required_dependencies(["SignalRfft", "SignalIrfft"], "reference") == [
        "tflite-micro", "flatbuffers", "gemmlowp", "ruy", "kissfft"]


def test_without_kissfft_only_the_ffts_stop(tmp_path):
    """kissfft's own variable pointing nowhere: an FFT model's build says how to provide it; others build."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TINYML_KISSFFT_PATH": str(tmp_path / "nowhere")}
    for name in sources.BASE_DEPENDENCIES:  # explicit trees are used unverified: the base resolves
        env[sources.load_lock().get(name).env_var] = str(tmp_path)
    assert missing_reason(["FULLY_CONNECTED"], "reference", env=env) is None
    assert "TINYML_KISSFFT_PATH" in missing_reason(["SignalRfft"], "reference", env=env)
    with pytest.raises(TinyMLError, match="TINYML_KISSFFT_PATH points to .*nowhere, which is not a directory"):
        resolve_sources(["SignalIrfft"], "reference", env=env)
    del env["TINYML_KISSFFT_PATH"]
    with pytest.raises(MissingSourceError) as err:
        resolve_sources(["SignalIrfft"], "reference", env=env)
    assert "kissfft" in err.value.what and "deps import kissfft" in err.value.fix


def test_missing_sources_name_the_three_ways(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    with pytest.raises(MissingSourceError) as err:
        resolve_sources(["FULLY_CONNECTED"], "reference", env=env)
    fix = err.value.fix
    assert "TINYML_TFLITE_MICRO_PATH" in fix and "deps import tflite-micro" in fix and "deps sync tflite-micro" in fix
    assert missing_reason(["FULLY_CONNECTED"], "reference", env=env).startswith("upstream source tflite-micro")


# --- runtime=auto -------------------------------------------------------------------------------------

def test_auto_falls_back_to_aot_and_says_why(tmp_path):
    config = build_config.resolve(PROJECT_DIR, "qemu-m4", "hello_world", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert config.runtime == "aot" and config.requested_runtime == "auto"
    assert config.runtime_banner.startswith("aot (auto: no TFLM sources: upstream source tflite-micro")


def test_tflm_never_falls_back(tmp_path):
    with pytest.raises(MissingSourceError, match="tflite-micro"):
        build_config.resolve(PROJECT_DIR, "qemu-m4", "hello_world", runtime="tflm",
                             env={"XDG_CACHE_HOME": str(tmp_path)})


def test_the_host_target_stays_on_aot():
    assert build_config.resolve(PROJECT_DIR, "host", "hello_world").runtime == "aot"


@pytest.mark.tflm_sources
@needs_sources
def test_auto_picks_tflm_when_the_sources_resolve():
    config = build_config.resolve(PROJECT_DIR, "qemu-m4", "hello_world")
    assert config.runtime == "tflm" and config.runtime_banner == "tflm (auto: TFLM sources resolve)"


# --- the real trees ---------------------------------------------------------------------------------------

@pytest.mark.tflm_sources
@needs_sources
def test_core_of_the_pinned_tflm():
    plan = resolve_sources(["FULLY_CONNECTED"], "reference")
    names = {"/".join(plan.origin(p)) for p in plan.core}
    assert "tflite-micro/tensorflow/lite/micro/micro_interpreter.cc" in names
    assert "tflite-micro/tensorflow/lite/core/api/flatbuffer_conversions.cc" in names
    assert "tinyml_build/runtimes/tflm/src/tml_tflm_platform.cc" in names
    assert not [n for n in names
                if re.search(r"_test\.cc|test_helper|mock_micro_graph|fake_micro_context|micro/kernels/"
                             r"|lite/array\.cc|debug_log\.cc|/examples/|/tools/", n)]
    assert 35 <= len(names) <= 50  # 40 at the pinned commit: a big change means the rule needs a look


@pytest.mark.tflm_sources
@needs_sources
def test_only_the_models_kernels_with_twins_replaced():
    ref = resolve_sources(["FULLY_CONNECTED"], "reference")
    cmsis = resolve_sources(["FULLY_CONNECTED"], "cmsis-nn")
    rel = lambda plan: sorted(plan.origin(p)[1] for p in plan.kernel_files)  # noqa: E731
    assert rel(ref) == ["tensorflow/lite/micro/kernels/fully_connected.cc",
                        "tensorflow/lite/micro/kernels/fully_connected_common.cc",
                        "tensorflow/lite/micro/kernels/kernel_util.cc"]
    assert rel(cmsis) == ["tensorflow/lite/micro/kernels/cmsis_nn/fully_connected.cc",
                          "tensorflow/lite/micro/kernels/fully_connected_common.cc",
                          "tensorflow/lite/micro/kernels/kernel_util.cc"]
    assert ref.library_files == () and ref.defines == ()
    assert cmsis.defines[0] == "CMSIS_NN"
    library = {p.name for p in cmsis.library_files}
    assert {"arm_fully_connected_s8.c", "arm_nn_vec_mat_mult_t_s8.c"} <= library
    assert not {"arm_convolve_s8.c", "arm_softmax_s8.c", "arm_svdf_s8.c"} & library
    assert not [n for n in library if n.endswith(("_f16.c", "_f32.c"))]


@pytest.mark.tflm_sources
@needs_sources
def test_every_cmsis_nn_kernel_reaches_only_existing_library_files():
    ops = sorted(n for n, op in op_inventory.OPS.items() if "cmsis-nn" in op.optimized)
    plan = resolve_sources(ops, "cmsis-nn")
    assert all(p.is_file() for p in plan.library_files)
    assert len(plan.library_files) < 113  # the closure never needs every non-float source


def _includes(path: Path) -> list[str]:
    return re.findall(r'^\s*#\s*include\s+"([^"]+)"', path.read_text(errors="replace"), re.M)


@pytest.mark.tflm_sources
@needs_sources
def test_the_core_does_not_depend_on_the_kernel_set():
    """Why core objects can be shared by every kernel set: no core file reaches (through TFLM's own
    headers) a header that tests CMSIS_NN or ESP_NN."""
    plan = resolve_sources(["FULLY_CONNECTED"], "cmsis-nn")
    roots = [plan.trees["tflite-micro"], plan.trees["flatbuffers"] / "include"]
    seen, pending, offenders = set(), list(plan.core), []
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(errors="replace")
        if re.search(r"\b(CMSIS_NN|ESP_NN)\b", text) and path not in plan.core:
            offenders.append(path)
        for inc in _includes(path):
            for root in roots:
                if (root / inc).is_file():
                    pending.append(root / inc)
                    break
    assert not offenders, offenders


@pytest.mark.tflm_sources
@needs_sources
def test_explicit_path_is_used_as_given():
    tree = resolve_sources(["FULLY_CONNECTED"], "reference").trees["tflite-micro"]
    plan = resolve_sources(["FULLY_CONNECTED"], "reference", overrides={"tflite-micro": str(tree)})
    assert plan.how["tflite-micro"] == "explicit" and plan.how["ruy"] == "cache"
    assert f"-ffile-prefix-map={tree}=tflite-micro" in plan.prefix_maps()


@pytest.mark.tflm_sources
@pytest.mark.skipif(missing_reason(["SignalRfft"], "reference") is not None,
                    reason=f"kissfft does not resolve here: {missing_reason(['SignalRfft'], 'reference')}")
def test_the_ffts_compile_tflms_kiss_fft_wrappers_with_kissfft_on_the_include_path():
    plan = resolve_sources(["SignalRfft"], "reference")
    kissfft = plan.trees["kissfft"]
    assert kissfft in plan.include_dirs and (kissfft / "tools" / "kiss_fftr.c").is_file()
    wrappers = sorted(p.name for p in plan.kernel_files if p.parent.name == "kiss_fft_wrappers")
    assert wrappers == ["kiss_fft_float.cc", "kiss_fft_int16.cc", "kiss_fft_int32.cc"]
    assert not any(p.is_relative_to(kissfft) for p in plan.kernel_files)  # included by TFLM's wrappers only
    assert kissfft not in resolve_sources(["FULLY_CONNECTED"], "reference").include_dirs


def test_lock_is_read_once_per_process():
    assert sources.load_lock() is sources.load_lock()
