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
