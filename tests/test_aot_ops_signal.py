"""runtime=aot TFLM Signal library ops (issue 12 section 2) bit-exact with the pinned TFLM.

The custom ops of TFLM's audio front end (signal/micro/kernels) take int16, int32, uint32 and
uint64 tensors and FlexBuffer options; these tests cover the types end to end (test inputs,
golden data, C constants) and each op through seeded generated models judged by the oracle.
"""

import re
import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.errors import ModelError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import c_literal, lower_model
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification import golden
from tinyml_build.verification.golden import TensorSpec
from tinyml_build.verification.host_check import check_model, compile_program, run_program, run_tflm


def test_unsigned_wide_types_get_whole_range_test_inputs():
    """Energies and filter bank sums are uint32/uint64: random and edge inputs span the whole type."""
    rng = np.random.default_rng(0)
    for dtype, top in (("uint32", (1 << 32) - 1), ("uint64", (1 << 64) - 1)):
        spec = TensorSpec("x", dtype, (4096,), 4096 * (4 if dtype == "uint32" else 8))
        values = golden.random_input(spec, rng)
        assert values.dtype == np.dtype(f"<u{spec.nbytes // 4096}") and values.max() > top // 2
        edges = dict(golden.edge_inputs(_model_with_input(dtype), spec, 0))
        assert int(edges["all-max"][0]) == top and int(edges["all-min"][0]) == 0


def _model_with_input(dtype):
    b = ModelBuilder()
    x, y = b.tensor("x", dtype, [4096]), b.tensor("y", dtype, [4096])
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="TmlIdentity"), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return read_model(b.build())


def test_uint64_constants_are_exact_c_literals():
    assert c_literal(np.uint64((1 << 64) - 1), "uint64_t") == "18446744073709551615ULL"
    assert c_literal(np.uint32(0xFFFFFFFF), "uint32_t") == "4294967295u"


# --- generated cases of every Signal op, judged by the oracle -----------------------------------


CASES = 52  # ops per generated model
MODELS = 4  # generated models per op
RUNS = 7  # all-zero, all-min, all-max, then random runs (see signal_inputs)
CUSTOM = fb.BuiltinOperator.CUSTOM


def _custom(b, name, inputs, outputs, options: dict | None):
    b.op(b.opcode(CUSTOM, custom=name), inputs, outputs,
         custom_options=flex_map(options) if options is not None else None)


def _int16_table(rng, size, low=-32768, high=32767):
    return rng.integers(low, high, size=size, endpoint=True).astype(np.int16)


def _spread(rng, dtype, shape):
    """Values of every magnitude: a uniform bit length, then uniform bits below it (and a sign);
    int16 also gets -32768 now and then (SignalFftAutoScale's running-max quirk)."""
    info = np.iinfo(dtype)
    bits = info.bits - (1 if info.min < 0 else 0)
    lengths = rng.integers(0, bits + 1, size=shape)
    top = np.left_shift(np.ones(shape, np.uint64), lengths.astype(np.uint64), dtype=np.uint64) \
        if bits == 64 else None
    if top is None:
        magnitudes = (rng.integers(0, 1 << 62, size=shape) % (np.int64(1) << lengths)).astype(np.int64)
        values = np.where(rng.random(shape) < 0.5, -magnitudes, magnitudes) if info.min < 0 else magnitudes
        if dtype == np.int16:
            values = np.where(rng.random(shape) < 0.02, -32768, values)
        return np.clip(values, info.min, info.max).astype(dtype)
    raw = rng.integers(0, info.max, size=shape, endpoint=True, dtype=np.uint64)
    return np.where(lengths >= 64, raw, raw & (top - np.uint64(1))).astype(dtype)


