"""Output shapes TFLM takes on trust (analysis/static_shapes.py): a SPACE_TO_BATCH_ND or
BATCH_TO_SPACE_ND whose declared output is not what it computes (TensorFlow's dilated convolutions
exported with a dynamic batch), or a SLICE whose size is known only at run time (a Keras LSTM with
return_sequences=True exported as a while loop over a TensorList), is refused at build time for both
runtimes; consistent ones pass."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_DIR
from tflite_builder import ModelBuilder

from tinyml_build.analysis.analyze import analyze
from tinyml_build.analysis.static_shapes import static_shape_findings
from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model

OPS = {"SPACE_TO_BATCH_ND": (fb.BuiltinOperator.SPACE_TO_BATCH_ND, fb.BuiltinOptions.SpaceToBatchNDOptions,
                             fb.SpaceToBatchNDOptionsT),
       "BATCH_TO_SPACE_ND": (fb.BuiltinOperator.BATCH_TO_SPACE_ND, fb.BuiltinOptions.BatchToSpaceNDOptions,
                             fb.BatchToSpaceNDOptionsT)}


def _model(op: str, in_shape, out_shape, block, second, signature=None) -> bytes:
    """One op; `second` is the paddings (SPACE_TO_BATCH_ND) or crops (BATCH_TO_SPACE_ND) [m, 2]."""
    code, options_type, options = OPS[op]
    b = ModelBuilder()
    x = b.tensor("input", "int8", in_shape, scale=0.5, zero_point=0)
    blk = b.tensor("block", "int32", (len(block),), data=np.array(block, np.int32))
    pad = b.tensor("pads", "int32", (len(block), 2), data=np.array(second, np.int32).reshape(-1, 2))
    y = b.tensor("out\nname", "int8", out_shape, scale=0.5, zero_point=0)
    if signature is not None:
        b.tensors[y].shapeSignature = list(signature)
    b.op(b.opcode(code), [x, blk, pad], [y], options_type, options())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _findings(tmp_path, data: bytes):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    return static_shape_findings(load_model(path)), path


@pytest.mark.parametrize("op, in_shape, out_shape, block, second", [
    ("SPACE_TO_BATCH_ND", (1, 30, 12), (2, 15, 12), [2], [[0, 0]]),
    ("SPACE_TO_BATCH_ND", (1, 5, 6, 3), (6, 3, 2, 3), [2, 3], [[1, 0], [0, 0]]),
    ("BATCH_TO_SPACE_ND", (2, 13, 12), (1, 26, 12), [2], [[0, 0]]),
    ("BATCH_TO_SPACE_ND", (6, 3, 2, 3), (1, 5, 6, 3), [2, 3], [[1, 0], [0, 0]]),
])
def test_consistent_shapes_have_no_finding(tmp_path, op, in_shape, out_shape, block, second):
    findings, _ = _findings(tmp_path, _model(op, in_shape, out_shape, block, second))
    assert findings == []


def test_dynamic_batch_placeholder_is_refused_with_the_fix(tmp_path):
    """TensorFlow's dilated Conv1D with a dynamic batch: SPACE_TO_BATCH_ND's batch declared 1, signature -1."""
    findings, path = _findings(tmp_path, _model("SPACE_TO_BATCH_ND", (1, 30, 12), (1, 15, 12), [2], [[0, 0]],
                                                signature=(-1, 15, 12)))
    assert len(findings) == 1
    what, fix = findings[0]
    assert "op #0 SPACE_TO_BATCH_ND" in what and "[1, 15, 12]" in what and "[2, 15, 12]" in what
    assert "dynamic" in what and "batch_size=1" in fix
    assert [f.what for f in analyze(load_model(path)).errors] == [what]


def test_batch_to_space_mismatch_without_signature(tmp_path):
    findings, _ = _findings(tmp_path, _model("BATCH_TO_SPACE_ND", (2, 13, 12), (1, 24, 12), [2], [[0, 0]]))
    assert len(findings) == 1 and "computes [1, 26, 12]" in findings[0][0] and "dynamic" not in findings[0][0]


def test_build_refuses_it_cleanly_for_both_runtimes(tmp_path):
    path = tmp_path / "dilated.tflite"
    path.write_bytes(_model("SPACE_TO_BATCH_ND", (1, 30, 12), (1, 15, 12), [2], [[0, 0]], signature=(-1, 15, 12)))
    for runtime in ("aot", "tflm"):
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={path}",
                                 f"runtime={runtime}", f"build_dir={tmp_path / 'build'}"],
                                capture_output=True, text=True, cwd=PROJECT_DIR)
        assert result.returncode != 0
        assert "computes [2, 15, 12]" in result.stderr and "fix: re-export" in result.stderr
        assert "'out\\x0aname'" in result.stderr  # the model's tensor name, escaped
        assert "Traceback" not in result.stderr + result.stdout
        assert not list((tmp_path / "build").rglob("firmware.elf"))


def _slice_model(out_shape, begin=None, size=None, size_dtype="int32") -> bytes:
    """x[4, 2, 3] sliced by begin/size: a constant when given, else a model input (known at run time)."""
    b = ModelBuilder()
    x = b.tensor("x", "int8", (4, 2, 3), scale=0.5, zero_point=0)
    operands, inputs = [], [x]
    for name, values in (("begin", begin), ("size", size)):
        if values is None:
            operands.append(b.tensor(f"{name}\nat run time", size_dtype, (3,)))
            inputs.append(operands[-1])
        else:
            operands.append(b.tensor(name, size_dtype, (3,), data=np.array(values, size_dtype)))
    y = b.tensor("y", "int8", out_shape, scale=0.5, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.SLICE), [x, *operands], [y], fb.BuiltinOptions.SliceOptions, fb.SliceOptionsT())
    b.inputs, b.outputs = inputs, [y]
    return b.build()


@pytest.mark.parametrize("out_shape, begin, size, size_dtype", [
    ((2, 2, 3), [1, 0, 0], [2, -1, -1], "int32"),
    ((3, 1, 3), [1, 1, 0], [-1, 1, 3], "int64"),
    ((1, 2, 3), None, [1, 2, 3], "int32"),  # begin from the loop counter, size constant: shape is static
])
def test_slices_with_a_static_shape_have_no_finding(tmp_path, out_shape, begin, size, size_dtype):
    findings, _ = _findings(tmp_path, _slice_model(out_shape, begin, size, size_dtype))
    assert findings == []


def test_slice_sized_at_run_time_is_refused_with_the_fix(tmp_path):
    """What TensorFlow writes for TensorListSetItem in a Keras LSTM's while loop: size [i, -1, -1]."""
    findings, path = _findings(tmp_path, _slice_model((1, 1, 1), begin=[0, 0, 0]))
    assert len(findings) == 1
    what, fix = findings[0]
    assert "op #0 SLICE" in what and "[1, 1, 1]" in what and "at run time" in what and "past its end" in what
    assert "unroll=True" in fix
    assert [f.what for f in analyze(load_model(path)).errors] == [what]


