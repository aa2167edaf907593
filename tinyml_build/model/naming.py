"""Names a model gets in generated code, from its file name; no model reading needed (the build
plan names models before, and often instead of, parsing them)."""

import re
from pathlib import Path


def model_c_name(name: str) -> str:
    """A model name usable as a C identifier prefix: 'kws-v2' -> 'kws_v2', '3d' -> 'm_3d'."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name) or "model"
    return f"m_{ident}" if ident[0].isdigit() else ident


def model_name_from_path(path: str | Path) -> str:
    """The model's name from its file name: 'kws-v2.tflite' -> 'kws_v2'."""
    return model_c_name(Path(path).stem)
