"""runtime=aot framework: lowering, arena plan with aliasing, C emission, host check vs TFLM."""

import re

import numpy as np
import pytest
from aot_op_cases import assert_exact
from conftest import shared_model
from tflite_builder import ModelBuilder, fully_connected_model, op_aot_lacks_model

from tinyml_build.errors import ModelError, UnsupportedOpError
from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot import generate, lower_model, render
from tinyml_build.verification.host_check import check_model


def _write(tmp_path, data: bytes, name: str):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    return path


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "hello_world_float.tflite"])
def test_hello_world_bit_exact(name):
    report = check_model(shared_model(name), runs=20)
    assert_exact(report)


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "hello_world_float.tflite"])
def test_hello_world_bit_exact_under_sanitizers(name):
    report = check_model(shared_model(name), runs=5, sanitize=True)
    assert_exact(report)


def test_fully_connected_random_model(tmp_path):
    for seed in range(3):
        path = _write(tmp_path, fully_connected_model(units=7, features=13, seed=seed), f"fc{seed}")
        report = check_model(path, runs=20, seed=seed)
        assert_exact(report)


def _fc_reshape_fc_model(constant_reshape: bool = False) -> bytes:
    """x[1,8] -> FC(6) -> RESHAPE [1,2,3] -> RESHAPE [1,6] -> FC(3) -> y, int8."""
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    fc = b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4)
    reshape = b.opcode(fb.BuiltinOperator.RESHAPE)
    x = b.tensor("x", "int8", [1, 8], scale=0.05, zero_point=3)
    w1 = b.tensor("w1", "int8", [6, 8], data=rng.integers(-127, 128, (6, 8)).astype(np.int8), scale=0.02, zero_point=0)
    h = b.tensor("h", "int8", [1, 6], scale=0.07, zero_point=-5)
    shape3 = b.tensor("shape3", "int32", [3], data=np.array([1, 2, 3], np.int32))
    h3 = b.tensor("h3", "int8", [1, 2, 3], scale=0.07, zero_point=-5)
    shape2 = b.tensor("shape2", "int32", [2], data=np.array([1, 6], np.int32))
    h2 = b.tensor("h2", "int8", [1, 6], scale=0.07, zero_point=-5)
    w2 = b.tensor("w2", "int8", [3, 6], data=rng.integers(-127, 128, (3, 6)).astype(np.int8),
                  scale=[0.01, 0.02, 0.03], zero_point=[0, 0, 0])
    bias2 = b.tensor("b2", "int32", [3], data=np.array([100, -200, 300], np.int32), scale=[1e-4, 2e-4, 3e-4],
                     zero_point=[0, 0, 0])
    y = b.tensor("y", "int8", [1, 3], scale=0.1, zero_point=1)
    options = fb.FullyConnectedOptionsT()
    options.fusedActivationFunction = fb.ActivationFunctionType.RELU
    b.op(fc, [x, w1, -1], [h], fb.BuiltinOptions.FullyConnectedOptions, options)
    b.op(reshape, [h, shape3], [h3])
    b.op(reshape, [h3, shape2], [h2])
    b.op(fc, [h2, w2, bias2], [y], fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def test_reshape_aliases_its_input_and_stays_exact(tmp_path):
    path = _write(tmp_path, _fc_reshape_fc_model(), "fc_reshape")
    model = load_model(path)
    program = lower_model(model)
    offsets = program.tensor_offsets
    assert offsets[2] == offsets[4] == offsets[6], "reshape outputs must share the input's bytes"
    assert [s.statements for s in program.steps][1:3] == [[], []], "aliased reshapes need no code"
    report = check_model(model, runs=20)
    assert_exact(report)


def test_reshape_of_a_constant_is_copied(tmp_path):
    b = ModelBuilder()
    reshape = b.opcode(fb.BuiltinOperator.RESHAPE)
    c = b.tensor("c", "int8", [2, 3], data=np.arange(6, dtype=np.int8), scale=0.1, zero_point=0)
    shape = b.tensor("shape", "int32", [1], data=np.array([6], np.int32))
    y = b.tensor("y", "int8", [6], scale=0.1, zero_point=0)
    x = b.tensor("x", "int8", [1], scale=0.1, zero_point=0)  # an unused graph input: TFLM needs one
    b.op(reshape, [c, shape], [y])
    b.inputs, b.outputs = [x], [y]
    model = read_model(b.build(), where="reshape_const.tflite", name="reshape_const")
    program = lower_model(model)
    assert program.steps[0].statements and "tml_copy" in program.steps[0].statements[0]


def test_divergence_is_reported_at_the_first_wrong_op(tmp_path):
    path = _write(tmp_path, _fc_reshape_fc_model(), "fc_reshape")
    model = load_model(path)
    program = lower_model(model)
    folded = [a for a in program.arrays if "op #3" in a.comment and "bias" in a.comment][0]
    folded.values[1] += 100000  # a wrong bias in the last op only
    report = check_model(model, runs=5, program=program)
    assert not report.ok
    assert report.divergence is not None and report.divergence.op_index == 3
    assert report.divergence.tensor == 9 and report.divergence.tensor_name == "y"
    assert "op #3 FULLY_CONNECTED" in str(report)


def test_unsupported_op_fails_the_build_with_the_tflm_alternative():
    op, data = op_aot_lacks_model()
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    message = str(info.value)
    assert f"op #0 {op}" in message
    assert "runtime=tflm" in message


def test_unsupported_dtype_names_the_tensor(tmp_path):
    b = ModelBuilder()
    fc = b.opcode(fb.BuiltinOperator.FULLY_CONNECTED)
    x = b.tensor("x_u8", "uint8", [1, 4], scale=0.1, zero_point=128)
    w = b.tensor("w", "uint8", [2, 4], data=np.ones((2, 4), np.uint8), scale=0.1, zero_point=128)
    y = b.tensor("y", "uint8", [1, 2], scale=0.1, zero_point=128)
    b.op(fc, [x, w, -1], [y], fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(b.build(), where="u8.tflite"))
    message = str(info.value)
    assert "op #0 FULLY_CONNECTED" in message and "'x_u8'" in message and "uint8" in message
    assert "runtime=tflm" in message


def test_hybrid_model_is_a_model_error():
    with pytest.raises(ModelError) as info:
        lower_model(read_model(fully_connected_model(input_dtype="float32"), where="hybrid.tflite"))
    assert "hybrid" in str(info.value)


@pytest.mark.shared_models
def test_generated_c_is_deterministic_and_relocatable(tmp_path):
    path = shared_model("hello_world_int8.tflite")
    first = render(lower_model(load_model(path)))
    second = render(lower_model(load_model(path)))
    assert first == second
    text = first["hello_world_int8_model.c"]
    assert str(path.parent) not in text and "/work" not in text
    assert "const tml_model_api hello_world_int8_model_api" in text
    assert "hello_world_int8_model_api" in first["hello_world_int8_model.h"]
    assert not re.search(r"\b(malloc|free|printf)\b", text)


@pytest.mark.shared_models
def test_generate_writes_sources_and_lists_kernels(tmp_path):
    sources = generate(load_model(shared_model("hello_world_float.tflite")), tmp_path / "out")
    assert sorted(p.name for p in sources.files) == ["hello_world_float_model.c", "hello_world_float_model.h"]
    assert [p.name for p in sources.kernel_sources] == ["fully_connected_f32.c"]
    assert all(p.is_file() for p in sources.c_sources)
    assert all(d.is_dir() for d in sources.include_dirs)
    before = (tmp_path / "out" / "hello_world_float_model.c").stat().st_mtime_ns
    generate(load_model(shared_model("hello_world_float.tflite")), tmp_path / "out")
    after = (tmp_path / "out" / "hello_world_float_model.c").stat().st_mtime_ns
    assert after == before, "unchanged output is not rewritten"


def _flatten_by_shape_arithmetic_model() -> bytes:
    """Keras' Flatten as exported: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, then FC."""
    rng = np.random.default_rng(7)
    b = ModelBuilder()
    x = b.tensor("x", "int8", [1, 1, 2, 3], scale=0.05, zero_point=-1)
    shape = b.tensor("shape", "int32", [4])
    begin = b.tensor("begin", "int32", [1], data=np.array([0], np.int32))
    end = b.tensor("end", "int32", [1], data=np.array([1], np.int32))
    strides = b.tensor("strides", "int32", [1], data=np.array([1], np.int32))
    batch = b.tensor("batch", "int32", [])
    six = b.tensor("six", "int32", [], data=np.array(6, np.int32))
    new_shape = b.tensor("new_shape", "int32", [2])
    flat = b.tensor("flat", "int8", [1, 6], scale=0.05, zero_point=-1)
    w = b.tensor("w", "int8", [4, 6], data=rng.integers(-127, 128, (4, 6)).astype(np.int8), scale=0.02, zero_point=0)
    y = b.tensor("y", "int8", [1, 4], scale=0.1, zero_point=0)
    shape_options = fb.ShapeOptionsT()
    shape_options.outType = 2
    b.op(b.opcode(fb.BuiltinOperator.SHAPE), [x], [shape], fb.BuiltinOptions.ShapeOptions, shape_options)
    slice_options = fb.StridedSliceOptionsT()
    slice_options.shrinkAxisMask = 1
    b.op(b.opcode(fb.BuiltinOperator.STRIDED_SLICE), [shape, begin, end, strides], [batch],
         fb.BuiltinOptions.StridedSliceOptions, slice_options)
    pack_options = fb.PackOptionsT()
    pack_options.valuesCount, pack_options.axis = 2, 0
    b.op(b.opcode(fb.BuiltinOperator.PACK), [batch, six], [new_shape], fb.BuiltinOptions.PackOptions, pack_options)
    b.op(b.opcode(fb.BuiltinOperator.RESHAPE), [x, new_shape], [flat])
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [flat, w, -1], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def test_shape_arithmetic_is_resolved_at_build_time(tmp_path):
    model = load_model(_write(tmp_path, _flatten_by_shape_arithmetic_model(), "flatten"))
    program = lower_model(model)
    assert program.eliminated == [(0, "SHAPE"), (1, "STRIDED_SLICE"), (2, "PACK")]
    assert [s.op_index for s in program.steps] == [3, 4]
    assert 1 not in program.tensor_offsets and 7 not in program.tensor_offsets, "dead shape tensors get no arena"
    assert "not run" in render(program)["flatten_model.c"]
    report = check_model(model, runs=10)
    assert_exact(report)


@pytest.mark.shared_models
def test_ops_without_outputs_are_never_dropped():
    from dataclasses import replace

    from tinyml_build.runtimes.aot.lower import live_subgraph

    sg = load_model(shared_model("hello_world_int8.tflite")).main
    side_effect = replace(sg.operators[0], index=3, outputs=())
    live, dead = live_subgraph(replace(sg, operators=sg.operators + (side_effect,)))
    assert dead == [] and live.operators[-1].outputs == ()


def test_graph_outputs_live_to_the_last_op_when_dead_ops_are_left_out():
    """Steps are op indices: with dead ops dropped before them, an output written early must still
    outlive every later op (it once ended at step len(live ops) - 1 and a later op could reuse it)."""
    from tinyml_build.analysis.analyze import activation_lifetimes
    from tinyml_build.runtimes.aot.lower import live_subgraph

    b = ModelBuilder()
    x = b.tensor("x", "float32", [1, 8])
    for n in range(4):  # dead: nothing reads their results
        b.op(b.opcode(fb.BuiltinOperator.SHAPE), [x], [b.tensor(f"s{n}", "int32", [2])],
             fb.BuiltinOptions.ShapeOptions, fb.ShapeOptionsT())
    early = b.tensor("early", "float32", [1, 8])
    b.op(b.opcode(fb.BuiltinOperator.RELU), [x], [early])
    previous = x
    for n in range(6):
        out = b.tensor(f"t{n}", "float32", [1, 8])
        b.op(b.opcode(fb.BuiltinOperator.RELU6), [previous], [out])
        previous = out
    b.inputs, b.outputs = [x], [early, previous]
    live, dead = live_subgraph(read_model(b.build(), where="m.tflite", name="m").main)
    assert len(dead) == 4
    assert activation_lifetimes(live)[early].last == 10  # the last op's index, not len(live ops) - 1 = 6
