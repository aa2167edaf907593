"""The op table: one lowering module per TFLite builtin op, mirroring the one-op-per-file kernels.

A module in this package registers a function for one or more builtin names:

    @register("FULLY_CONNECTED")
    def lower(ctx: OpContext) -> None: ...

Every module here is imported by `lowerings()`, so adding an op is adding one file here and
one kernel file under runtime/aot/kernels/ (see tinyml_build/runtimes/aot/README.md).
"""

import importlib
import pkgutil
from collections.abc import Callable

_LOWERINGS: dict[str, Callable] = {}
_loaded = False


def register(*builtin_names: str):
    """Decorator: `fn(ctx)` lowers the ops named `builtin_names` (e.g. "CONV_2D")."""

    def decorate(fn: Callable) -> Callable:
        for name in builtin_names:
            if name in _LOWERINGS and _LOWERINGS[name] is not fn:
                raise RuntimeError(f"aot op {name} registered twice "
                                   f"({_LOWERINGS[name].__module__} and {fn.__module__})")
            _LOWERINGS[name] = fn
        return fn

    return decorate


def lowerings() -> dict[str, Callable]:
    """Builtin op name -> lowering function, for every op the aot runtime supports."""
    global _loaded
    if not _loaded:
        for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True
    return dict(sorted(_LOWERINGS.items()))


def supported_ops() -> list[str]:
    return list(lowerings())
