"""`deps import`: a bare git directory, a checkout, an archive or a plain directory becomes a
verified, prepared cache entry; anything that is not the pinned tree is refused, and a failed
import leaves nothing in the cache."""

import os
import shutil

import pytest
from third_party_testlib import DEMO_PREPARED, DEMO_V1, DemoWorld, git, needs_git, spec_digest, write_tree

from tinyml_build.third_party.acquire import import_source
from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.errors import DigestMismatchError, MissingSourceError, ThirdPartyError
from tinyml_build.third_party.lock import load_lock
from tinyml_build.third_party.resolve import resolve

pytestmark = needs_git


@pytest.fixture
def world(tmp_path):
    return DemoWorld(tmp_path)


def _import(world, name, path, **kw):
    return import_source(load_lock(world.lock()), name, path, env={}, root=world.cache, **kw)


def _assert_prepared_demo(world, tree):
    assert tree == world.cache / f"demo-{world.v1}"
    assert tree_digest(tree) == spec_digest(DEMO_PREPARED)
    assert (tree / "src" / "demo.c").read_text().endswith("return 42; }\n")  # the host's patch applied
    assert not (tree / "src" / "BUILD").exists()
    assert (world.cache / f"demo-{world.v1}.digest").read_text().strip() == spec_digest(DEMO_PREPARED)
    assert world.cache_listing() == sorted([f"demo-{world.v1}", f"demo-{world.v1}.digest",
                                           f"host-{world.host_commit}", f"host-{world.host_commit}.digest"])


@pytest.mark.parametrize("origin", ["bare", "checkout", "tar.gz", "zip", "plain-dir"])
def test_import_from_every_kind_of_origin(world, origin):
    _import(world, "host", world.host_bare)
    path = {"bare": world.demo_bare, "checkout": world.demo_repo, "tar.gz": world.v1_tgz, "zip": world.v1_zip,
            "plain-dir": write_tree(world.tmp / "plain", DEMO_V1)}[origin]
    if origin == "checkout":
        git("checkout", "-q", world.v2, cwd=world.demo_repo)  # the work tree's state does not matter
    _assert_prepared_demo(world, _import(world, "demo", path))
    assert resolve(load_lock(world.lock()).get("demo"), env={}, root=world.cache) == world.cache / f"demo-{world.v1}"


def test_an_already_prepared_tree_is_accepted_as_it_is(world):
    _import(world, "host", world.host_tgz)
    _assert_prepared_demo(world, _import(world, "demo", write_tree(world.tmp / "prepared", DEMO_PREPARED)))


def test_git_directory_without_the_pinned_commit_is_refused(world):
    with pytest.raises(ThirdPartyError) as info:
        _import(world, "host", world.demo_bare)  # the wrong repository
    assert f"does not contain commit {world.host_commit}" in info.value.what
    assert "https://github.com/example/host" in info.value.fix
    assert world.cache_listing() == []


def test_archive_of_another_commit_is_refused_naming_both_commits(world):
    _import(world, "host", world.host_bare)
    with pytest.raises(ThirdPartyError) as info:
        _import(world, "demo", world.v2_tgz)
    assert f"holds commit {world.v2}, the lock pins {world.v1}" in info.value.what
    assert world.cache_listing() == sorted([f"host-{world.host_commit}", f"host-{world.host_commit}.digest"])


def test_modified_tree_is_refused_with_both_digests(world):
    _import(world, "host", world.host_bare)
    tampered = dict(DEMO_V1, **{"include/demo.h": b"int demo(void); /* changed */\n"})
    with pytest.raises(DigestMismatchError) as info:
        _import(world, "demo", write_tree(world.tmp / "tampered", tampered))
    assert f"lock pins: {spec_digest(DEMO_V1)}" in str(info.value)
    assert f"found:     {spec_digest(tampered)}" in str(info.value)
    assert not any(name.startswith("demo") or name.startswith(".partial") for name in world.cache_listing())


def test_patch_source_must_be_available_first(world):
    with pytest.raises(MissingSourceError) as info:
        _import(world, "demo", world.demo_bare)
    assert "demo is prepared with patches from host" in info.value.what
    assert "deps import host" in info.value.fix
    assert world.cache_listing() == []


def test_a_patch_that_does_not_apply_is_refused(world, tmp_path):
    host = write_tree(tmp_path / "my-host", {"tools/demo.patch": b"--- a/src/demo.c\n+++ b/src/demo.c\n"
                                                                  b"@@ -1 +1 @@\n-no such line\n+x\n"})
    with pytest.raises(ThirdPartyError, match="does not apply"):
        import_source(load_lock(world.lock()), "demo", world.demo_bare, overrides={"host": str(host)},
                      env={}, root=world.cache)
    assert world.cache_listing() == []


def test_patch_file_missing_from_the_patch_source(world, tmp_path):
    host = write_tree(tmp_path / "my-host", {"LICENSE": b"x"})
    with pytest.raises(MissingSourceError, match="has no patch file tools/demo.patch"):
        import_source(load_lock(world.lock()), "demo", world.demo_bare, overrides={"host": str(host)},
                      env={}, root=world.cache)


def test_reimport_replaces_a_stale_entry(world):
    _import(world, "host", world.host_bare)
    stale = world.cache / f"demo-{world.v1}"
    write_tree(stale, {"old": b"left over from an older lock"})
    (world.cache / f"demo-{world.v1}.digest").write_text("sha256:" + "0" * 64 + "\n")
    _assert_prepared_demo(world, _import(world, "demo", world.demo_bare))
    assert not (stale / "old").exists()


def test_nonexistent_and_unusable_paths(world, tmp_path):
    with pytest.raises(ThirdPartyError, match="no such file or directory"):
        _import(world, "host", tmp_path / "absent")
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(ThirdPartyError, match="not a git repository, directory or .tar.gz/.zip archive"):
        _import(world, "host", tmp_path / "notes.txt")


def test_import_from_a_copy_of_a_checkout_keeps_the_git_view(world, tmp_path):
    """A checkout is read through git (the pinned commit), so uncommitted edits are not imported."""
    _import(world, "host", world.host_bare)
    copy = tmp_path / "edited"
    shutil.copytree(world.demo_repo, copy, symlinks=True)
    (copy / "README.md").write_text("local edit\n")
    _assert_prepared_demo(world, _import(world, "demo", copy))


def test_partial_directories_of_killed_imports_are_cleaned_once_old(world):
    old = world.cache / ".partial-host-killed-long-ago"
    recent = world.cache / ".partial-host-maybe-still-running"
    for d in (old, recent):
        (d / "tree").mkdir(parents=True)
    os.utime(old, (0, 0))
    _import(world, "host", world.host_bare)
    assert not old.exists() and recent.exists()