def signal_inputs(model, runs: int = RUNS, seed: int = 0) -> list[list[np.ndarray]]:
    """Per run one array per graph input: all zero, all minimum, all maximum, uniform over the type,
    then values of every magnitude (_spread), where the log, square root, gain and auto-scale
    kernels branch."""
    rng = np.random.default_rng(seed)
    result = []
    for run in range(runs):
        arrays = []
        for index in model.main.inputs:
            tensor = model.main.tensors[index]
            dtype = np.dtype(tensor.dtype)
            info = np.iinfo(dtype)
            if run < 3:
                arrays.append(np.full(tensor.shape, (0, info.min, info.max)[run], dtype=dtype))
            elif run == 3:
                arrays.append(rng.integers(info.min, info.max, size=tensor.shape, endpoint=True, dtype=dtype))
            else:
                arrays.append(_spread(rng, dtype, tuple(tensor.shape)))
        result.append(arrays)
    return result


def _check_signal(tmp_path, data: bytes, sanitize: bool = False) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    aot_op_cases.skip_blind_spots(path)
    model = read_model(data, where=str(path), name="m")
    report = check_model(path, inputs=signal_inputs(model), sanitize=sanitize)
    aot_op_cases.assert_exact(report)


def _single(name, inputs, outputs, options, constants=()) -> bytes:
    """One Signal op: `inputs`/`outputs` are (dtype, shape) pairs; `constants` maps an input position
    to its constant values."""
    b = ModelBuilder()
    constants = dict(constants)
    ins = [b.tensor(f"in{i}", dtype, shape, data=constants.get(i)) for i, (dtype, shape) in enumerate(inputs)]
    outs = [b.tensor(f"out{i}", dtype, shape) for i, (dtype, shape) in enumerate(outputs)]
    b.op(b.opcode(CUSTOM, custom=name), ins, outs, custom_options=options)
    b.inputs = [t for i, t in enumerate(ins) if i not in constants]
    b.outputs = outs
    return b.build()


ADDERS: dict = {}  # op -> add_<op>(builder, rng, dtype, n): one section per op below
TYPES: dict = {}  # op -> its input type (each Signal kernel has one)


def add_window(b, rng, dtype, n):
    size = int(rng.integers(1, 65))
    frames = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
    # a Q14 window (what the front end makes) or arbitrary int16 weights
    weights = _int16_table(rng, size, 0, 1 << 14) if rng.random() < 0.5 else _int16_table(rng, size)
    shift = int(rng.integers(10, 16)) if rng.random() < 0.5 else int(rng.integers(0, 32))
    x = b.tensor(f"x{n}", "int16", frames + [size])
    w = b.tensor(f"w{n}", "int16", [size], data=weights)
    y = b.tensor(f"y{n}", "int16", frames + [size])
    _custom(b, "SignalWindow", [x, w], [y], {"shift": shift})
    return [x], [y]


ADDERS["SignalWindow"], TYPES["SignalWindow"] = add_window, ("int16",)


def add_energy(b, rng, dtype, n, ranges: list | None = None):
    """Every bin (start_index 0, end_index the bin count); with `ranges` (a list collecting
    (start, end)) a random sub-range: TFLM leaves the other bins unwritten (test_energy_sub_range)."""
    bins = int(rng.integers(1, 41))
    start, end = 0, bins
    if ranges is not None:
        start = int(rng.integers(0, bins + 1))
        end = int(rng.integers(start, bins + 1))
        ranges.append((start, end))
    x = b.tensor(f"x{n}", "int16", [2 * bins + 2 * int(rng.integers(0, 3))])
    y = b.tensor(f"y{n}", "uint32", [bins])
    _custom(b, "SignalEnergy", [x], [y], {"end_index": end, "start_index": start})
    return [x], [y]


ADDERS["SignalEnergy"], TYPES["SignalEnergy"] = add_energy, ("int16",)


