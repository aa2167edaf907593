"""UNIDIRECTIONAL_SEQUENCE_LSTM with float32 activations, weights, biases and states.

TFLM's float path (PrepareGateParametersFloat, CreateLstmCellStateInfoFloat) has no build-time
numbers beyond the cell clip: every gate is an unclamped float FC, so the lowering only checks
types and shapes and points the kernel at the eight weight matrices and four biases. Unlike the
integer paths it needs no TFLM table; expf/tanhf come from the libm the image links.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops._lstm import GATE_TENSORS, GATES, LstmGeometry


def lower_float(ctx, g: LstmGeometry) -> None:
    gates = [_gate(ctx, name, g) for name in GATES]
    clip = float(np.float32(ctx.options.get("cell_clip", 0.0) or 0.0))
    params = ctx.params("tml_lstm_f32_params", {
        "gates": gates,
        "batches": g.batches, "time_steps": g.steps, "input_size": g.input_size, "cells": g.cells,
        "time_major": int(g.time_major),
        "cell_clip": clip if clip > 0 else 0.0,  # UpdateLstmCell clips only when cell_clip > 0
    })
    scratch = f"(float *){ctx.scratch(4 * g.cells * 4)}"  # the four gate outputs of one row
    ctx.call("tml_lstm_f32", params, ctx.input_ptr(0), ctx.ptr(g.hidden, const=False), ctx.ptr(g.cell, const=False),
             ctx.output_ptr(0), scratch, kernel="unidirectional_sequence_lstm_f32")


def _gate(ctx, name: str, g: LstmGeometry) -> dict:
    """One tml_lstm_f32_gate_params (ValidateTensorStatus: all weights and biases one type)."""
    wi_n, wr_n, bias_n = GATE_TENSORS[name]
    wi = ctx.require_dtype(ctx.input(wi_n), ("float32",), f"{name} gate input weights")
    wr = ctx.require_dtype(ctx.input(wr_n), ("float32",), f"{name} gate recurrent weights")
    bias = ctx.require_dtype(ctx.input(bias_n), ("float32",), f"{name} gate bias")
    for t, shape in ((wi, (g.cells, g.input_size)), (wr, (g.cells, g.cells)), (bias, (g.cells,))):
        ctx.require_constant(t)
        if tuple(t.shape) != shape:
            raise ctx.unsupported(f"tensor #{t.index} '{t.name}' has shape {list(t.shape)}, expected {list(shape)}")
    return {"input_weights": ctx.ptr(wi), "recurrent_weights": ctx.ptr(wr), "bias": ctx.ptr(bias)}
