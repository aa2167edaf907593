"""Generated sources shared by the runtimes: the model array and the op resolver (templates/ here),
the one jinja2 environment every generator renders with (templating), and the digest of the code
behind each generated file (provenance)."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Each template lives beside the code that renders it; names are unique across these folders.
TEMPLATE_DIRS = tuple(_PACKAGE_DIR / d for d in ("codegen/templates", "runtimes/aot/templates",
                                                  "runtimes/tflm/templates", "platform/templates",
                                                  "export/templates"))
