"""runtime=aot's stateful Signal ops bit-exact with the pinned TFLM over SEQUENCES of invokes.

SignalFramer, SignalDelay, SignalStacker, SignalOverlapAdd and SignalFilterBankSpectralSubtraction
keep state between invokes (FIFOs, delay lines, overlap buffers, noise estimates): aot keeps it in
static arrays its init() resets (Program.states). One generated model holds CASES seeded instances
of one op (random frame sizes, steps, contexts, delays and options, each with its own graph input
and outputs), and RUNS input vectors go through ONE instance in order, in aot and in TFLM, so
every run after the first checks the state the previous ones left.

Framer and Stacker leave their output as it was when output_valid is false (TFLM writes only the
frames it has): those elements are unspecified in TFLM as in aot, so the host comparison skips
exactly them (computed from the op's options: `unspecified`); everything else, output_valid
included, must be equal byte for byte. The qemu-m4 check compares every byte (hashes) and so
uses configurations that are always valid.
"""

import math
import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.model.flex_options import read_custom_options
from tinyml_build.model.reader import Model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops

CASES = 50  # op instances per generated model
MODELS = 4  # generated models per op (per type for SignalOverlapAdd: 2 each)
RUNS = 8  # invokes in sequence on one instance
CUSTOM = fb.BuiltinOperator.CUSTOM


def _lead(rng, max_rank=2, max_dim=3):
    """Leading (channel) dimensions: rank 0..max_rank."""
    return [int(rng.integers(1, max_dim + 1)) for _ in range(int(rng.integers(0, max_rank + 1)))]


def _op(b, name, inputs, outputs, options):
    b.op(b.opcode(CUSTOM, custom=name), inputs, outputs, custom_options=flex_map(options))


def add_framer(b, rng, dtype, n, always_valid=False):
    step = int(rng.integers(1, 9))
    if rng.random() < 0.2:
        size, prefill = int(rng.integers(1, step + 1)), False  # frames shorter than the hop
    else:
        size, prefill = int(rng.integers(step, 4 * step + 4)), bool(rng.random() < 0.5)
    if always_valid and size > step:
        prefill = True
    frames = int(rng.integers(1, 4))
    lead = _lead(rng)
    x = b.tensor(f"x{n}", "int16", [*lead, frames * step])
    y = b.tensor(f"y{n}", "int16", [*lead, frames, size])
    valid = b.tensor(f"valid{n}", "bool", [])
    _op(b, "SignalFramer", [x], [y, valid], {"frame_size": size, "frame_step": step, "prefill": prefill})
    return [x], [y, valid]


def add_delay(b, rng, dtype, n, always_valid=False):
    lead = _lead(rng)
    frame = int(rng.integers(1, 13))
    delay = int(rng.choice([0, int(rng.integers(1, frame + 1)), int(rng.integers(frame, 3 * frame + 4))]))
    x = b.tensor(f"x{n}", "int16", [*lead, frame])
    y = b.tensor(f"y{n}", "int16", [*lead, frame])
    _op(b, "SignalDelay", [x], [y], {"delay_length": delay})
    return [x], [y]


def add_stacker(b, rng, dtype, n, always_valid=False):
    channels = int(rng.integers(1, 9))
    left, right = int(rng.integers(0, 4)), int(rng.integers(0, 3))
    step = int(rng.integers(1, left + right + 2))
    if always_valid:
        right, step = 0, 1
    frames = left + right + 1
    x = b.tensor(f"x{n}", "int16", [channels])
    y = b.tensor(f"y{n}", "int16", [channels * frames])
    valid = b.tensor(f"valid{n}", "bool", [])
    _op(b, "SignalStacker", [x], [y, valid], {"num_channels": channels, "stacker_left_context": left,
                                              "stacker_right_context": right, "stacker_step": step})
    return [x], [y, valid]


TYPE_CODES = {"int16": 7, "float32": 0}