@pytest.mark.parametrize("out_shape, begin, size, computed", [
    ((1, 2, 3), None, [-1, 2, 3], "runs to the end of the input from a begin known only at run time"),
    ((1, 1, 3), [2, 0, 0], [-1, 1, 3], "computes [2, 1, 3]"),
])
def test_slice_whose_declared_shape_is_not_what_it_copies(tmp_path, out_shape, begin, size, computed):
    findings, _ = _findings(tmp_path, _slice_model(out_shape, begin, size))
    assert len(findings) == 1 and computed in findings[0][0]


def test_build_refuses_a_slice_sized_at_run_time_for_both_runtimes(tmp_path):
    path = tmp_path / "tensor_list.tflite"
    path.write_bytes(_slice_model((1, 1, 1), begin=[0, 0, 0]))
    for runtime in ("aot", "tflm"):
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={path}",
                                 f"runtime={runtime}", f"build_dir={tmp_path / 'build'}"],
                                capture_output=True, text=True, cwd=PROJECT_DIR)
        assert result.returncode != 0
        assert "its size comes from tensor #2 'size\\x0aat run time' at run time" in result.stderr
        assert "fix: re-export the model with static slice sizes" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert not list((tmp_path / "build").rglob("firmware.elf"))


def test_aot_refuses_a_slice_begun_at_run_time_without_blaming_tflm():
    """Static shape, so the analysis lets it through to the runtimes; TFLM runs it (it reads begin in
    Eval), aot resolves slices at build time and says so rather than claiming TFLM needs a constant."""
    with pytest.raises(UnsupportedOpError) as caught:
        lower_model(read_model(_slice_model((1, 2, 3), None, [1, 2, 3]), where="m.tflite", name="m"))
    text = str(caught.value)
    assert "begin tensor #1" in text and "TFLM reads it in Eval" in text and "TFLM requires" not in text
    assert "runtime=tflm" in caught.value.fix
