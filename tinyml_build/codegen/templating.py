"""The one jinja2 environment every code generator renders with.

Why shared: the same strictness everywhere (a missing template variable is an error, never an
empty string), the same whitespace rules, so generated files are byte-for-byte reproducible, and
the same escaping filters (`c_comment`, `c_string`, `linker_comment`, `c_identifier`), so a
string from a model reaches generated code only through tinyml_build.escape.
"""

from __future__ import annotations

import functools

import jinja2

from tinyml_build import escape
from tinyml_build.codegen import TEMPLATE_DIRS
from tinyml_build.errors import TinyMLError


def c_identifier(name: str) -> str:
    """`name` made usable as a C identifier prefix: 'kws-v2' -> 'kws_v2', '2d' -> 'tml_2d'.

    Why not reject: model names come from file names, where '-' and '.' are ordinary.
    """
    if not any(ch.isascii() and ch.isalnum() for ch in str(name)):
        raise TinyMLError(f"'{name}' cannot name generated C symbols", where="name",
                          fix="use a name with at least one ASCII letter or digit")
    return escape.c_identifier(name)


@functools.cache
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
    # Every string from a model or a path is written through one of these, named in the template
    # where it is used (tinyml_build/escape.py says why). No autoescape: it knows HTML, not C.
    env.filters["c_identifier"] = c_identifier
    env.filters["c_comment"] = escape.c_comment
    env.filters["c_string"] = escape.c_string
    env.filters["linker_comment"] = escape.linker_comment
    return env


def render(template_name: str, **context) -> str:
    """Render one template (by file name, from TEMPLATE_DIRS) with `context`."""
    return environment().get_template(template_name).render(**context)
