"""The one jinja2 environment every code generator renders with.

Why shared: the same strictness everywhere (a missing template variable is an error, never an
empty string) and the same whitespace rules, so generated files are byte-for-byte reproducible.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2

from tinyml_build.codegen import TEMPLATE_DIRS
from tinyml_build.errors import TinyMLError



_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def c_identifier(name: str) -> str:
    """`name` made usable as a C identifier prefix: 'kws-v2' -> 'kws_v2', '2d' -> 'tml_2d'.

    Why not reject: model names come from file names, where '-' and '.' are ordinary.
    """
    ident = _NOT_IDENTIFIER.sub("_", name)
    if not ident.strip("_"):
        raise TinyMLError(f"'{name}' cannot name generated C symbols", where="name",
                          fix="use a name with at least one letter or digit")
    return f"tml_{ident}" if ident[0].isdigit() else ident


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The environment loading templates from TEMPLATE_DIRS."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["c_identifier"] = c_identifier
    return env


def render(template_name: str, **context) -> str:
    """Render one template (by file name, from TEMPLATE_DIRS) with `context`."""
    return environment().get_template(template_name).render(**context)
