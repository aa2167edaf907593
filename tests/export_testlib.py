"""Helpers of tests/test_export*.py: export a model without SCons, write an application that calls
only the exported API, and compare its outputs with the tflite-micro interpreter's (golden.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import PROJECT_DIR

from tinyml_build.config.build_config import resolve
from tinyml_build.export import layout
from tinyml_build.export.render import plan_export, render_export
from tinyml_build.export.tree import write_tree
from tinyml_build.model.reader import load_model
from tinyml_build.verification import golden

VECTORS = 2
SEED = 7


def export(folder: Path, target: str, model: str, runtime: str = "aot", arena: str = "auto"):
    """Export `model` for `target` into `folder`; (plan, files). `arena`: runtime=tflm's arena= option."""
    config = resolve(PROJECT_DIR, target, model, runtime=runtime)
    plan = plan_export(config, PROJECT_DIR, folder, Path(model).name if "/" in model else model, arena=arena)
    files = render_export(plan)
    write_tree(folder, files)
    return plan, files


def golden_of(plan) -> golden.Golden:
    return golden.make_golden(load_model(plan.tflite, name=plan.model_name), name=plan.model_name,
                              random_vectors=VECTORS, seed=SEED, samples=())


def host_app(plan) -> str:
    """A program that includes only tml_<model>.h and calls only the API: inputs from argv[1], outputs to
    argv[2], for every vector; it also checks the header's constants against the API's run-time facts."""
    p = layout.macro_prefix(plan.library)
    return f"""#include <stdio.h>
#include <stdlib.h>

#include "{layout.model_header(plan.library)}"

static const int32_t input0_dims[] = {p}_INPUT0_DIMS;

int main(int argc, char **argv) {{
  const tml_model_api *api = &{p}_API;
  FILE *in;
  FILE *out;
  long runs;
  long r;
  uint32_t i;
  if (argc != 4) {{
    return 2;
  }}
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  runs = strtol(argv[3], NULL, 10);
  if (in == NULL || out == NULL || api->init() != TML_OK) {{
    return 3;
  }}
  if (api->num_inputs != {p}_NUM_INPUTS || api->num_outputs != {p}_NUM_OUTPUTS ||
      api->input(0)->bytes != {p}_INPUT0_BYTES || api->output(0)->bytes != {p}_OUTPUT0_BYTES ||
      api->input(0)->dtype != {p}_INPUT0_TYPE || api->input(0)->rank != {p}_INPUT0_RANK ||
      api->input(0)->dims[0] != input0_dims[0] || api->input(0)->scale != {p}_INPUT0_SCALE ||
      api->input(0)->zero_point != {p}_INPUT0_ZERO_POINT || api->arena_reserved != {p}_ARENA_BYTES) {{
    return 4;
  }}
  for (r = 0; r < runs; ++r) {{
    for (i = 0; i < api->num_inputs; ++i) {{
      if (fread(api->input(i)->data, 1, api->input(i)->bytes, in) != api->input(i)->bytes) {{
        return 5;
      }}
    }}
    if (api->invoke() != TML_OK) {{
      return 6;
    }}
    for (i = 0; i < api->num_outputs; ++i) {{
      fwrite(api->output(i)->data, 1, api->output(i)->bytes, out);
    }}
  }}
  fclose(out);
  return 0;
}}
"""


def vector_files(folder: Path, g: golden.Golden) -> tuple[Path, bytes]:
    """inputs.bin for the app; the outputs tflite-micro computed for them."""
    inputs = folder / "inputs.bin"
    inputs.write_bytes(b"".join(b for v in g.vectors for b in v.inputs))
    return inputs, b"".join(b for v in g.vectors for b in v.outputs)
