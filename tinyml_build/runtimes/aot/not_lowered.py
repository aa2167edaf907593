"""Why runtime=aot has no lowering for an op TFLM runs, where the reason is more than "not yet":
the missing-op refusal (lower.lower_model) names it, so the user learns what to change.

Why a table: these are decisions with a cause, not gaps to discover; an op leaves it when it gains
a lowering (ops/<op>.py).
"""

# Empty today: TFLM_DECODE, the last entry, is decoded at build time (decode_fold.py); an Ethos-U
# NPU op is refused before lowering for both runtimes (analysis/npu_ops.py).
WHY_NOT: dict[str, tuple[str, str]] = {}


def reason(op_name: str) -> tuple[str, str] | None:
    """(why aot does not lower `op_name`, what to do), or None when it is simply not implemented."""
    return WHY_NOT.get(op_name)
