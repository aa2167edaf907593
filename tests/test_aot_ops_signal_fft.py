"""runtime=aot SignalRfft / SignalIrfft (issue 12 section 2) bit-exact with the pinned TFLM (kissfft v130).

Generated cases of both ops in int16, int32 and float32 over random fft_lengths TFLM can run (even,
half a product of 2s, 3s, 4s and 5s: every butterfly kissfft has, in every stage order), frames,
zero padding and inputs (all zero, all minimum, all maximum, uniform, every magnitude); judged by
the oracle, which needs kissfft pinned and resolved: without it the oracle lacks the ops and these
tests skip saying so. The micro_speech front end from the window to the log features runs end to end.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from test_aot_ops_signal import _custom, _single, _spread, energy_to_roots, pcan_and_log, window_and_scale
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import _kissfft_plan as plan
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.runtimes.aot.ops.signal_rfft import TYPES as FFT_TYPES
from tinyml_build.runtimes.aot.ops.signal_rfft import fft_length_refusal
from tinyml_build.verification.host_check import check_model
from tinyml_build.verification.oracle.select import PINNED, select_oracle

CUSTOM = fb.BuiltinOperator.CUSTOM
CASES = 35  # ops per generated model
MODELS = 2  # generated models per (op, type)
RUNS = 7  # inputs per model (fft_inputs)
# fft_length / 2 of the generated cases: every product of 2^a 3^b 5^c in 2..256 (radix 4 first, then
# 2, 3, 5: each stage combination kissfft uses) -- and 256, micro_speech's 512-point FFT, often.
HALVES = sorted(2 ** a * 3 ** b * 5 ** c for a in range(9) for b in range(6) for c in range(4)
                if 2 <= 2 ** a * 3 ** b * 5 ** c <= 256)


def _fft_length(rng) -> int:
    return 512 if rng.random() < 0.1 else 2 * int(rng.choice(HALVES))


def _frames(rng) -> list[int]:
    return [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]


def _options(dtype: str, fft_length: int) -> bytes:
    return flex_map({"T": int(FFT_TYPES[dtype][0]), "fft_length": fft_length})


def add_rfft(b, rng, dtype, n):
    """Frames of 1..fft_length samples (shorter ones zero-padded by the op), often exactly fft_length."""
    length = _fft_length(rng)
    samples = length if rng.random() < 0.5 else int(rng.integers(1, length + 1))
    frames = _frames(rng)
    x = b.tensor(f"x{n}", dtype, frames + [samples])
    y = b.tensor(f"y{n}", dtype, frames + [2 * (length // 2 + 1)])
    b.op(b.opcode(CUSTOM, custom="SignalRfft"), [x], [y],
         custom_options=_options(dtype, length))
    return [x], [y]


def add_irfft(b, rng, dtype, n):
    length = _fft_length(rng)
    frames = _frames(rng)
    x = b.tensor(f"x{n}", dtype, frames + [2 * (length // 2 + 1)])
    y = b.tensor(f"y{n}", dtype, frames + [length])
    b.op(b.opcode(CUSTOM, custom="SignalIrfft"), [x], [y],
         custom_options=_options(dtype, length))
    return [x], [y]


ADDERS = {"SignalRfft": add_rfft, "SignalIrfft": add_irfft}
TYPES = {op: tuple(FFT_TYPES) for op in ADDERS}


FLOAT_SPECIALS = np.array([0.0, -0.0, 1e-40, -1e-40, 1e30, -1e30, 1.0, -1.0], np.float32)


def _values(rng, dtype: str, shape: tuple, run: int) -> np.ndarray:
    """Run 0 all zero, 1 all minimum, 2 all maximum, 3 uniform, then every magnitude (_spread).
    float32: -0.0, 1.0, then uniform at scales 1e-3..1e30 with a tenth of denormals, signed zeros
    and +-1e30 -- finite and below 1e30, so no sum overflows: infinities and NaNs would compare NaN
    signs, which differ between x86 and Arm (see the aot README)."""
    if dtype != "float32":
        info = np.iinfo(dtype)
        if run < 3:
            return np.full(shape, (0, info.min, info.max)[run], dtype=dtype)
        if run == 3:
            return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
        return _spread(rng, np.dtype(dtype), shape)
    if run < 2:
        return np.full(shape, (-0.0, 1.0)[run], np.float32)
    scale = float(10.0 ** rng.uniform(-3, 30))
    values = rng.uniform(-scale, scale, shape).astype(np.float32)
    special = rng.random(shape) < 0.1
    values[special] = rng.choice(FLOAT_SPECIALS, int(special.sum()))
    return values


def fft_inputs(model, runs: int = RUNS, seed: int = 0) -> list[list[np.ndarray]]:
    """Per run one array per graph input, by its type (_values)."""
    rng = np.random.default_rng(seed)
    tensors = [model.main.tensors[index] for index in model.main.inputs]
    return [[_values(rng, t.dtype, tuple(t.shape), run) for t in tensors] for run in range(runs)]


def _every_type_model(cases_per_op: int, seed: int) -> bytes:
    """`cases_per_op` cases of both ops in every type, one model (one compile)."""
    b, rng = ModelBuilder(), np.random.default_rng(seed)
    n = 0
    for dtype in FFT_TYPES:
        for op in ADDERS:
            for _ in range(cases_per_op):
                xs, ys = ADDERS[op](b, rng, dtype, n)
                b.inputs += xs
                b.outputs += ys
                n += 1
    return b.build()


def skip_without_fft_oracle() -> None:
    """The pinned oracle registers SignalRfft/SignalIrfft only when kissfft (their kernels call it)
    is pinned and its sources resolve; without them nothing here can be judged."""
    oracle = select_oracle()
    if oracle.kind == PINNED and "SignalRfft" not in oracle.build.ops:
        pytest.skip(f"{oracle.name} does not run SignalRfft/SignalIrfft: kissfft is not pinned or its "
                    "sources do not resolve (tinyml-build deps)")


def _check(tmp_path, data: bytes, sanitize: bool = False) -> None:
    skip_without_fft_oracle()
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    aot_op_cases.skip_blind_spots(path)
    model = read_model(data, where=str(path), name="m")
    report = check_model(path, inputs=fft_inputs(model), sanitize=sanitize)
    aot_op_cases.assert_exact(report)


PARAMS = [(op, t, s) for op in ADDERS for t in TYPES[op] for s in range(MODELS)]


GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    _check(tmp_path, aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, CASES))


def test_both_ops_every_type_under_sanitizers(tmp_path):
    _check(tmp_path, _every_type_model(2, seed=5), sanitize=True)


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())


# --- kissfft's plan, computed at build time ------------------------------------------------------


def test_factors_are_kissfft_order():
    """kf_factor: 4s first, then 2s, then odd primes, the remainder last."""
    assert plan.factors(256) == [(4, 64), (4, 16), (4, 4), (4, 1)]
    assert plan.factors(240) == [(4, 60), (4, 15), (3, 5), (5, 1)]
    assert plan.factors(10) == [(2, 5), (5, 1)]
    assert plan.factors(14) == [(2, 7), (7, 1)]


def test_first_pass_order_is_kf_works_recursion():
    """The iterative order equals kf_work's recursive decimation (re-derived here the slow way)."""
    def recursive(n):
        out, stages = [0] * n, plan.factors(n)

        def work(at, start, stride, level):
            radix, m = stages[level]
            for k in range(radix):
                if m == 1:
                    out[at + k] = start + k * stride
                else:
                    work(at + k * m, start + k * stride, stride * radix, level + 1)

        work(0, 0, 1, 0)
        return out

    for n in (2, 3, 4, 5, 6, 12, 30, 60, 64, 100, 120, 240, 256, 360):
        assert plan.first_pass_order(n).tolist() == recursive(n), n


