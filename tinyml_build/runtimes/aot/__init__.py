"""runtime=aot: lower a .tflite model to straight-line C with a static arena.

    from tinyml_build.runtimes.aot import generate
    sources = generate(load_model("kws.tflite"), "build/kws")   # writes kws_model.c / .h

The generated model implements tinyml_build/runtimes/include/tml_model_api.h and calls the
kernels in tinyml_build/runtimes/aot/kernels/, bit-exact with the tflite-micro interpreter
(checked by `python -m tinyml_build.verification.host_check model.tflite`). See README.md here for
how to add an op.
"""

__all__ = ["GeneratedSources", "generate", "lower_model", "render", "supported_ops"]
_HOMES = {"GeneratedSources": "emit", "generate": "emit", "render": "emit", "lower_model": "lower",
          "supported_ops": "ops"}


def __getattr__(name: str):
    """The names above, loaded on first use: the build plan imports runtimes.aot.plan without
    loading the lowering (and numpy) when the model facts are cached."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
