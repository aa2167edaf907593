"""The generated C/C++ of a runtime=tflm image: tml_model_api over tflite::MicroInterpreter.

Per model, two files under gen/:
  <name>_tflm_api.cc  C++ (extern "C" functions): builds the MicroInterpreter in static storage
                      from <name>_model_data.cc and the image's <label>_op_resolver.h; its code
                      does not depend on the arena size, so the arena probe and the final image
                      share its object.
  <name>_model.c      C: the tensor arena (section .bss.tml_arena.<name>) and the
                      `const tml_model_api <name>_model_api` the application uses. The only
                      file that changes when the measured arena changes (it compiles in ms).
For the arena probe image, one file: tml_arena_probe_models.c (one large shared arena, every
model's arena symbol aliased to it, and the table the probe walks).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

from tinyml_build.analysis import op_inventory
from tinyml_build.escape import require_c_identifier

if TYPE_CHECKING:
    from tinyml_build.model.reader import Model

API_TEMPLATE = "tflm_api.cc.j2"
DESCRIPTOR_TEMPLATE = "tflm_model.c.j2"
PROBE_TEMPLATE = "tflm_arena_probe_models.c.j2"
ARENA_ALIGNMENT = 16  # TFLM's MicroArenaBufferAlignment()


def api_file_name(name: str) -> str:
    return f"{name}_tflm_api.cc"


def descriptor_file_name(name: str) -> str:
    return f"{name}_model.c"


PROBE_FILE_NAME = "tml_arena_probe_models.c"


def render_api(name: str, model: Model, resolver_label: str) -> str:
    """<name>_tflm_api.cc for `model`, using the resolver generated as <resolver_label>_op_resolver.h."""
    from tinyml_build.codegen.templating import c_identifier, render  # jinja2 only when rendering

    require_c_identifier(name, "model name")
    require_c_identifier(resolver_label, "resolver label")  # in an #include, where nothing is escaped
    return render(API_TEMPLATE, name=name, source=PurePath(model.path).name, sha256=model.sha256,
                  resolver=resolver_label, prefix=c_identifier(resolver_label),
                  num_inputs=len(model.main.inputs), num_outputs=len(model.main.outputs),
                  num_opcodes=max(1, len(model.operator_codes)), tflm_commit=op_inventory.TFLM_COMMIT,
                  resource_variables=resource_variable_count(model))


def resource_variable_count(model: Model) -> int:
    """Distinct VAR_HANDLE shared names: the MicroResourceVariables TFLM needs (0: none created)."""
    return len({op.options.get("shared_name") for sg in model.subgraphs for op in sg.operators
                if op.name == "VAR_HANDLE"})


def render_descriptor(name: str, model: Model, arena_bytes: int, arena_comment: str) -> str:
    """<name>_model.c: the arena (`arena_bytes`, a multiple of 16) and the tml_model_api."""
    from tinyml_build.codegen.templating import render  # jinja2 only when rendering

    if arena_bytes <= 0 or arena_bytes % ARENA_ALIGNMENT:
        raise ValueError(f"arena size {arena_bytes} must be a positive multiple of {ARENA_ALIGNMENT}")
    require_c_identifier(name, "model name")
    return render(DESCRIPTOR_TEMPLATE, name=name, source=PurePath(model.path).name, sha256=model.sha256,
                  operator_count=len(model.main.operators), tensor_count=len(model.main.tensors),
                  model_bytes=model.size, num_inputs=len(model.main.inputs), num_outputs=len(model.main.outputs),
                  arena_bytes=arena_bytes, arena_comment=arena_comment)


def render_probe_models(names: list[str], capacity: int) -> str:
    """tml_arena_probe_models.c: one shared `capacity`-byte arena for the models `names`."""
    from tinyml_build.codegen.templating import render  # jinja2 only when rendering

    if capacity <= 0 or capacity % ARENA_ALIGNMENT:
        raise ValueError(f"probe arena {capacity} must be a positive multiple of {ARENA_ALIGNMENT}")
    for name in names:
        require_c_identifier(name, "model name")
    return render(PROBE_TEMPLATE, models=list(names), capacity=capacity)
