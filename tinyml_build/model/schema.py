"""The TFLite flatbuffer schema, from a registry package (never hand-copied).

The tflite-micro wheel ships the generated Python schema that matches the TFLM it was built
from, so the ops and options we read are exactly the ones its interpreter understands. Only
this module knows where it lives inside the wheel.
"""

from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb  # noqa: F401

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3


def _enum_names(enum_class) -> dict[int, str]:
    return {value: name for name, value in vars(enum_class).items()
            if not name.startswith("_") and isinstance(value, int)}


BUILTIN_OPERATOR_NAMES: dict[int, str] = _enum_names(fb.BuiltinOperator)
TENSOR_TYPE_NAMES: dict[int, str] = _enum_names(fb.TensorType)
BUILTIN_OPTIONS_NAMES: dict[int, str] = _enum_names(fb.BuiltinOptions)
ACTIVATION_NAMES: dict[int, str] = _enum_names(fb.ActivationFunctionType)
PADDING_NAMES: dict[int, str] = _enum_names(fb.Padding)

# BuiltinOperator values below this live in the int8 `deprecated_builtin_code` field.
PLACEHOLDER_FOR_GREATER_OP_CODES = fb.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
CUSTOM_OPCODE = fb.BuiltinOperator.CUSTOM
