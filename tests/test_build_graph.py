"""The build graph users can trust: strict options, choices shown only when in effect, targets that
say what they build, readable output, records in the build root, one build at a time per build root.

Generator edits, the object cache, interrupted builds and the compile database have their own files
(test_generator_deps.py, test_build_cache.py, test_interrupted_builds.py, test_compile_commands.py).
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

from tinyml_build.config.options import collect, declared_options, read_config_file
from tinyml_build.errors import TinyMLError

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def scons(*args, env=None, cwd=PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})


def _fails_cleanly(result, *needles):
    text = result.stdout + result.stderr
    assert result.returncode != 0, text[-2000:]
    assert "Traceback" not in text
    assert 'File "' not in text  # SCons prints an exception raised in SConscript as a stack without "Traceback"
    for needle in needles:
        assert needle in text, text[-2000:]
    return text


# ---- one option system ------------------------------------------------------------------------


def test_a_misspelled_option_stops_the_build_naming_the_option(tmp_path):
    text = _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtim=aot", f"build_dir={tmp_path}"),
                          "unknown option runtim=", "did you mean runtime=")
    assert "command line" in text
    assert not any(tmp_path.iterdir())


def test_config_file_options_are_checked_like_the_command_line(tmp_path):
    config = tmp_path / "tinyml.conf"
    config.write_text('target = "qemu-m4"\nmodel = "hello_world"\ntest_vectors = "-1"\n')
    text = _fails_cleanly(scons(env={"TINYML_CONFIG": str(config)}), "test_vectors=-1 is below 0")
    assert str(config) in text
    config.write_text('target = "qemu-m4"\nmodel = "hello_world"\nruntim = "aot"\n')
    _fails_cleanly(scons(env={"TINYML_CONFIG": str(config)}), "unknown option runtim=", str(config))
    config.write_text('target = "qemu-m4"\nthis is not python\n')
    _fails_cleanly(scons(env={"TINYML_CONFIG": str(config)}), "not a valid config file", str(config))


def test_every_option_reads_the_same_from_a_file_and_the_command_line(tmp_path):
    options = declared_options(())
    config = tmp_path / "tinyml.conf"
    config.write_text('test_vectors = 5\nseed = "7"\ntflm_log = True\nkernels = "reference"\n')
    given = collect({"seed": "9"}, [config], options)
    assert given["test_vectors"].value == "5" and given["test_vectors"].source == str(config)
    assert given["seed"].value == "9" and given["seed"].source == "command line"  # the command line wins
    assert given["tflm_log"].value == "on"
    with pytest.raises(TinyMLError, match="is not a valid choice"):
        collect({"kernels": "cmsis"}, [], options)
    with pytest.raises(TinyMLError, match="is not a whole number"):
        collect({}, [_write(tmp_path / "bad.conf", 'qemu_timeout = "soon"\n')], options)
    assert read_config_file(_write(tmp_path / "empty.conf", "# nothing\n")) == {}


def _write(path, text):
    path.write_text(text)
    return path


def test_an_option_without_effect_is_refused_not_shown(tmp_path):
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=aot", "kernels=cmsis-nn",
                         f"build_dir={tmp_path}"), "kernels=cmsis-nn has no effect on this build", "runtime=aot")
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=aot", "arena=4096", f"build_dir={tmp_path}"),
                   "arena=4096 has no effect")
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=aot", "arena_share=on",
                         f"build_dir={tmp_path}"), "arena_share=on has no effect", "one model")
    project = _sources_only_project(tmp_path / "project")
    _fails_cleanly(build_in(project, "target=esp32-sources", "model=hello_world", "runtime=aot"),
                   "runtime=aot has no effect", "only gets generated sources")


def _sources_only_project(folder):
    """A project with its own target file that builds no image (supports.image: false): such a
    target gets the generated TFLM sources only. Made from esp32.yaml, whose toolchain is named."""
    text = (PROJECT_DIR / "targets" / "esp32.yaml").read_text()
    text = text.replace("name: esp32\n", "name: esp32-sources\n")
    text = re.sub(r"^emulator: .*$", "emulator: null", text, flags=re.M)
    text = re.sub(r"^supports: .*$", "supports: {image: false, test: false}", text, flags=re.M)
    (folder / "targets").mkdir(parents=True)
    _write(folder / "targets" / "esp32-sources.yaml", text)
    return folder


def build_in(project, *args):
    """`tinyml-build build ARGS` in a user's project folder (its own targets/ beside the built-in ones)."""
    return subprocess.run([sys.executable, "-m", "tinyml_build", "build", "-Q", *args], capture_output=True,
                          text=True, cwd=project)


