"""Output shapes TFLM takes on trust (analysis/static_shapes.py): a SPACE_TO_BATCH_ND or
BATCH_TO_SPACE_ND whose declared output is not what it computes (TensorFlow's dilated convolutions
exported with a dynamic batch) is refused at build time for both runtimes; consistent ones pass."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_DIR
from tflite_builder import ModelBuilder

from tinyml_build.analysis.analyze import analyze
from tinyml_build.analysis.static_shapes import static_shape_findings
from tinyml_build.model.reader import load_model
from tinyml_build.model.schema import fb

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