def add_overlap_add(b, rng, dtype, n, always_valid=False):
    size = int(rng.integers(1, 17))
    step = int(rng.integers(1, size + 1))
    frames = int(rng.integers(1, 4))
    lead = _lead(rng, 1)
    x = b.tensor(f"x{n}", dtype, [*lead, frames, size])
    y = b.tensor(f"y{n}", dtype, [*lead, frames * step])
    _op(b, "SignalOverlapAdd", [x], [y], {"T": TYPE_CODES[dtype], "frame_step": step})
    return [x], [y]


def add_spectral_subtraction(b, rng, dtype, n, always_valid=False):
    channels = int(rng.integers(1, 17))
    bits = int(rng.integers(0, 31)) if rng.random() < 0.2 else 14  # 14: the micro_speech front end's
    one = 1 << bits
    if rng.random() < 0.8:  # filters that sum to one, as a front end configures them
        smoothing = int(rng.integers(0, one + 1))
        alternate = int(rng.integers(0, one + 1)) if rng.random() < 0.5 else 0
        coefficients = [smoothing, one - smoothing, alternate, one - alternate if alternate else 0]
    else:  # anything TFLM reads: int32 values it keeps as uint32
        coefficients = [int(v) for v in rng.integers(-(1 << 31), 1 << 31, 4)]
    x = b.tensor(f"x{n}", "uint32", [channels])
    y = b.tensor(f"y{n}", "uint32", [channels])
    noise = b.tensor(f"noise{n}", "uint32", [channels])
    _op(b, "SignalFilterBankSpectralSubtraction", [x], [y, noise], {
        "smoothing": coefficients[0], "one_minus_smoothing": coefficients[1], "alternate_smoothing": coefficients[2],
        "alternate_one_minus_smoothing": coefficients[3], "num_channels": channels,
        "min_signal_remaining": int(rng.integers(0, one + 1)) if bits < 31 else int(rng.integers(0, 1 << 31)),
        "smoothing_bits": int(rng.integers(0, 32)) if rng.random() < 0.2 else int(rng.integers(0, 11)),
        "spectral_subtraction_bits": bits, "clamping": bool(rng.random() < 0.5)})
    return [x], [y, noise]


ADDERS = {"SignalFramer": add_framer, "SignalDelay": add_delay, "SignalStacker": add_stacker,
          "SignalOverlapAdd": add_overlap_add, "SignalFilterBankSpectralSubtraction": add_spectral_subtraction}
# The types TFLM's kernel of each op accepts (overlap_add.cc: int16 and float32; the others one each).
TYPES = {"SignalFramer": ("int16",), "SignalDelay": ("int16",), "SignalStacker": ("int16",),
         "SignalOverlapAdd": ("int16", "float32"), "SignalFilterBankSpectralSubtraction": ("uint32",)}