def test_energy_sub_range(tmp_path):
    """TFLM writes only bins start_index..end_index-1 and leaves the others as the arena held them
    (stale bytes that vary per run); aot writes 0 there. Written bins are compared bit for bit."""
    rng = np.random.default_rng(17)
    b, ranges = ModelBuilder(), []
    for n in range(CASES):
        xs, ys = add_energy(b, rng, "int16", n, ranges)
        b.inputs += xs
        b.outputs += ys
    model = read_model(b.build(), where="m.tflite", name="m")
    program = lower_model(model)
    inputs = signal_inputs(model)
    exe = compile_program(tmp_path, render(program), program, sanitize=False)
    aot, _ = run_program(exe, tmp_path, model, inputs)
    tflm, _ = run_tflm(model, inputs)
    outside = 0
    for run in range(len(inputs)):
        for k, (start, end) in enumerate(ranges):
            assert np.array_equal(aot[run][k][start:end], tflm[run][k][start:end]), (run, k, start, end)
            assert not aot[run][k][:start].any() and not aot[run][k][end:].any(), (run, k)
            outside += aot[run][k].size - (end - start)
    assert outside > 0


def test_energy_options_are_read_at_tflms_positions():
    """end_index sorts before start_index, so TFLM's EnergyInit reads end_index at 0, start_index at 1:
    a map whose keys sort otherwise (an extra key) is refused rather than read by name."""
    options = flex_map({"end_index": 2, "extra": 0, "start_index": 1})
    with pytest.raises(ModelError, match="'start_index' is entry 2 of the options map"):
        lower_model(read_model(_single("SignalEnergy", [("int16", [8])], [("uint32", [4])], options)))


def _filter_bank_tables(rng, spectrum: int, channels: int):
    """Random channel tables within the spectrum: widths 0..8 (some <= 0, read nothing), weights
    mostly the front end's 0..4096, sometimes negative."""
    widths = rng.integers(-1, 9, size=channels + 1)
    widths = np.minimum(widths, spectrum)
    weight_count = int(max(1, widths.max(initial=1))) + int(rng.integers(0, 16))
    freq = np.array([int(rng.integers(0, spectrum - max(w, 0) + 1)) for w in widths])
    start = np.array([int(rng.integers(0, weight_count - max(w, 0) + 1)) for w in widths])
    low = -4096 if rng.random() < 0.3 else 0
    weights = _int16_table(rng, weight_count, low, 4096) if rng.random() < 0.8 else _int16_table(rng, weight_count)
    unweights = _int16_table(rng, weight_count, low, 4096)
    return [t.astype(np.int16) for t in (weights, unweights, freq, start, widths)]


def _filter_bank(b, x, n, rng, spectrum, channels, out_count):
    tables = _filter_bank_tables(rng, spectrum, channels)
    names = ("weights", "unweights", "freq_starts", "weight_starts", "widths")
    consts = [b.tensor(f"{name}{n}", "int16", [len(t)], data=t) for name, t in zip(names, tables)]
    y = b.tensor(f"fb{n}", "uint64", [out_count])
    _custom(b, "SignalFilterBank", [x, *consts], [y], {"num_channels": channels})
    return y


def add_filter_bank(b, rng, dtype, n):
    spectrum, channels = int(rng.integers(1, 65)), int(rng.integers(1, 13))
    x = b.tensor(f"x{n}", "uint32", [spectrum])
    out = channels if rng.random() < 0.8 else int(rng.integers(1, channels + 1))
    return [x], [_filter_bank(b, x, n, rng, spectrum, channels, out)]


ADDERS["SignalFilterBank"], TYPES["SignalFilterBank"] = add_filter_bank, ("uint32",)


def _filter_bank_single(widths, freq, starts, channels=2, out=2, spectrum=8, weights=4) -> bytes:
    tables = {1: np.ones(weights, np.int16), 2: np.ones(weights, np.int16), 3: np.array(freq, np.int16),
              4: np.array(starts, np.int16), 5: np.array(widths, np.int16)}
    inputs = [("uint32", [spectrum])] + [("int16", [len(tables[i])]) for i in range(1, 6)]
    return _single("SignalFilterBank", inputs, [("uint64", [out])], flex_map({"num_channels": channels}), tables)


