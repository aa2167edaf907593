"""How far a quantized model's outputs are from its float reference: the metrics of a `test` run.

Why on the host, from the target's bytes: bit-exactness against tflite-micro proves the firmware
computes what TFLM computes, not that the int8 model is still the float model. ST's `validate`
answers the second question with the outputs computed on the device; so do these numbers (the
target's outputs, dequantized, against the float .tflite run on the build machine). Pure numpy on
arrays shaped (samples, ...), so each figure is checked on hand-made arrays.
"""

from __future__ import annotations

import numpy as np

# Figures are rounded for reports: more digits would only show the float model's own noise.
_DIGITS = 6


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Real values of quantized ones (real = scale * (q - zero_point)); a float tensor (scale 0) as it is."""
    values = np.asarray(values)
    if scale == 0.0:
        return values.astype(np.float64)
    return (values.astype(np.float64) - zero_point) * scale


def quantize(values: np.ndarray, scale: float, zero_point: int, dtype: np.dtype) -> np.ndarray:
    """Quantized values of real ones, rounded to nearest and saturated to `dtype` (TFLite's rule)."""
    dtype = np.dtype(dtype)
    if scale == 0.0:
        return np.asarray(values).astype(dtype)
    info = np.iinfo(dtype)
    q = np.round(np.asarray(values, dtype=np.float64) / scale) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


def metrics(got: np.ndarray, want: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """Error of `got` against the reference `want`, both (samples, ...) of one shape.

    mae, rmse, max_abs_error: over every element; cosine_similarity and relative_l2 (||got - want|| /
    ||want||): over all samples flattened together; top1_agreement: the share of samples whose
    largest element is at the same place (only when each sample has more than one element: a
    classifier); accuracy and reference_accuracy: the share of samples whose largest element is at
    the label, for the target and for the float reference (only with labels).
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape or got.ndim < 1 or got.shape[0] == 0:
        raise ValueError(f"outputs of shape {got.shape} and reference of shape {want.shape} cannot be compared")
    samples = got.shape[0]
    got_rows, want_rows = got.reshape(samples, -1), want.reshape(samples, -1)
    error = got_rows - want_rows
    result = {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error ** 2))),
        "max_abs_error": float(np.max(np.abs(error))),
        "cosine_similarity": _cosine(got_rows.ravel(), want_rows.ravel()),
        "relative_l2": _relative_l2(error.ravel(), want_rows.ravel()),
    }
    if got_rows.shape[1] > 1:
        got_top, want_top = np.argmax(got_rows, axis=1), np.argmax(want_rows, axis=1)
        result["top1_agreement"] = float(np.mean(got_top == want_top))
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)
            if labels.shape[0] != samples:
                raise ValueError(f"{labels.shape[0]} labels for {samples} samples")
            result["accuracy"] = float(np.mean(got_top == labels))
            result["reference_accuracy"] = float(np.mean(want_top == labels))
    return {key: round(value, _DIGITS) for key, value in result.items()}


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b); 1 when both are zero (identical), 0 when only one is."""
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 1.0 if not a.any() and not b.any() else 0.0
    return float(np.dot(a, b) / norms)


def _relative_l2(error: np.ndarray, reference: np.ndarray) -> float:
    """||error|| / ||reference||; inf when the reference is zero and the error is not."""
    norm = float(np.linalg.norm(reference))
    if norm == 0.0:
        return 0.0 if not error.any() else float("inf")
    return float(np.linalg.norm(error) / norm)
