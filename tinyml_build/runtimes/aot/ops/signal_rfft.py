"""SignalRfft / SignalIrfft (TFLM Signal library): kissfft's real FFT and its inverse, per frame.

TFLM's kernels (signal/micro/kernels/rfft.cc, irfft.cc) read the sample type from option "T" and
fft_length from the options' entry 1, and set kissfft up in Init. kissfft computes an fft_length
real FFT as an fft_length / 2 complex one; TFLM's build of it can only run radices 2, 3, 4 and 5
(its generic butterfly allocates scratch, which TFLM patches to NULL) and rejects odd lengths, so
any other fft_length is refused here with the radix it would need. One module for both ops: they
share the options, the tables and every check but the shapes' direction.
"""

import numpy as np

from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.ops import _kissfft_plan as plan
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, signal_tensor

TYPE, FFT_LENGTH = ("T", 0), ("fft_length", 1)  # (key, position; TFLM reads T by name, fft_length at 1)
# dtype -> (TensorType of option T, kernel suffix, C type of the twiddle tables)
TYPES = {"int16": (fb.TensorType.INT16, "s16", "int16_t"), "int32": (fb.TensorType.INT32, "s32", "int32_t"),
         "float32": (fb.TensorType.FLOAT32, "f32", "float")}
MAX_FFT_LENGTH = 1 << 16  # the first-pass order is a uint16 table of fft_length / 2 entries
FIX = "re-export the model with an even fft_length whose half is a product of 2s, 3s and 5s (e.g. 256, 512)"


def fft_length_refusal(fft_length: int) -> str | None:
    """Why TFLM cannot run an fft_length (None: it can)."""
    if fft_length % 2 or not 4 <= fft_length <= MAX_FFT_LENGTH:
        return f"fft_length = {fft_length} is not an even number in 4..{MAX_FFT_LENGTH} (kissfft's real FFT " \
               "needs an even length; 2 would make TFLM's kissfft run its generic butterfly)"
    radix = plan.unsupported_radix(fft_length // 2)
    if radix is not None:
        return f"fft_length = {fft_length} needs kissfft's generic radix-{radix} butterfly, which TFLM's " \
               "patched kissfft cannot run (it allocates its scratch with a malloc patched to NULL)"
    return None


def _setup(ctx):
    """(input, output, n = fft_length / 2) after the checks both ops share."""
    io_count(ctx, 1, 1)
    x = ctx.require_dtype(ctx.input(0), tuple(TYPES), "input")
    y = signal_tensor(ctx, ctx.output(0), x.dtype, "output", rank=len(x.shape))
    if len(x.shape) < 1:
        raise ctx.unsupported("input is a scalar; TFLM's kernel reads its innermost dimension")
    declared = ctx.custom_options.int(*TYPE)
    if declared != TYPES[x.dtype][0]:
        raise ctx.unsupported(f"custom option T = {declared} does not name the tensors' type {x.dtype} "
                              f"(TensorType {TYPES[x.dtype][0]}): TFLM's Prepare would reject it",
                              fix="re-export the model with T matching the input type")
    fft_length = ctx.custom_options.int(*FFT_LENGTH)
    refusal = fft_length_refusal(fft_length)
    if refusal:
        raise ctx.unsupported(refusal, fix=FIX)
    return x, y, fft_length // 2


def _params(ctx, dtype: str, n: int, inverse: bool, frames: int, in_len: int) -> str:
    ctype = TYPES[dtype][2]
    stages = plan.stage_table(n)
    return ctx.params("tml_signal_fft_params", {
        "n": n, "stages": len(stages),
        "stage": ctx.array(np.array(stages, np.int64).reshape(-1), "int32_t", "kissfft stages (radix, m, fstride)"),
        "order": ctx.array(plan.first_pass_order(n), "uint16_t", "kissfft first-pass input order"),
        "twiddles": ctx.array(plan.twiddles(n, inverse, dtype), ctype, "kissfft twiddles"),
        "super_twiddles": ctx.array(plan.super_twiddles(n, inverse, dtype), ctype, "kiss_fftr split twiddles"),
        "inverse": int(inverse), "frames": frames, "in_len": in_len,
    })


def _frames_or_refuse(ctx, x, y, out_len: int, what: str, in_len: int | None = None) -> int:
    """Frames of the innermost dimensions, refused unless the output holds exactly what TFLM writes."""
    if (in_len is not None and x.shape[-1] != in_len) or y.shape[-1] != out_len:
        raise ctx.unsupported(what)
    frames = x.elements // x.shape[-1] if x.shape[-1] else 0
    if y.elements != frames * out_len:
        raise ctx.unsupported(f"input of {frames} frames and output of {y.elements} values: TFLM writes "
                              f"{frames} x {out_len} (fewer would be written past, more left unwritten)")
    return frames


@register("SignalRfft")
def lower_rfft(ctx) -> None:
    x, y, n = _setup(ctx)
    in_len = x.shape[-1]
    if in_len > 2 * n:
        raise ctx.unsupported(f"frames of {in_len} samples are longer than fft_length = {2 * n} (TFLM would "
                              "zero-pad with a negative length)", fix="re-export with fft_length >= the frame")
    frames = _frames_or_refuse(ctx, x, y, 2 * (n + 1),
                               f"output's innermost dimension is {y.shape[-1]}, not (fft_length / 2 + 1) x 2 = "
                               f"{2 * (n + 1)} (TFLM writes fft_length / 2 + 1 complex bins per frame)")
    if frames == 0:
        return
    suffix, size = TYPES[x.dtype][1], np.dtype(x.dtype).itemsize
    ctx.call(f"tml_signal_rfft_{suffix}", _params(ctx, x.dtype, n, False, frames, in_len), ctx.input_ptr(0),
             ctx.output_ptr(0), ctx.scratch(2 * n * size), kernel="signal_rfft")


@register("SignalIrfft")
def lower_irfft(ctx) -> None:
    x, y, n = _setup(ctx)
    frames = _frames_or_refuse(ctx, x, y, 2 * n,
                               f"input's innermost dimension {x.shape[-1]} and output's {y.shape[-1]} are not "
                               f"(fft_length / 2 + 1) x 2 = {2 * (n + 1)} and fft_length = {2 * n} (TFLM reads "
                               "fft_length / 2 + 1 complex bins and writes fft_length samples per frame)",
                               in_len=2 * (n + 1))
    if frames == 0:
        return
    suffix, size = TYPES[x.dtype][1], np.dtype(x.dtype).itemsize
    ctx.call(f"tml_signal_irfft_{suffix}", _params(ctx, x.dtype, n, True, frames, 2 * (n + 1)), ctx.input_ptr(0),
             ctx.output_ptr(0), ctx.scratch(2 * n * size), kernel="signal_rfft")
