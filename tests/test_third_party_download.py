"""`deps sync`: pinned archives downloaded from a loopback HTTP server (a thread in the test) are
verified, prepared and published; a tampered, wrong-commit, interrupted or unreachable download is
refused with a clear message and leaves nothing in the cache."""

import pytest
from third_party_testlib import (
    DEMO_PREPARED,
    DEMO_V1,
    DemoWorld,
    LoopbackServer,
    git_archive,
    host_entry,
    make_repo,
    needs_git,
    refused_url,
    spec_digest,
    write_lock,
    write_tree,
)

from tinyml_build.cli import main
from tinyml_build.third_party.acquire import sync
from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.errors import DigestMismatchError, FetchError, ThirdPartyError
from tinyml_build.third_party.lock import load_lock

pytestmark = needs_git


@pytest.fixture
def world(tmp_path):
    return DemoWorld(tmp_path)


@pytest.fixture
def server(world):
    with LoopbackServer() as s:
        s.routes.update(world.serve_paths())
        yield s


def _sync(world, server, names=None):
    return sync(load_lock(world.lock(base_url=server.url(""))), names, env={}, root=world.cache)


def _nothing_of_demo_in_cache(world):
    return not any(n.startswith(("demo", ".partial")) for n in world.cache_listing())


def test_good_download_is_verified_prepared_and_published(world, server):
    assert _sync(world, server) == {"host": "downloaded and verified", "demo": "downloaded and verified"}
    demo = world.cache / f"demo-{world.v1}"
    assert tree_digest(demo) == spec_digest(DEMO_PREPARED)
    assert (demo / "src" / "demo.c").read_text().endswith("return 42; }\n")
    assert world.cache_listing() == sorted([f"demo-{world.v1}", f"demo-{world.v1}.digest",
                                           f"host-{world.host_commit}", f"host-{world.host_commit}.digest"])
    requests = list(server.requests)
    assert _sync(world, server) == {"host": "already in the cache", "demo": "already in the cache"}
    assert server.requests == requests  # nothing downloaded twice


def test_syncing_one_dependency_brings_its_patch_source(world, server):
    assert _sync(world, server, ["demo"]) == {"host": "downloaded and verified", "demo": "downloaded and verified"}


def test_tampered_archive_is_refused_showing_both_digests(world, server, tmp_path):
    tampered = dict(DEMO_V1, **{"src/demo.c": b"int demo(void) { return evil(); }\n"})
    evil_repo, (evil,) = make_repo(tmp_path / "evil", tampered)
    # Same top directory as the genuine archive, no commit record: only the content gives it away.
    server.routes[f"/demo/archive/{world.v1}.tar.gz"] = git_archive(
        evil_repo, evil, f"demo-{world.v1}", tmp_path / "evil.zip", "zip").read_bytes()
    with pytest.raises(DigestMismatchError) as info:
        _sync(world, server)
    message = str(info.value)
    assert f"lock pins: {spec_digest(DEMO_V1)}" in message
    assert f"found:     {spec_digest(tampered)}" in message
    assert message.startswith(f"{server.url('')}/demo/archive/{world.v1}.tar.gz: demo: source content digest")
    assert _nothing_of_demo_in_cache(world)
    assert f"host-{world.host_commit}" in world.cache_listing()  # what was good stays


def test_archive_of_the_wrong_commit_is_refused(world, server):
    server.routes[f"/demo/archive/{world.v1}.tar.gz"] = world.v2_tgz.read_bytes()
    with pytest.raises(ThirdPartyError) as info:
        _sync(world, server)
    assert f"the archive holds commit {world.v2}, the lock pins {world.v1}" in info.value.what
    assert _nothing_of_demo_in_cache(world)


def test_archive_with_an_unexpected_top_directory_is_refused(world, server, tmp_path):
    server.routes[f"/demo/archive/{world.v1}.tar.gz"] = git_archive(
        world.demo_repo, world.v1, "something-else", tmp_path / "x.zip", "zip").read_bytes()
    with pytest.raises(ThirdPartyError, match=f"outside 'demo-{world.v1}/'"):
        _sync(world, server)
    assert _nothing_of_demo_in_cache(world)


def test_interrupted_download_leaves_nothing_behind(world, server):
    server.truncate.add(f"/demo/archive/{world.v1}.tar.gz")
    with pytest.raises(FetchError) as info:
        _sync(world, server)
    assert "download interrupted" in info.value.what
    assert _nothing_of_demo_in_cache(world)
    server.truncate.clear()  # and the next try completes
    assert _sync(world, server)["demo"] == "downloaded and verified"


def test_offline_is_a_clear_message_naming_the_other_ways(world, tmp_path):
    url = refused_url()
    lock = write_lock(tmp_path / "offline.yaml", {"host": host_entry(world.host_commit, url)})
    with pytest.raises(FetchError) as info:
        sync(load_lock(lock), env={}, root=world.cache)
    assert info.value.where == url
    assert "cannot connect: connection refused (offline, or nothing serves that address)" == info.value.what
    assert "TINYML_HOST_PATH" in info.value.fix and "deps import host PATH" in info.value.fix
    assert world.cache_listing() == []


def test_http_error_is_reported(world, server):
    del server.routes[f"/demo/archive/{world.v1}.tar.gz"]
    with pytest.raises(FetchError, match="HTTP 404"):
        _sync(world, server)
    assert _nothing_of_demo_in_cache(world)


def test_cli_sync(world, server, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(world.tmp / "xdg"))
    lock = str(world.lock(base_url=server.url("")))
    assert main(["deps", "--lock", lock, "sync", "host"]) == 0
    assert capsys.readouterr().out == "host: downloaded and verified\n"
    server.truncate.add(f"/demo/archive/{world.v1}.tar.gz")
    assert main(["deps", "--lock", lock, "sync"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "host: already in the cache\n"
    assert captured.err.startswith(f"tinyml-build: error: {server.url('')}/demo/archive/{world.v1}.tar.gz: "
                                   "download interrupted")


def test_status_never_downloads(world, server, tmp_path, monkeypatch, capsys):
    """status never downloads: it only reports where each dependency resolves."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(world.tmp / "xdg"))
    monkeypatch.setenv("TINYML_DEMO_PATH", str(write_tree(tmp_path / "mine", DEMO_V1)))
    monkeypatch.delenv("TINYML_HOST_PATH", raising=False)
    assert main(["deps", "--lock", str(world.lock(base_url=server.url(""))), "status"]) == 1
    assert server.requests == []
    assert "explicit" in capsys.readouterr().out
