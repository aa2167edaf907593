"""Model ops an optimized kernel library's Prepare refuses although TFLM's reference kernels run them.

Why: runtime=tflm compiles one kernel per op -- the library's file replaces the reference twin -- so
an op the library cannot prepare fails at start-up ("Node FULLY_CONNECTED failed to prepare"), which
the arena probe could only report as a model that does not set up. Known here, the build picks the
reference kernels when the library was only the target's default, and refuses an explicit
kernels=<library> at build time with the op and the reason. Each entry is read from the pinned TFLM's
kernels/<library>/ sources (the conditions of their TF_LITE_ENSURE checks).
"""

from __future__ import annotations

from tinyml_build.model.reader import Model


def _cmsis_nn_fully_connected(op, sg) -> str | None:
    """cmsis_nn/fully_connected.cc: per-channel weights only with int8 input and int8 weights."""
    if len(op.inputs) < 2 or not all(0 <= i < len(sg.tensors) for i in op.inputs[:2]):
        return None
    data, weights = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]]
    if weights.quantization is None or not weights.quantization.per_channel:
        return None
    if data.dtype == "int8" and weights.dtype != "int4":
        return None
    return (f"op #{op.index} FULLY_CONNECTED (subgraph {sg.index}): per-channel {weights.dtype} weights with "
            f"{data.dtype} input; CMSIS-NN's fully_connected.cc accepts per-channel weights only with int8 input "
            "and int8 weights")


# --- ESP-NN (espressif/esp-tflite-micro's kernels/esp_nn/, at the pinned commit) ---------------------
# Its conv.cc and depthwise_conv.cc send int8 input with int8 filters and dilation 1 to ESP-NN through
# EvalQuantizedPerChannel, whose TFLITE_DCHECKs abort() at the first invoke (Prepare passes) on uses
# TFLM's reference kernels run: GetTensorData(bias) of an omitted bias (TFLM's reference kernels read
# it with GetOptionalTensorData) and, in conv.cc, MatchingDim(input, 3, filter, 3) of a grouped
# convolution. Found on generated int8 cases on the esp32c3 twin ("TFLM: abort() called").


def _esp_nn_window(op, sg, name: str, file: str) -> str | None:
    if len(op.inputs) < 2 or not all(0 <= i < len(sg.tensors) for i in op.inputs[:2]):
        return None
    data, weights = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]]
    dilated = op.options.get("dilation_w_factor", 1) != 1 or op.options.get("dilation_h_factor", 1) != 1
    if data.dtype != "int8" or weights.dtype != "int8" or dilated:
        return None  # the wrapper's reference path
    where = f"op #{op.index} {name} (subgraph {sg.index})"
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return (f"{where}: int8 without a bias; ESP-NN's {file} reads the omitted bias with GetTensorData, whose "
                "TFLITE_DCHECK aborts at the first invoke")
    if name == "CONV_2D" and len(data.shape) == 4 and len(weights.shape) == 4 and data.shape[3] != weights.shape[3]:
        return (f"{where}: grouped int8 convolution ({data.shape[3]} input channels, filters of {weights.shape[3]}); "
                f"ESP-NN's {file} requires them equal (MatchingDim's TFLITE_DCHECK aborts at the first invoke)")
    return None


def _esp_nn_conv(op, sg) -> str | None:
    return _esp_nn_window(op, sg, "CONV_2D", "conv.cc")


def _esp_nn_depthwise_conv(op, sg) -> str | None:
    return _esp_nn_window(op, sg, "DEPTHWISE_CONV_2D", "depthwise_conv.cc")


# (kernel library, op) -> the check of one op use: the refusal's reason, or None when the library runs it.
_LIMITS = {("cmsis-nn", "FULLY_CONNECTED"): _cmsis_nn_fully_connected,
           ("esp-nn", "CONV_2D"): _esp_nn_conv,
           ("esp-nn", "DEPTHWISE_CONV_2D"): _esp_nn_depthwise_conv}


def library_refusals(model: Model) -> tuple[tuple[str, str], ...]:
    """(kernel library, reason) for every op use a library's Prepare refuses, in model order; a reason
    reads 'op #N NAME (subgraph S): what; why', the part before ';' short enough for the banner."""
    found = []
    for sg in model.subgraphs:
        for op in sg.operators:
            for (library, name), check in _LIMITS.items():
                reason = check(op, sg) if op.name == name else None
                if reason is not None:
                    found.append((library, reason))
    return tuple(found)
