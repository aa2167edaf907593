"""SCons tool: the build root -- SCons's records inside it, one build at a time in it, the shared
object cache, and parallel jobs by default.

- `.sconsign` lives under the build root, so two build roots never overwrite each other's records.
- A lock file in the build root: a second `scons` on the same build root stops with a message
  naming the running one, instead of both writing the same files.
- `cache_dir=` (or $TINYML_CACHE_DIR) turns on SCons's CacheDir: an object whose signature (its
  sources' and headers' contents, its command without the path maps) is in the cache is copied
  instead of compiled -- across build folders, checkouts and CI jobs. The key leaves out where the
  output goes (SCons's own key holds the output path, so another build folder would never hit).
  SCons writes each entry to a temporary name in the cache and renames it into place, so
  concurrent writers (parallel CI jobs on one network folder) are safe.
- Every input is judged by its content (SCons's default decider), never by its timestamp alone: a
  file rewritten within the second of the last build is still seen (content-timestamp is not).
- `-j` defaults to the number of CPUs unless given on the command line or in $SCONSFLAGS.
"""

import fcntl
import os
import shlex
import sys
from pathlib import Path

import SCons.CacheDir
from SCons.Script import CacheDir, GetOption, SConsignFile, SetOption
from SCons.Util import hash_collect

from tinyml_scons import tinyml_fail

LOCK_FILE = ".tinyml-build.lock"
_held = []  # the open lock file, kept for the life of the process


class FolderIndependentCache(SCons.CacheDir.CacheDir):
    """CacheDir keyed by what decides an output's bytes: its inputs' contents, its action, and its
    file name (which tells apart the outputs of one action) -- not the folder it is built in."""

    def cachepath(self, node) -> tuple:
        if not self.is_enabled():
            return None, None
        try:
            sig = node.cachesig  # the slot SCons caches its own key in: ours replaces it
        except AttributeError:
            sigs = [child.get_cachedir_csig() for child in node.children()]
            sig = node.cachesig = hash_collect(sigs + [node.get_contents_sig(), node.name])
        folder = os.path.join(self.path, sig[:self.config["prefix_len"]].upper())
        return folder, os.path.join(folder, sig)


def _jobs_given() -> bool:
    words = sys.argv[1:] + shlex.split(os.environ.get("SCONSFLAGS", ""))
    return any(w in ("-j", "--jobs") or w.startswith(("-j", "--jobs=")) for w in words)


def _lock(build_root: Path) -> None:
    from tinyml_build.errors import TinyMLError

    handle = open(build_root / LOCK_FILE, "a+")  # noqa: SIM115 -- held until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise TinyMLError(f"another build is running in {build_root} (pid {holder})", where="build_dir=",
                          fix="wait for it to finish, or build into another folder with build_dir=") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held.append(handle)


def UseBuildRoot(env, build_root: Path, cache_dir: str = ""):
    """Records, lock, cache and jobs for a build into `build_root`."""
    from tinyml_build.config.options import CACHE_DIR_ENV
    from tinyml_build.errors import TinyMLError

    build_root = Path(build_root)
    build_root.mkdir(parents=True, exist_ok=True)
    if not GetOption("no_exec"):
        try:
            _lock(build_root)
        except TinyMLError as exc:
            tinyml_fail(exc)  # raised inside SConscript, SCons would print its stack under the message
    SConsignFile(str(build_root / ".sconsign"))
    cache = cache_dir or os.environ.get(CACHE_DIR_ENV, "")
    if cache:
        from tinyml_build.config.build_config import make_folder

        folder = Path(cache).expanduser().resolve()
        try:
            make_folder(folder, "cache_dir", cache, example=".tinyml-cache")
        except TinyMLError as exc:
            tinyml_fail(exc)
        CacheDir(str(folder))
        env["CACHEDIR_CLASS"] = FolderIndependentCache
    env["TML_CACHE_DIR"] = cache
    if not _jobs_given():
        SetOption("num_jobs", os.cpu_count() or 1)
    if env["TML_OPTIONS"].flag("verbose"):
        from tinyml_build.escape import terminal

        print(terminal(f"tinyml_build: -j{GetOption('num_jobs')}, records in {build_root / '.sconsign.dblite'}, "
                       f"object cache {cache or 'off'}"))


def generate(env):
    env.AddMethod(UseBuildRoot)


def exists(env):
    return True
