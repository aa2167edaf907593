"""TFLM's own micro_speech audio preprocessors with runtime=aot, bit-exact with the pinned TFLM.

audio_preprocessor_int8.tflite and audio_preprocessor_float.tflite (the pinned tree's
micro_speech/models) chain the Signal ops with uint32 CASTs around a STRIDED_SLICE /
CONCATENATION and a SignalFilterBankSquareRoot whose scale bits are SignalFftAutoScale's run-time
shift: the two paths aot lacked. Inputs are TFLM's own test clips (micro_speech/testdata), one
30 ms window every 20 ms as micro_speech_test.cc feeds them, plus all-zero / extreme / noise frames.
The chain test runs the aot preprocessor over the 1 s "yes" and "no" clips and the aot micro_speech
model over its 49 x 40 features: same bytes as TFLM, and the clip's label.
"""

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from aot_op_cases import assert_exact

from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import compare, compile_program, run_program, run_tflm
from tinyml_build.verification.oracle.select import PINNED, select_oracle

WINDOW, STRIDE, FEATURES = 480, 320, 49  # 30 ms every 20 ms at 16 kHz; micro_model_settings.h
LABELS = ("silence", "unknown", "yes", "no")  # micro_speech's output order (micro_model_settings.h)
PREPROCESSORS = ("int8", "float")


@pytest.fixture(scope="module")
def micro_speech_dir() -> Path:
    """The pinned tree's micro_speech example, and an oracle that runs SignalRfft (it needs kissfft)."""
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        tflm = resolve(load_lock().get("tflite-micro"))
    except TinyMLError as err:
        pytest.skip(f"TFLM sources not resolved, so its audio preprocessors are absent: {err.what}")
    oracle = select_oracle()
    if oracle.kind == PINNED and "SignalRfft" not in oracle.build.ops:
        pytest.skip(f"{oracle.name} does not run SignalRfft: kissfft is not pinned or its sources do not resolve")
    return tflm / "tensorflow" / "lite" / "micro" / "examples" / "micro_speech"


def clip(folder: Path, name: str) -> np.ndarray:
    with wave.open(str(folder / "testdata" / f"{name}.wav"), "rb") as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, 16000)
        return np.frombuffer(f.readframes(f.getnframes()), "<i2").astype(np.int16)


def windows(audio: np.ndarray, count: int = FEATURES) -> list[list[np.ndarray]]:
    """One run per 30 ms window, 20 ms apart (micro_speech_test.cc's GenerateFeatures)."""
    return [[audio[k * STRIDE:k * STRIDE + WINDOW].reshape(1, WINDOW)] for k in range(count)]


def edge_frames(seed: int) -> list[list[np.ndarray]]:
    """All zero, all -32768, all 32767, full-range noise, a quiet tone: where the auto-scale shift and
    the square root's run-time scale bits take their extremes."""
    rng = np.random.default_rng(seed)
    tone = (40 * np.sin(np.arange(WINDOW) * 0.3)).astype(np.int16)
    frames = [np.zeros(WINDOW, np.int16), np.full(WINDOW, -32768, np.int16), np.full(WINDOW, 32767, np.int16),
              rng.integers(-32768, 32768, WINDOW).astype(np.int16), tone]
    return [[f.reshape(1, WINDOW)] for f in frames]


def _aot_runner(model, workdir: Path):
    """Compile the aot build of `model` once; the function it returns runs a sequence of invokes from
    init() (a fresh process, as a fresh TFLM interpreter), checks every op output of every run
    against TFLM's (the runs follow each other, so the stateful ops -- spectral subtraction, PCAN's
    noise estimate -- carry their state through a clip as in TFLM) and returns the first outputs."""
    program = lower_model(model)
    workdir.mkdir()
    exe = compile_program(workdir, render(program), program, sanitize=False)

    def run(runs: list[list[np.ndarray]], name: str) -> list[np.ndarray]:
        (workdir / name).mkdir()
        outputs, trace = run_program(exe, workdir / name, model, runs)
        tflm_outputs, tflm_tensors = run_tflm(model, runs)
        equal, divergences, mismatches = compare(model, outputs, trace, tflm_outputs, tflm_tensors, len(runs),
                                                 ops={step.op_index for step in program.steps})
        assert equal and not divergences, f"{model.name} {name}: {[str(d) for d in divergences[:1]]} {mismatches[:1]}"
        return [o[0] for o in outputs]

    return run


def test_float_preprocessor_bit_exact_on_host(micro_speech_dir, tmp_path):
    model = load_model(micro_speech_dir / "models" / "audio_preprocessor_float.tflite")
    inputs = windows(clip(micro_speech_dir, "yes_1000ms"), 12) + edge_frames(1) + windows(
        clip(micro_speech_dir, "noise_1000ms"), 4)
    _aot_runner(model, tmp_path / "float")(inputs, "clips")


def test_int8_preprocessor_then_micro_speech_labels_the_clips(micro_speech_dir, tmp_path):
    """aot preprocessor (int8) -> 49 x 40 features -> aot micro_speech, as micro_speech_test.cc chains
    them with TFLM: bit-exact at both stages (every op output), and each clip gets its label; the
    preprocessor also on the edge frames and the noise clip."""
    pre = load_model(micro_speech_dir / "models" / "audio_preprocessor_int8.tflite")
    speech = load_model(micro_speech_dir / "models" / "micro_speech_quantized.tflite")
    features_of = _aot_runner(pre, tmp_path / "pre")
    features_of(edge_frames(1) + windows(clip(micro_speech_dir, "noise_1000ms"), 4), "edges")
    shape = speech.main.tensors[speech.main.inputs[0]].shape
    runs = [[np.concatenate(features_of(windows(clip(micro_speech_dir, f"{label}_1000ms")), label)).reshape(shape)]
            for label in ("yes", "no")]
    scores = _aot_runner(speech, tmp_path / "speech")(runs, "clips")
    assert [LABELS[int(np.argmax(s))] for s in scores] == ["yes", "no"]


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.parametrize("kind", PREPROCESSORS)
def test_preprocessor_bit_exact_on_cortex_m4(micro_speech_dir, kind):
    """On qemu-m4 (Cortex-M4F: the SIMD32 FFT and the hard-float tail of the float model), every op
    output of every run compared with TFLM."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = load_model(micro_speech_dir / "models" / f"audio_preprocessor_{kind}.tflite")
    inputs = windows(clip(micro_speech_dir, "yes_1000ms"), 8) + edge_frames(2)
    report = check_on_cortex_m(model, inputs=inputs)
    assert_exact(report)