@pytest.mark.parametrize("tables,message", [
    (dict(widths=[1, 2, 9], freq=[0, 0, 0], starts=[0, 0, 0]), "channel 2 reads input elements 0..8 of 8"),
    (dict(widths=[1, 2, 2], freq=[0, 0, 0], starts=[0, 3, 0]), "channel 1 reads weights elements 3..4 of 4"),
    (dict(widths=[1, 2, 2], freq=[0, -1, 0], starts=[0, 0, 0]), "channel 1 reads input elements -1..0"),
    (dict(widths=[1, 2], freq=[0, 0], starts=[0, 0]), "needs 3 each"),
    (dict(widths=[1, 2, 2], freq=[0, 0, 0], starts=[0, 0, 0], out=3), "output of 3 values from num_channels = 2"),
])
def test_filter_bank_tables_are_checked(tables, message):
    error = aot_op_cases.lower_error(_filter_bank_single(**tables))
    assert "op #0 SignalFilterBank" in error and message in error, error


def test_filter_bank_channels_of_no_width_read_nothing(tmp_path):
    """A channel of width <= 0 reads nothing in TFLM, whatever its starts say: built, bit-exact."""
    _check_signal(tmp_path, _filter_bank_single(widths=[0, -3, 2], freq=[-100, 500, 6], starts=[9, -9, 2]))


def add_filter_bank_square_root(b, rng, dtype, n):
    """Constant scale bits, or (every other case) run-time ones: SignalFftAutoScale's shift of an int16
    input, as TFLM's audio preprocessor computes them (read at run time, range-checked by the kernel)."""
    size = int(rng.integers(1, 33))
    x = b.tensor(f"x{n}", "uint64", [size])
    y = b.tensor(f"y{n}", "uint32", [size])
    if rng.random() < 0.5:
        bits = b.tensor(f"bits{n}", "int32", [], data=np.array(int(rng.integers(0, 32)), np.int32))
        _custom(b, "SignalFilterBankSquareRoot", [x, bits], [y], None)
        return [x], [y]
    frame_size = int(rng.integers(1, 33))
    frame = b.tensor(f"frame{n}", "int16", [frame_size])
    scaled = b.tensor(f"scaled{n}", "int16", [frame_size])
    bits = b.tensor(f"bits{n}", "int32", [])
    _custom(b, "SignalFftAutoScale", [frame], [scaled, bits], None)
    _custom(b, "SignalFilterBankSquareRoot", [x, bits], [y], None)
    return [x, frame], [y]


ADDERS["SignalFilterBankSquareRoot"], TYPES["SignalFilterBankSquareRoot"] = add_filter_bank_square_root, ("uint64",)


def add_filter_bank_log(b, rng, dtype, n):
    size = int(rng.integers(1, 33))
    x = b.tensor(f"x{n}", "uint32", [size])
    y = b.tensor(f"y{n}", "int16", [size])
    bits = int(rng.integers(0, 4)) if rng.random() < 0.7 else int(rng.integers(0, 32))
    scale = int(rng.integers(1, 4096)) if rng.random() < 0.7 else int(rng.integers(-(1 << 31), 1 << 31))
    _custom(b, "SignalFilterBankLog", [x], [y], {"input_correction_bits": bits, "output_scale": scale})
    return [x], [y]


ADDERS["SignalFilterBankLog"], TYPES["SignalFilterBankLog"] = add_filter_bank_log, ("uint32",)


def test_log_table_is_tflms(tflm_signal_src):
    """log_lut's formula gives the very table TFLM's Log32 interpolates in (signal/src/log.cc)."""
    from tinyml_build.runtimes.aot.ops.signal_filter_bank_log import log_lut

    text = (tflm_signal_src / "log.cc").read_text()
    body = re.search(r"kLogLut\[\]\s*=\s*\{([^}]*)\}", text)
    assert body is not None, "TFLM's log.cc has no kLogLut"
    assert tuple(int(v) for v in re.findall(r"\d+", body.group(1))) == log_lut()


