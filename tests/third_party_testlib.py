"""Helpers for the third-party resolver tests: small upstream repositories, archives, locks, and a
loopback HTTP server that can also misbehave (truncate, tamper). Nothing here touches the network
beyond 127.0.0.1.
"""

import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")

# An upstream project at two commits. Symlinks are ('link', target); everything else is file content.
DEMO_V1 = {
    "README.md": b"demo v1\n",
    "include/demo.h": b"int demo(void);\n",
    "src/demo.c": b"#include \"demo.h\"\nint demo(void) { return 1; }\n",
    "src/BUILD": b"cc_library(name = 'demo')\n",
    "docs/latest": ("link", "../README.md"),
}
DEMO_V2 = dict(DEMO_V1, **{"src/demo.c": b"#include \"demo.h\"\nint demo(void) { return 2; }\n"})

# The project that carries a patch for demo, as TFLM carries flatbuffers.patch.
DEMO_PATCH = b"""diff --git a/src/demo.c b/src/demo.c
--- a/src/demo.c
+++ b/src/demo.c
@@ -1,2 +1,2 @@
 #include "demo.h"
-int demo(void) { return 1; }
+int demo(void) { return 42; }
"""
HOST_FILES = {"LICENSE": b"host licence\n", "tools/demo.patch": DEMO_PATCH}
DEMO_PREPARED = {k: v for k, v in DEMO_V1.items() if k != "src/BUILD"}
DEMO_PREPARED["src/demo.c"] = b"#include \"demo.h\"\nint demo(void) { return 42; }\n"


def spec_digest(files: dict) -> str:
    """tinyml-tree-v1 computed straight from the specification, independently of the project code."""
    h = hashlib.sha256(b"tinyml-tree-v1\0")
    for path in sorted(files, key=lambda p: p.encode()):
        value = files[path]
        kind, data = (b"l", value[1].encode()) if isinstance(value, tuple) else (b"f", value)
        h.update(kind + path.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return "sha256:" + h.hexdigest()


def write_tree(root: Path, files: dict) -> Path:
    for rel, value in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, tuple):
            os.symlink(value[1], path)
        else:
            path.write_bytes(value)
    return root


def git(*args, cwd=None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid", GIT_AUTHOR_DATE="2020-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2020-01-01T00:00:00Z", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd or "/nonexistent"))
    return subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path: Path, *versions: dict) -> tuple[Path, list[str]]:
    """A checkout at `path` with one commit per version of the files; returns (path, commit ids)."""
    path.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    commits = []
    for i, files in enumerate(versions):
        for child in path.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        write_tree(path, files)
        git("add", "-A", cwd=path)
        git("commit", "-q", "-m", f"version {i + 1}", cwd=path)
        commits.append(git("rev-parse", "HEAD", cwd=path))
    return path, commits


def bare_clone(repo: Path, dest: Path) -> Path:
    git("clone", "-q", "--bare", str(repo), str(dest), cwd=repo.parent)
    return dest


def git_archive(repo: Path, commit: str, prefix: str, dest: Path, fmt: str = "tar.gz") -> Path:
    """The archive GitHub would serve for `commit` (`git archive` with a `<prefix>/` top directory)."""
    git("archive", f"--format={fmt}", f"--prefix={prefix}/", "-o", str(dest), commit, cwd=repo)
    return dest


def write_lock(path: Path, deps: dict) -> Path:
    """A lock file with the given {name: entry}; entries are written as given (order kept)."""
    path.write_text(yaml.safe_dump({"schema": 1, "digest_algorithm": "tinyml-tree-v1", "dependencies": deps},
                                   sort_keys=False))
    return path


def demo_entry(commit: str, url: str, prepare=True) -> dict:
    entry = {"repository": "https://github.com/example/demo", "commit": commit, "license": "MIT",
             "archive_url": url, "archive_prefix": f"demo-{commit}", "source_digest": spec_digest(DEMO_V1)}
    if prepare:
        entry["prepare"] = [{"remove_files_named": "*BUILD"}, {"patch": "tools/demo.patch", "from": "host"}]
        entry["prepared_digest"] = spec_digest(DEMO_PREPARED)
    return entry


def host_entry(commit: str, url: str) -> dict:
    return {"repository": "https://github.com/example/host", "commit": commit, "license": "Apache-2.0",
            "archive_url": url, "archive_prefix": f"host-{commit}", "source_digest": spec_digest(HOST_FILES)}


class LoopbackServer:
    """Serves {path: bytes} on 127.0.0.1 from a thread. A path listed in `truncate` sends the full
    Content-Length but only half the body, then closes the connection (an interrupted download)."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def refused_url(path: str = "/x.tar.gz") -> str:
    """A loopback URL where nothing listens (bound, then closed), so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


class DemoWorld:
    """Two upstream projects in tmp_path: `host` (carries tools/demo.patch, like TFLM) and `demo`
    (at two commits, v1 pinned). Archives are what GitHub would serve for each commit."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.host_repo, (self.host_commit,) = make_repo(tmp_path / "upstream" / "host", HOST_FILES)
        self.demo_repo, (self.v1, self.v2) = make_repo(tmp_path / "upstream" / "demo", DEMO_V1, DEMO_V2)
        self.demo_bare = bare_clone(self.demo_repo, tmp_path / "upstream" / "demo.git")
        self.host_bare = bare_clone(self.host_repo, tmp_path / "upstream" / "host.git")
        arch = tmp_path / "archives"
        arch.mkdir()
        self.host_tgz = git_archive(self.host_repo, self.host_commit, f"host-{self.host_commit}", arch / "host.tar.gz")
        self.v1_tgz = git_archive(self.demo_repo, self.v1, f"demo-{self.v1}", arch / "demo-v1.tar.gz")
        self.v1_zip = git_archive(self.demo_repo, self.v1, f"demo-{self.v1}", arch / "demo-v1.zip", "zip")
        self.v2_tgz = git_archive(self.demo_repo, self.v2, f"demo-{self.v2}", arch / "demo-v2.tar.gz")
        self.cache = tmp_path / "cache"  # the cache root (…/tinyml_build/src)

    def lock(self, base_url: str = "https://github.com/example", name: str = "lock.yaml") -> Path:
        return write_lock(self.tmp / name, {
            "host": host_entry(self.host_commit, f"{base_url}/host/archive/{self.host_commit}.tar.gz"),
            "demo": demo_entry(self.v1, f"{base_url}/demo/archive/{self.v1}.tar.gz"),
        })

    def serve_paths(self) -> dict:
        return {f"/host/archive/{self.host_commit}.tar.gz": self.host_tgz.read_bytes(),
                f"/demo/archive/{self.v1}.tar.gz": self.v1_tgz.read_bytes()}

    def cache_listing(self) -> list[str]:
        return sorted(p.name for p in self.cache.iterdir()) if self.cache.exists() else []
