"""Text from untrusted places (a .tflite's strings, file names, option values) made safe for the
place it goes. One function per output language; every generator and message uses these.

Why: a .tflite is untrusted input. A tensor name holding `*/` would end a C comment and compile what
follows; a newline in a file name would start a new line in a `//` comment or a linker script; ANSI
escapes in a name would rewrite the user's terminal.
"""

from __future__ import annotations

import json

_C0 = {i for i in range(0x20)} | {0x7F}


def terminal(text: object, keep_newlines: bool = False) -> str:
    """Printable on a terminal: control characters (ANSI escapes, NUL, DEL, C1, and newlines unless
    `keep_newlines`) as \\xNN, backslashes doubled so an escape cannot be faked."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif code in _C0 or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def c_comment(text: object) -> str:
    """Safe inside a C or C++ comment of either kind: printable ASCII only (others as \\xNN or
    \\uNNNN), no line break, no `*/`, `/*`, trailing backslash or trigraph."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out).replace("*/", "*\\/").replace("/*", "/\\*").replace("??", "?\\?")


def c_string(text: object) -> str:
    """A C string literal (with the quotes) holding the UTF-8 bytes of `text`, printable ASCII kept,
    everything else as octal escapes (octal: a following digit cannot extend it past 3 digits)."""
    out = ['"']
    for byte in str(text).encode("utf-8", errors="surrogateescape"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "?":
            out.append("\\?")  # no trigraphs
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def linker_comment(text: object) -> str:
    """Safe inside a GNU ld /* */ comment: the C comment rules apply."""
    return c_comment(text)


def html(text: object) -> str:
    """Text content or a double-quoted attribute value in HTML."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def xml_text(text: object) -> str:
    """Text XML 1.0 can hold (an element's text or an attribute value, before the XML writer escapes
    `&`, `<`, `>` and quotes): characters XML forbids -- C0 controls other than tab, newline and
    carriage return, surrogates, U+FFFE and U+FFFF -- as \\xNN or \\uNNNN, backslashes doubled so an
    escape cannot be faked. A console log holding an ANSI escape or a NUL stays a well-formed file."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code < 0xE000 or code in (0xFFFE, 0xFFFF):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def json_text(value: object) -> str:
    """A JSON value (json.dumps escapes control characters and quotes; non-ASCII kept as \\u)."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True)
