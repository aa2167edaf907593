"""CIRCULAR_BUFFER (int8): TFLM's streaming window (kernels/circular_buffer.cc), what strided
streaming convolutions put in front of a CONV_2D. Each invoke appends the input frame to the last
num_slots frames; every cycles_max-th invoke the op outputs them and the model runs on, otherwise
invoke() stops there with TML_NOT_READY (TFLM: kTfLiteAbort), so the ops after it do not run.
State (the window and the countdown) lives outside the arena and init() resets it (as TFLM's
Prepare sets the countdown; TFLM's window is its output tensor, zeros in a fresh arena).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import INT32_MAX, int_option

KERNEL = "circular_buffer"


def _window_shape(ctx):
    """(slots, depth) after TFLM's Prepare checks (rank 4, input [b, 1, h, w], output [b, slots, h, w]);
    batch and slots outside what its Eval handles are refused: it shifts only batch 0 and would move
    a negative byte count with no slot."""
    x = ctx.require_dtype(ctx.input(0), ("int8",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise ctx.unsupported(f"input {list(x.shape)} and output {list(y.shape)} must both have rank 4 "
                              "(TFLM's kernel reads dimensions 0..3)")
    if x.shape[1] != 1 or x.shape[0] != y.shape[0] or x.shape[2:] != y.shape[2:]:
        raise ctx.unsupported(f"input {list(x.shape)} and output {list(y.shape)}: TFLM requires input [b, 1, h, w] "
                              "and output [b, slots, h, w]")
    if y.shape[0] != 1:
        raise ctx.unsupported(f"batch {y.shape[0]}: TFLM's kernel shifts only the first batch and leaves the "
                              "others unwritten; use batch 1")
    if y.shape[1] < 1:
        raise ctx.unsupported("the output has no slot (dimension 1 is 0): TFLM's kernel would move a negative "
                              "byte count")
    return y.shape[1], y.shape[2] * y.shape[3]


def _cycles_max(ctx) -> int:
    """The custom option cycles_max (position 0, as CircularBufferInit reads it). TFLM replaces a
    missing or non-positive value by a guess from the output shape and a process-wide count of
    Prepare calls (circular_buffer_common.cc), which depends on every model the process set up
    before: aot refuses it rather than guess the same."""
    if not ctx.op.custom_options:
        raise ctx.unsupported(
            "has no custom options: TFLM then guesses cycles_max from the output shape and a count of "
            "CIRCULAR_BUFFER Prepare calls kept across every model the process set up",
            fix="set the custom option cycles_max (a FlexBuffer map) in the model, or use runtime=tflm")
    return int_option(ctx, "cycles_max", 0, 1, INT32_MAX,
                      "TFLM guesses a value <= 0 from the output shape and a process-wide count of Prepare calls")


@register("CIRCULAR_BUFFER")
def lower(ctx) -> None:
    io_count(ctx, 1, 1)
    if ctx.subgraph:
        raise ctx.unsupported("runs in a called subgraph: aot stops only the main subgraph's invoke() "
                              "when the op is not ready")
    slots, depth = _window_shape(ctx)
    cycles_max = _cycles_max(ctx)
    ring = ctx.state("int8_t", slots * depth, f"the last {slots} frames of {depth} values")
    cursor = ctx.state("int32_t", 2, "the oldest slot and the invokes left until the op runs")
    params = ctx.params("tml_circular_buffer_s8_params", {
        "slots": slots, "depth": depth, "cycles_max": cycles_max, "ring": ring, "cursor": cursor})
    ctx.on_init("tml_circular_buffer_s8_reset", params, kernel=KERNEL)
    ctx.call("tml_circular_buffer_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel=KERNEL, not_ready=True)
