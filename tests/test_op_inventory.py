"""The op inventory against TFLM itself: method names, source paths, optimized twins, errors."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from pathlib import PurePosixPath

import pytest
from tflm_mirror import mirror

from tinyml_build.analysis import op_inventory
from tinyml_build.analysis.op_inventory import (
    KERNEL_LIBRARIES,
    OPS,
    TFLM_COMMIT,
    kernel_sources,
    libraries_with_optimized,
    lookup,
    lookup_all,
    supported_ops,
)
from tinyml_build.errors import TinyMLError, UnsupportedOpError

RESOLVER_HEADER = "tensorflow/lite/micro/micro_mutable_op_resolver.h"
KERNELS = "tensorflow/lite/micro/kernels"


@pytest.fixture(scope="module")
def tflm():
    return mirror("TINYML_TFLM_GIT", "tensorflow+tflite-micro", TFLM_COMMIT)


@pytest.fixture(scope="module")
def esp_tflm():
    return mirror("TINYML_ESP_TFLM_GIT", "espressif+esp-tflite-micro", op_inventory.ESP_TFLITE_MICRO_COMMIT)


def resolver_methods(tflm) -> dict[str, tuple[str, str | None]]:
    """Add* method -> (op name it registers, its default Register_* function) from the header."""
    text = tflm.show(RESOLVER_HEADER)
    ethos_name = re.search(r'GetString_ETHOSU\(\)\s*\{\s*return\s*"([^"]+)"', tflm.show(f"{KERNELS}/ethos_u/ethosu.cc"))
    methods = {}
    chunks = re.split(r"\bTfLiteStatus\s+(Add\w+)\(", text)
    for method, body in zip(chunks[1::2], chunks[2::2]):
        if method in ("AddBuiltin", "AddCustom"):
            continue
        builtin = re.search(r"BuiltinOperator_(\w+)", body)
        custom = re.search(r'AddCustom\(\s*"([^"]+)"', body)
        if builtin:
            op = builtin.group(1)
        elif custom:
            op = custom.group(1)
        elif "GetString_ETHOSU" in body:
            op = ethos_name.group(1)
        else:
            raise AssertionError(f"cannot tell which op {method} registers")
        register = re.search(r"Register_(\w+)\(\)", body)
        methods[method] = (op, register.group(1) if register else None)
    return methods


def registration_definitions(tree, *dirs: str) -> dict[str, set[str]]:
    """Register_* function name -> files (directly in `dirs`) that define it."""
    defined = defaultdict(set)
    specs = [f"{d}/*.cc" for d in dirs]
    for path, line in tree.grep(r"^TFLMRegistration\*? *Register_\w+\(\) *\{", *specs):
        if str(PurePosixPath(path).parent) in dirs and not path.endswith("_test.cc"):
            defined[re.search(r"Register_(\w+)\(", line).group(1)].add(path)
    return defined


# --- against TFLM at the pinned commit -----------------------------------------------------

@pytest.mark.tflm_sources
def test_inventory_covers_exactly_the_resolver_methods(tflm):
    methods = resolver_methods(tflm)
    assert len(methods) > 100
    expected = {op: method for method, (op, _) in methods.items()}
    actual = {name: op.registration for name, op in OPS.items()}
    assert actual == expected


@pytest.mark.tflm_sources
def test_custom_flag_matches_how_the_header_registers(tflm):
    text = tflm.show(RESOLVER_HEADER)
    builtin_ops = set(re.findall(r"AddBuiltin\(\s*BuiltinOperator_(\w+)", text))
    builtin_ops |= set(re.findall(r"return AddBuiltin\(BuiltinOperator_(\w+)", text))
    for name, op in OPS.items():
        assert op.custom == (name not in builtin_ops), name


@pytest.mark.tflm_sources
def test_every_source_path_exists_at_the_pinned_commit(tflm):
    files = tflm.files()
    for op in OPS.values():
        missing = [p for p in op.sources + op.optimized.get("cmsis-nn", ()) if p not in files]
        assert not missing, f"{op.name}: {missing} not in TFLM {TFLM_COMMIT}"


@pytest.mark.tflm_sources
def test_sources_include_the_file_defining_the_default_registration(tflm):
    defined = registration_definitions(tflm, KERNELS, "signal/micro/kernels")
    for method, (op_name, register) in resolver_methods(tflm).items():
        assert register, f"{method} has no default Register_* call"
        files = defined.get(register)
        assert files, f"Register_{register} is defined in no kernel file"
        assert files & set(OPS[op_name].sources), f"{op_name}: none of {sorted(files)} in its sources"


@pytest.mark.tflm_sources
def test_cmsis_nn_files_define_every_registration_of_their_twin(tflm):
    reference = registration_definitions(tflm, KERNELS)
    cmsis = registration_definitions(tflm, f"{KERNELS}/cmsis_nn")
    defines = defaultdict(set)
    for register, files in reference.items():
        for path in files:
            defines[path].add(register)
    cmsis_defines = defaultdict(set)
    for register, files in cmsis.items():
        for path in files:
            cmsis_defines[path].add(register)
    for op in OPS.values():
        for path in op.optimized.get("cmsis-nn", ()):
            twin = f"{KERNELS}/{PurePosixPath(path).name}"
            assert defines[twin] <= cmsis_defines[path], f"{path} lacks {sorted(defines[twin] - cmsis_defines[path])}"


@pytest.mark.tflm_sources
def test_esp_nn_files_exist_in_esp_tflite_micro(esp_tflm):
    files = esp_tflm.files()
    listed = {p for op in OPS.values() for p in op.optimized.get("esp-nn", ())}
    assert listed, "no esp-nn kernels listed"
    assert listed <= files
    shipped = {p for p in files if p.startswith(KERNEL_LIBRARIES["esp-nn"].directory + "/") and p.endswith(".cc")}
    assert listed == shipped, "every esp_nn kernel Espressif ships should be listed, and only those"


@pytest.mark.tflm_sources
def test_esp_nn_files_define_every_registration_of_their_twin(tflm, esp_tflm):
    reference = registration_definitions(tflm, KERNELS)
    esp = registration_definitions(esp_tflm, KERNEL_LIBRARIES["esp-nn"].directory)
    for op in OPS.values():
        for path in op.optimized.get("esp-nn", ()):
            twin = f"{KERNELS}/{PurePosixPath(path).name}"
            needed = {r for r, files in reference.items() if twin in files}
            provided = {r for r, files in esp.items() if path in files}
            assert needed <= provided, f"{path} lacks {sorted(needed - provided)}"


# --- the table's own consistency -----------------------------------------------------------

def test_builtin_names_are_builtin_operators_and_custom_names_are_not():
    from tinyml_build.model.schema import BUILTIN_OPERATOR_NAMES

    builtin_names = set(BUILTIN_OPERATOR_NAMES.values())
    for name, op in OPS.items():
        assert (name in builtin_names) != op.custom, name


def test_each_registration_method_is_used_once():
    methods = [op.registration for op in OPS.values()]
    assert len(methods) == len(set(methods))


def test_optimized_files_replace_a_reference_twin_in_the_same_op():
    for op in OPS.values():
        for library, paths in op.optimized.items():
            assert library in KERNEL_LIBRARIES
            for path in paths:
                assert path.startswith(KERNEL_LIBRARIES[library].directory + "/")
                assert f"{KERNELS}/{PurePosixPath(path).name}" in op.sources, (op.name, path)


def test_ops_sharing_a_reference_file_agree_on_its_replacement():
    # Replacement is per file: if AVERAGE_POOL_2D got cmsis_nn/pooling.cc, MAX_POOL_2D must too.
    for library in KERNEL_LIBRARIES:
        replaced = {PurePosixPath(p).name for op in OPS.values() for p in op.optimized.get(library, ())}
        for op in OPS.values():
            own = {PurePosixPath(p).name for p in op.optimized.get(library, ())}
            mains = {PurePosixPath(p).name for p in op.sources if not p.endswith(("_common.cc", "kernel_util.cc"))}
            assert (mains & replaced) <= own, f"{op.name} ({library}) misses {sorted((mains & replaced) - own)}"


def test_every_kernel_links_the_shared_kernel_helpers():
    for op in OPS.values():
        if op.name != "ethos-u":  # TFLM's Ethos-U stub needs nothing
            assert op_inventory.KERNEL_UTIL in op.sources, op.name


def test_op_info_is_frozen():
    info = lookup("CONV_2D")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.registration = "AddOther"
    with pytest.raises(TypeError):
        info.optimized["cmsis-nn"] = ()


# --- queries -------------------------------------------------------------------------------

def test_lookup_known_ops():
    conv = lookup("CONV_2D")
    assert conv.registration == "AddConv2D" and not conv.custom
    assert f"{KERNELS}/conv.cc" in conv.sources and f"{KERNELS}/conv_common.cc" in conv.sources
    post = lookup("TFLite_Detection_PostProcess")
    assert post.custom and post.registration == "AddDetectionPostprocess"
    assert lookup("ethos-u").registration == "AddEthosU"


def test_supported_ops_sorted_and_complete():
    ops = supported_ops()
    assert ops == sorted(OPS) and len(ops) == len(set(ops))
    for name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "UNIDIRECTIONAL_SEQUENCE_LSTM",
                 "TFLite_Detection_PostProcess", "ethos-u"):
        assert name in ops


def test_unknown_op_error_names_it_lists_supported_and_says_how_to_fix():
    with pytest.raises(UnsupportedOpError) as caught:
        lookup("FANCY_OP")
    err = caught.value
    assert isinstance(err, TinyMLError)
    text = str(err)
    assert "'FANCY_OP'" in text
    listed = re.findall(r"[A-Za-z0-9_-]+", text.split("supported builtin ops", 1)[1].split("supported custom ops")[0])
    builtins = [n for n in listed if n in OPS]
    assert builtins == sorted(n for n, op in OPS.items() if not op.custom)
    assert "TFLite_Detection_PostProcess" in text and "ethos-u" in text
    assert "re-export the model without 'FANCY_OP'" in err.fix
    assert "tinyml_build/analysis/op_inventory.py" in err.fix
    assert max(len(line) for line in text.splitlines()[:-1]) <= 100, "supported list should be wrapped"


def test_unknown_op_error_suggests_the_intended_op():
    with pytest.raises(UnsupportedOpError, match="did you mean CONV_2D"):
        lookup("conv_2d")
    with pytest.raises(UnsupportedOpError) as caught:
        lookup("ZZZZZZ")
    assert "did you mean" not in str(caught.value)


def test_lookup_all_names_every_unknown_op_at_once():
    with pytest.raises(UnsupportedOpError) as caught:
        op_inventory.lookup_all(["CONV_2D", "NOPE_B", "NOPE_A"], where="models/kws")
    assert "'NOPE_A', 'NOPE_B'" in str(caught.value)
    assert caught.value.where == "models/kws"


def test_kernel_sources_reference():
    sources = kernel_sources(["SOFTMAX", "CONV_2D", "CONV_2D"])
    assert sources == sorted(set(sources))
    assert sources == sorted({*lookup("CONV_2D").sources, *lookup("SOFTMAX").sources})
    assert not any("/cmsis_nn/" in s or "/esp_nn/" in s for s in sources)


def test_kernel_sources_optimized_replace_their_reference_twin():
    cmsis = kernel_sources(["CONV_2D", "DEPTHWISE_CONV_2D", "RESHAPE"], kernels="cmsis-nn")
    assert f"{KERNELS}/cmsis_nn/conv.cc" in cmsis and f"{KERNELS}/conv.cc" not in cmsis
    assert f"{KERNELS}/cmsis_nn/depthwise_conv.cc" in cmsis and f"{KERNELS}/depthwise_conv.cc" not in cmsis
    assert f"{KERNELS}/conv_common.cc" in cmsis  # the twin's helpers stay
    assert f"{KERNELS}/reshape.cc" in cmsis  # no cmsis-nn reshape: reference kept
    esp = kernel_sources(["PAD", "SOFTMAX"], kernels="esp-nn")
    assert f"{KERNELS}/esp_nn/softmax.cc" in esp and f"{KERNELS}/softmax.cc" not in esp
    assert f"{KERNELS}/pad.cc" in esp  # cmsis-nn has pad, esp-nn does not
    assert esp == sorted(esp)


def test_kernel_sources_replacement_is_per_file():
    # MAX_POOL_2D alone still gets the optimized pooling.cc, which also defines AVERAGE_POOL_2D.
    assert kernel_sources(["MAX_POOL_2D"], "cmsis-nn") == kernel_sources(["AVERAGE_POOL_2D"], "cmsis-nn")


def test_kernel_sources_rejects_unknown_library_and_op():
    with pytest.raises(TinyMLError, match="unknown kernel library 'cmsis'") as caught:
        kernel_sources(["CONV_2D"], kernels="cmsis")
    assert "cmsis-nn" in caught.value.fix
    with pytest.raises(UnsupportedOpError):
        kernel_sources(["CONV_2D", "NOT_AN_OP"])


def test_libraries_with_optimized():
    assert libraries_with_optimized("CONV_2D") == ["cmsis-nn", "esp-nn"]
    assert libraries_with_optimized("SVDF") == ["cmsis-nn"]
    assert libraries_with_optimized("RESHAPE") == []
    with pytest.raises(UnsupportedOpError):
        libraries_with_optimized("NOT_AN_OP")


def test_third_party_needs():
    assert op_inventory.third_party_needs(["CONV_2D"]) == []
    assert op_inventory.third_party_needs(["SignalRfft"]) == ["kissfft"]
    assert "ARM-software/CMSIS-NN" in op_inventory.third_party_needs(["CONV_2D"], "cmsis-nn")


@pytest.mark.shared_models
def test_every_reference_model_op_is_supported(shared_models_dir):
    from tinyml_build.model.reader import load_model

    paths = sorted(shared_models_dir.glob("*.tflite"))
    assert paths
    for path in paths:
        for name in load_model(path).op_names():
            assert name in OPS, f"{path.name}: {name}"


@pytest.mark.tflm_sources
def test_library_defines_are_the_macros_their_kernels_test(tflm, esp_tflm):
    cmsis_macro = KERNEL_LIBRARIES["cmsis-nn"].defines[0].split("=")[0]
    assert f"defined({cmsis_macro})" in tflm.show(f"{KERNELS}/conv.h")
    esp_macro = KERNEL_LIBRARIES["esp-nn"].defines[0].split("=")[0]
    assert f"#if {esp_macro}" in esp_tflm.show(f"{KERNEL_LIBRARIES['esp-nn'].directory}/conv.cc")


# --- type-specialized registrations ----------------------------------------------------------

OpUse = op_inventory.OpUse
TYPED = [(op, typed) for op in OPS.values() for typed in op.typed]

# Register_<OP>_<TYPE> functions TFLM declares (under CMSIS_NN) that the inventory does not use yet,
# with why; test_every_cmsis_nn_specialization_is_listed_or_named_here keeps this list honest.
NOT_LISTED = {
    "Register_MUL_INT8": "types not yet read from cmsis_nn/mul.cc",
    "Register_MUL_INT16": "defined in cmsis_nn/mul.cc, but mul.h does not declare it",
    "Register_MAXIMUM_INT8": "types not yet read from cmsis_nn/maximum_minimum.cc",
    "Register_MINIMUM_INT8": "types not yet read from cmsis_nn/maximum_minimum.cc",
    "Register_TRANSPOSE_CONV_INT8": "types not yet read from cmsis_nn/transpose_conv.cc",
    "Register_BATCH_MATMUL_INT8": "types not yet read from cmsis_nn/batch_matmul.cc",
    "Register_BATCH_MATMUL_INT16": "types not yet read from cmsis_nn/batch_matmul.cc",
    "Register_UNIDIRECTIONAL_SEQUENCE_LSTM_INT8": "types not yet read from cmsis_nn/unidirectional_sequence_lstm.cc",
    "Register_UNIDIRECTIONAL_SEQUENCE_LSTM_INT16": "types not yet read from cmsis_nn/unidirectional_sequence_lstm.cc",
    "Register_PAD_INT8": "pad.h is not included by micro_mutable_op_resolver.h",
    "Register_TRANSPOSE_INT8": "transpose.h is not included by micro_mutable_op_resolver.h",
}


def test_typed_registrations_are_named_after_their_op_and_unique():
    functions = [typed.function for _, typed in TYPED]
    assert len(functions) == len(set(functions))
    for op, typed in TYPED:
        assert typed.function.startswith(f"Register_{op.name}_"), (op.name, typed.function)
        assert typed.libraries and set(typed.libraries) <= set(KERNEL_LIBRARIES), typed
        assert all(lib in op.optimized for lib in typed.libraries), typed
        assert not op.custom and typed.covers


def test_typed_patterns_of_one_op_never_both_match():
    # Patterns use dtype names the reader produces; no use can match two entries of one op.
    from itertools import product

    from tinyml_build.model.dtypes import BY_NAME

    vocabulary = ("int4", "int8", "int16", "int32", "int64", "float32", op_inventory.ABSENT)
    for _, typed in TYPED:
        for pattern in typed.inputs + typed.outputs:
            assert set(pattern.split("|")) <= set(BY_NAME) | {op_inventory.ABSENT}, (typed.function, pattern)
    for op in OPS.values():
        if len(op.typed) < 2:
            continue
        n_in = max(len(t.inputs) for t in op.typed)
        n_out = max(len(t.outputs) for t in op.typed)
        for inputs in product(vocabulary, repeat=n_in):
            for outputs in product(vocabulary, repeat=n_out):
                use = OpUse(op.name, inputs, outputs)
                assert sum(t.matches(use) for t in op.typed) <= 1, use


def test_select_registration_needs_every_use_to_match():
    select = op_inventory.select_registration
    int8_conv = OpUse("CONV_2D", ("int8", "int8", "int32"), ("int8",))
    assert select("CONV_2D", [int8_conv]).function == "Register_CONV_2D_INT8"
    no_bias = OpUse("CONV_2D", ("int8", "int8"), ("int8",))
    assert select("CONV_2D", [int8_conv, no_bias]).function == "Register_CONV_2D_INT8"
    conv16x8 = OpUse("CONV_2D", ("int16", "int8", "int64"), ("int16",))
    assert select("CONV_2D", [conv16x8]).function == "Register_CONV_2D_INT16"
    assert select("CONV_2D", [int8_conv, conv16x8]) is None, "two types in the image: generic"
    # 16x8 without a bias: the generic and the specialized Eval pick different accumulators
    assert select("CONV_2D", [OpUse("CONV_2D", ("int16", "int8"), ("int16",))]) is None
    int4 = OpUse("CONV_2D", ("int8", "int4", "int32"), ("int8",))
    assert select("CONV_2D", [int4]).function == "Register_CONV_2D_INT4"
    assert select("CONV_2D", [int4, int8_conv]) is None
    assert select("CONV_2D", [OpUse("CONV_2D", ("float32", "float32", "float32"), ("float32",))]) is None
    assert select("CONV_2D", [OpUse("CONV_2D", ("int8", "int8", "int32", "int8"), ("int8",))]) is None  # extra input
    assert select("CONV_2D", []) is None
    softmax = OpUse("SOFTMAX", ("int8",), ("int16",))
    assert select("SOFTMAX", [int8_conv, softmax]).function == "Register_SOFTMAX_INT8_INT16"  # other ops ignored
    assert select("RESHAPE", [OpUse("RESHAPE", ("int8", "int32"), ("int8",))]) is None  # no typed entry
    with pytest.raises(UnsupportedOpError):
        select("NOT_AN_OP", [])


def test_op_uses_of_a_model_record_types_per_position():
    from tflite_builder import fully_connected_model

    from tinyml_build.model.reader import read_model

    uses = op_inventory.op_uses(read_model(fully_connected_model()))
    assert uses == [OpUse("FULLY_CONNECTED", ("int8", "int8", "int32"), ("int8",))]
    float_uses = op_inventory.op_uses(read_model(fully_connected_model("float32", "float32")))
    assert float_uses == [OpUse("FULLY_CONNECTED", ("float32", "float32", "float32"), ("float32",))]
    assert op_inventory.select_registration("FULLY_CONNECTED", float_uses) is None


@pytest.mark.shared_models
def test_op_uses_of_the_reference_models(shared_models_dir):
    from tinyml_build.model.reader import load_model

    conv0 = op_inventory.op_uses(load_model(shared_models_dir / "conv0.tflite"))
    assert conv0 == [OpUse("CONV_2D", ("int16", "int8", "int64"), ("int16",))]
    assert op_inventory.select_registration("CONV_2D", conv0).function == "Register_CONV_2D_INT16"
    scrambled = op_inventory.op_uses(load_model(shared_models_dir / "keyword_scrambled_8bit.tflite"))
    chosen = {name: op_inventory.select_registration(name, scrambled) for name in {u.name for u in scrambled}}
    assert {n: t.function for n, t in chosen.items() if t} == {
        "FULLY_CONNECTED": "Register_FULLY_CONNECTED_INT8", "SOFTMAX": "Register_SOFTMAX_INT8_INT16",
        "SVDF": "Register_SVDF_INT8"}
    assert chosen["QUANTIZE"] is None


# --- ... against TFLM at the pinned commit

def _function_body(text: str, function: str) -> str:
    match = re.search(rf"^TFLMRegistration {function}\(\) \{{(.*?)^\}}", text, re.S | re.M)
    assert match, f"{function} not defined"
    return " ".join(match.group(1).split())


def _register_op_args(text: str, function: str) -> list[str]:
    call = re.search(r"RegisterOp\(([^;]*)\);", _function_body(text, function))
    assert call, f"{function} does not return tflite::micro::RegisterOp(...)"
    return [a.strip() for a in call.group(1).split(",")]


@pytest.mark.tflm_sources
def test_typed_registrations_share_init_and_prepare_with_the_generic_one(tflm):
    # Only Eval differs: set-up (and so the arena) is the generic kernel's.
    for op, typed in TYPED:
        generic = resolver_methods(tflm)[op.registration][1]
        for library in typed.libraries:
            (path,) = op.optimized[library]
            text = tflm.show(path)
            specialized = _register_op_args(text, typed.function)
            default = _register_op_args(text, f"Register_{generic}")
            assert specialized[:2] == default[:2] and specialized[2] != default[2], (typed.function, default)


@pytest.mark.tflm_sources
def test_typed_registrations_are_declared_for_their_library_with_a_generic_fallback(tflm):
    resolver = tflm.show(RESOLVER_HEADER)
    headers = [h for h in re.findall(r'#include "(tensorflow/lite/micro/kernels/\w+\.h)"', resolver)]
    texts = {h: tflm.show(h) for h in headers}
    methods = resolver_methods(tflm)
    for op, typed in TYPED:
        # the Add method takes a registration
        assert re.search(rf"TfLiteStatus {op.registration}\(\s*const TFLMRegistration& registration", resolver), op.name
        generic = methods[op.registration][1]
        owners = [h for h, t in texts.items() if re.search(rf"^TFLMRegistration {typed.function}\(\);", t, re.M)]
        assert len(owners) == 1, (typed.function, owners)
        text = texts[owners[0]]
        declared = text.index(f"TFLMRegistration {typed.function}();")
        condition = text.rfind("#if", 0, declared)
        assert "defined(CMSIS_NN)" in text[condition:text.index("\n", condition)], typed.function
        inline = rf"inline TFLMRegistration {typed.function}\(\) \{{\s*return (tflite::)?Register_(\w+)\(\);"
        fallback = re.search(inline, text)
        assert fallback and fallback.group(2) == generic, f"{typed.function}: no inline fallback to Register_{generic}"


@pytest.mark.tflm_sources
def test_every_cmsis_nn_specialization_is_listed_or_named_here(tflm):
    defined = registration_definitions(tflm, f"{KERNELS}/cmsis_nn")
    generic = {register for _, register in resolver_methods(tflm).values()}
    specialized = {f"Register_{name}" for name in defined if name not in generic}
    listed = {typed.function for _, typed in TYPED}
    assert listed <= specialized
    assert specialized - listed == set(NOT_LISTED), sorted(specialized ^ (listed | set(NOT_LISTED)))


def test_ops_exporters_write_for_common_layers_name_the_export_that_avoids_them():
    """Keras 3 UpSampling2D(nearest) -> TILE and activation='gelu' -> GELU: no TFLM kernel, so the
    error says which layer writes them and what to use instead (found by a Keras sweep), and why
    runtime=aot refuses them too (it read as a tflm-only refusal)."""
    for op, needle in (("TILE", "interpolation='nearest') exports RESIZE_NEAREST_NEIGHBOR"), ("GELU", "tanh form")):
        with pytest.raises(UnsupportedOpError) as caught:
            lookup_all(["CONV_2D", op], where="m.tflite")
        assert "no TFLM kernel, so neither runtime builds it" in caught.value.what
        assert caught.value.fix.startswith(f"re-export the model without '{op}' ({op}: ")
        assert needle in caught.value.fix  # in the fix, which `inspect` shows too, not only in the details
