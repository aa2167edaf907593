"""Text from untrusted places (a .tflite's strings, file names, option values) made safe for the
place it goes. One function per output language; every generator and message uses these.

Why: a .tflite is untrusted input. A tensor name holding `*/` would end a C comment and compile what
follows; a newline in a file name would start a new line in a `//` comment or a linker script; ANSI
escapes in a name would rewrite the user's terminal.

Every function takes any object (`str()` of it), and `str` holding file-name bytes that are not UTF-8
(Python's surrogateescape, U+DC80..U+DCFF) shows those as the bytes they were. Ordinary text --
printable ASCII without backslashes, `?`-pairs or comment delimiters -- comes back unchanged from
terminal() and the comment functions, and c_string() of it is the text in quotes, so generated
files of ordinary models do not change when a string starts going through here.
"""

from __future__ import annotations

import json
import re
import unicodedata

# Unicode categories that do not print as themselves: controls (C0, DEL, C1), format characters
# (bidirectional overrides, zero-width characters), line and paragraph separators, surrogates.
_UNPRINTABLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _undecodable_byte(code: int) -> int | None:
    """The byte a surrogateescape'd character stands for (a file name that is not UTF-8), else None."""
    return code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else None


def _code_point_escape(code: int) -> str:
    """\\xNN for ASCII and undecodable bytes, \\uNNNN / \\UNNNNNNNN for other code points."""
    byte = _undecodable_byte(code)
    if code < 0x80 or byte is not None:
        return f"\\x{code if byte is None else byte:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal(text: object, keep_newlines: bool = False) -> str:
    """Printable on a terminal: control and format characters (ANSI escapes, NUL, DEL, C1, bidi
    overrides, zero-width characters, line separators, and newlines unless `keep_newlines`) as
    \\xNN / \\uNNNN, backslashes doubled so an escape cannot be faked. Other non-ASCII is kept.

    Never raises: undecodable file-name bytes, which print() cannot encode, become \\xNN too."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n" and keep_newlines:
            out.append(ch)
        elif " " <= ch <= "~":
            out.append(ch)
        elif unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES:
            out.append(_code_point_escape(ord(ch)))
        else:
            out.append(ch)
    return "".join(out)


def c_comment(text: object) -> str:
    """Safe inside a C or C++ comment of either kind, and a GNU ld comment, wherever the comment
    ends: printable ASCII only, on one line, never `*/` or `/*`, never a `??` (trigraphs), never a
    backslash at the end (a `//` comment would continue on the next line).

    Everything else becomes \\xNN (ASCII, and undecodable bytes) or \\uNNNN (other code points):
    a backslash as \\x5c, the `/` of `*/` as \\x2f, the `*` of `/*` as \\x2a, the second `?` of
    `??` as \\x3f. Every backslash in the result starts one of these escapes."""
    out: list[str] = []
    previous = ""
    for ch in str(text):
        code = ord(ch)
        if (ch == "\\" or not " " <= ch <= "~" or (previous, ch) in (("*", "/"), ("/", "*"), ("?", "?"))):
            out.append(_code_point_escape(code))
            previous = ""
        else:
            out.append(ch)
            previous = ch
    return "".join(out)


def linker_comment(text: object) -> str:
    """Safe inside a GNU ld `/* */` comment: ld has no `//` comments and no line splicing, so the C
    comment rules are more than enough."""
    return c_comment(text)


def _utf8(text: object) -> bytes:
    """The bytes of `text`: bytes as they are; a str as UTF-8, surrogateescape'd file-name bytes as
    the bytes they were, any other lone surrogate in its (CESU-8) three-byte form."""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    text = str(text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        out = bytearray()
        for ch in text:
            byte = _undecodable_byte(ord(ch))
            out += bytes([byte]) if byte is not None else ch.encode("utf-8", errors="surrogatepass")
        return bytes(out)


def c_string(text: object) -> str:
    """A C/C++ string literal (with the quotes) holding exactly the bytes of `text` (a str as UTF-8;
    bytes as they are). Printable ASCII is kept but for `"`, `\\` and `?` (escaped: `\\?` keeps
    trigraphs out); every other byte is a three-digit octal escape, which a following digit cannot
    extend (a hex escape would swallow it)."""
    out = ['"']
    for byte in _utf8(text):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def c_identifier(text: object, digit_prefix: str = "tml_") -> str:
    """`text` as a C identifier (prefix): every character outside ASCII [A-Za-z0-9_] becomes `_`,
    and a leading digit gets `digit_prefix`: 'kws-v2' -> 'kws_v2', '2d' -> 'tml_2d'. ValueError for
    empty text (there is nothing to name a symbol by)."""
    ident = _NOT_IDENTIFIER.sub("_", str(text))
    if not ident:
        raise ValueError("an empty name cannot become a C identifier")
    return f"{digit_prefix}{ident}" if ident[0].isdigit() else ident


def is_c_identifier(text: object) -> bool:
    """True when `text` is already a C identifier (ASCII letters, digits and `_`, no leading digit)."""
    return isinstance(text, str) and _IDENTIFIER.fullmatch(text) is not None


def require_c_identifier(text: object, what: str = "name") -> str:
    """`text` when it is a C identifier; ValueError otherwise (a generator was handed a raw name)."""
    if not is_c_identifier(text):
        raise ValueError(f"{what} {terminal(repr(text))} is not a C identifier: pass it through "
                         "tinyml_build.escape.c_identifier (or model_c_name) first")
    return text


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


def html_text(text: object) -> str:
    """Untrusted text (a tensor or op name) as HTML text or attribute value: the characters XML
    forbids shown as \\xNN (xml_text: a terminal escape or NUL stays visible, never raw in the page),
    then HTML's special characters as entities."""
    return html(xml_text(text))


def json_text(value: object, indent: int | None = None, sort_keys: bool = True) -> str:
    """A JSON document: every string in `value` escaped by json.dumps with ensure_ascii (control
    characters, quotes and all non-ASCII as \\uNNNN), so the text is pure printable ASCII plus the
    indentation's newlines. `indent` and `sort_keys` as json.dumps."""
    return json.dumps(value, ensure_ascii=True, indent=indent, sort_keys=sort_keys)


# An absolute http(s) URL of printable ASCII without quotes, backslashes, spaces or angle brackets:
# safe as it is in a double-quoted YAML or CMake string, a key=value line and JSON.
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~:/?#@!$&()*+,;=%-]*)?")


def web_url(text: object) -> str:
    """`text` when it is such a URL (metadata files take it as it is); ValueError otherwise."""
    if not isinstance(text, str) or _URL.fullmatch(text) is None:
        raise ValueError(f"{terminal(repr(text))} is not an http(s) URL of letters, digits and URL punctuation "
                         "(no spaces, quotes, backslashes or angle brackets)")
    return text
