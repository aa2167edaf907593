"""TFLM_DECODE (TFLM's compression): decoded at build time, see runtimes/aot/decode_fold.py.

Only decoded graph outputs reach this lowering (every other decoded tensor is a constant by then):
invoke() writes an output, so the decoded values are copied from flash into it.
"""

import numpy as np

from tinyml_build.model.tflm_decode import decode
from tinyml_build.runtimes.aot.decode_fold import decode_pairs
from tinyml_build.runtimes.aot.ops import register


@register("TFLM_DECODE")
def lower(ctx) -> None:
    graph = f"subgraph {ctx.subgraph} " if ctx.subgraph else ""
    for k, (encoded, ancillary, out) in enumerate(decode_pairs(ctx.op, ctx.model_path, graph)):
        tensors = ctx.sg.tensors
        what = f"{graph}op #{ctx.index} TFLM_DECODE output {k} (tensor #{out} '{tensors[out].name}')"
        data = decode(tensors[encoded], tensors[ancillary], tensors[out], ctx.model_path, what)
        values = ctx.array(np.frombuffer(data, np.uint8), "uint8_t", f"output {k} decoded")
        ctx.call("tml_copy", ctx.output_ptr(k), values, f"{len(data)}u", kernel="copy")
