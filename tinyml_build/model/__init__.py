"""Reading .tflite flatbuffers: verify every offset first, then parse into plain dataclasses."""

from tinyml_build.model.reader import Model, Operator, OperatorCode, Quantization, Subgraph, Tensor, load_model, read_model

__all__ = ["Model", "Operator", "OperatorCode", "Quantization", "Subgraph", "Tensor", "load_model", "read_model"]
