"""A .tflite is untrusted input: no string in it, nor its file name, becomes code, a line of its own
or a terminal control sequence anywhere the build writes it.

The models here carry in EVERY string field -- tensor names, the subgraph name, signature keys and
tensor-map names, metadata names, custom op codes, the description -- and in their file name the
pieces that break generated code and terminals: `*/`, `#error`, newlines, `"`, `\\`, NUL, the
trigraph `??/` and an ANSI escape. Whatever a piece would inject is a declaration of
`injected_by_model...` or an `#error`: it must never reach the compiler as code.
"""

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from aot_op_cases import assert_exact
from conftest import PROJECT_DIR
from tflite_builder import ModelBuilder

from tinyml_build import escape
from tinyml_build.analysis import op_inventory
from tinyml_build.codegen.model_data import render_model_data
from tinyml_build.codegen.op_resolver import render_op_resolver
from tinyml_build.errors import ModelError, TinyMLError, UnsupportedOpError
from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.aot.emit import render as render_aot
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.tflm import api
from tinyml_build.verification.host_check import check_model, compile_program

INJECTED = "injected_by_model"


def hostile(tag: str, end: str = "\\") -> str:
    """A string that, written raw, closes a C comment and declares a variable, starts a line with
    #error and another with a declaration, carries quotes, backslashes, NUL, a trigraph and ANSI
    colours, and ends with a backslash (or `end`) that would continue a // comment."""
    return (f"{tag} */ int {INJECTED}_{tag} = 1; /* \n#error {INJECTED}\nint {INJECTED}_line_{tag} = 2; "
            f"\" \\\" \0 ??/ \x1b[31mred\x1b[0m \u202e{end}")


# A file name cannot hold '/' (so no '*/' or '??/'), nor NUL: everything else it can.
FILE_NAME = f"evil \x1b[31m\n#error {INJECTED}\nint {INJECTED}_file = 3; \" ??= \\.tflite"

STRING_FIELDS = {
    "description": hostile("description"),
    "subgraph": hostile("subgraph"),
    "input": hostile("input"),
    "weights": hostile("weights", end="??/"),
    "bias": hostile("bias"),
    "output": hostile("output", end="*"),
    "signature": hostile("signature"),
    "metadata": hostile("metadata"),
    "custom": hostile("custom"),
}


def _builder(fields=STRING_FIELDS, units=4, features=8) -> tuple[ModelBuilder, int, int]:
    """An int8 FULLY_CONNECTED model whose every string is hostile; returns (builder, x, y)."""
    rng = np.random.default_rng(7)
    b = ModelBuilder(description=fields["description"])
    b.subgraph_name = fields["subgraph"]
    x = b.tensor(fields["input"], "int8", [1, features], scale=0.05, zero_point=-3)
    w = b.tensor(fields["weights"], "int8", [units, features],
                 data=rng.integers(-127, 128, (units, features)).astype(np.int8), scale=0.02, zero_point=0)
    bias = b.tensor(fields["bias"], "int32", [units], data=rng.integers(-100, 100, units).astype(np.int32), scale=0.001,
                    zero_point=0)
    y = b.tensor(fields["output"], "int8", [1, units], scale=0.1, zero_point=2)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    b.opcode(fb.BuiltinOperator.CUSTOM, custom=fields["custom"])  # listed, used by no operator
    b.metadata_entry(fields["metadata"], b"1.14.0\0")
    b.signature(fields["signature"], {fields["signature"] + " in": x}, {fields["signature"] + " out": y})
    return b, x, y


def hostile_model_bytes() -> bytes:
    return _builder()[0].build()


def dead_custom_op_model_bytes() -> bytes:
    """The hostile model plus a custom op whose result nothing uses: runtime=aot drops it and says
    so in a comment naming it (TFLM cannot run it: it is only compiled)."""
    b, x, _y = _builder()
    unused = b.tensor(hostile("unused"), "int8", [1, 8], scale=0.05, zero_point=-3)
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=hostile("dead_op")), [x], [unused])
    return b.build()


@pytest.fixture
def hostile_path(tmp_path):
    folder = tmp_path / "models \x1b[1m\nx"  # the folder is hostile too
    folder.mkdir()
    path = folder / FILE_NAME
    path.write_bytes(hostile_model_bytes())
    return path


