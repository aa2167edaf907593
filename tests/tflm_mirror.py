"""Read upstream git mirrors (bare repositories) at a pinned commit, for tests.

Why: the op inventory states facts about TFLM at one commit (method names, file paths); the
tests check them against that commit itself. Each mirror's location comes from an environment
variable, defaulting to the .mirror/ folder beside the checkout; absent mirrors skip the test.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
MIRRORS_DIR = PROJECT_DIR.parent / ".mirror"


class GitMirror:
    """One bare repository at one commit."""

    def __init__(self, git_dir: Path, commit: str):
        self.git_dir = git_dir
        self.commit = commit

    def _git(self, *args: str, binary: bool = False):
        result = subprocess.run(["git", "-C", str(self.git_dir), *args], capture_output=True, check=True)
        return result.stdout if binary else result.stdout.decode("utf-8", errors="replace")

    def files(self) -> set[str]:
        return set(self._git("ls-tree", "-r", "--name-only", self.commit).splitlines())

    def show(self, path: str) -> str:
        return self._git("show", f"{self.commit}:{path}")

    def grep(self, pattern: str, *pathspecs: str) -> list[tuple[str, str]]:
        """(path, line) for every line matching the extended regex `pattern`."""
        try:
            out = self._git("grep", "-E", pattern, self.commit, "--", *pathspecs)
        except subprocess.CalledProcessError as err:
            if err.returncode == 1:  # no match
                return []
            raise
        prefix = f"{self.commit}:"
        hits = []
        for line in out.splitlines():
            path, _, text = line.removeprefix(prefix).partition(":")
            hits.append((path, text))
        return hits

    def extract(self, dest: Path, *paths: str) -> None:
        """Unpack `paths` (files or folders) at the commit into `dest`."""
        data = self._git("archive", "--format=tar", self.commit, *paths, binary=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")


def mirror(env_var: str, default_name: str, commit: str) -> GitMirror:
    """The mirror named by `env_var` (default .mirror/<default_name>/repo), or skip the test."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git_dir = Path(os.environ.get(env_var) or MIRRORS_DIR / default_name / "repo")
    if not git_dir.exists():
        pytest.skip(f"no git mirror at {git_dir} (set {env_var} to a clone of {default_name.replace('+', '/')})")
    probe = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{git_dir} does not contain commit {commit} (set {env_var} to a clone that does)")
    return GitMirror(git_dir, commit)
