"""Regressions for what bench/converter_sweep.py found in TensorFlow-converted Keras models, rebuilt
here with tests/tflite_builder.py so no test needs TensorFlow."""

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import load_model
from tinyml_build.model.schema import fb
from tinyml_build.reports.runtime_support import runtime_support
from tinyml_build.runtimes.aot.lower import TFLM_FIX, lower_model


def _embedding_like(tmp_path):
    """Keras 3's Embedding as TensorFlow 2.21 exports it: LESS, ADD, SELECT wrap negative ids, then GATHER."""
    b = ModelBuilder()
    ids = b.tensor("ids", "int32", [1, 6])
    zero = b.tensor("zero", "int32", [], np.array(0, np.int32))
    rows = b.tensor("rows", "int32", [], np.array(20, np.int32))
    negative = b.tensor("negative", "bool", [1, 6])
    wrapped = b.tensor("wrapped", "int32", [1, 6])
    index = b.tensor("index", "int32", [1, 6])
    table = b.tensor("table", "float32", [20, 4], np.arange(80, dtype=np.float32).reshape(20, 4))
    out = b.tensor("out", "float32", [1, 6, 4])
    b.op(b.opcode(fb.BuiltinOperator.LESS), [ids, zero], [negative])
    b.op(b.opcode(fb.BuiltinOperator.ADD), [ids, rows], [wrapped], fb.BuiltinOptions.AddOptions, fb.AddOptionsT())
    b.op(b.opcode(fb.BuiltinOperator.SELECT), [negative, wrapped, ids], [index])
    b.op(b.opcode(fb.BuiltinOperator.GATHER), [table, index], [out], fb.BuiltinOptions.GatherOptions,
         fb.GatherOptionsT())
    b.inputs, b.outputs = [ids], [out]
    path = tmp_path / "embedding.tflite"
    path.write_bytes(b.build())
    return load_model(path)


def _custom_op(tmp_path):
    """An op neither runtime has: aot's refusal must not send the user to runtime=tflm either."""
    b = ModelBuilder()
    x = b.tensor("x", "float32", [1, 4])
    y = b.tensor("y", "float32", [1, 4])
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="MyLayer"), [x], [y])
    b.inputs, b.outputs = [x], [y]
    path = tmp_path / "custom.tflite"
    path.write_bytes(b.build())
    return load_model(path)


def test_aot_refusal_of_an_op_tflm_lacks_does_not_send_the_user_to_runtime_tflm(tmp_path):
    """The sweep: Keras Embedding (SELECT), UpSampling2D(nearest) (TILE) and gelu (GELU) were refused by
    aot with "build with runtime=tflm", a build that refuses them too."""
    model = _embedding_like(tmp_path)
    with pytest.raises(UnsupportedOpError) as caught:
        lower_model(model)
    fix = caught.value.fix
    assert "op #2 SELECT is not supported by runtime=aot" in caught.value.what
    assert TFLM_FIX not in fix
    assert fix.startswith("runtime=tflm refuses it too (TFLM has no kernel for SELECT): re-export the model")
    assert "tf.gather(table, ids)" in fix  # how to export the lookup without SELECT
    aot, tflm = runtime_support(model)
    assert not aot.builds and not tflm.builds and tflm.lacks == ("SELECT",)

    with pytest.raises(UnsupportedOpError) as caught:
        lower_model(_custom_op(tmp_path))
    assert caught.value.fix.startswith("runtime=tflm refuses it too (TFLM has no kernel for MyLayer): re-export")


def _reshape(tmp_path, declared, signature):
    """Keras Dense on a 3-D input exported with a dynamic batch flattens through a RESHAPE whose shape
    comes from SHAPE -> REDUCE_PROD -> PACK; the converter declares its output [1, 1] (signature [-1, -1])."""
    b = ModelBuilder()
    x = b.tensor("x", "float32", [1, 5, 6])
    b.tensors[x].shapeSignature = [-1, 5, 6]
    shape = b.tensor("shape", "int32", [2], np.array([-1, 6], np.int32))
    y = b.tensor("flat", "float32", declared)
    b.tensors[y].shapeSignature = list(signature)
    b.op(b.opcode(fb.BuiltinOperator.RESHAPE), [x, shape], [y])
    b.inputs, b.outputs = [x], [y]
    path = tmp_path / "reshape.tflite"
    path.write_bytes(b.build())
    return load_model(path)


def test_dynamic_batch_reshape_placeholder_is_refused_with_the_fixed_batch_fix(tmp_path):
    """The sweep: Dense on 3-D input, Flatten, LayerNormalization, Softmax from keras.Input without
    batch_size were refused as 'RESHAPE: input has 120 bytes but output 4' (aot) and 'REDUCE_PROD not in
    the op inventory' (tflm); both now say it is the dynamic batch and how to re-export."""
    from tinyml_build.analysis.static_shapes import FIXED_SHAPE_FIX, static_shape_findings

    model = _reshape(tmp_path, [1, 1], [-1, -1])
    [(what, fix)] = static_shape_findings(model)
    assert what.startswith("op #0 RESHAPE (subgraph 0) declares output 'flat' (tensor #2) as [1, 1], 1 elements, "
                           "for an input of [1, 5, 6], 30")
    assert fix == FIXED_SHAPE_FIX
    for support in runtime_support(model):
        assert not support.builds and "declares output 'flat'" in support.reason, support
        assert "batch_size=1" in support.fix
    assert static_shape_findings(_reshape(tmp_path, [5, 6], [-1, 6])) == []  # the real shape: no finding


def test_tile_hint_names_repeat_vector_too():
    """The sweep: Keras RepeatVector exports TILE as UpSampling2D(nearest) does; the hint says what to use."""
    from tinyml_build.analysis.op_inventory import lookup_all

    with pytest.raises(UnsupportedOpError) as caught:
        lookup_all(["FULLY_CONNECTED", "TILE"], where="m.tflite")
    fix = caught.value.fix
    assert fix.startswith("re-export the model without 'TILE' (TILE: Keras 3's UpSampling2D")
    assert "RepeatVector(n) exports TILE too" in fix and "BROADCAST_TO" in fix
    assert not any("did you mean" in line for line in caught.value.detail_lines)  # a real op, no misspelling


def test_inspect_tflm_line_carries_the_export_alternative(tmp_path):
    """`inspect` prints each runtime's reason and fix, not the build error's details: the tflm line showed
    only "replace it with supported ops" for a Keras Embedding's SELECT, the way out was in the aot line."""
    _aot, tflm = runtime_support(_embedding_like(tmp_path))
    assert not tflm.builds and "'SELECT' not in the op inventory" in tflm.reason
    assert "tf.gather(table, ids)" in tflm.fix and "replace it with supported ops" not in tflm.fix
