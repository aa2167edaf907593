"""The runtimes that run a model on the device, side by side: aot (the model compiled to C) and
tflm (TFLM's MicroInterpreter). Both implement the C API in include/tml_model_api.h."""

from pathlib import Path

API_INCLUDE_DIR = Path(__file__).resolve().parent / "include"
