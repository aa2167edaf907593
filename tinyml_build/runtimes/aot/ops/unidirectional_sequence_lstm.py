"""UNIDIRECTIONAL_SEQUENCE_LSTM: int8 activations (8x8 -> int16 cell) and int16 activations (16x8).

Mirrors TFLM's UnidirectionalSequenceLstmPrepare and lstm_eval_common.cc (PrepareGateParametersInteger,
CreateGateParams, CreateInterGateMulParams, CreateLstmCellStateInfo): each gate's input and
recurrent FC requantize to Q3.12 (scale 2^-12), the gates' nonlinear outputs are Q0.15 (2^-15),
and the three element-wise products rescale with QuantizeMultiplier of the double products.
The hidden and cell states (inputs 18 and 19) are variable tensors the op updates in place; the
arena keeps them across invocations and init() resets them (lower.py). Sigmoid and tanh use
TFLM's interpolation table (upstream_tables.py), so the integer paths need the pinned TFLM sources.

Refused, as TFLM's micro kernel refuses them: peephole, projection and layer-norm tensors,
per-channel weights, non-zero weight zero points. float32 activations take ops/_lstm_f32.py.
"""


import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._lstm import GATE_TENSORS, GATES, lstm_geometry
from tinyml_build.runtimes.aot.ops._lstm_f32 import lower_float
from tinyml_build.runtimes.aot.ops.fully_connected import smlad_weights
from tinyml_build.runtimes.aot.quantization import (
    checked_log2,
    per_tensor_fc_multiplier,
    quantize_multiplier,
    requant_rshift,
    wrap_int32,
)
from tinyml_build.runtimes.aot.upstream_tables import sigmoid_table_uint16

GATE_SCALE = 2.0 ** -12  # Q3.12: the FC outputs (nonlinear inputs)
ACTIVATED_SCALE = 2.0 ** -15  # Q0.15: the sigmoid/tanh outputs


def _f32(x) -> float:
    return float(np.float32(x))


def mul_multiplier(scale1: float, scale2: float, out_scale: float) -> tuple[int, int]:
    """CreateInterGateMulParams: QuantizeMultiplier(double(s1) * double(s2) / double(s_out))."""
    return quantize_multiplier(_f32(scale1) * _f32(scale2) / _f32(out_scale))


def tanh_input_scaling(cell_scale_power: int) -> tuple[int, int]:
    """lstm_internal::Tanh's (input multiplier, shift) after reference Tanh's power-of-two case."""
    shift = 15 + cell_scale_power - 3
    if shift < 0:
        return 3, -shift
    return 3 << shift, 0


def quantized_cell_clip(cell_clip: float, cell_scale: float) -> int:
    """CreateLstmCellStateInfo: int16(clamp(double(clip) / double(scale))), 0 when clipping is off."""
    if not cell_clip > 0:
        return 0
    return int(min(max(_f32(cell_clip) / _f32(cell_scale), -32768.0), 32767.0))


@register("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int8", "int16", "float32"), "input")
    g = lstm_geometry(ctx, x, cell_dtype="float32" if x.dtype == "float32" else "int16")
    if x.dtype == "float32":
        lower_float(ctx, g)
        return
    hidden, cell = g.hidden, g.cell
    time_major, steps, batches, input_size, cells = g.time_major, g.steps, g.batches, g.input_size, g.cells

    in_scale, in_zp = ctx.quantization(x)
    hidden_scale, hidden_zp = ctx.quantization(hidden)
    cell_scale, _ = ctx.quantization(cell)
    if x.dtype == "int16" and (in_zp or hidden_zp):
        raise ctx.unsupported("16x8 LSTM with non-zero activation zero points")
    gates = [_gate(ctx, name, x.dtype, in_scale, hidden_scale, input_size, cells)
             for name in GATES]
    forget_m, forget_s = mul_multiplier(ACTIVATED_SCALE, cell_scale, cell_scale)
    update_m, update_s = mul_multiplier(ACTIVATED_SCALE, ACTIVATED_SCALE, cell_scale)
    hidden_m, hidden_s = mul_multiplier(ACTIVATED_SCALE, ACTIVATED_SCALE, hidden_scale)
    tanh_m, tanh_s = tanh_input_scaling(checked_log2(cell_scale)[1])
    table = sigmoid_table_uint16(f"op #{ctx.index} {ctx.name}")
    requants = [(g[f"{fc}_multiplier"], g[f"{fc}_shift"]) for g in gates for fc in ("input", "recurrent")]
    scales = _scales(requants + [(forget_m, forget_s), (update_m, update_s), (hidden_m, hidden_s)])
    params = ctx.params("tml_lstm_params", {
        "gates": gates,
        "sigmoid_table": ctx.array(table, "uint16_t", "TFLM's sigmoid_table_uint16"),
        "batches": batches, "time_steps": steps, "input_size": input_size, "cells": cells,
        "time_major": int(time_major),
        "forget_multiplier": forget_m, "forget_rshift": requant_rshift(forget_s),
        "update_multiplier": update_m, "update_rshift": requant_rshift(update_s),
        "hidden_multiplier": hidden_m, "hidden_rshift": requant_rshift(hidden_s),
        "hidden_zero_point": hidden_zp,
        "cell_clip": quantized_cell_clip(ctx.options.get("cell_clip", 0.0) or 0.0, cell_scale),
        "tanh_multiplier": tanh_m, "tanh_shift": tanh_s, "tanh_round": (1 << (tanh_s - 1)) if tanh_s > 0 else 0,
        "usual_shifts": int(x.dtype == "int8" and scales is not None),
        **(_int8_gate_matrices(ctx, in_zp, hidden_zp) if x.dtype == "int8" else
           dict.fromkeys(("gate_input_weights", "gate_recurrent_weights", "gate_input_bias", "gate_recurrent_bias"))),
        **({"scales": scales} if x.dtype == "int8" and scales is not None else {}),  # else zero, unread
    })
    if x.dtype == "int8":  # the inputs' SMLAD forms (tml_lstm_s8)
        kernel, scratch = "tml_lstm_s8", f"(int32_t *){ctx.scratch(max(1, 8 * (input_size // 4 + cells // 4)))}"
    else:  # the four gate outputs of one step
        kernel, scratch = "tml_lstm_s16", f"(int16_t *){ctx.scratch(4 * cells * 2)}"
    ctx.call(kernel, params, ctx.input_ptr(0), ctx.ptr(hidden, const=False), ctx.ptr(cell, const=False),
             ctx.output_ptr(0), scratch, kernel="unidirectional_sequence_lstm")


