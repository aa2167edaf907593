"""The committed TensorFlow-converted op models (tests/data/aot_ops/) agree with their index,
and a changed file fails the test that loads it with a message naming the script to rerun."""

import hashlib
import json

import aot_tf_models
import pytest


def test_every_committed_model_is_indexed_and_matches():
    index = json.loads(aot_tf_models.INDEX.read_text())
    on_disk = {p.name for p in aot_tf_models.DATA_DIR.glob("*.tflite")}
    assert on_disk == set(index["models"]), "rerun tests/make_aot_op_models.py"
    for file, entry in index["models"].items():
        data = (aot_tf_models.DATA_DIR / file).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"]), file
    assert index["tensorflow"] and "make_aot_op_models.py" in index["command"]
    assert sum(e["bytes"] for e in index["models"].values()) < 256 * 1024, "keep the committed models small"


def test_changed_model_is_a_failure_naming_the_script(tmp_path, monkeypatch):
    original = aot_tf_models.op_model("add")
    (tmp_path / original.name).write_bytes(original.read_bytes() + b"\0")
    monkeypatch.setattr(aot_tf_models, "DATA_DIR", tmp_path)
    with pytest.raises(pytest.fail.Exception) as info:
        aot_tf_models.op_model("add")
    assert "sha256" in str(info.value) and "tests/make_aot_op_models.py" in str(info.value)
    with pytest.raises(pytest.fail.Exception, match="missing.*make_aot_op_models.py"):
        aot_tf_models.op_model("add", int16=True)
    with pytest.raises(pytest.fail.Exception, match="not listed.*make_aot_op_models.py"):
        aot_tf_models.op_model("no_such_spec")
