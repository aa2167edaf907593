"""The KWS front end: 1 s of 16 kHz audio -> 49 x 10 MFCC features, in plain numpy.

The model only ever sees what this produces, so every parameter is fixed here and recorded
in model.yaml. Pure numpy on float64 keeps it deterministic across machines.

    sample rate      16000 Hz, clip length 1 s (16000 samples, float in [-1, 1])
    window           40 ms (640 samples), periodic Hann
    stride           20 ms (320 samples) -> 1 + (16000 - 640) // 320 = 49 frames, no padding
    spectrum         |rfft| with 1024 points (513 bins), magnitude, not power
    mel filterbank   40 triangular filters, HTK mel scale, 20 Hz .. 4000 Hz, peak height 1
    log              natural log of (mel energy + 1e-6)
    DCT              type II, orthonormal; keep coefficients 0..9
"""

import numpy as np

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000
WINDOW_SAMPLES = 640
STRIDE_SAMPLES = 320
FFT_SIZE = 1024
MEL_BINS = 40
MEL_LOW_HZ = 20.0
MEL_HIGH_HZ = 4000.0
MFCC_COUNT = 10
LOG_OFFSET = 1e-6
FRAMES = 1 + (CLIP_SAMPLES - WINDOW_SAMPLES) // STRIDE_SAMPLES  # 49

PARAMETERS = {
    "sample_rate_hz": SAMPLE_RATE,
    "clip_samples": CLIP_SAMPLES,
    "window": f"{WINDOW_SAMPLES} samples (40 ms), periodic Hann",
    "stride": f"{STRIDE_SAMPLES} samples (20 ms)",
    "frames": FRAMES,
    "fft_size": FFT_SIZE,
    "spectrum": "magnitude",
    "mel_bins": MEL_BINS,
    "mel_range_hz": [MEL_LOW_HZ, MEL_HIGH_HZ],
    "mel_scale": "HTK: 2595 * log10(1 + f / 700)",
    "log": f"ln(mel + {LOG_OFFSET})",
    "dct": "type II, orthonormal",
    "mfcc_count": MFCC_COUNT,
    "implementation": "models/kws/mfcc.py",
}


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def mel_filterbank() -> np.ndarray:
    """(FFT_SIZE // 2 + 1, MEL_BINS) triangular weights, evenly spaced on the mel scale."""
    bin_hz = np.arange(FFT_SIZE // 2 + 1) * SAMPLE_RATE / FFT_SIZE
    edges = _mel_to_hz(np.linspace(_hz_to_mel(MEL_LOW_HZ), _hz_to_mel(MEL_HIGH_HZ), MEL_BINS + 2))
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_hz[:, None] - lower) / (center - lower)
    falling = (upper - bin_hz[:, None]) / (upper - center)
    return np.maximum(0.0, np.minimum(rising, falling))


def dct_matrix() -> np.ndarray:
    """(MEL_BINS, MFCC_COUNT) orthonormal DCT-II basis, first MFCC_COUNT columns."""
    n = np.arange(MEL_BINS)[:, None]
    k = np.arange(MFCC_COUNT)[None, :]
    basis = np.cos(np.pi / MEL_BINS * (n + 0.5) * k) * np.sqrt(2.0 / MEL_BINS)
    basis[:, 0] /= np.sqrt(2.0)
    return basis


_WINDOW = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(WINDOW_SAMPLES) / WINDOW_SAMPLES)
_MEL = mel_filterbank()
_DCT = dct_matrix()


def mfcc(clips: np.ndarray) -> np.ndarray:
    """MFCCs of one clip (16000,) or a batch (N, 16000) -> (49, 10) or (N, 49, 10) float32."""
    clips = np.asarray(clips, dtype=np.float64)
    single = clips.ndim == 1
    if single:
        clips = clips[None, :]
    if clips.shape[-1] != CLIP_SAMPLES:
        raise ValueError(f"expected clips of {CLIP_SAMPLES} samples, got {clips.shape[-1]}")
    starts = np.arange(FRAMES) * STRIDE_SAMPLES
    frames = clips[:, starts[:, None] + np.arange(WINDOW_SAMPLES)[None, :]] * _WINDOW
    magnitude = np.abs(np.fft.rfft(frames, n=FFT_SIZE, axis=-1))
    features = np.log(magnitude @ _MEL + LOG_OFFSET) @ _DCT
    features = features.astype(np.float32)
    return features[0] if single else features