def scaled_round(shift: int) -> int | None:
    """tml_lstm_scale's `round` for a TFLM shift, 2^30 + 2^(30 + r) with r = -shift, or None unless r is in
    1..31, where one rounding gives MultiplyByQuantizedMultiplier's two (unidirectional_sequence_lstm.c)."""
    return (1 << 30) + (1 << (30 - shift)) if 1 <= -shift <= 31 else None


def scaled(x: int, multiplier: int, shift: int) -> int:
    """Twin of tml_lstm_scaled: (x * multiplier + round - [x < 0] * 2^31) >> (32 + r - 1)."""
    return (x * multiplier + scaled_round(shift) - ((1 << 31) if x < 0 else 0)) >> (31 - shift)


def _scales(requants: list[tuple[int, int]]) -> list[dict] | None:
    """tml_lstm_scale of each (multiplier, TFLM shift), or None unless all fit it (the kernel then takes
    its loop that tests each shift)."""
    if any(scaled_round(shift) is None for _, shift in requants):
        return None
    return [{"round": f"{scaled_round(shift)}LL", "multiplier": m, "shift": -shift - 1} for m, shift in requants]


def _int8_gate_matrices(ctx, in_zp: int, hidden_zp: int) -> dict:
    """tml_lstm_params' gate_ fields: every gate's input (and recurrent) weights as one FC of 4 x cells
    rows, cell by cell (rows forget, input, cell, output of cell 0, then of cell 1...), in
    FULLY_CONNECTED's SMLAD layout, so each row group is one cell's four gates and the kernel feeds
    them from one pass over an input quad. The zero points and the layout's row constants are folded
    into the biases (exact modulo 2^32, as TFLM's int32 sums)."""
    fields = {}
    for kind, zp, weights_of in (("input", in_zp, 0), ("recurrent", hidden_zp, 1)):
        per_gate = [ctx.input(GATE_TENSORS[name][weights_of]).array().astype(np.int64) for name in GATES]
        depth = per_gate[0].shape[1]
        rows = np.stack(per_gate, axis=1).reshape(-1, depth)  # row 4 c + g: gate g of cell c
        layout, carried = smlad_weights(rows)
        folded = -zp * rows.sum(axis=1) - carried
        if kind == "input":
            folded += np.stack([ctx.input(GATE_TENSORS[name][2]).array().astype(np.int64) for name in GATES],
                               axis=1).reshape(-1)
        fields[f"gate_{kind}_weights"] = ctx.array(layout, "int8_t", f"all gates' {kind} weights, cell by cell, "
                                                   "in the SMLAD layout")
        fields[f"gate_{kind}_bias"] = ctx.array([wrap_int32(int(v)) for v in folded], "int32_t",
                                                f"{kind} FC biases, cell by cell, with the zero point and the "
                                                "layout's constants folded in")
    return fields


def _gate(ctx, name, dtype, in_scale, hidden_scale, input_size, cells) -> dict:
    """One tml_lstm_gate_params' fields (CreateGateParams; recurrent FC without bias)."""
    wi_n, wr_n, bias_n = GATE_TENSORS[name]
    wi = ctx.require_dtype(ctx.input(wi_n), ("int8",), f"{name} gate input weights")
    wr = ctx.require_dtype(ctx.input(wr_n), ("int8",), f"{name} gate recurrent weights")
    bias = ctx.require_dtype(ctx.input(bias_n), ("int32",) if dtype == "int8" else ("int64",), f"{name} gate bias")
    for t, shape in ((wi, (cells, input_size)), (wr, (cells, cells)), (bias, (cells,))):
        ctx.require_constant(t)
        if tuple(t.shape) != shape:
            raise ctx.unsupported(f"tensor #{t.index} '{t.name}' has shape {list(t.shape)}, expected {list(shape)}")
    scales = []
    for w in (wi, wr):
        q = w.quantization
        if q is None or q.per_channel or any(q.zero_point):
            raise ctx.unsupported(f"weights #{w.index} '{w.name}' must be per-tensor symmetric int8")
        scales.append(q.scale[0])
    mi, si = per_tensor_fc_multiplier(in_scale, scales[0], GATE_SCALE)
    mr, sr = per_tensor_fc_multiplier(hidden_scale, scales[1], GATE_SCALE)
    int16 = dtype == "int16"  # int8 weights and biases: _int8_gate_matrices
    return {"input_weights": ctx.ptr(wi) if int16 else None, "recurrent_weights": ctx.ptr(wr) if int16 else None,
            "input_bias64": ctx.ptr(bias) if int16 else None,
            "input_multiplier": mi, "recurrent_multiplier": mr, "input_shift": si, "recurrent_shift": sr,
            "input_rshift": requant_rshift(si), "recurrent_rshift": requant_rshift(sr)}
