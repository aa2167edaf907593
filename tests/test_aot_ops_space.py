"""runtime=aot DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and
RESIZE_NEAREST_NEIGHBOR bit-exact with tflite-micro.

Property-style: seeded random shapes, block sizes, crops, paddings, output sizes and
align_corners / half_pixel_centers, in every type TFLM's micro kernel accepts. Compiling
dominates, so each model holds CASES independent ops of one kind (each with its own graph
input and output) and one host check covers them all.
"""

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import compile_program, random_inputs, run_program, run_tflm

CASES = 30  # ops per generated model
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


def _spatial(rng):
    """rank 3 or 4, block [h] or [h, w]"""
    rank = int(rng.integers(3, 5))
    return rank, [_dim(rng, 1, 3) for _ in range(rank - 2)]


def _nhwc(shape4, rank):
    return shape4 if rank == 4 else [shape4[0], shape4[1], shape4[3]]


def add_batch_to_space_nd(b, rng, dtype, n):
    rank, block = _spatial(rng)
    full = block + [1] * (4 - rank)
    out_batch, c = _dim(rng, 1, 2), _dim(rng, 1, 3)
    hw = [_dim(rng), _dim(rng)] if rank == 4 else [_dim(rng), 1]
    crops = []
    for d in range(rank - 2):
        span = hw[d] * full[d]
        top = int(rng.integers(0, min(span - 1, 3) + 1))
        bottom = int(rng.integers(0, min(span - top - 1, 3) + 1))
        crops.append([top, bottom])
    out = [out_batch] + [hw[d] * full[d] - (sum(crops[d]) if d < rank - 2 else 0) for d in range(2)] + [c]
    x = _tensor(b, f"x{n}", dtype, _nhwc([out_batch * full[0] * full[1], hw[0], hw[1], c], rank))
    y = _tensor(b, f"y{n}", dtype, _nhwc(out, rank))
    b.op(b.opcode(BUILTIN.BATCH_TO_SPACE_ND, version=2),
         [x, _const(b, f"block{n}", block), _const(b, f"crops{n}", crops, [rank - 2, 2])], [y],
         OPTIONS.BatchToSpaceNDOptions, fb.BatchToSpaceNDOptionsT())
    return [x], [y]


def add_space_to_batch_nd(b, rng, dtype, n, padded=False, cases=None):
    """Without `padded` the paddings are zero (TFLM's padded elements are undefined: see
    test_space_to_batch_nd_padding); `cases` collects (input shape, block, paddings)."""
    rank, block = _spatial(rng)
    full = block + [1] * (4 - rank)
    batch, c = _dim(rng, 1, 2), _dim(rng, 1, 3)
    hw = [_dim(rng), _dim(rng)] if rank == 4 else [_dim(rng), 1]
    pads = []
    for d in range(rank - 2):
        top, bottom = (int(rng.integers(0, 3)), int(rng.integers(0, 3))) if padded else (0, 0)
        if padded:
            bottom += -(hw[d] + top + bottom) % full[d]
        else:
            hw[d] *= full[d]
        pads.append([top, bottom])
    if cases is not None:
        cases.append((_nhwc([batch, hw[0], hw[1], c], rank), block, pads))
    out = [batch * full[0] * full[1]] + [(hw[d] + (sum(pads[d]) if d < rank - 2 else 0)) // full[d]
                                          for d in range(2)] + [c]
    x = _tensor(b, f"x{n}", dtype, _nhwc([batch, hw[0], hw[1], c], rank))
    y = _tensor(b, f"y{n}", dtype, _nhwc(out, rank))
    b.op(b.opcode(BUILTIN.SPACE_TO_BATCH_ND, version=2),
         [x, _const(b, f"block{n}", block), _const(b, f"pads{n}", pads, [rank - 2, 2])], [y],
         OPTIONS.SpaceToBatchNDOptions, fb.SpaceToBatchNDOptionsT())
    return [x], [y]


def add_resize_nearest_neighbor(b, rng, dtype, n):
    """Up- and downscaling, now and then to awkward sizes (float rounding of the source index)."""
    big = rng.random() < 0.25
    top = 40 if big else 7
    shape = [_dim(rng, 1, 2), _dim(rng, 1, top), _dim(rng, 1, top), 1 if big else _dim(rng, 1, 3)]
    size = [_dim(rng, 1, top + 5), _dim(rng, 1, top + 5)]
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, [shape[0], *size, shape[3]])
    options = fb.ResizeNearestNeighborOptionsT()
    options.alignCorners, options.halfPixelCenters = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    b.op(b.opcode(BUILTIN.RESIZE_NEAREST_NEIGHBOR, version=3), [x, _const(b, f"size{n}", size)], [y],
         OPTIONS.ResizeNearestNeighborOptions, options)
    return [x], [y]


