"""Read upstream git mirrors (bare repositories) at a pinned commit, for tests.

Why: the op inventory states facts about TFLM at one commit (method names, file paths); the
tests check them against that commit itself. Mirrors are found only through environment
variables, never a machine's own folders: a per-repository variable (GIT_VARIABLES) naming a
clone, else TINYML_MIRRORS_DIR, a folder holding <owner>+<repo>/repo bare git directories.
With neither set, or without the commit, the test skips and says which variable to set.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

MIRRORS_VARIABLE = "TINYML_MIRRORS_DIR"
# <owner>+<repo> -> the variable that may name a clone of just that repository
GIT_VARIABLES = {
    "tensorflow+tflite-micro": "TINYML_TFLM_GIT",
    "espressif+esp-tflite-micro": "TINYML_ESP_TFLM_GIT",
    "google+flatbuffers": "TINYML_FLATBUFFERS_GIT",
    "google+gemmlowp": "TINYML_GEMMLOWP_GIT",
}


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


def find_git_dir(name: str, env_var: str | None = None) -> Path | None:
    """The clone of `name` (<owner>+<repo>) named by `env_var` (default: GIT_VARIABLES[name]),
    else $TINYML_MIRRORS_DIR/<name>/repo; None when neither variable is set."""
    env_var = env_var or GIT_VARIABLES.get(name)
    if env_var and os.environ.get(env_var):
        return Path(os.environ[env_var])
    if os.environ.get(MIRRORS_VARIABLE):
        return Path(os.environ[MIRRORS_VARIABLE]) / name / "repo"
    return None


def git_dir_or_skip(name: str, env_var: str | None = None) -> Path:
    """find_git_dir, skipping the test with the variable(s) to set when it is unset or absent."""
    env_var = env_var or GIT_VARIABLES.get(name)
    git_dir = find_git_dir(name, env_var)
    how = (f"set {env_var} to a clone of {name.replace('+', '/')}, or " if env_var else "set ") + \
        f"{MIRRORS_VARIABLE} to a folder with {name}/repo"
    if git_dir is None:
        pytest.skip(f"no git mirror of {name.replace('+', '/')} configured ({how})")
    if not git_dir.exists():
        pytest.skip(f"no git mirror at {git_dir} ({how})")
    return git_dir


def mirror(env_var: str, default_name: str, commit: str) -> GitMirror:
    """The mirror named by `env_var` (else $TINYML_MIRRORS_DIR/<default_name>/repo), or skip the test."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git_dir = git_dir_or_skip(default_name, env_var)
    probe = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{git_dir} does not contain commit {commit} (set {env_var} to a clone that does)")
    return GitMirror(git_dir, commit)
