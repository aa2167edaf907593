"""<name>_op_resolver.h: a MicroMutableOpResolver sized and filled for exactly the ops used.

Why generated: an AllOpsResolver links every kernel and wastes flash; a hand-written resolver
drifts from the model. This header registers each distinct op once (TFLM rejects a second Add
of the same op) in a resolver whose capacity is exactly that count, taken from op_inventory.
Given the ops' tensor types (`op_uses`), an op whose every use one type-specialized registration
covers gets that one (`AddConv2D(tflite::Register_CONV_2D_INT8())`): the image then links only that
type's kernel code; any other op keeps its generic registration.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from tinyml_build.analysis import op_inventory
from tinyml_build.codegen.templating import c_identifier, render
from tinyml_build.errors import ModelError, TinyMLError
from tinyml_build.escape import c_comment

TEMPLATE = "op_resolver.h.j2"


def union_ops(per_model_ops: Iterable[Iterable[str]]) -> list[str]:
    """The sorted union of several models' op lists: one resolver serves every model in an image."""
    return sorted({name for ops in per_model_ops for name in ops})


@dataclass(frozen=True)
class Registration:
    """One line of the resolver: the op, and the type-specialized registration passed to its Add*
    method (None: the method's default, generic registration)."""

    op: op_inventory.OpInfo
    typed: op_inventory.TypedRegistration | None


def registrations(op_names: Iterable[str], op_uses: Iterable[op_inventory.OpUse] | None,
                  where: str) -> list[Registration]:
    """The resolver's registrations, sorted by op name. `op_uses` must hold every use of every op in
    the image (all its models): an op gets a specialized registration only if that covers each use.
    None: every op generic."""
    ops = op_inventory.lookup_all(list(op_names), where=where)
    if op_uses is None:
        return [Registration(op, None) for op in ops]
    uses = sorted(set(op_uses))
    used = {use.name for use in uses}
    if used != {op.name for op in ops}:
        raise TinyMLError(f"the op types given for {where} do not match its ops "
                          f"({', '.join(sorted(used ^ {op.name for op in ops}))} in only one of them)",
                          where=where, fix="pass the uses of exactly the resolver's ops (BuildConfig.op_uses())")
    return [Registration(op, op_inventory.select_registration(op.name, uses)) for op in ops]


def render_op_resolver(name: str, op_names: Iterable[str], models: Iterable[str] = (),
                       op_uses: Iterable[op_inventory.OpUse] | None = None) -> str:
    """The header text for resolver `name` registering `op_names` (duplicates collapse).

    `models` names what the ops came from, for the header comment; only file names are kept so
    the output never carries a machine's paths. `op_uses`: see `registrations`. Every op is
    checked before anything is rendered.
    """
    entries = registrations(op_names, op_uses, where=f"op resolver '{name}'")
    if not entries:
        raise ModelError("no operators to register", where=f"op resolver '{name}'",
                         fix="a model must contain at least one operator")
    ops = [entry.op for entry in entries]
    prefix = c_identifier(name)
    model_names = sorted({PurePath(m).name for m in models})
    return render(
        TEMPLATE,
        name=name,
        prefix=prefix,
        guard=f"TML_{prefix.upper()}_OP_RESOLVER_H_",
        op_count=len(ops),
        entries=entries,
        models_comment=_comment_list(model_names) if model_names else "",
        ops_comment=_comment_list(op.name for op in ops),
        tflm_commit=op_inventory.TFLM_COMMIT,
    )


def _comment_list(names: Iterable[str]) -> str:
    """A comma-separated list wrapped into `//` comment lines, each name escaped for the comment
    (it may be a file name: no line break, no line-continuing backslash)."""
    return textwrap.fill(", ".join(c_comment(n) for n in names), width=96, initial_indent="//   ",
                         subsequent_indent="//   ", break_on_hyphens=False, break_long_words=False)
