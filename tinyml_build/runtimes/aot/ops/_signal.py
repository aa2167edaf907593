"""Checks shared by the TFLM Signal library lowerings (ops/signal_*.py).

Why: every Signal kernel asserts its tensors' ranks and types in Prepare (TF_LITE_ENSURE_EQ),
and TFLM refuses a model that breaks them; the aot lowering refuses the same models at build
time, with a message naming the tensor, instead of generating C for a model TFLM cannot run.
"""

from tinyml_build.model.reader import Tensor


def signal_tensor(ctx, tensor: Tensor | None, dtype: str, role: str, rank: int | None = None) -> Tensor:
    """`tensor` after checking its type and, when given, its rank (as the kernel's Prepare)."""
    tensor = ctx.require_dtype(tensor, (dtype,), role)
    if rank is not None and len(tensor.shape) != rank:
        raise ctx.unsupported(f"{role} tensor #{tensor.index} '{tensor.name}' has rank {len(tensor.shape)}; "
                              f"TFLM's kernel requires rank {rank}")
    return tensor


def io_count(ctx, inputs: int, outputs: int) -> None:
    """The op has exactly `inputs` inputs and `outputs` outputs (TFLM's NumInputs/NumOutputs checks)."""
    if len(ctx.op.inputs) != inputs or len(ctx.op.outputs) != outputs:
        raise ctx.unsupported(f"has {len(ctx.op.inputs)} inputs and {len(ctx.op.outputs)} outputs; "
                              f"TFLM's kernel takes {inputs} and {outputs}")


def option_in_range(ctx, key: str, value: int, low: int, high: int, why: str) -> int:
    """`value` of custom option `key`, refused outside [low, high] (`why`: what breaks outside)."""
    if not low <= value <= high:
        raise ctx.unsupported(f"custom option {key} = {value} is outside {low}..{high} ({why})",
                              fix="re-export the model with a valid value")
    return value
