"""`<name>_model_data.h/.cc`: the .tflite as an aligned C array in flash.

Why not `xxd -i`: its array is not aligned (TFLM reads the flatbuffer in place and needs 16),
it is not `const` (so it lands in RAM), and its names come from the file path. Here the array
is `alignas(16) const`, optionally in the target's linker section, and carries the model's
name and sha256 so the image can say which model it runs.
"""

from pathlib import Path

from tinyml_build.codegen.templating import render
from tinyml_build.escape import require_c_identifier
from tinyml_build.fileio import write_atomic

_BYTES_PER_LINE = 16
_HEX = [f"0x{value:02x}," for value in range(256)]


def array_body(data: bytes) -> str:
    """The array initializer, 16 bytes a line; fast enough for multi-megabyte models."""
    hex_items = _HEX.__getitem__
    return "\n".join(
        "  " + "".join(map(hex_items, data[start:start + _BYTES_PER_LINE]))
        for start in range(0, len(data), _BYTES_PER_LINE)
    )


def render_model_data(name: str, data: bytes, sha256: str, source_name: str,
                      section: str | None = None) -> dict[str, str]:
    """{file name: contents} of the header and the source for one model (`name`: a C identifier;
    `source_name`: the file name, shown escaped in comments)."""
    require_c_identifier(name, "model name")
    context = dict(
        name=name,
        macro=name.upper(),
        guard=f"{name.upper()}_MODEL_DATA_H_",
        size=len(data),
        sha256=sha256,
        source_name=source_name,
        section=section,
    )
    return {
        f"{name}_model_data.h": render("model_data.h.j2", **context),
        f"{name}_model_data.cc": render("model_data.cc.j2", array_body=array_body(data), **context),
    }


def write_model_data(out_dir: str | Path, name: str, data: bytes, sha256: str, source_name: str,
                     section: str | None = None) -> list[Path]:
    files = render_model_data(name, data, sha256, source_name, section)
    return [write_atomic(Path(out_dir) / file_name, text) for file_name, text in sorted(files.items())]
