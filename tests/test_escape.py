"""tinyml_build.escape: one escaping function per output language, checked by the compiler itself.

Property-style: seeded random strings built from the pieces that break generated code (comment
delimiters, line splices, trigraphs, quotes, NUL, ANSI escapes, non-ASCII, undecodable file-name
bytes) go through each function; gcc then proves that a comment cannot end early or swallow the
next line, and that a string literal holds exactly the bytes it was given.
"""

import html as html_module
import json
import random
import re
import shutil
import subprocess
import unicodedata

import pytest

from tinyml_build import escape
from tinyml_build.codegen import templating
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import model_c_name

# The pieces the strings are made of: each one breaks some output language when written raw.
PIECES = ["*/", "/*", "//", "\\", "??/", "??=", "???", "?", "*", "/", "\n", "\r", "\r\n", "\0", "\t", "\x0b",
          "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9b", '"', "'", "%s", "#error", "#define X", "int injected = 1;",
          "é", "日本", "\u202e", "\u200b", "\u2028", "\U0001f600", "\udcff", "\udc80", "a", "Z", "0", "9", "_",
          " ", "<", ">", "&", "\\x41", "\\u0041", "$", "`"]
SEED = 20240610
CASES = 300


def random_strings(count: int = CASES, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    strings = ["", "\\", "*", "/", "?", "??", "a\\", "x*", "x/", "/x", "*/", "/*", "??/", "\\\n", "*\\\n/"]
    for _ in range(count):
        strings.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))))
    return strings


def undo_backslash_escapes(text: str) -> str:
    """Invert the \\\\, \\xNN, \\uNNNN, \\UNNNNNNNN notation of terminal() and c_comment():
    \\x80..\\xff are undecodable file-name bytes (surrogateescape)."""
    def one(match):
        token = match.group(0)
        if token == "\\\\":
            return "\\"
        code = int(token[2:], 16)
        return chr(0xDC00 + code) if token[1] == "x" and code >= 0x80 else chr(code)
    rest = re.sub(r"\\\\|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}", one, text)
    return rest


def _gcc():
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    return gcc


# ---- terminal ------------------------------------------------------------------------------


def test_terminal_leaves_nothing_that_is_not_printed_as_itself():
    for text in random_strings():
        for keep in (False, True):
            shown = escape.terminal(text, keep_newlines=keep)
            for ch in shown:
                assert ch == "\n" and keep or unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp", "Cs"}, \
                    (text, shown)
            shown.encode("utf-8")  # printable: no surrogate that print() could not encode
            assert undo_backslash_escapes(shown) == text  # and nothing is lost or ambiguous


def test_terminal_examples():
    assert escape.terminal("plain name: model.tflite") == "plain name: model.tflite"
    assert escape.terminal("\x1b[31mred") == "\\x1b[31mred"
    assert escape.terminal("a\nb") == "a\\x0ab"
    assert escape.terminal("a\nb", keep_newlines=True) == "a\nb"
    assert escape.terminal("a\\x1b") == "a\\\\x1b"  # a fake escape stays visibly fake
    assert escape.terminal("bad\udcffbyte") == "bad\\xffbyte"
    assert escape.terminal("\u202eevil") == "\\u202eevil"
    assert escape.terminal("é 日本") == "é 日本"


# ---- C and linker comments ------------------------------------------------------------------


def test_comment_text_is_printable_ascii_on_one_line_and_reversible():
    for text in random_strings():
        shown = escape.c_comment(text)
        assert all(" " <= ch <= "~" for ch in shown), (text, shown)
        assert "*/" not in shown and "/*" not in shown and "??" not in shown, (text, shown)
        assert not shown.endswith("\\"), (text, shown)
        assert re.fullmatch(r"([^\\]|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8})*", shown), (text, shown)
        assert undo_backslash_escapes(shown.replace("\\x5c", "\\\\")) == text
        assert escape.linker_comment(text) == shown


def test_comment_examples():
    assert escape.c_comment("sequential/dense/MatMul;bias:0 #1 [1, 16]") == "sequential/dense/MatMul;bias:0 #1 [1, 16]"
    assert escape.c_comment("x */ int injected = 1; /*") == "x *\\x2f int injected = 1; /\\x2a"
    assert escape.c_comment("end\\") == "end\\x5c"
    assert escape.c_comment("??/") == "?\\x3f/"
    assert escape.c_comment("a\nb\0") == "a\\x0ab\\x00"
    assert escape.c_comment("é") == "\\u00e9"


