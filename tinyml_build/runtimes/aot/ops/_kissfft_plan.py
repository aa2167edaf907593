"""kissfft v130's plan for an n-point complex FFT, computed at build time (SignalRfft/SignalIrfft).

Why in Python: TFLM's FFT (kissfft, through signal/src/kiss_fft_wrappers) computes its twiddles with
libm's double cos/sin when the op is set up, and its result depends on every rounding of them. The
same formulas evaluated here with the host's libm (Python's math module calls it) give the very
tables TFLM holds, which the kernel then reads from flash: the target needs no libm and no setup.
The factorisation and the first pass's input order are kissfft's too, so the kernel's butterflies
run on the same data in the same radices. Written from kissfft's documented behaviour (read, not
copied): kf_factor, kiss_fft_alloc, kiss_fftr_alloc and kf_work's recursion.
"""

import math

import numpy as np

# kissfft's fixed-point full scale per sample type (SAMP_MAX); float twiddles are rounded to float.
FULL_SCALE = {"int16": 32767, "int32": 2147483647}
RADICES = (2, 3, 4, 5)  # the butterflies TFLM can run: its generic one allocates (patched to NULL)


def factors(n: int) -> list[tuple[int, int]]:
    """kf_factor: (radix, remaining length) per stage, outermost first: 4s, then 2s, then odd primes
    up to floor(sqrt(n)), then what is left as one radix."""
    limit = math.floor(math.sqrt(n))
    radix, stages = 4, []
    while True:
        while n % radix:
            radix = {4: 2, 2: 3}.get(radix, radix + 2)
            if radix > limit:
                radix = n
        n //= radix
        stages.append((radix, n))
        if n <= 1:
            return stages


def stage_table(n: int) -> list[tuple[int, int, int]]:
    """(radix, m, fstride) of each stage, outermost first: kf_work runs the radix-p butterflies of
    stage s on n / (p m) = fstride contiguous blocks of p m points, twiddles stepped by fstride."""
    table, stride = [], 1
    for radix, m in factors(n):
        table.append((radix, m, stride))
        stride *= radix
    return table


def first_pass_order(n: int) -> np.ndarray:
    """Input index of each position after kf_work's innermost copies (kissfft's decimation order)."""
    order = np.zeros(1, np.int64)
    for radix, _m in reversed(factors(n)):
        # one level out: block k reads inputs k, k + radix, ... in the inner level's order
        order = (np.arange(radix)[:, None] + radix * order[None, :]).reshape(-1)
    return order


def _scalar(value: float, dtype: str):
    """kf_cexp's rounding of one cos/sin value: floor(.5 + SAMP_MAX * v) fixed, (float)v float."""
    if dtype == "float32":
        return np.float32(value)
    return math.floor(0.5 + FULL_SCALE[dtype] * value)


def twiddles(n: int, inverse: bool, dtype: str) -> list:
    """kiss_fft_alloc's twiddles, interleaved re, im: exp(-+2 pi i k / n)."""
    out = []
    for k in range(n):
        phase = -2 * math.pi * k / n
        if inverse:
            phase *= -1
        out += [_scalar(math.cos(phase), dtype), _scalar(math.sin(phase), dtype)]
    return out


def super_twiddles(n: int, inverse: bool, dtype: str) -> list:
    """kiss_fftr_alloc's n / 2 twiddles of the real split: exp(-+pi i ((k + 1) / n + 1/2))."""
    out = []
    for k in range(n // 2):
        phase = -math.pi * ((k + 1) / n + 0.5)
        if inverse:
            phase *= -1
        out += [_scalar(math.cos(phase), dtype), _scalar(math.sin(phase), dtype)]
    return out


def unsupported_radix(n: int) -> int | None:
    """The first radix outside 2, 3, 4, 5 kissfft would use for n points (None: all supported)."""
    return next((radix for radix, _m in factors(n) if radix not in RADICES), None)
