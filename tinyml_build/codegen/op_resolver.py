"""<name>_op_resolver.h: a MicroMutableOpResolver sized and filled for exactly the ops used.

Why generated: an AllOpsResolver links every kernel and wastes flash; a hand-written resolver
drifts from the model. This header registers each distinct op once (TFLM rejects a second Add
of the same op) in a resolver whose capacity is exactly that count, taken from op_inventory.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import PurePath

from tinyml_build.analysis import op_inventory
from tinyml_build.codegen.templating import c_identifier, render
from tinyml_build.errors import ModelError
from tinyml_build.escape import c_comment

TEMPLATE = "op_resolver.h.j2"


def union_ops(per_model_ops: Iterable[Iterable[str]]) -> list[str]:
    """The sorted union of several models' op lists: one resolver serves every model in an image."""
    return sorted({name for ops in per_model_ops for name in ops})


def render_op_resolver(name: str, op_names: Iterable[str], models: Iterable[str] = ()) -> str:
    """The header text for resolver `name` registering `op_names` (duplicates collapse).

    `models` names what the ops came from, for the header comment; only file names are kept so
    the output never carries a machine's paths. Every op is checked before anything is rendered.
    """
    op_names = list(op_names)
    ops = op_inventory.lookup_all(op_names, where=f"op resolver '{name}'")
    if not ops:
        raise ModelError("no operators to register", where=f"op resolver '{name}'",
                         fix="a model must contain at least one operator")
    prefix = c_identifier(name)
    model_names = sorted({PurePath(m).name for m in models})
    return render(
        TEMPLATE,
        name=name,
        prefix=prefix,
        guard=f"TML_{prefix.upper()}_OP_RESOLVER_H_",
        op_count=len(ops),
        ops=ops,
        models_comment=_comment_list(model_names) if model_names else "",
        ops_comment=_comment_list(op.name for op in ops),
        tflm_commit=op_inventory.TFLM_COMMIT,
    )


def _comment_list(names: Iterable[str]) -> str:
    """A comma-separated list wrapped into `//` comment lines, each name escaped for the comment
    (it may be a file name: no line break, no line-continuing backslash)."""
    return textwrap.fill(", ".join(c_comment(n) for n in names), width=96, initial_indent="//   ",
                         subsequent_indent="//   ", break_on_hyphens=False, break_long_words=False)
