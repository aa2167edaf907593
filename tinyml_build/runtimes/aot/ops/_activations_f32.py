"""float32 RELU, RELU6, LEAKY_RELU, HARD_SWISH (kernels/activations_f32.c), LOGISTIC and TANH
(kernels/float_math.c, libm), as TFLM's float reference kernels.

Not an op itself (registers nothing): each op module sends float32 inputs here. These kernels have
no parameters beyond LEAKY_RELU's alpha, taken as the float32 the model stores (TFLM's
TfLiteLeakyReluParams.alpha is a float).
"""

import numpy as np

from tinyml_build.runtimes.aot.lower import c_literal
from tinyml_build.runtimes.aot.ops._unary import lower_float_map, same_shape_io

ACTIVATIONS = {"RELU": "tml_relu_f32", "RELU6": "tml_relu6_f32", "LEAKY_RELU": "tml_leaky_relu_f32",
               "HARD_SWISH": "tml_hard_swish_f32"}
LIBM_MAPS = {"LOGISTIC": "tml_logistic_f32", "TANH": "tml_tanh_f32"}  # expf / tanhf: see float_math.c


def lower_activation_f32(ctx) -> None:
    """Lower the float32 form of ctx's op (one of ACTIVATIONS or LIBM_MAPS)."""
    if ctx.name in LIBM_MAPS:
        lower_float_map(ctx, LIBM_MAPS[ctx.name])
        return
    x, y = same_shape_io(ctx, ("float32",))
    if x.elements == 0:
        return
    leading = []
    if ctx.name == "LEAKY_RELU":
        leading.append(c_literal(float(np.float32(ctx.options.get("alpha", 0.0))), "float"))
    ctx.allow_in_place(y, x)  # element i read, then written
    ctx.call(ACTIVATIONS[ctx.name], *leading, ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements),
             kernel="activations_f32")