def test_twiddles_are_rounded_as_kissfft_rounds():
    """floor(0.5 + SAMP_MAX cos) fixed, (float)cos float: exact values at the quarter turns."""
    assert plan.twiddles(4, False, "int16") == [32767, 0, 0, -32767, -32767, 0, 0, 32767]
    assert plan.twiddles(4, True, "int32")[2:4] == [0, 2147483647]
    assert plan.super_twiddles(4, False, "float32")[0] == np.float32(np.cos(-np.pi * 0.75))


@pytest.mark.parametrize("length,message", [
    (2, "not an even number in 4..65536"),
    (513, "not an even number"),
    (14, "generic radix-7 butterfly"),
    (1 << 17, "not an even number in 4..65536"),
])
def test_fft_lengths_tflm_cannot_run_are_refused(length, message):
    assert message in fft_length_refusal(length)
    data = _one_op("SignalRfft", "int16", [length], [2 * (length // 2 + 1)], _options("int16", length))
    error = aot_op_cases.lower_error(data)
    assert "op #0 SignalRfft" in error and message in error, error


def test_lengths_the_suite_draws_are_accepted():
    assert all(fft_length_refusal(2 * half) is None for half in HALVES) and len(HALVES) > 30


def _one_op(name, dtype, in_shape, out_shape, options, out_dtype=None) -> bytes:
    return _single(name, [(dtype, in_shape)], [(out_dtype or dtype, out_shape)], options)


REFUSED = {
    "rfft frame longer than fft": ("SignalRfft", "int16", [65], [66], _options("int16", 64), None,
                                   "frames of 65 samples are longer than fft_length = 64"),
    "rfft output bins": ("SignalRfft", "int16", [64], [64], _options("int16", 64), None,
                         "not (fft_length / 2 + 1) x 2 = 66"),
    "rfft output frames": ("SignalRfft", "int16", [2, 64], [3, 66], _options("int16", 64), None,
                           "input of 2 frames and output of 198 values"),
    "irfft input bins": ("SignalIrfft", "int32", [64], [64], _options("int32", 64), None,
                         "input's innermost dimension 64 and output's 64"),
    "type option": ("SignalRfft", "int16", [64], [66], _options("int32", 64), None,
                    "custom option T = 2 does not name the tensors' type int16"),
    "output type": ("SignalIrfft", "float32", [66], [64], _options("float32", 64), "int16",
                    "output tensor #1 'out0' is int16"),
    "uint8": ("SignalRfft", "uint8", [64], [66], _options("int16", 64), None, "uint8"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_models_tflm_cannot_run_are_refused(case):
    name, dtype, in_shape, out_shape, options, out_dtype, message = REFUSED[case]
    error = aot_op_cases.lower_error(_one_op(name, dtype, in_shape, out_shape, options, out_dtype))
    assert f"op #0 {name}" in error and message in error, error


def test_tables_are_shared_between_ops_of_one_length():
    """Two SignalRfft ops of one length and type share their constant tables (ctx.array dedups)."""
    b = ModelBuilder()
    for n in range(2):
        x, y = b.tensor(f"x{n}", "int16", [512]), b.tensor(f"y{n}", "int16", [514])
        b.op(b.opcode(CUSTOM, custom="SignalRfft"), [x], [y],
             custom_options=_options("int16", 512))
        b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    program = lower_model(read_model(b.build(), where="m.tflite", name="m"))
    assert len(program.arrays) == 4  # stages, order, twiddles, super twiddles


# --- micro_speech's front end, window to log features ----------------------------------------------


def front_end_with_fft_model(size: int = 480, fft_length: int = 512, channels: int = 40) -> bytes:
    """micro_speech's audio preprocessor: Window -> FftAutoScale -> Rfft -> Energy -> FilterBank ->
    FilterBankSquareRoot -> FilterBankSpectralSubtraction -> PCAN -> FilterBankLog, with its shapes
    (480 samples, 512-point FFT, 257 bins, 40 channels) and the options of TFLM's
    audio_preprocessor_int8.tflite. Two differences from that model: the energy covers every bin
    (it takes bins 5..240 and zeroes the rest with CAST / STRIDED_SLICE / CONCATENATION of uint32),
    and the auto-scale shift is an output, the square root's scale bits a constant (the model
    itself, with both, is test_aot_audio_preprocessor.py's)."""
    rng = np.random.default_rng(3)
    bins = fft_length // 2 + 1
    b = ModelBuilder()
    audio = b.tensor("audio", "int16", [size])
    scaled, shift = window_and_scale(b, audio, size)
    spectrum = b.tensor("spectrum", "int16", [2 * bins])
    b.op(b.opcode(CUSTOM, custom="SignalRfft"), [scaled], [spectrum],
         custom_options=_options("int16", fft_length))
    roots = energy_to_roots(b, spectrum, bins, channels)
    cleaned, noise = b.tensor("cleaned", "uint32", [channels]), b.tensor("noise_estimate", "uint32", [channels])
    _custom(b, "SignalFilterBankSpectralSubtraction", [roots], [cleaned, noise],
            {"alternate_one_minus_smoothing": 15401, "alternate_smoothing": 983, "clamping": False,
             "min_signal_remaining": 819, "num_channels": channels, "one_minus_smoothing": 15975,
             "smoothing": 409, "smoothing_bits": 10, "spectral_subtraction_bits": 14})
    features = pcan_and_log(b, rng, cleaned, noise, channels, 64)
    b.inputs, b.outputs = [audio], [shift, spectrum, features]
    return b.build()


def test_front_end_with_fft_bit_exact(tmp_path):
    _check(tmp_path, front_end_with_fft_model())


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_generated_cases_and_front_end_on_cortex_m4():
    """Two QEMU runs: 4 generated cases of each op in each type, and the front end, on every input run."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    skip_without_fft_oracle()
    for data, name in ((_every_type_model(4, seed=29), "fft_ops"), (front_end_with_fft_model(), "front_end_fft")):
        model = read_model(data, where=f"{name}.tflite", name=name)
        report = check_on_cortex_m(model, inputs=fft_inputs(model))
        aot_op_cases.assert_exact(report)