def test_comments_hold_any_text_in_c_and_cpp(tmp_path):
    """Every string in a block comment and a line comment, each followed by a marker: the
    preprocessed file must be exactly the markers (no comment ended early, none swallowed the next
    line), and gcc -Wall -Wextra -Werror (-Wcomment, trigraphs on with -std=c99) stays quiet."""
    gcc = _gcc()
    texts = random_strings()
    lines = []
    for i, text in enumerate(texts):
        lines.append(f"/* {escape.c_comment(text)} */ int block_{i};")
        lines.append(f"// {escape.c_comment(text)}")
        lines.append(f"int line_{i};")
        lines.append(f"//{escape.c_comment(text)}")  # the text at both ends of a comment
        lines.append(f"int tight_{i}; /*{escape.c_comment(text)}*/")
    source = tmp_path / "comments.c"
    source.write_text("\n".join(lines) + "\n", encoding="ascii")
    expected = [f"int block_{i}; int line_{i}; int tight_{i};" for i in range(len(texts))]
    for std in ("-std=c99", "-std=c11", "-std=gnu11"):
        done = subprocess.run([gcc, std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-E", "-P", str(source)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        tokens = " ".join(done.stdout.split())
        assert tokens == " ".join(expected), std
        compiled = subprocess.run([gcc, std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", str(source), "-o",
                                   str(tmp_path / "comments.o")], capture_output=True, text=True)
        assert compiled.returncode == 0, compiled.stderr
    cpp = tmp_path / "comments.cc"
    cpp.write_text(source.read_text())
    gxx = shutil.which("g++")
    if gxx:
        for std in ("-std=c++11", "-std=c++17"):
            done = subprocess.run([gxx, std, "-Wall", "-Wextra", "-Werror", "-E", "-P", str(cpp)],
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert " ".join(done.stdout.split()) == " ".join(expected), std


def test_linker_comments_hold_any_text(tmp_path):
    ld = shutil.which("ld")
    gcc = _gcc()
    if ld is None:
        pytest.skip("ld not installed")
    texts = random_strings(count=60)
    script = ["SECTIONS", "{"]
    for i, text in enumerate(texts):
        script.append(f"  /* {escape.linker_comment(text)} */ marker_{i} = {i};")
    script += ["  .text : { *(.text) }", "}"]
    (tmp_path / "script.ld").write_text("\n".join(script) + "\n", encoding="ascii")
    (tmp_path / "empty.c").write_text("int tml_empty;\n")
    subprocess.run([gcc, "-c", str(tmp_path / "empty.c"), "-o", str(tmp_path / "empty.o")], check=True)
    done = subprocess.run([ld, "-T", str(tmp_path / "script.ld"), str(tmp_path / "empty.o"),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    symbols = subprocess.run(["nm", str(tmp_path / "out")], capture_output=True, text=True, check=True).stdout
    found = {name: int(value, 16) for value, _kind, name in (line.split() for line in symbols.splitlines())
             if name.startswith("marker_")}
    assert found == {f"marker_{i}": i for i in range(len(texts))}


# ---- C string literals ----------------------------------------------------------------------


def _bytes_of(text) -> bytes:
    if isinstance(text, bytes):
        return text
    return text.encode("utf-8", errors="surrogateescape")


def test_string_literals_are_printable_ascii():
    for text in random_strings():
        literal = escape.c_string(text)
        assert literal.startswith('"') and literal.endswith('"')
        assert all(" " <= ch <= "~" for ch in literal)
        assert "??" not in literal


def test_string_literal_examples():
    assert escape.c_string("hello_world") == '"hello_world"'
    assert escape.c_string('a"b\\c?') == '"a\\"b\\\\c\\?"'
    assert escape.c_string("\x001") == '"\\0001"'  # octal: the digit after NUL stays a digit
    assert escape.c_string(b"\xff\x00") == '"\\377\\000"'
    assert escape.c_string("\udcff") == '"\\377"'  # an undecodable file-name byte, as it was


def test_string_literals_round_trip_every_byte(tmp_path):
    """A host program prints every literal as hex (sizeof - 1 bytes: embedded NULs count): the
    bytes must be exactly the text's, in C (trigraphs on) and in C++."""
    gcc = _gcc()
    rng = random.Random(SEED + 1)
    texts = random_strings() + [bytes(rng.randrange(256) for _ in range(rng.randint(0, 24))) for _ in range(60)]
    texts.append(bytes(range(256)))
    table = ",\n".join(f"  {{{escape.c_string(t)}, sizeof({escape.c_string(t)}) - 1}}" for t in texts)
    program = f"""#include <stdio.h>
struct entry {{ const char *text; unsigned long size; }};
static const struct entry entries[] = {{
{table}
}};
int main(void) {{
  unsigned long i, k;
  for (i = 0; i < sizeof(entries) / sizeof(entries[0]); ++i) {{
    for (k = 0; k < entries[i].size; ++k) printf("%02x", (unsigned)(unsigned char)entries[i].text[k]);
    printf("\\n");
  }}
  return 0;
}}
"""
    expected = [_bytes_of(t).hex() for t in texts]
    for compiler, suffix, std in ((gcc, "c", "-std=c99"), (shutil.which("g++"), "cc", "-std=c++11")):
        if compiler is None:
            continue
        source = tmp_path / f"strings.{suffix}"
        source.write_text(program, encoding="ascii")
        exe = tmp_path / f"strings_{suffix}"
        built = subprocess.run([compiler, std, "-Wall", "-Wextra", "-Werror", "-pedantic", str(source), "-o", str(exe)],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        printed = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")[:-1]
        assert printed == expected, compiler


# ---- C identifiers --------------------------------------------------------------------------


def test_identifiers_are_always_valid():
    for text in random_strings():
        if text:
            assert escape.is_c_identifier(escape.c_identifier(text)), text
        assert escape.is_c_identifier(model_c_name(text)), text
        try:
            ident = templating.c_identifier(text)
        except TinyMLError as err:
            assert not any(ch.isascii() and ch.isalnum() for ch in text)
            assert "\x1b" not in str(err) and "\n" not in str(err).split("\n  fix:")[0]
        else:
            assert escape.is_c_identifier(ident), text


def test_identifiers_keep_what_already_is_one():
    for name in ("kws", "hello_world", "_x", "m_3d", "A1"):
        assert escape.c_identifier(name) == name and model_c_name(name) == name
    assert model_c_name("kws-v2") == "kws_v2" and model_c_name("3d") == "m_3d" and model_c_name("") == "model"
    assert escape.c_identifier("2d") == "tml_2d"
    with pytest.raises(ValueError):
        escape.c_identifier("")
    assert escape.require_c_identifier("ok_1") == "ok_1"
    for bad in ("", "1a", "a-b", "a\nb", "é", None):
        with pytest.raises(ValueError):
            escape.require_c_identifier(bad)


# ---- JSON and HTML --------------------------------------------------------------------------


def test_json_round_trips_and_is_plain_ascii():
    texts = random_strings()
    for indent in (None, 1):
        document = escape.json_text({"names": texts, "nested": {t: i for i, t in enumerate(texts)}}, indent=indent)
        assert all(" " <= ch <= "~" or (indent and ch == "\n") for ch in document)
        back = json.loads(document)
        assert back["names"] == texts and back["nested"] == {t: i for i, t in enumerate(texts)}
    assert escape.json_text({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert escape.json_text({"b": 1, "a": 2}, sort_keys=False) == '{"b": 1, "a": 2}'


def test_html_round_trips_without_markup():
    for text in random_strings():
        shown = escape.html(text)
        assert not set("<>\"'") & set(shown)
        assert html_module.unescape(shown) == text


# ---- error messages -------------------------------------------------------------------------


def test_error_messages_keep_quoted_strings_on_their_line():
    err = TinyMLError("tensor 'a\nscons: done building targets.\x1b[2J' is odd", where="m\n.tflite",
                      fix="rename 'x\ny'", details=["  tool line 1", "  a name: x\ny"])
    text = str(err)
    assert "\x1b" not in text
    assert text.split("\n") == [
        "m\\x0a.tflite: tensor 'a\\x0ascons: done building targets.\\x1b[2J' is odd",
        "  tool line 1",
        "  a name: x\\x0ay",
        "  fix: rename 'x\\x0ay'",
    ]
    assert str(TinyMLError("linking failed:", details="ld: first\nld: second\n")).split("\n") == [
        "linking failed:", "ld: first", "ld: second"]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "a\x1b[2Jb", "nul\x00", "q\"'&<>", "\\x1b", "\ud800",
                                  "naïve ✓", "line\nbreak"])
def test_html_text_is_inert_and_reads_back(text):
    shown = escape.html_text(text)
    assert not set(shown) & set("<>\"'\x00\x1b")
    assert not any(0xD800 <= ord(c) < 0xE000 for c in shown)
    assert html_module.unescape(shown) == escape.xml_text(text)  # what a browser shows: the text, controls as \xNN
