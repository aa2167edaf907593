"""Reading .tflite flatbuffers: verify every offset first, then parse into plain dataclasses.

The names below load the reader (and the flatbuffer schema) on first use only: a build plan that
finds its model facts cached never parses a model.
"""

__all__ = ["Model", "Operator", "OperatorCode", "Quantization", "Subgraph", "Tensor", "load_model", "read_model"]


def __getattr__(name: str):
    if name in __all__:
        from tinyml_build.model import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
