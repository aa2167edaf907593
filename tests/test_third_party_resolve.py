"""Resolution for builds: explicit path first, then the verified cache, never the network; a missing
dependency names the three ways to provide it. Also `tinyml-build deps status`."""

import pytest
from third_party_testlib import DEMO_V1, DemoWorld, LoopbackServer, needs_git, spec_digest, write_tree

from tinyml_build.cli import main
from tinyml_build.third_party.acquire import import_source
from tinyml_build.third_party.errors import MissingSourceError, ThirdPartyError
from tinyml_build.third_party.lock import load_lock
from tinyml_build.third_party.resolve import locate, resolve, resolve_all
from tinyml_build.third_party.store import cache_root

pytestmark = needs_git


@pytest.fixture
def world(tmp_path):
    return DemoWorld(tmp_path)


@pytest.fixture
def cli_env(world, monkeypatch):
    """The CLI's view: XDG_CACHE_HOME such that the cache root is world.cache, no explicit paths."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(world.tmp / "xdg"))
    for name in ("HOST", "DEMO"):
        monkeypatch.delenv(f"TINYML_{name}_PATH", raising=False)
    world.cache = world.tmp / "xdg" / "tinyml_build" / "src"
    return world


def test_cache_root_follows_xdg(tmp_path):
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "tinyml_build" / "src"
    assert cache_root({"XDG_CACHE_HOME": "relative/ignored"}).parts[-3:] == (".cache", "tinyml_build", "src")
    assert cache_root({}).parts[-3:] == (".cache", "tinyml_build", "src")


def test_missing_dependency_names_the_three_ways(world):
    with LoopbackServer() as server:
        server.routes.update(world.serve_paths())
        lock = load_lock(world.lock(base_url=server.url("")))
        with pytest.raises(MissingSourceError) as info:
            resolve(lock.get("demo"), env={}, root=world.cache)
        assert server.requests == []  # a build never downloads, even when the archive is reachable
    assert f"demo (example/demo@{world.v1[:12]}) is not available: not in the cache" in info.value.what
    fix = info.value.fix
    assert "(1) set TINYML_DEMO_PATH" in fix
    assert "(2) run `tinyml-build deps import demo PATH`" in fix and world.v1 in fix
    assert "(3) run `tinyml-build deps sync demo`" in fix


def test_explicit_path_comes_first_and_is_used_as_given(world, tmp_path):
    lock = load_lock(world.lock())
    import_source(lock, "host", world.host_bare, env={}, root=world.cache)
    mine = write_tree(tmp_path / "my-host", {"modified": b"yes"})
    env = {"TINYML_HOST_PATH": str(mine)}
    assert resolve(lock.get("host"), env={}, root=world.cache) == world.cache / f"host-{world.host_commit}"
    assert resolve(lock.get("host"), env=env, root=world.cache) == mine
    where = locate(lock.get("host"), env=env, root=world.cache)
    assert (where.how, where.detail) == ("explicit", "explicit path from TINYML_HOST_PATH (not verified)")
    option = write_tree(tmp_path / "option-host", {"x": b"1"})  # the build option beats the environment
    assert resolve(lock.get("host"), overrides={"host": str(option)}, env=env, root=world.cache) == option


def test_explicit_path_that_is_not_a_directory_is_an_error_not_a_fallback(world, tmp_path):
    lock = load_lock(world.lock())
    import_source(lock, "host", world.host_bare, env={}, root=world.cache)
    with pytest.raises(ThirdPartyError) as info:
        resolve(lock.get("host"), env={"TINYML_HOST_PATH": str(tmp_path / "typo")}, root=world.cache)
    assert f"TINYML_HOST_PATH points to {tmp_path / 'typo'}, which is not a directory" in info.value.what


def test_stale_or_unstamped_cache_entries_are_not_used(world):
    lock = load_lock(world.lock())
    host = lock.get("host")
    tree = write_tree(world.cache / host.cache_name, {"LICENSE": b"whatever"})
    assert "no readable stamp" in locate(host, env={}, root=world.cache).detail
    (world.cache / f"{host.cache_name}.digest").write_text("sha256:" + "0" * 64)
    with pytest.raises(MissingSourceError, match="stale"):
        resolve(host, env={}, root=world.cache)
    (world.cache / f"{host.cache_name}.digest").write_text(host.digest + "\n")
    assert resolve(host, env={}, root=world.cache) == tree


def test_resolve_all_in_lock_order(world):
    lock = load_lock(world.lock())
    import_source(lock, "host", world.host_tgz, env={}, root=world.cache)
    import_source(lock, "demo", world.v1_zip, env={}, root=world.cache)
    trees = resolve_all(lock, ["demo", "host"], env={}, root=world.cache)
    assert list(trees) == ["host", "demo"]
    assert trees["demo"] == world.cache / f"demo-{world.v1}"


def test_deps_status_lists_each_dependency(cli_env, capsys, tmp_path, monkeypatch):
    world = cli_env
    lock = str(world.lock())
    assert main(["deps", "--lock", lock, "status"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split()[:3] == ["host", world.host_commit[:12], "missing"]
    assert "2 of 2 dependencies missing" in err and "deps import NAME PATH" in err and "deps sync" in err

    assert main(["deps", "--lock", lock, "import", "host", str(world.host_bare)]) == 0
    assert f"host: verified and stored in {world.cache / ('host-' + world.host_commit)}" in capsys.readouterr().out
    modified = write_tree(tmp_path / "modified-demo", dict(DEMO_V1, extra=b"1"))
    monkeypatch.setenv("TINYML_DEMO_PATH", str(modified))
    assert main(["deps", "--lock", lock, "status", "--verify"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"host-{world.host_commit}  [digest ok]")
    assert lines[1].split()[2:4] == ["explicit", str(modified)]
    assert f"[DIGEST MISMATCH: {spec_digest(dict(DEMO_V1, extra=b'1'))}" in lines[1]


def test_deps_errors_are_one_message_not_a_traceback(cli_env, capsys):
    assert main(["deps", "--lock", str(cli_env.lock()), "import", "demo", str(cli_env.demo_bare)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinyml-build: error: demo is prepared with patches from host")
    assert "Traceback" not in err
    assert main(["deps", "--lock", str(cli_env.lock()), "import", "nosuch", "x"]) == 2
    assert "no dependency named 'nosuch'" in capsys.readouterr().err