ADDERS = {"DEPTH_TO_SPACE": add_depth_to_space, "SPACE_TO_DEPTH": add_space_to_depth,
          "BATCH_TO_SPACE_ND": add_batch_to_space_nd, "SPACE_TO_BATCH_ND": add_space_to_batch_nd,
          "RESIZE_NEAREST_NEIGHBOR": add_resize_nearest_neighbor}
# Every type TFLM's micro kernel of the op accepts (depth_to_space.cc, space_to_depth.cc, ...).
TYPES = {"DEPTH_TO_SPACE": ("int8", "float32"), "SPACE_TO_DEPTH": ("int8", "float32"),
         "BATCH_TO_SPACE_ND": ("int8", "float32"), "SPACE_TO_BATCH_ND": ("int8", "float32"),
         "RESIZE_NEAREST_NEIGHBOR": ("int8", "int16", "float32")}
# generated models per (op, type)
MODELS = {"DEPTH_TO_SPACE": 4, "SPACE_TO_DEPTH": 4, "BATCH_TO_SPACE_ND": 4, "SPACE_TO_BATCH_ND": 4,
          "RESIZE_NEAREST_NEIGHBOR": 3}


PARAMS = [(op, t, s) for op in ADDERS for t in TYPES[op] for s in range(MODELS[op])]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


def random_model(op: str, dtype: str, seed: int, cases: int = CASES) -> bytes:
    return aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, cases)


_check = aot_op_cases.check_bytes
_lower_error = aot_op_cases.lower_error


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    _check(tmp_path, random_model(op, dtype, seed))


