"""Names a model gets in generated code, from its file name; no model reading needed (the build
plan names models before, and often instead of, parsing them)."""

from pathlib import Path

from tinyml_build.escape import c_identifier


def model_c_name(name: str) -> str:
    """A model name usable as a C identifier prefix: 'kws-v2' -> 'kws_v2', '3d' -> 'm_3d', '' -> 'model'.
    Every generated symbol, file name and string of a model is made from this name, never from
    the raw file name (which may hold anything a file system allows)."""
    return c_identifier(name or "model", digit_prefix="m_")


def model_name_from_path(path: str | Path) -> str:
    """The model's name from its file name: 'kws-v2.tflite' -> 'kws_v2'."""
    return model_c_name(Path(path).stem)
