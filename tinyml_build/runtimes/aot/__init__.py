"""runtime=aot: lower a .tflite model to straight-line C with a static arena.

    from tinyml_build.runtimes.aot import generate
    sources = generate(load_model("kws.tflite"), "build/kws")   # writes kws_model.c / .h

The generated model implements tinyml_build/runtimes/include/tml_model_api.h and calls the
kernels in tinyml_build/runtimes/aot/kernels/, bit-exact with the tflite-micro interpreter
(checked by `python -m tinyml_build.verification.host_check model.tflite`). See README.md here for
how to add an op.
"""

from tinyml_build.runtimes.aot.emit import GeneratedSources, generate, render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops

__all__ = ["GeneratedSources", "generate", "lower_model", "render", "supported_ops"]