@pytest.fixture
def tflm_signal_src():
    from tinyml_build.third_party.errors import ThirdPartyError
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        return resolve(load_lock().get("tflite-micro")) / "signal" / "src"
    except ThirdPartyError as error:
        pytest.skip(f"TFLM's sources do not resolve here ({error.what})")


def add_fft_auto_scale(b, rng, dtype, n):
    size = int(rng.integers(1, 65))
    x = b.tensor(f"x{n}", "int16", [size])
    y = b.tensor(f"y{n}", "int16", [size])
    shift = b.tensor(f"shift{n}", "int32", [])
    _custom(b, "SignalFftAutoScale", [x], [y, shift], None)
    return [x], [y, shift]


ADDERS["SignalFftAutoScale"], TYPES["SignalFftAutoScale"] = add_fft_auto_scale, ("int16",)


def _gain_lut(rng):
    size = int(rng.integers(125, 131))
    return _int16_table(rng, size) if rng.random() < 0.5 else _int16_table(rng, size, -2048, 8192)


def add_pcan(b, rng, dtype, n):
    size = int(rng.integers(1, 33))
    x = b.tensor(f"x{n}", "uint32", [size])
    noise = b.tensor(f"noise{n}", "uint32", [size + int(rng.integers(0, 3))])
    lut_values = _gain_lut(rng)
    lut = b.tensor(f"lut{n}", "int16", [len(lut_values)], data=lut_values)
    y = b.tensor(f"y{n}", "uint32", [size])
    shift = int(rng.integers(0, 64)) if rng.random() < 0.5 else int(rng.integers(4, 12))
    _custom(b, "SignalPCAN", [x, noise, lut], [y], {"snr_shift": shift})
    return [x, noise], [y]


ADDERS["SignalPCAN"], TYPES["SignalPCAN"] = add_pcan, ("uint32",)


PARAMS = [(op, t, s) for op in ADDERS for t in TYPES[op] for s in range(MODELS)]


GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    _check_signal(tmp_path, aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, CASES))


def test_all_ops_under_sanitizers(tmp_path):
    _check_signal(tmp_path, aot_op_cases.all_ops_model(ADDERS, lambda op: TYPES[op], per_type=6), sanitize=True)


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())


def mel_tables(bins: int, channels: int):
    """Filter bank tables shaped like the front end's: channels + 1 triangles on mel-spaced edges over
    bins 1..bins-1, Q12 weights rising across each channel, unweights the rest of 4096."""
    mel = np.linspace(0.0, 1127.0 * np.log1p(8000.0 / 700.0), channels + 2)
    edges = np.clip(np.round((700.0 * np.expm1(mel / 1127.0)) / 8000.0 * (bins - 1)).astype(int), 1, bins - 1)
    freq, start, width, weights = [], [], [], []
    for c in range(channels + 1):
        lo, hi = int(edges[c]), max(int(edges[c + 1]), int(edges[c]) + 1)
        freq.append(lo)
        start.append(len(weights))
        width.append(min(hi, bins) - lo)
        weights += [int(4096 * (k + 1) / (width[-1] + 1)) for k in range(width[-1])]
    weights = np.array(weights, np.int16)
    return [weights, (4096 - weights).astype(np.int16)] + [np.array(t, np.int16) for t in (freq, start, width)]


def window_and_scale(b, x, size: int):
    """SignalWindow (a Q14 sin^2 window, shift 12) -> SignalFftAutoScale of `x`: (scaled, shift)."""
    window = (16384 * np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2).astype(np.int16)
    w = b.tensor("window", "int16", [size], data=window)
    windowed = b.tensor("windowed", "int16", [size])
    _custom(b, "SignalWindow", [x, w], [windowed], {"shift": 12})
    scaled, shift = b.tensor("scaled", "int16", [size]), b.tensor("fft_shift", "int32", [])
    _custom(b, "SignalFftAutoScale", [windowed], [scaled, shift], None)
    return scaled, shift


