"""The one strict YAML loader behind targets/*.yaml, config/cpus.yaml, model.yaml and lock.yaml:
duplicate keys, keys that are not names and values that are not plain data are errors naming
file:line in every kind of file; a malformed CPU table is caught like a target file; a successful
check is remembered by content and by the code that checks, and nothing else."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from third_party_testlib import write_lock

from tinyml_build.config import cpus, strict_yaml, targets
from tinyml_build.errors import ModelError, TargetError, TinyMLError
from tinyml_build.model.catalog import load_model
from tinyml_build.third_party.errors import LockError
from tinyml_build.third_party.lock import load_lock

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def empty_check_cache(tmp_path, monkeypatch):
    """Every test here starts with no remembered checks."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "tinyml_build" / strict_yaml.CHECKED_CACHE


def _line_of(text: str, needle: str, occurrence: int = 2) -> int:
    """1-based line of the `occurrence`-th line starting with `needle` (after indentation)."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith(needle)]
    return lines[occurrence - 1]


# -- the loader itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, line, what", [
    ("a: 1\nb:\n  c: 2\n  c: 3\n", 4, "duplicate key 'c'"),
    ("a: 1\non: 2\n", 2, "key 'on' is read as a boolean, not a name"),
    ("a: 1\n7: x\n", 2, "key '7' is read as a number, not a name"),
    ("a: 1\n~: x\n", 2, "key '~' is read as null, not a name"),
    ("a: 1\nwhen: 2024-01-31\n", 2, "'2024-01-31' is read as a date or time"),
    ("a: !!binary aGVsbG8=\n", 1, "is read as binary data"),
    ("a: !!set {x, y}\n", 1, "is read as a set"),
    ("a: [1, 2\nb: 3\n", 2, "malformed YAML"),
])
def test_strict_parse_names_the_line(text, line, what):
    with pytest.raises(TinyMLError) as info:
        strict_yaml.parse(text, "some.yaml")
    assert info.value.where == f"some.yaml:{line}", str(info.value)
    assert what in info.value.what and info.value.fix
    assert info.value.__cause__ is None


def test_plain_data_and_merges_load_as_before():
    text = "base: &b {x: 1, y: [a, 0x10, 1.5, null, true]}\nother:\n  <<: *b\n  x: 2\nquoted: '2024-01-31'\n"
    assert strict_yaml.parse(text, "f.yaml") == yaml.safe_load(text)


# -- the same errors in every kind of file ----------------------------------------------------------


def test_duplicate_key_in_a_nested_target_mapping(tmp_path):
    source = (PROJECT_DIR / "targets" / "qemu-m4.yaml").read_text().replace("name: qemu-m4", "name: board")
    source = source.replace("supports: {image: true, test: true}",
                            "supports:\n  image: true\n  image: false\n  test: true")
    (tmp_path / "board.yaml").write_text(source)
    with pytest.raises(TargetError) as info:
        targets.load_target("board", tmp_path)
    assert str(info.value).startswith(f"{tmp_path.name}/board.yaml:{_line_of(source, 'image:')}: duplicate key 'image'")


def test_duplicate_key_in_model_yaml(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "tiny.tflite").write_bytes(b"TFL3")
    text = (f"description: A model.\ntflite: tiny.tflite\nsha256: {hashlib.sha256(b'TFL3').hexdigest()}\n"
            "source: {script: s.py, command: python s.py}\n"
            "inputs:\n- {name: x, shape: [1], dtype: int8, meaning: in}\n"
            "outputs:\n- {name: y, shape: [1], dtype: int8, meaning: out}\n"
            "data: none\nlabels: [a]\nlabels: [a, b]\n")
    (folder / "model.yaml").write_text(text)
    with pytest.raises(ModelError) as info:
        load_model(folder)
    assert info.value.where == f"{folder / 'model.yaml'}:{_line_of(text, 'labels:')}"
    assert info.value.what == "duplicate key 'labels'"


def test_duplicate_key_in_lock_yaml(tmp_path):
    path = write_lock(tmp_path / "lock.yaml", {"demo": {
        "repository": "https://github.com/example/demo", "commit": "a" * 40, "license": "MIT",
        "archive_url": "https://github.com/example/demo/archive/" + "a" * 40 + ".tar.gz",
        "archive_prefix": "demo-" + "a" * 40, "source_digest": "sha256:" + "0" * 64}})
    text = path.read_text()
    assert load_lock(path).names == ["demo"]
    text = text.replace("    commit:", "    commit: " + "b" * 40 + "\n    commit:", 1)
    path.write_text(text)
    with pytest.raises(LockError) as info:
        load_lock(path)
    assert info.value.where == f"{path}:{_line_of(text, 'commit:')}"
    assert info.value.what == "duplicate key 'commit'"


# -- the CPU table ---------------------------------------------------------------------------------


def _cpus_text() -> str:
    return cpus.CPUS_FILE.read_text()


@pytest.mark.parametrize("change, expected", [
    (lambda t: t.replace("    isa: arm\n    fpus: [none, fpv4-sp-d16]",
                         "    isa: arm\n    isa: arm\n    fpus: [none, fpv4-sp-d16]"),
     "cpus.yaml:{line}: duplicate key 'isa'"),
    (lambda t: t.replace("isa: riscv", "isa: riscv32"),
     "cpus.yaml: cpus.esp32c3.isa: unknown value 'riscv32'"),
    (lambda t: t.replace("    toolchain: clang-xtensa\n", "    tool_chain: clang-xtensa\n", 1),
     "cpus.yaml: cpus.esp32.tool_chain: unknown key"),
    (lambda t: t.replace("cycle_timers: [ccount, none]", "cycle_timers: [ccount]", 1),
     "cpus.yaml: cpus.esp32.cycle_timers: must include none"),
    (lambda t: t.replace("required_flags: [-mcpu=cortex-m3, -mthumb]", "required_flags: [-mcpu=cortex-m3 -mthumb]"),
     "cpus.yaml: cpus.cortex-m3.required_flags[0]: expected one compiler flag starting with '-'"),
    (lambda t: t.replace("  cortex-m7:\n", "  Cortex-M7:\n"),
     "cpus.yaml: cpus.Cortex-M7: expected a cpu name"),
    (lambda t: t.replace("mve_possible: false\n    toolchain: clang-xtensa",
                         "mve_possible: true\n    toolchain: clang-xtensa", 1),
     "cpus.yaml: cpus.esp32.mve_possible: MVE is an Arm M-profile extension"),
])
def test_a_malformed_cpu_table_is_caught(tmp_path, change, expected):
    text = change(_cpus_text())
    assert text != _cpus_text()
    path = tmp_path / "cpus.yaml"
    path.write_text(text)
    with pytest.raises(TargetError) as info:
        cpus.load_cpus(path)
    line = _line_of(text, "isa:", 2) + 1 if "duplicate" in expected else 0
    assert str(info.value).startswith(f"{path.parent}/" + expected.format(line=line)), str(info.value)
    assert "Input should" not in str(info.value) and info.value.__cause__ is None


def test_the_shipped_cpu_table_loads():
    table = cpus.load_cpus()
    assert list(table)[:2] == ["cortex-m3", "cortex-m4"] and table["esp32c3"].cycle_timers == ("mpccr", "none")
    assert targets.CPUS == table and targets.load_target("qemu-m55").isa == "arm"


# -- remembered checks -----------------------------------------------------------------------------


def test_a_check_is_remembered_by_content(tmp_path, empty_check_cache):
    cpus.cpu_table.cache_clear()  # loaded once per process: load it again, through this test's cache
    (tmp_path / "board.yaml").write_text((PROJECT_DIR / "targets" / "qemu-m4.yaml").read_text()
                                         .replace("name: qemu-m4", "name: board"))
    first = targets.load_target("board", tmp_path)
    markers = sorted(empty_check_cache.iterdir())
    assert len(markers) == 2  # the target file and cpus.yaml
    assert targets.load_target("board", tmp_path) == first
    assert sorted(empty_check_cache.iterdir()) == markers
    # another content is another key: a mistake after a good version is still caught
    (tmp_path / "board.yaml").write_text((tmp_path / "board.yaml").read_text().replace("stack_size: ", "stack_size: -"))
    with pytest.raises(TargetError, match="stack_size: must be positive"):
        targets.load_target("board", tmp_path)
    assert sorted(empty_check_cache.iterdir()) == markers


def test_the_key_covers_context_data_files_and_the_checking_code(tmp_path):
    def check(data, shown, context):
        pass

    assert strict_yaml._marker(check, "x: 1\n", {}, ()) is None  # code outside the package: never remembered
    check.__module__ = "tinyml_build.config.cpus"
    data_file = tmp_path / "facts.yaml"
    data_file.write_text("a: 1\n")
    key = strict_yaml._marker(check, "x: 1\n", {"stem": "a"}, (data_file,))
    assert key == strict_yaml._marker(check, "x: 1\n", {"stem": "a"}, (data_file,))
    assert key != strict_yaml._marker(check, "x: 2\n", {"stem": "a"}, (data_file,))
    assert key != strict_yaml._marker(check, "x: 1\n", {"stem": "b"}, (data_file,))
    data_file.write_text("a: 2\n")
    assert key != strict_yaml._marker(check, "x: 1\n", {"stem": "a"}, (data_file,))
    check.__module__ = "tinyml_build.config.targets"  # another checking code (its import closure)
    assert strict_yaml._marker(check, "x: 1\n", {"stem": "a"}, (data_file,)) not in (key, None)


def test_an_unwritable_cache_only_costs_a_full_check(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert targets.load_target("qemu-m4").cpu == "cortex-m4"


def test_remembered_loads_do_not_import_pydantic(tmp_path):
    code = ("import sys; from tinyml_build.config.targets import load_target; "
            "from tinyml_build.model.catalog import load_model; from tinyml_build.third_party.lock import load_lock; "
            "load_target('qemu-m4'); load_target('stm32f407'); load_model('models/hello_world'); load_lock(); "
            "print('pydantic' in sys.modules)")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
            for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]