def test_a_config_file_default_without_effect_is_a_note(tmp_path):
    config = _write(tmp_path / "tinyml.conf", 'arena_headroom = "10%"\n')
    result = scons("target=qemu-m4", "model=hello_world", "runtime=aot", f"build_dir={tmp_path / 'out'}", "gen",
                   env={"TINYML_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert f"note: {config}: arena_headroom=10% has no effect on this build" in result.stdout


def test_banner_shows_only_choices_in_effect(tmp_path):
    result = scons("target=qemu-m4", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "gen")
    assert result.returncode == 0, result.stderr
    assert "runtime=aot kernels=n/a" in result.stdout


def test_help_is_the_projects_own(tmp_path):
    result = scons("-h")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tinyml_build: scons target=<target> model=<model>")
    for option in declared_options():
        assert f"  {option.name}=" in result.stdout
    assert "--debug=" not in result.stdout  # SCons's own options only with -H
    assert "SCons's own options: scons -H" in result.stdout
    assert "--debug=" in scons("-H").stdout


def test_readme_option_table_matches_the_declared_options():
    readme = (PROJECT_DIR / "README.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)=` \| .* \| (.*) \|$", readme, re.M))
    declared = {o.name: o.default for o in declared_options() if not o.name.endswith("_path")}
    assert set(declared) <= set(table), f"options missing from README: {set(declared) - set(table)}"
    for name, default in declared.items():
        if default:
            assert table[name] == f"`{default}`", (f"README says {name}= defaults to {table[name]}, "
                                                   f"the build uses {default}")


# ---- targets say what they build --------------------------------------------------------------


def test_target_without_image_support_says_only_sources_were_generated(tmp_path):
    project = _sources_only_project(tmp_path / "project")
    result = build_in(project, "target=esp32-sources", "model=hello_world")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runtime=n/a kernels=n/a" in result.stdout
    assert "target esp32-sources builds no firmware image yet" in result.stdout
    assert "supports.image is false" in result.stdout
    gen = project / "build" / "esp32-sources" / "hello_world" / "gen"
    assert sorted(p.name for p in gen.iterdir()) == ["hello_world_model_data.cc", "hello_world_model_data.h",
                                                      "hello_world_op_resolver.h"]
    _fails_cleanly(build_in(project, "target=esp32-sources", "model=hello_world", "test"),
                   "target esp32-sources cannot run `test`", "builds no firmware image")


# ---- build root: records, lock, jobs ----------------------------------------------------------


@needs_arm
def test_records_live_in_the_build_root_and_builds_are_parallel(tmp_path):
    before = set(PROJECT_DIR.glob(".sconsign*"))
    result = scons("target=qemu-m4", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "verbose=1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".sconsign.dblite").is_file()
    assert set(PROJECT_DIR.glob(".sconsign*")) == before
    assert f"-j{os.cpu_count()}" in result.stdout


def test_a_second_build_in_the_same_build_root_stops_with_a_message(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".tinyml-build.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "gen"),
                       f"another build is running in {tmp_path} (pid 4242)")
    assert scons("target=qemu-m4", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "gen").returncode == 0



def test_build_and_cache_folders_that_cannot_be_made_stop_with_a_message(tmp_path):
    """They used to fail at the first write into them, inside SCons, with an OSError and a stack."""
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for option, needle in ((f"build_dir={a_file / 'b'}", f"cannot make the folder {a_file / 'b'}: Not a directory"),
                           (f"cache_dir={a_file}", f"cannot make the folder {a_file}: it is a file")):
        build_dir = option if option.startswith("build_dir=") else f"build_dir={tmp_path / 'build'}"
        _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=aot", build_dir, option, "gen"),
                       needle, "fix: give a folder you can write")

# ---- readable output --------------------------------------------------------------------------


@needs_arm
def test_default_output_is_one_short_line_per_step(tmp_path):
    result = scons("target=qemu-m4", "model=kws", "runtime=aot", f"build_dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 200
    steps = [line for line in lines if re.match(r"^\[\d+/\d+\] ", line)]
    assert len(steps) >= len(lines) - 3  # the banner, the arena line or a note at most
    kinds = {re.match(r"^\[\d+/\d+\] (\w+)", s).group(1) for s in steps}
    assert {"CC", "GEN", "LINK", "SIZE"} <= kinds
    last = re.match(r"^\[(\d+)/(\d+)\]", steps[-1])
    assert last.group(1) == last.group(2)  # the counter knows how many steps the build has
    assert "arm-none-eabi-gcc" not in result.stdout

    verbose = scons("target=qemu-m4", "model=kws", "runtime=aot", f"build_dir={tmp_path / 'v'}", "verbose=1")
    assert verbose.returncode == 0, verbose.stderr
    link = [line for line in verbose.stdout.splitlines() if "-Wl,-Map=" in line]
    assert len(link) == 1 and "arm-none-eabi-gcc" in link[0] and "-T" in link[0]
    assert sum("arm-none-eabi-gcc" in line and " -c " in line for line in verbose.stdout.splitlines()) >= 10
