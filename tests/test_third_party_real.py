"""The real pins: when git mirrors of the upstream repositories are on this machine
(TINYML_MIRRORS_DIR, one bare git dir per repository at <owner>+<repo>/repo; unset: skipped),
importing them yields exactly the digests in third_party/lock.yaml -- including flatbuffers
prepared with the patch read from the real TFLM tree."""

from pathlib import Path

import pytest
from tflm_mirror import git_dir_or_skip
from third_party_testlib import needs_git

from tinyml_build.third_party.acquire import import_source
from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.lock import load_lock

pytestmark = [needs_git, pytest.mark.tflm_sources]


def _mirror(dep) -> Path:
    owner, repo = dep.repository.removeprefix("https://github.com/").split("/")
    return git_dir_or_skip(f"{owner}+{repo}")


def test_real_tflite_micro_pin_matches_the_lock(tmp_path):
    lock = load_lock()
    tflm = lock.get("tflite-micro")
    tree = import_source(lock, "tflite-micro", _mirror(tflm), env={}, root=tmp_path)
    assert tree_digest(tree) == tflm.source_digest
    assert (tree / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file()


def _prepared_with_tflms_patch(name: str, root: Path) -> Path:
    """`name` imported from its mirror, prepared with the patch read from the imported TFLM tree; its
    digest is the lock's prepared one."""
    lock = load_lock()
    dep = lock.get(name)
    mirror = _mirror(dep)
    import_source(lock, "tflite-micro", _mirror(lock.get("tflite-micro")), env={}, root=root)
    tree = import_source(lock, name, mirror, env={}, root=root)
    assert tree_digest(tree) == dep.prepared_digest != dep.source_digest
    return tree


def test_real_flatbuffers_is_prepared_with_tflms_patch(tmp_path):
    tree = _prepared_with_tflms_patch("flatbuffers", tmp_path)
    base_h = (tree / "include" / "flatbuffers" / "base.h").read_text()
    assert "#define FLATBUFFERS_LOCALE_INDEPENDENT 0" in base_h  # TFLM's patch is in
    assert not list(tree.rglob("BUILD"))


def test_real_kissfft_is_prepared_with_tflms_patch(tmp_path):
    """kissfft v130 with TFLM's third_party/kissfft/kissfft.patch: the tree TFLM's Makefile builds."""
    tree = _prepared_with_tflms_patch("kissfft", tmp_path)
    header = (tree / "kiss_fft.h").read_text()
    assert "#define KISS_FFT_MALLOC(X) (void*)(0x0) /* Patched. */" in header  # TFLM's patch is in
    assert (tree / "tools" / "kiss_fftr.c").is_file() and (tree / "COPYING").is_file()