PARAMS = [(op, t, s) for op in ADDERS for t in TYPES[op] for s in range(MODELS // len(TYPES[op]))]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


# --- inputs and the comparison --------------------------------------------------------------


def signal_inputs(model: Model, runs: int, seed: int) -> list[list[np.ndarray]]:
    """Per run, one array per graph input: run 0 every input at its minimum, run 1 at its maximum
    (saturation and wrap-around), then random values of random magnitude (quiet and loud audio;
    energies of 0..32 bits), so state built from loud runs meets quiet ones and back."""
    rng = np.random.default_rng(seed)
    result = []
    for run in range(runs):
        arrays = []
        for index in model.main.inputs:
            t = model.main.tensors[index]
            count = math.prod(t.shape)
            if t.dtype == "int16":
                bound = [-32768, 32767][run] if run < 2 else None
                values = (np.full(count, bound) if bound is not None else
                          rng.integers(-32768, 32768, count) >> int(rng.integers(0, 16)))
                arrays.append(values.astype(np.int16).reshape(t.shape))
            elif t.dtype == "uint32":
                shifts = rng.integers(0, 33, count).astype(np.uint64)
                values = (np.full(count, [0, 0xFFFFFFFF][run], np.uint64) if run < 2 else
                          rng.integers(0, 1 << 32, count, dtype=np.uint64) >> shifts)
                arrays.append(values.astype(np.uint32).reshape(t.shape))
            elif t.dtype == "float32":
                scale = float(10.0 ** rng.uniform(-3, 4))
                values = rng.uniform(-scale, scale, count) if run else np.resize(
                    aot_op_cases.FLOAT_SPECIALS[np.isfinite(aot_op_cases.FLOAT_SPECIALS)], count)
                arrays.append(values.astype(np.float32).reshape(t.shape))
            else:
                raise ValueError(f"no signal inputs of type {t.dtype}")
        result.append(arrays)
    return result


def unspecified(model: Model, runs: int) -> dict[tuple[int, int], np.ndarray]:
    """{(run, tensor): mask} of the output elements TFLM leaves as they were (output_valid false):
    Framer's frames its FIFO had too few samples for, Stacker's whole output before it has all its
    context. Computed from each op's options by counting samples, as the kernels do."""
    masks = {}
    sg = model.main
    for op in sg.operators:
        if op.name not in ("SignalFramer", "SignalStacker"):
            continue
        options = read_custom_options(op.custom_options, op.name, model.path)
        y = sg.tensors[op.outputs[0]]
        if op.name == "SignalFramer":
            size, step = options.int("frame_size", 0), options.int("frame_step", 1)
            held = size - step if options.bool("prefill", 2) else 0
            frames = y.shape[-2]
            for run in range(runs):
                mask = np.zeros((math.prod(y.shape[:-2]), frames, size), bool)
                for f in range(frames):
                    held += step
                    if held >= size:
                        held -= step
                    else:
                        mask[:, f, :] = True
                masks[(run, y.index)] = mask.reshape(-1)
        else:
            left, right = options.int("stacker_left_context", 1), options.int("stacker_right_context", 2)
            step = options.int("stacker_step", 3)
            held = left
            for run in range(runs):
                held += 1
                full = held >= left + right + 1
                if full:
                    held -= step
                masks[(run, y.index)] = np.full(y.elements, not full)
    return masks


def check_sequence(tmp_path, data: bytes, runs: int = RUNS, seed: int = 0, sanitize: bool = False) -> dict:
    """Lower, compile and run `data` on the host over `runs` inputs in sequence; compare every op
    output of every run with TFLM's except the elements `unspecified` names. Returns counts."""
    model, _, (_, aot), (_, tflm) = aot_op_cases.run_sequence(
        tmp_path, data, lambda m: signal_inputs(m, runs, seed), sanitize)
    skipped = unspecified(model, runs)
    compared = masked = 0
    for run in range(runs):
        for op in model.main.operators:
            for index in op.outputs:
                t = model.main.tensors[index]
                dtype = np.dtype({"int16": "<i2", "uint32": "<u4", "float32": "<u4", "bool": "u1"}[t.dtype])
                a, b = np.frombuffer(aot[(run, index)], dtype), np.frombuffer(tflm[(run, index)], dtype)
                keep = ~skipped.get((run, index), np.zeros(a.size, bool))
                differ = np.flatnonzero((a != b) & keep)
                assert differ.size == 0, (
                    f"run {run}: op #{op.index} {op.name} output #{index} '{t.name}' {t.dtype}{list(t.shape)} differs "
                    f"at {differ.size} of {int(keep.sum())} elements, first [{differ[0]}]: aot {a[differ[0]]} "
                    f"vs tflm {b[differ[0]]}")
                compared += int(keep.sum())
                masked += int(a.size - keep.sum())
    return {"compared": compared, "unspecified": masked}


def random_model(op: str, dtype: str, seed: int, cases: int = CASES, always_valid: bool = False) -> bytes:
    rng = np.random.default_rng([seed, list(ADDERS).index(op), list(TYPES[op]).index(dtype)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = ADDERS[op](b, rng, dtype, n, always_valid)
        b.inputs += xs
        b.outputs += ys
    return b.build()


# --- tests ----------------------------------------------------------------------------------


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact_over_a_sequence(tmp_path, op, dtype, seed):
    counts = check_sequence(tmp_path, random_model(op, dtype, seed))
    assert counts["compared"] > 0


def all_ops_model(cases_per_op: int, seed: int, always_valid: bool = False) -> bytes:
    """`cases_per_op` instances of every op in every type, in one model (one compile)."""
    b = ModelBuilder()
    n = 0
    for op, add in ADDERS.items():
        for dtype in TYPES[op]:
            rng = np.random.default_rng([seed, n])
            for _ in range(cases_per_op):
                xs, ys = add(b, rng, dtype, n, always_valid)
                b.inputs += xs
                b.outputs += ys
                n += 1
    return b.build()


def test_all_ops_under_sanitizers(tmp_path):
    counts = check_sequence(tmp_path, all_ops_model(6, seed=3), sanitize=True)
    assert counts["compared"] > 0 and counts["unspecified"] > 0


def test_state_is_per_instance_and_survives_the_arena(tmp_path):
    """Two Framers and two Delays of the same shapes side by side, and ops chained so that the arena
    reuses their tensors' bytes between invokes: each op's state is its own and nothing the arena
    plan places overwrites it (static state outside the arena)."""
    b = ModelBuilder()
    x = b.tensor("x", "int16", [2, 8])
    d1, d2 = b.tensor("d1", "int16", [2, 8]), b.tensor("d2", "int16", [2, 8])
    _op(b, "SignalDelay", [x], [d1], {"delay_length": 5})
    _op(b, "SignalDelay", [d1], [d2], {"delay_length": 11})
    frames = [b.tensor(f"f{i}", "int16", [2, 2, 12]) for i in range(2)]
    valids = [b.tensor(f"v{i}", "bool", []) for i in range(2)]
    _op(b, "SignalFramer", [d2], [frames[0], valids[0]], {"frame_size": 12, "frame_step": 4, "prefill": True})
    _op(b, "SignalFramer", [x], [frames[1], valids[1]], {"frame_size": 12, "frame_step": 4, "prefill": True})
    b.inputs, b.outputs = [x], [*frames, *valids]
    counts = check_sequence(tmp_path, b.build(), runs=12)
    assert counts["unspecified"] == 0


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.qemu
def test_all_ops_on_cortex_m4():
    """Every op and type on qemu-m4 (Cortex-M4F) over RUNS invokes in sequence, every op output of
    every run compared (hashes) with TFLM: configurations whose outputs are always valid (Framer
    with prefill or frames no longer than the hop, Stacker without right context, step 1)."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(all_ops_model(4, seed=5, always_valid=True), where="signal_state.tflite", name="signal_state")
    assert not any(unspecified(model, RUNS)[key].any() for key in unspecified(model, RUNS))
    report = check_on_cortex_m(model, inputs=signal_inputs(model, RUNS, 1))
    aot_op_cases.assert_exact(report)


def test_spectral_subtraction_with_the_micro_speech_front_end_options(tmp_path):
    """The op exactly as TFLM's micro_speech audio preprocessor (audio_preprocessor_int8.tflite in the
    pinned tree) configures it -- its custom options bytes and tensors -- over 24 invokes."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.model.reader import load_model
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        tflm = resolve(load_lock().get("tflite-micro"))
    except TinyMLError as err:
        pytest.skip(f"TFLM sources not resolved: {err.what}")
    source = load_model(tflm / "tensorflow/lite/micro/examples/micro_speech/models/audio_preprocessor_int8.tflite")
    op = next(o for o in source.main.operators if o.name == "SignalFilterBankSpectralSubtraction")
    b = ModelBuilder()
    x, *ys = (b.tensor(f"t{i}", source.main.tensors[t].dtype, source.main.tensors[t].shape)
              for i, t in enumerate([*op.inputs, *op.outputs]))
    b.op(b.opcode(CUSTOM, custom=op.name), [x], ys, custom_options=op.custom_options)
    b.inputs, b.outputs = [x], ys
    assert check_sequence(tmp_path, b.build(), runs=24)["compared"] == 24 * 2 * 40  # both outputs, every run


# A host program that runs one generated model's sequence twice with init() in between: the second
# pass must repeat the first byte for byte (init() resets every op's state, TFLM's Reset).
_TWICE_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "tml_model_api.h"
extern const tml_model_api TML_MODEL_API;
int main(void) {
  int pass, run;
  uint32_t i, k;
  for (pass = 0; pass < 2; ++pass) {
    if (TML_MODEL_API.init() != TML_OK) return 1;
    for (run = 0; run < 6; ++run) {
      uint32_t h = 2166136261u;
      for (i = 0; i < TML_MODEL_API.num_inputs; ++i) {
        const tml_tensor *t = TML_MODEL_API.input(i);
        for (k = 0; k < t->bytes; ++k) ((uint8_t *)t->data)[k] = (uint8_t)(k * 37u + (uint32_t)run * 101u + i);
      }
      if (TML_MODEL_API.invoke() != TML_OK) return 2;
      for (i = 0; i < TML_MODEL_API.num_outputs; ++i) {
        const tml_tensor *t = TML_MODEL_API.output(i);
        for (k = 0; k < t->bytes; ++k) h = (h ^ ((const uint8_t *)t->data)[k]) * 16777619u;
      }
      printf("%d %d %u\n", pass, run, h);
    }
  }
  return 0;
}
"""


def test_init_resets_every_ops_state(tmp_path):
    import subprocess

    from tinyml_build.runtimes import API_INCLUDE_DIR
    from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR
    from tinyml_build.runtimes.aot.emit import kernel_sources

    cc = shutil.which("gcc")
    if cc is None:
        pytest.skip("gcc not installed")
    program = lower_model(read_model(all_ops_model(2, seed=9, always_valid=True), where="m.tflite", name="m"))
    assert program.states and len(program.init_statements) == sum(len(TYPES[op]) for op in ADDERS) * 2
    for name, text in render(program).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "twice.c").write_text(_TWICE_MAIN)
    sources = [str(tmp_path / n) for n in render(program) if n.endswith(".c")] + [str(k) for k in
                                                                                    kernel_sources(program)]
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Werror", f"-I{tmp_path}", f"-I{AOT_INCLUDE_DIR}",
                    f"-I{API_INCLUDE_DIR}", f"-DTML_MODEL_API={program.name}_model_api", *sources,
                    str(tmp_path / "twice.c"), "-o", str(tmp_path / "twice")], check=True)
    lines = subprocess.run([str(tmp_path / "twice")], capture_output=True, text=True, check=True).stdout.split("\n")
    hashes = [line.split()[2] for line in lines if line]
    assert hashes[:6] == hashes[6:], "the sequence after the second init() differs from the first"
    assert len(set(hashes[:6])) == 6


# --- models TFLM cannot run (or runs into memory it does not own) are refused -------------------


def _one_op(name, options, x_shape, y_shapes, dtype="int16", y_dtypes=None) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, x_shape)
    ys = [b.tensor(f"y{i}", (y_dtypes or [dtype] * len(y_shapes))[i], s) for i, s in enumerate(y_shapes)]
    _op(b, name, [x], ys, options)
    b.inputs, b.outputs = [x], ys
    return b.build()


FRAMER = {"frame_size": 8, "frame_step": 4, "prefill": True}
SUBTRACTION = {"smoothing": 1, "one_minus_smoothing": 1, "alternate_smoothing": 0,
               "alternate_one_minus_smoothing": 0, "num_channels": 4, "min_signal_remaining": 0,
               "smoothing_bits": 0, "spectral_subtraction_bits": 1, "clamping": False}


@pytest.mark.parametrize("make,words", [
    (lambda: _one_op("SignalFramer", FRAMER, [2, 6], [[2, 1, 8], []], y_dtypes=["int16", "bool"]),
     ("not a multiple of frame_step",)),
    (lambda: _one_op("SignalFramer", FRAMER, [2, 8], [[2, 2, 9], []], y_dtypes=["int16", "bool"]),
     ("output tensor", "[2, 2, 8]")),
    (lambda: _one_op("SignalFramer", {**FRAMER, "frame_size": 2}, [8], [[2, 2], []], y_dtypes=["int16", "bool"]),
     ("prefill with frame_size 2 < frame_step 4",)),
    (lambda: _one_op("SignalFramer", FRAMER, [8], [[2, 8], [1]], y_dtypes=["int16", "bool"]),
     ("output_valid", "scalar")),
    (lambda: _one_op("SignalDelay", {"delay_length": -1}, [4], [[4]]), ("delay_length = -1",)),
    (lambda: _one_op("SignalStacker", {"num_channels": 2, "stacker_left_context": 1, "stacker_right_context": 0,
                                       "stacker_step": 3}, [2], [[4], []], y_dtypes=["int16", "bool"]),
     ("stacker_step = 3",)),
    (lambda: _one_op("SignalStacker", {"num_channels": 3, "stacker_left_context": 1, "stacker_right_context": 0,
                                       "stacker_step": 1}, [2], [[6], []], y_dtypes=["int16", "bool"]),
     ("input tensor", "[3]")),
    (lambda: _one_op("SignalOverlapAdd", {"T": 7, "frame_step": 5}, [2, 4], [[10]]), ("frame_step 5",)),
    (lambda: _one_op("SignalOverlapAdd", {"T": 0, "frame_step": 2}, [2, 4], [[4]]), ("float32",)),
    (lambda: _one_op("SignalFilterBankSpectralSubtraction", {**SUBTRACTION, "smoothing_bits": 32}, [4], [[4], [4]],
                     dtype="uint32"), ("smoothing_bits = 32",)),
    (lambda: _one_op("SignalFilterBankSpectralSubtraction", SUBTRACTION, [5], [[5], [5]], dtype="uint32"),
     ("[4]",)),
], ids=["framer_step", "framer_shape", "framer_prefill", "framer_valid", "delay_negative", "stacker_step",
        "stacker_channels", "overlap_step", "overlap_type", "subtraction_shift", "subtraction_channels"])
def test_models_tflm_cannot_run_are_clear_errors(make, words):
    message = aot_op_cases.lower_error(make())
    assert all(w in message for w in words), message


def profile_model() -> bytes:
    """One instance of each op at audio front-end sizes (16 kHz, 10 ms hops of 160 samples, 40
    filter bank channels), for the README's Cortex-M4 instruction counts (bench/aot_profile.py)."""
    b = ModelBuilder()
    audio = b.tensor("audio", "int16", [160])
    frame, valid = b.tensor("frame", "int16", [1, 400]), b.tensor("frame_valid", "bool", [])
    _op(b, "SignalFramer", [audio], [frame, valid], {"frame_size": 400, "frame_step": 160, "prefill": True})
    delayed = b.tensor("delayed", "int16", [160])
    _op(b, "SignalDelay", [audio], [delayed], {"delay_length": 240})
    energies = b.tensor("energies", "uint32", [40])
    clean, noise = b.tensor("clean", "uint32", [40]), b.tensor("noise", "uint32", [40])
    _op(b, "SignalFilterBankSpectralSubtraction", [energies], [clean, noise], {
        "smoothing": 655, "one_minus_smoothing": 15729, "alternate_smoothing": 655,
        "alternate_one_minus_smoothing": 15729, "num_channels": 40, "min_signal_remaining": 819,
        "smoothing_bits": 10, "spectral_subtraction_bits": 14, "clamping": False})
    features = b.tensor("features", "int16", [40])
    stacked, stacked_valid = b.tensor("stacked", "int16", [160]), b.tensor("stacked_valid", "bool", [])
    _op(b, "SignalStacker", [features], [stacked, stacked_valid], {
        "num_channels": 40, "stacker_left_context": 3, "stacker_right_context": 0, "stacker_step": 1})
    for dtype in ("int16", "float32"):
        frames = b.tensor(f"frames_{dtype}", dtype, [1, 512])
        out = b.tensor(f"resynthesized_{dtype}", dtype, [256])
        _op(b, "SignalOverlapAdd", [frames], [out], {"T": TYPE_CODES[dtype], "frame_step": 256})
        b.inputs.append(frames)
        b.outputs.append(out)
    b.inputs += [audio, energies, features]
    b.outputs += [frame, valid, delayed, clean, noise, stacked, stacked_valid]
    return b.build()


if __name__ == "__main__":
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "signal_state.tflite", "wb") as f:
        f.write(profile_model())
