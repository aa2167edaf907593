"""`scons target=... model=...` end to end: generated sources, no-op rebuilds, clean errors."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, shared_model
from junit_schema import cases, check_junit
from tflite_builder import fully_connected_model, op_aot_lacks_model, single_op_model

from tinyml_build.model.schema import fb


def scons(*args, cwd=PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True, cwd=cwd)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.shared_models
def test_generates_sources_for_a_shared_model(tmp_path):
    model = shared_model("micro_speech_quantized.tflite")
    result = scons("target=stm32f407", f"model={model}", f"build_dir={tmp_path}", "gen")
    assert result.returncode == 0, result.stderr
    gen = tmp_path / "stm32f407" / "micro_speech_quantized" / "gen"
    names = sorted(p.name for p in gen.iterdir())
    assert names == ["micro_speech_quantized_model_data.cc", "micro_speech_quantized_model_data.h",
                     "micro_speech_quantized_op_resolver.h"]
    source = (gen / "micro_speech_quantized_model_data.cc").read_text()
    assert "alignas(16) const unsigned char micro_speech_quantized_model_data[18800]" in source
    assert hashlib.sha256(model.read_bytes()).hexdigest() in source
    resolver = (gen / "micro_speech_quantized_op_resolver.h").read_text()
    assert "micro_speech_quantized_op_count = 4;" in resolver
    for call in ("AddDepthwiseConv2D", "AddFullyConnected", "AddReshape", "AddSoftmax"):
        assert resolver.count(f".{call}(") == 1

    # Nothing changed: SCons has nothing to do.
    again = scons("target=stm32f407", f"model={model}", f"build_dir={tmp_path}", "gen", "--debug=explain")
    assert again.returncode == 0 and "Generating" not in again.stdout and "because" not in again.stdout


@pytest.mark.shared_models
def test_two_models_share_one_resolver(tmp_path):
    a, b = shared_model("micro_speech_quantized.tflite"), shared_model("person_detect.tflite")
    result = scons("target=qemu-m4", f"model={a},{b}", f"build_dir={tmp_path}", "gen")
    assert result.returncode == 0, result.stderr
    gen = tmp_path / "qemu-m4" / "micro_speech_quantized+person_detect" / "gen"
    resolver = (gen / "micro_speech_quantized_person_detect_op_resolver.h").read_text()
    # the union: AVERAGE_POOL_2D CONV_2D DEPTHWISE FC RESHAPE SOFTMAX
    assert "micro_speech_quantized_person_detect_op_count = 6;" in resolver


@pytest.mark.shared_models
def test_output_is_reproducible_across_folders(tmp_path):
    model = shared_model("hello_world_int8.tflite")
    for run in ("one", "two"):
        assert scons("target=stm32f407", f"model={model}", f"build_dir={tmp_path / run}", "gen").returncode == 0
    gen = Path("stm32f407") / "hello_world_int8" / "gen"
    first, second = _digests(tmp_path / "one" / gen), _digests(tmp_path / "two" / gen)
    assert first == second
    for path in (tmp_path / "one" / gen).iterdir():
        assert str(tmp_path) not in path.read_text()


def _fails_cleanly(result, *needles):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_relative_model_path_is_taken_from_the_project_folder(tmp_path):
    """model=<relative path> names a file from where scons runs (the project folder), although SCons
    reads site_scons/SConstruct with its current directory moved there."""
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "fc.tflite").write_bytes(fully_connected_model())
    relative = os.path.relpath(tmp_path / "nets" / "fc.tflite", PROJECT_DIR)
    result = scons("target=stm32f407", f"model={relative}", f"build_dir={tmp_path / 'build'}", "gen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "build" / "stm32f407" / "fc" / "gen" / "fc_op_resolver.h").is_file()
    missing = scons("target=stm32f407", "model=nets/absent.tflite", f"build_dir={tmp_path / 'build'}", "gen")
    assert missing.returncode != 0 and "model file 'nets/absent.tflite' not found" in missing.stdout + missing.stderr
    assert str(PROJECT_DIR) in missing.stdout + missing.stderr  # says where relative paths start


def test_unknown_target_suggests_names(tmp_path):
    _fails_cleanly(scons("target=stm32f047", "model=x.tflite", f"build_dir={tmp_path}"), "stm32f047", "stm32f407")
    assert not any(tmp_path.iterdir())


def test_unknown_model_suggests_names(tmp_path):
    _fails_cleanly(scons("target=stm32f407", "model=hello_wrld", f"build_dir={tmp_path}"), "hello_wrld", "hello_world")


@pytest.mark.shared_models
def test_unknown_runtime(tmp_path):
    model = shared_model("hello_world_int8.tflite")
    _fails_cleanly(scons("target=stm32f407", f"model={model}", "runtime=tfl", f"build_dir={tmp_path}"),
                   "runtime=tfl", "tflm")


def test_op_missing_from_inventory_fails_before_any_output(tmp_path):
    bad = tmp_path / "custom.tflite"
    bad.write_bytes(single_op_model(fb.BuiltinOperator.CUSTOM, custom="MyFancyOp"))
    out = tmp_path / "out"
    _fails_cleanly(scons("target=stm32f407", f"model={bad}", f"build_dir={out}"), "MyFancyOp")
    assert not out.exists() or not any(out.rglob("*.h"))


def test_hybrid_model_fails(tmp_path):
    bad = tmp_path / "hybrid.tflite"
    bad.write_bytes(fully_connected_model(input_dtype="float32"))
    _fails_cleanly(scons("target=stm32f407", f"model={bad}", f"build_dir={tmp_path / 'out'}"),
                   "hybrid", "representative_dataset")


def test_corrupt_model_fails(tmp_path):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(fully_connected_model()[:200])
    _fails_cleanly(scons("target=stm32f407", f"model={bad}", f"build_dir={tmp_path / 'out'}"),
                   "broken.tflite", "corrupt model")


@pytest.mark.shared_models
def test_malformed_target_yaml(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns("build", ".git", "__pycache__", "*.tflite", ".sconsign*"))
    (project / "targets" / "stm32f407.yaml").write_text("name: stm32f407\nmemory: [unclosed\n")
    model = shared_model("hello_world_int8.tflite")
    _fails_cleanly(scons("target=stm32f407", f"model={model}", cwd=project), "stm32f407.yaml")


def test_help_lists_targets_and_models():
    from tinyml_build.config.aliases import ALIASES

    result = scons("-h")
    assert result.returncode == 0
    for needle in ("target=", "stm32f407", "qemu-m4", "hello_world", *(f"  {name:<10} " for name in ALIASES)):
        assert needle in result.stdout


def test_a_misspelt_alias_is_refused_before_any_output(tmp_path):
    """SCons took `tset` for a file and stopped with "Do not know how to make File target", after
    the banner: now one message names the alias meant; a path is still a file to build."""
    _fails_cleanly(scons("target=stm32f407", "model=hello_world", f"build_dir={tmp_path}", "tset"),
                   "`tset` is not a build alias", "did you mean `test`?")
    assert not any(tmp_path.iterdir())
    from tinyml_build.config.aliases import check_requested

    (tmp_path / "notes").mkdir()
    check_requested(["test", "build/stm32f407/hello_world/firmware.elf", "size.json", "notes"], tmp_path)


@pytest.mark.shared_models
def test_config_file_supplies_defaults(tmp_path):
    model = shared_model("hello_world_int8.tflite")
    config = tmp_path / "tinyml.conf"
    config.write_text(f'target = "qemu-m7"\nmodel = "{model}"\nbuild_dir = "{tmp_path / "out"}"\n')
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "gen"], capture_output=True, text=True,
                            cwd=PROJECT_DIR, env={**os.environ, "TINYML_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "qemu-m7" / "hello_world_int8" / "gen" / "hello_world_int8_op_resolver.h").is_file()


def test_host_target_checks_aot_against_tflm(tmp_path):
    result = scons("target=host", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bit-exact with tflite-micro" in result.stdout
    assert (tmp_path / "host" / "hello_world" / "hello_world_host_check.txt").is_file()
    # the oracle names itself: the pinned TFLM built for the host, or the wheel as the fallback
    assert re.fullmatch(r"test: PASS \(host, 1 model\(s\) against tflite-micro .+\)", result.stdout.splitlines()[-1])
    summary = json.loads((tmp_path / "host" / "hello_world" / "test.json").read_text())
    assert (summary["verdict"], summary["exit_status"], summary["models"]["hello_world"]["runs"]) == ("pass", 0, 20)
    root = check_junit((tmp_path / "host" / "hello_world" / "test.xml").read_text())
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("20", "0", "0")
    assert ("host.hello_world", "run 1: every input at its maximum") in cases(root)
    built = scons("target=host", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "host" / "hello_world" / "gen" / "hello_world_model.c").is_file()


def test_op_aot_lacks_fails_at_build_time_naming_tflm(tmp_path):
    op, data = op_aot_lacks_model()
    model = tmp_path / "lacks" / "model.tflite"
    model.parent.mkdir()
    model.write_bytes(data)
    build = tmp_path / "build"
    _fails_cleanly(scons("target=host", f"model={model}", "runtime=aot", f"build_dir={build}", "test"),
                   op, "runtime=tflm")
    assert not any(build.rglob("*.c"))
