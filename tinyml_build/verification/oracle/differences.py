"""Where the tflite-micro wheel and the pinned TFLM compute different bytes: a table, checked by a test.

Why a table and not a tolerance: the wheel (requirements.lock) is built from a later TFLM than the
one third_party/lock.yaml pins, and a few reference kernels changed in between. When the wheel is
the oracle (sources not resolved), a model using one of these (op, type) pairs cannot be judged
by it; the build says so by name and test.json records it. Everywhere else the wheel is exact.
tests/test_oracle_differences.py runs generated models through both oracles and asserts that the
set of (op, type) pairs that differ is exactly this table: a new difference or a fixed one fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WheelDifference:
    """One op at one activation type whose wheel output differs from the pinned TFLM's."""

    op: str  # op inventory name
    dtype: str  # the op's output 0 type (activation type)
    cause: str  # what differs, as far as it was found
    upstream: str  # the TFLM change, or how it was established when the history is not at hand

    def describe(self) -> str:
        return f"{self.op} {self.dtype}: {self.cause}"


_NOT_IN_MIRROR = ("after 90b983c2: the local mirror of tensorflow/tflite-micro ends at the pin, so the commit is not "
                  "named; established by emulating both multiplier computations, whose bytes equal the pinned "
                  "TFLM's (float32) and the wheel's (double) respectively")
_ONE_LSB = ("outputs differ by 1 LSB where the scaled value lands on a rounding boundary; int8 uses the same code "
            "but its small operands were not seen to hit one")

KNOWN_WHEEL_DIFFERENCES: tuple[WheelDifference, ...] = (
    WheelDifference(
        "FULLY_CONNECTED", "int8",
        "per-tensor requantization multiplier: the pin computes input_scale * filter_scale in float32 "
        "(tensorflow/lite/kernels/kernel_util.cc GetQuantizedConvolutionMultipler), the wheel's TFLM in double; "
        "outputs 1 LSB apart where the accumulator lands on a rounding boundary (about 1 % of the vectors of an "
        "MLPerf anomaly-detection FC stack); per-channel weights are computed in double by both",
        _NOT_IN_MIRROR),
    WheelDifference(
        "FULLY_CONNECTED", "int16",
        "per-tensor requantization multiplier, as FULLY_CONNECTED int8: the pin computes input_scale * "
        "filter_scale in float32 (GetQuantizedConvolutionMultipler), the wheel's TFLM in double; 16x8 outputs "
        "1 LSB apart where the accumulator lands on a rounding boundary (found by the 16x8 boundary probes of "
        "tests/test_aot_ops_generated_window.py; random vectors of the generated cases did not meet one)",
        _NOT_IN_MIRROR),
    WheelDifference(
        "BATCH_MATMUL", "int8",
        "requantization multiplier: as FULLY_CONNECTED int8, the pin computes lhs_scale * rhs_scale in float32 "
        "(micro/kernels/batch_matmul.cc calls GetQuantizedConvolutionMultipler), the wheel's TFLM in double; "
        "outputs 1 LSB apart where the accumulator lands on a rounding boundary",
        _NOT_IN_MIRROR),
    WheelDifference(
        "LEAKY_RELU", "int16",
        "the alpha and identity multipliers (input_scale * alpha / output_scale, input_scale / output_scale) are "
        "computed in float32 at the pin (micro/kernels/leaky_relu_common.cc), in double by the wheel's TFLM; "
        + _ONE_LSB,
        _NOT_IN_MIRROR),
    WheelDifference(
        "ABS", "int16",
        "the rescale multiplier input_scale / output_scale is computed in float32 at the pin "
        "(micro/kernels/elementwise.cc SetAbsOutputMultiplier), in double by the wheel's TFLM; " + _ONE_LSB
        + " (found by the generated ABS cases of tests/test_aot_ops_arith.py)",
        _NOT_IN_MIRROR),
    WheelDifference(
        "RELU", "int16",
        "the requantization multiplier input_scale / output_scale is computed in float32 at the pin "
        "(micro/kernels/activations_common.cc CalculateReluOpData), in double by the wheel's TFLM; " + _ONE_LSB
        + " (found by the generated RELU cases of tests/test_aot_ops_gen_unary.py)",
        _NOT_IN_MIRROR),
    WheelDifference(
        "SUB", "int16",
        "twice_max_input_scale and the input/output multipliers are computed in float32 at the pin "
        "(micro/kernels/sub_common.cc; add_common.cc already uses double), in double by the wheel's TFLM; "
        "outputs 1 LSB apart on some elements",
        _NOT_IN_MIRROR),
    WheelDifference(
        "SUB", "int8",
        "as SUB int16: float32 multipliers at the pin (micro/kernels/sub_common.cc), double in the wheel's TFLM",
        _NOT_IN_MIRROR),
)


def key_of(op_name: str, output_dtypes: tuple[str, ...]) -> tuple[str, str]:
    """(op, activation type) -- how uses of an op are matched against the table."""
    return op_name, output_dtypes[0] if output_dtypes else "-"


def blind_spot_at(blind_spots, op_name: str, dtype: str) -> str | None:
    """The blind spot (a describe() text) a difference starting at an (op, type) falls in, or None: there the
    oracle cannot judge, so a difference is neither a pass nor a failure of the image."""
    return next((spot for spot in blind_spots if spot.startswith(f"{op_name} {dtype}:")), None)


def differences_in(model) -> list[WheelDifference]:
    """The table's entries that some op use of `model` (any subgraph) hits, in table order."""
    from tinyml_build.analysis.op_inventory import op_uses

    used = {key_of(u.name, u.outputs) for u in op_uses(model)}
    return [d for d in KNOWN_WHEEL_DIFFERENCES if (d.op, d.dtype) in used]


def differing_ops(model, first: tuple, second: tuple) -> set[tuple[str, str]]:
    """(op, activation type) of every main-subgraph op whose output tensor differs in some run between
    two oracles' results ((outputs, {(run, tensor): bytes}) each, intermediates on), counting an op
    only when its own inputs were equal in that run (a difference is blamed where it starts)."""
    _, a = first
    _, b = second
    sg = model.main
    runs = sorted({run for run, _ in a})
    found = set()
    for run in runs:
        for op in sg.operators:
            inputs_equal = all(a.get((run, i)) == b.get((run, i)) for i in op.inputs if i >= 0 and (run, i) in a)
            outputs_differ = any(a.get((run, o)) != b.get((run, o)) for o in op.outputs if o >= 0)
            if inputs_equal and outputs_differ:
                found.add(key_of(op.name, tuple(sg.tensors[o].dtype for o in op.outputs if o >= 0)))
    return found


def max_lsb(model, first: tuple, second: tuple) -> int:
    """The largest |difference| of any op output element between two results, in output units."""
    sg = model.main
    worst = 0
    for key, data in first[1].items():
        other = second[1].get(key)
        if other is None or other == data:
            continue
        dtype = np.dtype(sg.tensors[key[1]].dtype) if sg.tensors[key[1]].dtype != "bool" else np.dtype(bool)
        x = np.frombuffer(data, dtype=dtype).astype(np.float64)
        y = np.frombuffer(other, dtype=dtype).astype(np.float64)
        worst = max(worst, int(np.max(np.abs(x - y))) if x.size == y.size else -1)
    return worst
