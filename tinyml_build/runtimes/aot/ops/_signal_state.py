"""What the stateful Signal ops' lowerings share (signal_framer.py, signal_delay.py, ...), on top
of the Signal checks every Signal lowering uses (_signal.py) and the custom options reader
(OpContext.custom_options): option values in the range TFLM's kernel works in, and the shape facts
of the channel layout these ops keep state for.
"""

import math

from tinyml_build.model.reader import Tensor
from tinyml_build.runtimes.aot.ops._signal import option_in_range

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def int_option(ctx, key: str, position: int, low: int = INT32_MIN, high: int = INT32_MAX,
               why: str = "TFLM's kernel would index, shift or allocate out of range") -> int:
    """Custom option `key` as TFLM's ElementAsInt32(position) reads it, refused outside [low, high]."""
    return option_in_range(ctx, key, ctx.custom_options.int(key, position), low, high, why)


def channels(ctx, tensor: Tensor, role: str) -> tuple[int, int]:
    """(outer, innermost): the tensor as rows of its innermost dimension, as TFLM's kernels see it."""
    if len(tensor.shape) == 0 or tensor.elements == 0:
        raise ctx.unsupported(f"{role} tensor #{tensor.index} '{tensor.name}' has shape {list(tensor.shape)}; "
                              "the op needs at least one sample")
    return math.prod(tensor.shape[:-1]), tensor.shape[-1]


def require_shape(ctx, tensor: Tensor, shape, role: str) -> None:
    """TFLM's kernels size their loops by the options and the input; an output (or input) of another
    shape would be written past its end or left partly unwritten, so it is refused."""
    if tuple(tensor.shape) != tuple(shape):
        raise ctx.unsupported(f"{role} tensor #{tensor.index} '{tensor.name}' has shape {list(tensor.shape)}; "
                              f"the op's options and input make it {list(shape)}")


def valid_flag(ctx, n: int) -> Tensor:
    """Output n: the scalar bool 'output_valid' TFLM's Framer and Stacker Prepare require."""
    flag = ctx.require_dtype(ctx.output(n), ("bool",), "output_valid")
    if len(flag.shape) != 0:
        raise ctx.unsupported(f"output_valid tensor #{flag.index} '{flag.name}' has shape {list(flag.shape)}; "
                              "TFLM requires a scalar")
    return flag