def energy_to_roots(b, spectrum, bins: int, channels: int):
    """SignalEnergy of every bin -> SignalFilterBank (mel_tables) -> SignalFilterBankSquareRoot
    (scale bits 3) of `spectrum`: the uint32 roots per channel."""
    energy = b.tensor("energy", "uint32", [bins])
    _custom(b, "SignalEnergy", [spectrum], [energy], {"end_index": bins, "start_index": 0})
    names = ("weights", "unweights", "freq_starts", "weight_starts", "widths")
    tables = [b.tensor(name, "int16", [len(t)], data=t) for name, t in zip(names, mel_tables(bins, channels))]
    sums = b.tensor("sums", "uint64", [channels])
    _custom(b, "SignalFilterBank", [energy, *tables], [sums], {"num_channels": channels})
    bits = b.tensor("scale_bits", "int32", [], data=np.array(3, np.int32))
    roots = b.tensor("roots", "uint32", [channels])
    _custom(b, "SignalFilterBankSquareRoot", [sums, bits], [roots], None)
    return roots


def pcan_and_log(b, rng, signal, noise, channels: int, output_scale: int):
    """SignalPCAN (a random gain table, snr_shift 6) -> SignalFilterBankLog (correction bits 3)."""
    lut_values = _gain_lut(rng)
    lut = b.tensor("gain_lut", "int16", [len(lut_values)], data=lut_values)
    normalized = b.tensor("normalized", "uint32", [channels])
    _custom(b, "SignalPCAN", [signal, noise, lut], [normalized], {"snr_shift": 6})
    features = b.tensor("features", "int16", [channels])
    _custom(b, "SignalFilterBankLog", [normalized], [features],
            {"input_correction_bits": 3, "output_scale": output_scale})
    return features


