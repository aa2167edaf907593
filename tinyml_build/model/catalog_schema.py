"""The schema of models/<name>/model.yaml: what the catalog knows about a shipped model.

Only what the file itself says is checked here; that the named .tflite and sample files exist and
that the sha256 matches are checked by catalog.load_model on every load.
"""

import re
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from tinyml_build.config.schema_base import PositiveInt, Says, Schema, invalid, validate
from tinyml_build.errors import ModelError

DTYPES = ("float32", "int16", "int32", "int8", "uint8")
SHA256 = re.compile(r"[0-9a-f]{64}")

# An optional key is absent or has a value: `key: null` is refused like any other wrong type
# (hence `= None` defaults on types without None).


class Source(Schema):
    script: str
    command: str
    framework: str = None
    training: str = None
    architecture: str = None


class Tensor(Schema):
    name: str
    shape: Annotated[list[PositiveInt], Says("a list of positive integers", fix="write the shape like [1, 49, 10, 1]")]
    dtype: Literal[DTYPES]
    meaning: str
    quantization: dict[str, Any] = None
    front_end: dict[str, Any] = None


class Sample(Schema):
    file: str
    label: str
    tflm_output: list[int] = None


Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Requirements(Schema):
    """What the product needs (the report's step 0); the options of the same names win."""

    rate_hz: Positive = None
    latency_ms: Positive = None
    power_mw: Positive = None
    battery_mah: Positive = None
    life_days: Positive = None


Tensors = Annotated[list[Tensor], Field(min_length=1),
                    Says("a list of tensors (at least one)", fix="describe each tensor: name, shape, dtype, meaning")]


class ModelFile(Schema):
    description: str
    tflite: str
    sha256: str
    source: Source
    inputs: Tensors
    outputs: Tensors
    data: str
    accuracy: dict[str, Any] = None
    labels: list[str] = None
    samples: list[Sample] = None
    reference: str = None  # the float .tflite the int8 model is measured against (accuracy), beside model.yaml
    requirements: Requirements = None

    @field_validator("reference")
    @classmethod
    def _a_float_model_beside_model_yaml(cls, value: str) -> str:
        if PurePosixPath(value).name != value or "\\" in value or not value.endswith(".tflite"):
            raise invalid(f"must be a file name ending in .tflite, got '{value}'",
                          fix="put the float .tflite next to model.yaml and give only its name")
        return value

    @field_validator("tflite")
    @classmethod
    def _a_file_name_beside_model_yaml(cls, value: str) -> str:
        if PurePosixPath(value).name != value or "\\" in value or not value.endswith(".tflite"):
            raise invalid(f"must be a file name ending in .tflite, got '{value}'",
                          fix="put the .tflite next to model.yaml and give only its name")
        return value

    @field_validator("sha256")
    @classmethod
    def _sha256_digits(cls, value: str, info: ValidationInfo) -> str:
        if not SHA256.fullmatch(value):
            tflite = PurePosixPath((info.context or {}).get("folder", "."), info.data.get("tflite", "MODEL.tflite"))
            raise invalid(f"must be 64 lowercase hex digits, got '{value}'",
                          fix=f"set it to the output of: sha256sum {tflite}")
        return value


def check(data, shown: str, folder: str) -> None:
    """ModelError for the first problem of a model.yaml's data (`folder`: the model folder, for fixes)."""
    validate(ModelFile, data, shown, ModelError, context={"folder": folder},
             empty_fix="describe the model (see models/hello_world/)")
