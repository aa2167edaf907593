"""The fallback oracle: TFLM's Python interpreter from the tflite-micro wheel (requirements.lock).

Why only a fallback: the wheel is built from whatever TFLM commit was current when it was
published, not from the commit third_party/lock.yaml pins, and a few reference kernels differ
between the two (differences.KNOWN_WHEEL_DIFFERENCES). It judges only where the pinned sources
cannot be built on this machine.
"""

from __future__ import annotations

import numpy as np

from tinyml_build.errors import ModelError, ToolchainError
from tinyml_build.model.reader import Model

# Host arena: TFLM's default guess is too small for some models (int16 ones); untouched pages of a
# large allocation cost nothing on the build machine.
HOST_ARENA_BYTES = 64 << 20
INSTALL_FIX = "pip install -c requirements.lock tflite-micro"


def wheel_version() -> str | None:
    """The installed wheel's version ('0.dev20261023182759'), or None when it is not installed."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover -- Python < 3.8
        return None
    try:
        return version("tflite-micro")
    except PackageNotFoundError:
        return None


def interpreter(data: bytes, where: str, preserve_all_tensors: bool = False):
    """A tflite_micro Interpreter for the model; ToolchainError when the wheel is missing."""
    try:
        from tflite_micro import runtime
    except ImportError:
        raise ToolchainError("the tflite-micro host interpreter (fallback oracle) is not installed",
                             fix=INSTALL_FIX) from None
    config = (runtime.InterpreterConfig.kPreserveAllTensors if preserve_all_tensors
              else runtime.InterpreterConfig.kAllocationRecording)
    try:
        return runtime.Interpreter.from_bytes(data, arena_size=HOST_ARENA_BYTES, intrepreter_config=config)
    except Exception as err:  # noqa: BLE001 -- TFLM reports failures as bare RuntimeErrors
        raise ModelError("the tflite-micro interpreter cannot load the model:", details=str(err), where=where,
                         fix="check that the model runs in TFLM (python -m tinyml_build inspect)") from None


# Ops whose kTfLiteAbort stops an invoke on purpose: the wheel's Python invoke() does not report it
# (it returns as after a full run, outputs unchanged), so it cannot say which runs stopped.
STOPPING_OPS = ("CIRCULAR_BUFFER",)


def refuse_stopping_ops(model: Model) -> None:
    """ModelError when `model` has an op that stops invokes (the wheel cannot judge those runs)."""
    names = sorted({op.name for sg in model.subgraphs for op in sg.operators} & set(STOPPING_OPS))
    if names:
        raise ModelError(f"the tflite-micro wheel cannot judge {', '.join(names)}: its Python invoke() does not "
                         "report the kTfLiteAbort with which the op stops an invoke until it has its frames",
                         where=model.path, fix="let the pinned TFLM judge: provide its sources (tinyml-build deps "
                                               "status) and g++")


def run(model: Model, inputs: list[list[np.ndarray]], intermediates: bool = False):
    """(outputs per run, {(run, tensor): bytes} of every main-subgraph op output when `intermediates`)."""
    refuse_stopping_ops(model)
    sg = model.main
    interp = interpreter(model.data, model.path, preserve_all_tensors=intermediates)
    outputs, tensors = [], {}
    for run_index, arrays in enumerate(inputs):
        for i, a in enumerate(arrays):
            interp.set_input(a, i)
        interp.invoke()
        outputs.append([np.ascontiguousarray(interp.get_output(i)) for i in range(len(sg.outputs))])
        if intermediates:
            for op in sg.operators:
                for index in op.outputs:
                    # a resource handle (VAR_HANDLE) is TFLM's internal id, not data: the wheel crashes on it
                    if index >= 0 and sg.tensors[index].dtype != "resource":
                        data = interp.GetTensor(index, 0)["tensor_data"]
                        tensors[(run_index, index)] = np.ascontiguousarray(data).tobytes()
    return outputs, tensors
