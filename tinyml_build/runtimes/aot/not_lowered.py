"""Why runtime=aot has no lowering for an op TFLM runs, where the reason is more than "not yet":
the missing-op refusal (lower.lower_model) names it, so the user learns what to change.

Why a table: these are decisions with a cause, not gaps to discover; an op leaves it when it gains
a lowering (ops/<op>.py).
"""

WHY_NOT = {
    "TFLM_DECODE": (
        "TFLM_DECODE is TFLM's compression (its compression tool's output): it decodes constant tensors with "
        "ancillary data (LUT, pruning or Huffman decode, kernels/decode_state_*.cc) into the arena before the "
        "ops that use them; aot has not implemented these decoders yet (its weights are already constants in "
        "flash, so it would decode them at build time, which gives up the compression's flash saving)",
        "build the model as it was before TFLM's compression tool (the uncompressed .tflite), or use "
        "runtime=tflm"),
}


def reason(op_name: str) -> tuple[str, str] | None:
    """(why aot does not lower `op_name`, what to do), or None when it is simply not implemented."""
    return WHY_NOT.get(op_name)
