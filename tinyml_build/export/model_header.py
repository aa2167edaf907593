"""The model header of an export (`tml_<model>.h`): the API symbol and the model's facts as constants.

Why constants: application code sizes its buffers, checks types and (de)quantizes at compile time
without calling init() or reading tml_model_api.h's structs -- and needs no other header. Every
string comes from the checked C name or through tinyml_build.escape (tensor names are the model's
untrusted text: they appear only in comments, escaped).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyml_build.codegen.templating import render
from tinyml_build.export.layout import macro_prefix, model_header


@dataclass(frozen=True)
class IoConstant:
    name: str  # the tensor's name in the model (untrusted: comments only, escaped)
    dtype_enum: str  # TML_INT8, ...
    dims: tuple[int, ...]
    nbytes: int
    scale: float
    zero_point: int

    @property
    def dims_initializer(self) -> str:
        return "{ " + ", ".join(str(d) for d in self.dims) + " }" if self.dims else "{ 0 }"  # as clang-format puts it

    @property
    def scale_literal(self) -> str:
        """Nine significant digits identify a float32 exactly, in C and in C++ before C++17 (no hex floats:
        Arduino sketches are C++11)."""
        text = format(self.scale, ".9g")
        return f"{text}f" if any(c in text for c in ".e") else f"{text}.0f"


@dataclass(frozen=True)
class ModelFactsForHeader:
    name: str  # checked C identifier
    sha256: str
    runtime: str
    api_symbol: str  # <name>_model_api
    api_header: str  # the runtime's own header declaring api_symbol
    model_bytes: int
    arena_bytes: int
    inputs: tuple[IoConstant, ...]
    outputs: tuple[IoConstant, ...]
    declare_api: bool = False  # api_header does not declare api_symbol (runtime=tflm): the header does


def from_aot_program(program, runtime: str = "aot") -> ModelFactsForHeader:
    """The facts of a lowered aot Program (runtimes/aot/program.py)."""
    def io(t):
        return IoConstant(t.name, t.dtype_enum, tuple(t.dims), t.nbytes, float(t.scale), int(t.zero_point))

    return ModelFactsForHeader(name=program.name, sha256=program.sha256, runtime=runtime,
                               api_symbol=f"{program.name}_model_api", api_header=f"{program.name}_model.h",
                               model_bytes=program.model_bytes, arena_bytes=program.arena_size,
                               inputs=tuple(io(t) for t in program.inputs),
                               outputs=tuple(io(t) for t in program.outputs))


def render_model_header(library: str, facts: ModelFactsForHeader) -> str:
    prefix = macro_prefix(library)
    return render("export_model.h.j2", lib=library, prefix=prefix, f=facts, header=model_header(library),
                  guard=f"{prefix}_H")


def from_tflm_model(model, arena_bytes: int) -> ModelFactsForHeader:
    """The facts of a model run by TFLM (runtime=tflm), as the generated wrapper reports them at run
    time: a quantized tensor's scale and zero point are its first channel's (TFLM's `params`)."""
    import numpy as np

    from tinyml_build.errors import UnsupportedOpError
    from tinyml_build.runtimes.aot.program import C_TYPES

    sg = model.main

    def io(index: int) -> IoConstant:
        t = sg.tensors[index]
        if t.dtype not in C_TYPES:
            raise UnsupportedOpError(f"graph input/output tensor #{t.index} has type {t.dtype}, which tml_model_api.h "
                                     "cannot describe", where=model.path, fix="export a model with numeric I/O tensors")
        q = t.quantization
        scale, zero_point = (float(np.float32(q.scale[0])), int(q.zero_point[0])) if q is not None else (0.0, 0)
        return IoConstant(t.name, C_TYPES[t.dtype][1], tuple(t.shape), t.nbytes, scale, zero_point)

    return ModelFactsForHeader(name=model.name, sha256=model.sha256, runtime="tflm",
                               api_symbol=f"{model.name}_model_api", api_header="tml_model_api.h",
                               model_bytes=model.size, arena_bytes=arena_bytes,
                               inputs=tuple(io(i) for i in sg.inputs), outputs=tuple(io(i) for i in sg.outputs),
                               declare_api=True)