def front_end_model(size: int = 64, bins: int = 33, channels: int = 8) -> bytes:
    """The micro_speech front end's chains around the FFT (tests/test_aot_ops_signal_fft.py has the
    whole chain with SignalRfft): Window -> FftAutoScale, and Energy -> FilterBank ->
    FilterBankSquareRoot -> PCAN -> FilterBankLog with the front end's options (window shift 12,
    PCAN snr_shift 6, log scale 1600) and mel-shaped filter bank tables. front_end_model(480, 257,
    40) is micro_speech's shape (README figures)."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.tensor("audio", "int16", [size])
    scaled, shift = window_and_scale(b, x, size)
    spectrum = b.tensor("spectrum", "int16", [2 * bins])
    roots = energy_to_roots(b, spectrum, bins, channels)
    noise = b.tensor("noise", "uint32", [channels])
    features = pcan_and_log(b, rng, roots, noise, channels, 1600)
    b.inputs, b.outputs = [x, spectrum, noise], [scaled, shift, features]
    return b.build()


def test_front_end_chains_bit_exact(tmp_path):
    _check_signal(tmp_path, front_end_model())


# --- models TFLM would run out of bounds or with undefined C, and malformed options ------------


WINDOW = ([("int16", [2, 4]), ("int16", [4])], [("int16", [2, 4])], {1: np.ones(4, np.int16)})


REFUSED = {
    "window shift 32": (*WINDOW[:2], {"shift": 32}, WINDOW[2], "custom option shift = 32 is outside 0..31"),
    "window not whole frames": ([("int16", [6]), ("int16", [4])], [("int16", [6])], {"shift": 1}, WINDOW[2],
                                "not whole frames"),
    "energy end past output": ([("int16", [8])], [("uint32", [3])], {"end_index": 4, "start_index": 0}, {},
                               "bins 0..4"),
    "energy start after end": ([("int16", [8])], [("uint32", [4])], {"end_index": 1, "start_index": 2}, {},
                               "bins 2..1"),
    "log correction 32": ([("uint32", [4])], [("int16", [4])], {"input_correction_bits": 32, "output_scale": 1}, {},
                          "input_correction_bits = 32 is outside 0..31"),
    "pcan short gain table": ([("uint32", [4]), ("uint32", [4]), ("int16", [124])], [("uint32", [4])],
                              {"snr_shift": 6}, {2: np.zeros(124, np.int16)}, "gain table has 124 entries"),
    "pcan snr shift 64": ([("uint32", [4]), ("uint32", [4]), ("int16", [125])], [("uint32", [4])],
                          {"snr_shift": 64}, {2: np.zeros(125, np.int16)}, "snr_shift = 64 is outside 0..63"),
    "fft auto scale sizes": ([("int16", [8])], [("int16", [4]), ("int32", [])], None, {}, "output has 4 samples"),
    "sqrt scale bits 32": ([("uint64", [4]), ("int32", [])], [("uint32", [4])], None,
                           {1: np.array(32, np.int32)}, "scale bits 32 are outside 0..31"),
}


NAMES = {"window": "SignalWindow", "energy": "SignalEnergy", "log": "SignalFilterBankLog", "pcan": "SignalPCAN",
         "fft": "SignalFftAutoScale", "sqrt": "SignalFilterBankSquareRoot"}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_models_tflm_cannot_run_safely_are_refused(case):
    inputs, outputs, options, constants, message = REFUSED[case]
    name = NAMES[case.split()[0]]
    data = _single(name, inputs, outputs, flex_map(options) if options is not None else None, constants)
    error = aot_op_cases.lower_error(data)
    assert f"op #0 {name}" in error and message in error, error


def test_sqrt_run_time_scale_bits_are_checked():
    """Scale bits from a graph input: read at run time as TFLM does (bit-exact for 0..31); outside 0..31,
    where TFLM's shift is undefined, aot's invoke() fails (TML_ERROR) instead."""
    from tinyml_build.verification.host_check import HostRunError

    data = _single("SignalFilterBankSquareRoot", [("uint64", [5]), ("int32", [])], [("uint32", [5])], None)
    model = read_model(data, where="m.tflite", name="m")
    rng = np.random.default_rng(5)
    runs = [[_spread(rng, np.uint64, (5,)), np.array(bits, np.int32)] for bits in (0, 1, 7, 15, 16, 30, 31)]
    assert check_model(model, inputs=runs).ok
    for bad in (-1, 32, 1 << 30):
        with pytest.raises(HostRunError) as info:
            check_model(model, inputs=[[np.full(5, 99, np.uint64), np.array(bad, np.int32)]])
        assert "invoke failed" in str(info.value)


@pytest.mark.parametrize("options,message", [
    (None, "the op has no custom options"),
    (b"\x05\x00\x07", "malformed custom options"),
    (flex_map({"shift": 1.5}), "custom option 'shift' is a float, expected an integer"),
    (flex_map({"amount": 1, "shift": 3}), "'shift' is entry 1 of the options map, but TFLM reads it as entry 0"),
    (flex_map({"shift_bits": 3}), "custom option 'shift' is missing"),
])
def test_malformed_options_are_a_clear_model_error(options, message):
    with pytest.raises(ModelError) as info:
        lower_model(read_model(_single("SignalWindow", *WINDOW[:2], options, WINDOW[2]), where="m.tflite"))
    assert "op #0 SignalWindow" in str(info.value) and message in str(info.value)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_generated_cases_on_cortex_m4():
    """One cross-compile, one QEMU run: three generated cases of every op and the front-end chains,
    on every signal_inputs run (all-zero, all-min, all-max, uniform, every magnitude)."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    b = ModelBuilder()
    rng = np.random.default_rng(23)
    n = 0
    for op, add in ADDERS.items():
        for _ in range(3):
            xs, ys = add(b, rng, TYPES[op][0], n)
            b.inputs += xs
            b.outputs += ys
            n += 1
    for data, name in ((b.build(), "signal_ops"), (front_end_model(), "signal_front_end")):
        model = read_model(data, where=f"{name}.tflite", name=name)
        report = check_on_cortex_m(model, inputs=signal_inputs(model))
        aot_op_cases.assert_exact(report)
