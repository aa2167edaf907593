"""Format a lowered Program as C: <name>_model.c (arena, constants, invoke) and <name>_model.h.

Only formatting happens here: every number was decided by lowering and planning. Output is
deterministic (no timestamps, no absolute paths), so identical models give identical files.
"""

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.codegen.templating import render as render_template
from tinyml_build.escape import require_c_identifier
from tinyml_build.fileio import write_atomic
from tinyml_build.model.reader import Model
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, KERNELS_DIR
from tinyml_build.runtimes.aot.lower import c_literal, lower_model
from tinyml_build.runtimes.aot.program import CArray, IOTensor, Program

_VALUES_PER_LINE = {"float": 6, "int64_t": 8, "uint64_t": 6, "int32_t": 10, "uint32_t": 10, "int16_t": 14,
                    "uint16_t": 14}


def array_body(array: CArray) -> str:
    per_line = _VALUES_PER_LINE.get(array.ctype, 20)
    literals = [c_literal(v.item(), array.ctype) for v in array.values]
    lines = [", ".join(literals[i:i + per_line]) for i in range(0, len(literals), per_line)]
    return ",\n".join("    " + line for line in lines)


def io_tensor(t: IOTensor) -> str:
    dims = list(t.dims) + [0] * (6 - len(t.dims))
    return (
        f"{{.data = (void *){t.pointer}, .bytes = {t.nbytes}u, .dtype = {t.dtype_enum}, .rank = {len(t.dims)}u, "
        f".dims = {{{', '.join(str(d) for d in dims)}}}, .scale = {c_literal(t.scale, 'float')}, "
        f".zero_point = {c_literal(t.zero_point)}}}"
    )


def render(program: Program, shared_arena: bool = False) -> dict[str, str]:
    """File name -> contents of the generated C for one program; `shared_arena`: the program uses
    the image's tml_aot_shared_arena (shared_arena.py) instead of an arena of its own."""
    require_c_identifier(program.name, "model name")
    helpers = dict(array_body=array_body, io_tensor=io_tensor, shared_arena=shared_arena)
    guard = f"TML_{program.name.upper()}_MODEL_H"
    return {
        f"{program.name}_model.c": render_template("aot_model.c.j2", p=program, **helpers),
        f"{program.name}_model.h": render_template("aot_model.h.j2", p=program, guard=guard, **helpers),
    }


@dataclass(frozen=True)
class GeneratedSources:
    """What a build needs to compile one aot model."""

    program: Program
    files: list[Path]  # generated .c/.h in the output directory
    kernel_sources: list[Path]  # runtime/aot/kernels/*.c the model calls
    include_dirs: list[Path]

    @property
    def c_sources(self) -> list[Path]:
        return [f for f in self.files if f.suffix == ".c"] + self.kernel_sources


def kernel_sources(program: Program) -> list[Path]:
    return [KERNELS_DIR / f"{k}.c" for k in program.kernels]


def generate(model: Model, out_dir: str | Path, name: str | None = None,
             shared_arena: bool = False) -> GeneratedSources:
    """Lower `model` and write <name>_model.c/.h into `out_dir` (created if needed)."""
    program = lower_model(model, name=name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for filename, text in render(program, shared_arena).items():
        path = out / filename
        if not path.is_file() or path.read_text() != text:  # keep timestamps when nothing changed
            write_atomic(path, text)
        files.append(path)
    return GeneratedSources(program=program, files=files, kernel_sources=kernel_sources(program),
                            include_dirs=[AOT_INCLUDE_DIR, API_INCLUDE_DIR])