def strings_of(model) -> list[str]:
    """Every string the reader took from the model (as decoded)."""
    return ([model.description, model.main.name] + [t.name for t in model.main.tensors]
            + [c.custom_code for c in model.operator_codes if c.custom_code])


# ---- checks ---------------------------------------------------------------------------------


def assert_plain_text(text: str) -> None:
    """Printable ASCII and newlines only: no ESC, NUL or other control byte, no bidi override."""
    bad = sorted({ch for ch in text if not (" " <= ch <= "~" or ch == "\n")})
    assert not bad, f"unescaped characters {bad!r}"


def assert_no_injected_line(text: str) -> None:
    """No line of `text` starts with what a hostile string carries after its newlines."""
    for line in text.split("\n"):
        stripped = line.lstrip()
        assert not stripped.startswith(("#error", f"int {INJECTED}")), line


def code_of(source: str, cplusplus: bool = False) -> str:
    """What a C (C99, trigraphs on) or C++ compiler sees of `source` as code: gcc -E -P with
    #include lines blanked (only this file's text matters), then string literals emptied. An #error
    reached would fail it; a declaration reached would show up in it."""
    gcc = shutil.which("g++" if cplusplus else "gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    text = re.sub(r"(?m)^#include .*$", "", source)
    done = subprocess.run([gcc, "-x", "c++" if cplusplus else "c", "-std=c++11" if cplusplus else "-std=c99",
                           "-Wall", "-Werror", "-E", "-P", "-"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', done.stdout)


# An injected declaration as the compiler would see it (`int injected_by_model_x = 1`); the model's
# C name, made from the file name, may hold the word itself as part of an identifier.
INJECTED_CODE = re.compile(rf"\bint\s+{INJECTED}")


def assert_safe_generated(files: dict[str, str]) -> None:
    for name, text in files.items():
        assert_plain_text(text)
        assert_no_injected_line(text)
        code = code_of(text, cplusplus=name.endswith((".cc", ".h")))
        assert not INJECTED_CODE.search(code), (name, INJECTED_CODE.search(code))


# ---- (a) runtime=aot ------------------------------------------------------------------------


def test_model_strings_are_all_hostile(hostile_path):
    model = load_model(hostile_path)
    assert model.main.name == STRING_FIELDS["subgraph"] and model.description == STRING_FIELDS["description"]
    assert {t.name for t in model.main.tensors} == {STRING_FIELDS[k] for k in ("input", "weights", "bias", "output")}
    assert [c.custom_code for c in model.operator_codes][1] == STRING_FIELDS["custom"]
    assert escape.is_c_identifier(model.name)  # the name made from the file name


def test_aot_sources_compile_and_hold_no_injected_code(hostile_path):
    model = load_model(hostile_path)
    files = render_aot(lower_model(model))
    assert_safe_generated(files)
    source = files[f"{model.name}_model.c"]
    assert escape.c_comment(STRING_FIELDS["output"]) in source  # named, escaped
    assert escape.c_comment(FILE_NAME) in source
    report = check_model(model, runs=3)  # gcc -std=c99 -Wall -Wextra -Werror -Wpedantic, then bit-exact
    assert_exact(report)


def test_aot_dead_custom_op_named_in_a_comment_only(tmp_path):
    model = read_model(dead_custom_op_model_bytes(), where=str(tmp_path / FILE_NAME), name="dead_op_model")
    program = lower_model(model)
    assert program.eliminated and program.eliminated[0][1] == hostile("dead_op")
    files = render_aot(program)
    assert_safe_generated(files)
    assert escape.c_comment(hostile("dead_op")) in files["dead_op_model_model.c"]
    compile_program(tmp_path, files, program, sanitize=False)  # the host check's gcc flags


def _scons(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", *map(str, args)], capture_output=True, text=True,
                          cwd=PROJECT_DIR, timeout=900)


def test_scons_refuses_a_model_path_with_a_newline_escaped(hostile_path, tmp_path):
    done = _scons("target=host", f"model={hostile_path}", "runtime=aot", f"build_dir={tmp_path / 'build'}")
    assert done.returncode == 2
    assert "contains a line break" in done.stderr
    assert_escaped_message(done.stdout + done.stderr, str(hostile_path))


def test_scons_host_check_of_a_hostile_file(tmp_path):
    """The whole host check through SCons, for a file name with everything an option value may
    hold (the option system refuses line breaks in values; the file name above shows that)."""
    folder = tmp_path / "models \x1b[1m x"
    folder.mkdir()
    path = folder / FILE_NAME.replace("\n", " ")
    path.write_bytes(hostile_model_bytes())
    done = _scons("target=host", f"model={path}", "runtime=aot", f"build_dir={tmp_path / 'build'}", "test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bit-exact with tflite-micro " in done.stdout  # the oracle, named with its TFLM commit
    for stream in (done.stdout, done.stderr):
        assert "\x1b" not in stream
        assert_no_injected_line(stream)
    generated = sorted((tmp_path / "build").rglob("*_model.[ch]"))
    assert generated
    assert_safe_generated({p.name: p.read_text() for p in generated})


# ---- (b) runtime=tflm -----------------------------------------------------------------------


def _tflm_files(path, model) -> dict[str, str]:
    name = model.name
    files = render_model_data(name, model.data, model.sha256, path.name)
    files[f"{name}_op_resolver.h"] = render_op_resolver(name, model.op_names(), models=[str(path)])
    files[api.api_file_name(name)] = api.render_api(name, model, name)
    files[api.descriptor_file_name(name)] = api.render_descriptor(name, model, 4096, f"from {path.name}: {FILE_NAME}")
    files[api.PROBE_FILE_NAME] = api.render_probe_models([name], 4096)
    return files


def test_tflm_sources_hold_no_injected_line(hostile_path, tmp_path):
    model = load_model(hostile_path)
    files = _tflm_files(hostile_path, model)
    assert_safe_generated(files)
    for text in files.values():
        assert "\n" + FILE_NAME.split("\n")[1] not in text  # the file name's second line never starts one

    from tinyml_build.runtimes.tflm.plan import TFLM_DEFINES
    from tinyml_build.runtimes.tflm.sources import missing_reason, resolve_sources

    ops = model.op_names()
    if missing_reason(ops, "reference") is not None or shutil.which("g++") is None:
        return  # the text checks above are all that can be done without the TFLM sources
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    includes = [f"-isystem{d}" for d in resolve_sources(ops, "reference").include_dirs]
    tflm_src = PROJECT_DIR / "tinyml_build" / "runtimes" / "tflm" / "src"
    common = ["-Wall", "-Werror", *[f"-D{d}" for d in TFLM_DEFINES], f"-I{tmp_path}", f"-I{tflm_src}",
              f"-I{API_INCLUDE_DIR}", *includes, "-fsyntax-only"]
    for name in files:
        cplusplus = name.endswith((".cc", ".h"))  # the headers are C++ (the resolver's is)
        command = ["g++", "-x", "c++", "-std=c++17"] if cplusplus else ["gcc", "-std=c99"]
        done = subprocess.run([*command, *common, str(tmp_path / name)], capture_output=True, text=True)
        assert done.returncode == 0, f"{name}: {done.stderr[:3000]}"


# ---- (c) inspect ----------------------------------------------------------------------------


def _inspect(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinyml_build", "inspect", *map(str, args)], capture_output=True,
                          text=True, cwd=PROJECT_DIR)


def test_inspect_text_shows_every_name_escaped_on_its_line(hostile_path):
    model = load_model(hostile_path)
    done = _inspect(hostile_path, "--tensors")
    assert done.returncode == 0, done.stderr
    assert_plain_text(done.stdout)
    assert_no_injected_line(done.stdout)
    assert escape.terminal(str(hostile_path)) in done.stdout
    assert escape.terminal(model.description) in done.stdout
    for tensor in model.main.tensors:
        assert escape.terminal(tensor.name)[:40] in done.stdout
    lines = done.stdout.split("\n")
    assert sum(1 for line in lines if line.startswith("Model: ")) == 1


def test_inspect_json_round_trips_the_names(hostile_path):
    model = load_model(hostile_path)
    done = _inspect(hostile_path, "--json", "--tensors")
    assert done.returncode == 0, done.stderr
    assert_plain_text(done.stdout)
    report = json.loads(done.stdout)
    assert report["model"]["path"] == str(hostile_path)
    assert report["model"]["description"] == model.description == STRING_FIELDS["description"]
    assert [t["name"] for t in report["tensors"]] == [t.name for t in model.main.tensors]
    assert report["inputs"][0]["name"] == STRING_FIELDS["input"]


# ---- (d) error messages ---------------------------------------------------------------------


def assert_escaped_message(text: str, *names: str) -> None:
    assert "\x1b" not in text and "\0" not in text and "\u202e" not in text
    assert_no_injected_line(text)
    for name in names:
        assert escape.terminal(name) in text


def test_reader_error_quotes_the_tensor_name_escaped(tmp_path):
    b = ModelBuilder(description=hostile("description"))
    x = b.tensor(hostile("bad_shape"), "int8", [1, -1], scale=0.1, zero_point=0)  # dynamic: refused
    y = b.tensor(hostile("y"), "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.RELU), [x], [y])
    b.inputs, b.outputs = [x], [y]
    path = tmp_path / FILE_NAME
    path.write_bytes(b.build())
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert_escaped_message(str(caught.value), hostile("bad_shape"), str(path))
    done = _inspect(path)
    assert done.returncode == 2 and done.stdout == ""
    assert_escaped_message(done.stderr, hostile("bad_shape"), str(path))


def test_unsupported_custom_op_errors_quote_its_name_escaped(tmp_path):
    b, x, _y = _builder()
    z = b.tensor(hostile("z"), "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=hostile("live_op")), [_y], [z])
    b.outputs = [z]
    model = read_model(b.build(), where=str(tmp_path / FILE_NAME), name="m")
    with pytest.raises(UnsupportedOpError) as aot_error:
        lower_model(model)
    assert_escaped_message(str(aot_error.value), hostile("live_op"), str(tmp_path / FILE_NAME))
    with pytest.raises(UnsupportedOpError) as tflm_error:
        op_inventory.lookup_all(model.op_names(), where=model.path)
    assert_escaped_message(str(tflm_error.value), hostile("live_op"))
    with pytest.raises(UnsupportedOpError) as resolver_error:
        render_op_resolver("m", model.op_names(), models=[model.path])
    assert_escaped_message(str(resolver_error.value), hostile("live_op"))


def test_aot_lowering_error_quotes_the_tensor_name_escaped(tmp_path):
    b = ModelBuilder()
    x = b.tensor(hostile("float_in"), "float32", [1, 4])
    y = b.tensor(hostile("int_out"), "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.RELU), [x], [y])
    b.inputs, b.outputs = [x], [y]
    with pytest.raises(TinyMLError) as caught:
        lower_model(read_model(b.build(), where=str(tmp_path / FILE_NAME), name="m"))
    text = str(caught.value)
    assert "float_in" in text or "int_out" in text, text
    assert_escaped_message(text, str(tmp_path / FILE_NAME))


def test_truncated_file_with_a_hostile_name(tmp_path):
    path = tmp_path / FILE_NAME
    path.write_bytes(hostile_model_bytes()[:40])
    done = _inspect(path)
    assert done.returncode == 2
    assert_escaped_message(done.stderr, str(path))


# ---- the test firmware's data ---------------------------------------------------------------


def test_test_vectors_keep_labels_in_literals_and_names_identifiers(hostile_path, tmp_path):
    """<model>_test_vectors.c: the model name is an identifier (it names symbols and is printed by
    the test application); a label (from model.yaml, or a sample's file name) is a string literal
    holding its exact bytes, and an escaped comment."""
    import dataclasses

    from tinyml_build.verification.golden import make_golden
    from tinyml_build.verification.test_vectors import render_model_table, render_test_vectors

    model = load_model(hostile_path)
    golden = make_golden(model, random_vectors=1)
    label = hostile("label")
    golden = dataclasses.replace(golden, vectors=tuple(dataclasses.replace(v, label=label) for v in golden.vectors))
    files = {f"{model.name}_test_vectors.c": render_test_vectors(golden),
             "tml_test_models.c": render_model_table([model.name])}
    assert_safe_generated(files)
    assert escape.c_string(label) in files[f"{model.name}_test_vectors.c"]
    gcc = shutil.which("gcc")
    source_dir = PROJECT_DIR / "tinyml_build" / "verification" / "src"
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        done = subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{source_dir}",
                               f"-I{API_INCLUDE_DIR}", "-c", str(tmp_path / name), "-o", str(tmp_path / f"{name}.o")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with pytest.raises(ValueError):
        render_test_vectors(dataclasses.replace(golden, model=FILE_NAME))
    with pytest.raises(ValueError):
        render_model_table([FILE_NAME])
