"""third_party/lock.yaml: the shipped pins are the ones TFLM itself uses, every field is well
formed, and each kind of mistake in a lock file is one LockError naming the file and the key."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from tflm_mirror import find_git_dir, git_dir_or_skip
from third_party_testlib import write_lock

from tinyml_build.third_party.errors import LockError
from tinyml_build.third_party.lock import DEFAULT_LOCK_PATH, Patch, RemoveFiles, load_lock

PROJECT_DIR = Path(__file__).resolve().parents[1]
TFLM_COMMIT = "90b983c2b3f1480642e040bbd2ddb37b998f3424"


def test_the_project_lock_is_the_default_and_loads():
    assert DEFAULT_LOCK_PATH == PROJECT_DIR / "third_party" / "lock.yaml"
    lock = load_lock()
    assert lock.names == ["tflite-micro", "flatbuffers", "gemmlowp", "ruy", "cmsis-nn", "cmsis-6", "esp-nn",
                          "esp-tflite-micro", "kissfft"]


def test_pins_are_the_ones_named_by_tflm():
    lock = load_lock()
    expected_prefixes = {"tflite-micro": TFLM_COMMIT, "cmsis-nn": "4ab83cc3cc98fb85ed6dafb55e8ca02f1628dcae",
                         "cmsis-6": "5782d6f8", "flatbuffers": "18724097", "gemmlowp": "719139ce", "ruy": "d3712831",
                         "kissfft": "918336be"}
    for name, prefix in expected_prefixes.items():
        assert lock.get(name).commit.startswith(prefix), name
    assert lock.get("flatbuffers").version == "v25.9.23"
    assert lock.get("kissfft").version == "v130"


def test_every_pin_is_a_github_commit_archive_with_its_prefix():
    for dep in load_lock().dependencies:
        owner_repo = dep.repository.removeprefix("https://github.com/")
        repo = owner_repo.split("/")[1]
        assert re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", owner_repo), dep.name
        assert dep.archive_url == f"https://github.com/{owner_repo}/archive/{dep.commit}.tar.gz"
        assert dep.archive_prefix == f"{repo}-{dep.commit}"
        assert dep.license == ("BSD-3-Clause" if dep.name == "kissfft" else "Apache-2.0")  # kissfft's COPYING
        assert dep.env_var == "TINYML_" + dep.name.upper().replace("-", "_") + "_PATH"


def test_tflm_preparation_is_recorded_with_the_patch_read_from_tflm():
    lock = load_lock()
    assert lock.get("flatbuffers").prepare == (
        RemoveFiles("*BUILD"), Patch(source="tflite-micro", path="tensorflow/lite/micro/tools/make/flatbuffers.patch"))
    assert lock.get("kissfft").prepare == (
        RemoveFiles("*BUILD"), Patch(source="tflite-micro", path="third_party/kissfft/kissfft.patch"))
    for name in ("gemmlowp", "ruy"):
        assert lock.get(name).prepare == (RemoveFiles("*BUILD"),)
    for name in ("tflite-micro", "cmsis-nn", "cmsis-6", "esp-nn", "esp-tflite-micro"):
        assert lock.get(name).prepare == () and lock.get(name).digest == lock.get(name).source_digest
    assert not list((PROJECT_DIR / "third_party").rglob("*.patch")), "patches are read from TFLM, never copied"


@pytest.mark.tflm_sources
def test_lock_agrees_with_tflms_own_download_scripts():
    repo = git_dir_or_skip("tensorflow+tflite-micro")

    def show(path):
        return subprocess.run(["git", "-C", str(repo), "show", f"{TFLM_COMMIT}:{path}"],
                              capture_output=True, text=True, check=True).stdout

    make = "tensorflow/lite/micro/tools/make/"
    downloads = show(make + "third_party_downloads.inc")
    lock = load_lock()
    assert f"gemmlowp/archive/{lock.get('gemmlowp').commit}.zip" in downloads
    assert f"ruy/archive/{lock.get('ruy').commit}.zip" in downloads
    assert f"flatbuffers/archive/refs/tags/{lock.get('flatbuffers').version}.zip" in downloads
    assert f'FLATBUFFERS_PATCH_PATH := "{lock.get("flatbuffers").prepare[1].path}"' in downloads
    assert f"kissfft/archive/refs/tags/{lock.get('kissfft').version}.zip" in downloads
    assert f'KISSFFT_PATCH_PATH := "{lock.get("kissfft").prepare[1].path}"' in downloads
    assert "kissfft,patch_file,$(TENSORFLOW_ROOT)$(KISSFFT_PATCH_PATH)" in show(make + "third_party.inc")
    assert "patch -p1 -d ${dir} < ${patch_file}" in show(make + "download_and_extract.sh")
    assert f'ZIP_PREFIX_NN="{lock.get("cmsis-nn").commit}"' in show(make + "ext_libs/cmsis_nn_download.sh")
    assert f'ZIP_PREFIX="{lock.get("cmsis-6").commit}"' in show(make + "ext_libs/cmsis_download.sh")
    assert "-name '*BUILD' -delete" in show(make + "download_and_extract.sh")
    flatbuffers_repo = find_git_dir("google+flatbuffers")
    if flatbuffers_repo is not None and flatbuffers_repo.is_dir():
        tag = subprocess.run(["git", "-C", str(flatbuffers_repo), "rev-parse", "v25.9.23^{commit}"],
                             capture_output=True, text=True, check=True).stdout.strip()
        assert tag == lock.get("flatbuffers").commit
    kissfft_repo = find_git_dir("mborgerding+kissfft")
    if kissfft_repo is not None and kissfft_repo.is_dir():
        tag = subprocess.run(["git", "-C", str(kissfft_repo), "rev-parse", "v130^{commit}"],
                             capture_output=True, text=True, check=True).stdout.strip()
        assert tag == lock.get("kissfft").commit


def test_lock_names_no_package_registry_host():
    text = DEFAULT_LOCK_PATH.read_text()
    for url in re.findall(r"https?://[^\s\"']+", text):
        assert url.startswith("https://github.com/"), url


# -- malformed locks ------------------------------------------------------------------------------

GOOD = {"repository": "https://github.com/example/demo", "commit": "a" * 40, "license": "MIT",
        "archive_url": "https://github.com/example/demo/archive/" + "a" * 40 + ".tar.gz",
        "archive_prefix": "demo-" + "a" * 40, "source_digest": "sha256:" + "0" * 64}


def _variant(**changes):
    entry = dict(GOOD)
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    return entry


@pytest.mark.parametrize("deps, where, message", [
    ({"demo": _variant(commit="abc123")}, "dependencies.demo.commit", "full 40-digit"),
    ({"demo": _variant(commit="A" * 40)}, "dependencies.demo.commit", "lower-case hex"),
    ({"demo": _variant(source_digest="sha256:1234")}, "dependencies.demo.source_digest", "64 lower-case hex"),
    ({"demo": _variant(source_digest=None)}, "dependencies.demo.source_digest", "missing required key"),
    ({"demo": _variant(licence="MIT")}, "dependencies.demo.licence", "unknown key"),
    ({"demo": _variant(license="")}, "dependencies.demo.license", "SPDX"),
    ({"demo": _variant(archive_url="http://github.com/x.tar.gz")}, "dependencies.demo.archive_url", "not an https://"),
    ({"demo": _variant(archive_url="ftp://127.0.0.1/x")}, "dependencies.demo.archive_url", "not an https://"),
    ({"demo": _variant(archive_prefix="a/b")}, "dependencies.demo.archive_prefix", "single top-level directory"),
    ({"Demo": GOOD}, "dependencies.Demo", "lower-case letters"),
    ({"demo": _variant(prepare=[{"remove_files_named": "*BUILD"}])}, "dependencies.demo", "needs prepared_digest"),
    ({"demo": _variant(prepared_digest="sha256:" + "1" * 64)}, "dependencies.demo.prepared_digest",
     "without prepare steps"),
    ({"demo": _variant(prepare=[{"patch": "x.patch", "from": "later"}], prepared_digest="sha256:" + "1" * 64),
      "later": GOOD}, "dependencies.demo.prepare[0].from", "not a dependency listed before"),
    ({"host": GOOD, "demo": _variant(prepare=[{"patch": "../x.patch", "from": "host"}],
                                     prepared_digest="sha256:" + "1" * 64)},
     "dependencies.demo.prepare[0].patch", "relative path inside"),
    ({"demo": _variant(prepare=[{"run": "rm -rf /"}], prepared_digest="sha256:" + "1" * 64)},
     "dependencies.demo.prepare[0]", "a prepare step is"),
    ({}, "dependencies", "non-empty mapping"),
])
def test_malformed_lock_is_one_clear_error(tmp_path, deps, where, message):
    path = write_lock(tmp_path / "lock.yaml", deps)
    with pytest.raises(LockError) as info:
        load_lock(path)
    assert info.value.where == str(path)
    assert info.value.what.startswith(f"{where}: ")
    assert message in info.value.what


def test_plain_http_is_accepted_for_loopback_only(tmp_path):
    for host in ("127.0.0.1:8080", "localhost", "[::1]:9"):
        path = write_lock(tmp_path / "lock.yaml", {"demo": _variant(archive_url=f"http://{host}/demo.tar.gz")})
        assert load_lock(path).get("demo").archive_url.startswith("http://")


def test_unknown_key_suggests_the_right_one(tmp_path):
    with pytest.raises(LockError) as info:
        load_lock(write_lock(tmp_path / "lock.yaml", {"demo": _variant(archive_prefx="x")}))
    assert "archive_prefix" in info.value.fix


def test_missing_unreadable_and_wrong_schema(tmp_path):
    with pytest.raises(LockError, match="lock file not found"):
        load_lock(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("dependencies: [\n")
    with pytest.raises(LockError) as info:
        load_lock(tmp_path / "bad.yaml")
    assert info.value.where == f"{tmp_path / 'bad.yaml'}:2" and info.value.what.startswith("malformed YAML")
    (tmp_path / "v2.yaml").write_text(yaml.safe_dump({"schema": 2, "digest_algorithm": "tinyml-tree-v1",
                                                      "dependencies": {"demo": GOOD}}))
    with pytest.raises(LockError, match="schema 2 is not supported"):
        load_lock(tmp_path / "v2.yaml")


def test_unknown_dependency_name_suggests_close_names():
    with pytest.raises(LockError) as info:
        load_lock().get("tflite_micro")
    assert "tflite-micro" in info.value.fix


def test_esp_tflite_micro_pin_is_the_commit_the_op_inventory_was_checked_against():
    """kernels=esp-nn compiles the esp_nn/ wrappers of this commit; op_inventory lists them from the same one."""
    from tinyml_build.analysis import op_inventory

    assert load_lock().get("esp-tflite-micro").commit == op_inventory.ESP_TFLITE_MICRO_COMMIT