def _space_to_batch_pad_mask(shape, block, pads) -> np.ndarray:
    """True where SPACE_TO_BATCH_ND's output is padding (NumPy: pad, split, move blocks to batch)."""
    rank = len(shape)
    shape4 = list(shape) if rank == 4 else [shape[0], shape[1], 1, shape[2]]
    block = list(block) + [1] * (4 - rank)
    pads = [list(p) for p in pads] + [[0, 0]] * (4 - rank)
    data = np.pad(np.zeros(shape4, bool), [[0, 0], pads[0], pads[1], [0, 0]], constant_values=True)
    n, hp, wp, c = data.shape
    data = data.reshape(n, hp // block[0], block[0], wp // block[1], block[1], c).transpose(2, 4, 0, 1, 3, 5)
    out = data.reshape(block[0] * block[1] * n, hp // block[0], wp // block[1], c)
    return out if rank == 4 else out[:, :, 0, :]


@pytest.mark.parametrize("dtype", TYPES["SPACE_TO_BATCH_ND"])
def test_space_to_batch_nd_padding(tmp_path, dtype):
    """TFLM micro never sets SpaceToBatchParams.output_offset, so its padded elements are stale
    arena bytes. Every other element is compared bit for bit; padding must be the zero point."""
    rng = np.random.default_rng([11, list(TYPES["SPACE_TO_BATCH_ND"]).index(dtype)])
    b, cases = ModelBuilder(), []
    for n in range(CASES):
        xs, ys = add_space_to_batch_nd(b, rng, dtype, n, padded=True, cases=cases)
        b.inputs += xs
        b.outputs += ys
    model = read_model(b.build(), where="m.tflite", name="m")
    program = lower_model(model)
    inputs = random_inputs(model, 3, 0)
    exe = compile_program(tmp_path, render(program), program, sanitize=False)
    aot, _ = run_program(exe, tmp_path, model, inputs)
    tflm, _ = run_tflm(model, inputs)
    pad_value = QUANT[dtype][1] if dtype == "int8" else 0
    padded = 0
    for run in range(len(inputs)):
        for k, (shape, block, pads) in enumerate(cases):
            mask = _space_to_batch_pad_mask(shape, block, pads)
            assert aot[run][k].shape == mask.shape
            assert np.array_equal(aot[run][k][~mask], tflm[run][k][~mask]), (run, k, shape, block, pads)
            assert (aot[run][k][mask] == pad_value).all(), (run, k)
            padded += int(mask.sum())
    assert padded > 0


def test_all_ops_under_sanitizers(tmp_path):
    _check(tmp_path, aot_op_cases.all_ops_model(ADDERS, TYPES.get, per_type=4), sanitize=True)


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())


def _tflm_refuses(tmp_path, data: bytes) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    model = load_model(path)
    with pytest.raises(Exception):  # noqa: B017 -- the wheel raises a bare RuntimeError
        run_tflm(model, random_inputs(model, 1, 0))


def _single(add, dtype="int8", seed=0) -> bytes:
    b = ModelBuilder()
    xs, ys = add(b, np.random.default_rng(seed), dtype, 0)
    b.inputs, b.outputs = xs, ys
    return b.build()


@pytest.mark.parametrize("op", ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND"])
def test_int16_is_refused_like_tflm(tmp_path, op):
    """TFLM's kernels of these four take int8 and float32 only."""
    data = _single(ADDERS[op], "int16")
    _tflm_refuses(tmp_path, data)
    message = _lower_error(data)
    assert f"op #0 {op}" in message and "int16" in message, message


def _block_model(code, options_cls, options_type, in_shape, out_shape, block) -> bytes:
    b = ModelBuilder()
    x, y = _tensor(b, "x", "int8", in_shape), _tensor(b, "y", "int8", out_shape)
    _block_op(b, code, options_cls, options_type, x, y, block)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _dynamic_model(code, options_type, options, shape, out_shape, operands) -> bytes:
    """`operands`: names of the extra inputs, made graph inputs (not constant)."""
    b = ModelBuilder()
    x, y = _tensor(b, "x", "int8", shape), _tensor(b, "y", "int8", out_shape)
    extra = [b.tensor(name, "int32", dims) for name, dims in operands]
    b.op(b.opcode(code), [x, *extra], [y], options_type, options)
    b.inputs, b.outputs = [x, *extra], [y]
    return b.build()


def _resize_model(size_shape, size, out_shape) -> bytes:
    b = ModelBuilder()
    x, y = _tensor(b, "x", "int8", [1, 2, 2, 1]), _tensor(b, "y", "int8", out_shape)
    b.op(b.opcode(BUILTIN.RESIZE_NEAREST_NEIGHBOR, version=3), [x, _const(b, "size", size, size_shape)], [y],
         OPTIONS.ResizeNearestNeighborOptions, fb.ResizeNearestNeighborOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


D2S = (BUILTIN.DEPTH_TO_SPACE, fb.DepthToSpaceOptionsT, OPTIONS.DepthToSpaceOptions)
S2D = (BUILTIN.SPACE_TO_DEPTH, fb.SpaceToDepthOptionsT, OPTIONS.SpaceToDepthOptions)


@pytest.mark.parametrize("make,words,tflm_refuses", [
    (lambda: _block_model(*D2S, [1, 2, 2, 6], [1, 4, 4, 1], 2), ("op #0 DEPTH_TO_SPACE", "multiple of block_size^2"),
     True),
    (lambda: _block_model(*D2S, [1, 2, 2, 4], [1, 4, 4, 1], 0), ("op #0 DEPTH_TO_SPACE", "block_size 0"), True),
    (lambda: _block_model(*S2D, [1, 3, 4, 1], [1, 1, 2, 4], 2), ("op #0 SPACE_TO_DEPTH", "multiples of block_size"),
     True),
    (lambda: _block_model(*D2S, [2, 2, 4], [4, 4, 1], 2), ("op #0 DEPTH_TO_SPACE", "rank 3"), True),
    (lambda: _dynamic_model(BUILTIN.BATCH_TO_SPACE_ND, OPTIONS.BatchToSpaceNDOptions, fb.BatchToSpaceNDOptionsT(),
                            [4, 2, 2, 1], [1, 4, 4, 1], [("block", [2]), ("crops", [2, 2])]),
     ("op #0 BATCH_TO_SPACE_ND", "block_shape", "not constant"), False),
    (lambda: _dynamic_model(BUILTIN.SPACE_TO_BATCH_ND, OPTIONS.SpaceToBatchNDOptions, fb.SpaceToBatchNDOptionsT(),
                            [1, 4, 4, 1], [4, 2, 2, 1], [("block", [2]), ("pads", [2, 2])]),
     ("op #0 SPACE_TO_BATCH_ND", "block_shape", "not constant"), False),
    (lambda: _dynamic_model(BUILTIN.RESIZE_NEAREST_NEIGHBOR, OPTIONS.ResizeNearestNeighborOptions,
                            fb.ResizeNearestNeighborOptionsT(), [1, 2, 2, 1], [1, 4, 4, 1], [("size", [2])]),
     ("op #0 RESIZE_NEAREST_NEIGHBOR", "size", "not constant"), True),
    (lambda: _resize_model([2, 1], [4, 4], [1, 4, 4, 1]), ("op #0 RESIZE_NEAREST_NEIGHBOR", "1-D"), True),
    (lambda: _resize_model([2], [4, 4], [1, 4, 3, 1]), ("op #0 RESIZE_NEAREST_NEIGHBOR", "output shape"), False),
], ids=["d2s_depth", "d2s_block0", "s2d_size", "d2s_rank3", "b2s_dynamic", "s2b_dynamic", "resize_dynamic",
        "resize_size_shape", "resize_out_shape"])
def test_refusals_are_clear_errors(tmp_path, make, words, tflm_refuses):
    """Everything TFLM's Prepare refuses, and what aot needs constant or consistent, is a build
    error naming the op (tflm_refuses: the oracle refuses the model as well)."""
    data = make()
    message = _lower_error(data)
    assert all(w in message for w in words), message
    if tflm_refuses:
        _tflm_refuses(tmp_path, data)
