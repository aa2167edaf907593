"""Getting one pinned commit's tree out of what a user has: a git directory, a checkout, an
archive, or a plain directory. Each function writes a fresh tree at `dest`; verification and
preparation happen in acquire.py, so every origin is checked the same way.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tinyml_build.errors import ToolchainError
from tinyml_build.third_party import archive
from tinyml_build.third_party.errors import ThirdPartyError


def is_git_repository(path: Path) -> bool:
    """Whether `path` is a bare git directory or a checkout (with a .git directory or file)."""
    path = Path(path)
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def from_git(repo: Path, commit: str, dest: Path, prefix: str, upstream: str = "") -> None:
    """`git archive` of `commit` unpacked into `dest` (the same tree GitHub's archive holds)."""
    repo = Path(repo)
    args = [_git(), "-C", str(repo)] if (repo / ".git").exists() else [_git(), "--git-dir", str(repo)]
    usable = subprocess.run(args + ["rev-parse", "--git-dir"], capture_output=True, text=True)
    if usable.returncode != 0:
        raise ThirdPartyError("not a usable git repository:", details=usable.stderr.strip(), where=str(repo))
    has = subprocess.run(args + ["cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if has.returncode != 0:
        raise ThirdPartyError(f"the git repository does not contain commit {commit}", where=str(repo),
                              fix=(f"is it a clone of {upstream}? " if upstream else "")
                              + f"fetch the commit first (git fetch origin {commit}), or import an archive of it")
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args + ["archive", "--format=tar", f"--prefix={prefix}/", commit],
                                stdout=subprocess.PIPE, stderr=err)
        try:
            archive.unpack_stream(proc.stdout, dest, prefix, f"{repo} ({commit[:12]})")
            while proc.stdout.read(1 << 16):  # tar stops at its end marker; git still writes padding
                pass
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            err.seek(0)
            raise ThirdPartyError(f"git archive failed: {err.read().decode(errors='replace').strip()}",
                                  where=str(repo))


def from_directory(src: Path, dest: Path) -> None:
    """Copy the files and links of a plain directory (no git metadata) into `dest`."""
    src = Path(src)

    def ignore(_dir, names):
        return [n for n in names if n == ".git"]

    try:
        shutil.copytree(src, dest, symlinks=True, ignore=ignore)
    except (OSError, shutil.Error) as exc:
        raise ThirdPartyError(f"cannot copy the directory: {exc}", where=str(src)) from None


def from_archive(path: Path, dest: Path, prefix: str | None = None) -> None:
    archive.unpack(path, dest, prefix)


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise ToolchainError("git is needed to read a git repository or apply a patch, and was not found",
                             fix="install git (apt-get install git)")
    return git


def git_apply(patch: Path, tree: Path) -> None:
    """Apply a -p1 unified diff to a tree that is not (and is not inside) a git work tree."""
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(Path(tree).resolve().parent))
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    done = subprocess.run([_git(), "apply", "-p1", "--whitespace=nowarn", str(Path(patch).resolve())],
                          cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ThirdPartyError(f"patch {patch} does not apply:", details=done.stderr.strip(), where=str(tree),
                              fix="the patch and the tree must come from the pinned commits in the lock")
