"""Ops that only an NPU runs: a model Vela compiled for an Arm Ethos-U holds its layers as one
custom op 'ethos-u' (the NPU's command stream and weights), which no CPU kernel computes.

Why a build-time refusal for both runtimes: aot compiles ops to CPU code, and runtime=tflm links
TFLM's Ethos-U stub (kernels/ethosu.cc: AddEthosU registers nothing), so the image would stop at
AllocateTensors with "Didn't find op" on the device. The model Vela was given runs on the CPU.
"""

from tinyml_build.escape import terminal
from tinyml_build.model.reader import Model

NPU_OPS = {"ethos-u": "Arm Ethos-U NPU"}


def npu_op_findings(model: Model) -> list[tuple[str, str]]:
    """(what, fix) for the first NPU op of the model, empty when it has none."""
    for sg in model.subgraphs:
        for op in sg.operators:
            npu = NPU_OPS.get(op.name)
            if npu is None:
                continue
            what = (f"op #{op.index} {terminal(op.name)} (subgraph {sg.index}): the model was compiled for an {npu} "
                    "by Vela; that op is the NPU's command stream, which no CPU kernel runs: runtime=aot runs on "
                    "the CPU only, and runtime=tflm links TFLM's Ethos-U stub (kernels/ethosu.cc registers no "
                    "kernel), so the image would stop at AllocateTensors; a real Ethos-U build needs TFLM's "
                    "CO_PROCESSOR=ethos_u kernel and Arm's Ethos-U core driver, which this project does not build")
            fix = ("build the model as it was before Vela (the .tflite given to `vela`): both runtimes run "
                   "it on the CPU")
            return [(what, fix)]
    return []
