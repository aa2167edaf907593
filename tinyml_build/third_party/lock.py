"""third_party/lock.yaml: which upstream sources the runtimes build from, pinned by content.

Loading checks every field, so a hand-edited lock fails with the key at fault instead of a
confusing download or build error later. The format is described in third_party/README.md.
"""

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

from tinyml_build.errors import suggest
from tinyml_build.third_party.digest import ALGORITHM
from tinyml_build.third_party.errors import LockError

DEFAULT_LOCK_PATH = Path(__file__).resolve().parents[2] / "third_party" / "lock.yaml"
SCHEMA = 1

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_COMMIT = re.compile(r"[0-9a-f]{40}\Z")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")
_SPDX = re.compile(r"[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*\Z")
_REQUIRED = ("repository", "commit", "license", "archive_url", "archive_prefix", "source_digest")
_OPTIONAL = ("version", "prepare", "prepared_digest")


@dataclass(frozen=True)
class RemoveFiles:
    """Delete every regular file whose name matches `pattern` (fnmatch, case-sensitive)."""

    pattern: str


@dataclass(frozen=True)
class Patch:
    """Apply the unified diff at `path` inside dependency `source`'s tree with -p1."""

    source: str
    path: str


@dataclass(frozen=True)
class Dependency:
    name: str
    repository: str
    commit: str
    license: str
    archive_url: str
    archive_prefix: str
    source_digest: str
    version: str | None = None
    prepare: tuple = ()
    prepared_digest: str | None = None

    @property
    def digest(self) -> str:
        """Digest of the tree as builds use it: after the prepare steps, if any."""
        return self.prepared_digest or self.source_digest

    @property
    def env_var(self) -> str:
        """The environment variable that points the resolver at an explicit tree."""
        return "TINYML_" + self.name.upper().replace("-", "_") + "_PATH"

    @property
    def cache_name(self) -> str:
        return f"{self.name}-{self.commit}"

    @property
    def short(self) -> str:
        """'owner/repo@abcdef123456' for messages."""
        repo = self.repository.removeprefix("https://github.com/").removesuffix(".git")
        return f"{repo}@{self.commit[:12]}"

    def patch_sources(self) -> list[str]:
        return sorted({s.source for s in self.prepare if isinstance(s, Patch)})


@dataclass(frozen=True)
class Lock:
    path: Path
    dependencies: tuple  # of Dependency, in lock order (patch sources come first)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dependencies]

    def get(self, name: str) -> Dependency:
        for dep in self.dependencies:
            if dep.name == name:
                return dep
        raise LockError(f"no dependency named '{name}' in the lock", where=str(self.path),
                        fix=suggest(name, self.names, "dependencies"))


def load_lock(path: Path | None = None) -> Lock:
    """Read and validate a lock file (default: the project's third_party/lock.yaml)."""
    path = Path(path) if path is not None else DEFAULT_LOCK_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LockError("lock file not found", where=str(path),
                        fix="run from a tinyml_build checkout, or pass --lock PATH") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LockError("cannot read lock file:", details=str(exc), where=str(path)) from None
    _check_keys(data, ("schema", "digest_algorithm", "dependencies"), (), path, "")
    if data["schema"] != SCHEMA:
        raise LockError(f"schema {data['schema']!r} is not supported (expected {SCHEMA})", where=f"{path}: schema")
    if data["digest_algorithm"] != ALGORITHM:
        raise LockError(f"digest_algorithm {data['digest_algorithm']!r} is not supported (expected {ALGORITHM})",
                        where=f"{path}: digest_algorithm")
    deps = data["dependencies"]
    if not isinstance(deps, dict) or not deps:
        raise LockError("'dependencies' must be a non-empty mapping of name to pin", where=f"{path}: dependencies")
    loaded: list[Dependency] = []
    for name, entry in deps.items():
        loaded.append(_dependency(name, entry, path, [d.name for d in loaded]))
    return Lock(path=path, dependencies=tuple(loaded))


def _check_keys(data, required, optional, path, at) -> None:
    where = f"{path}: {at}" if at else str(path)
    if not isinstance(data, dict):
        raise LockError("expected a mapping", where=where)
    missing = [k for k in required if k not in data]
    if missing:
        raise LockError(f"missing key(s): {', '.join(missing)}", where=where)
    known = set(required) | set(optional)
    for key in data:
        if key not in known:
            raise LockError(f"unknown key '{key}'", where=where,
                            fix=suggest(str(key), known, "known keys"))


def _dependency(name, entry, path, earlier: list[str]) -> Dependency:
    at = f"dependencies.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise LockError("a dependency name is lower-case letters, digits and '-'", where=f"{path}: {at}")
    _check_keys(entry, _REQUIRED, _OPTIONAL, path, at)

    def text(key: str, pattern=None, what="") -> str:
        value = entry[key]
        if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
            raise LockError(f"{key} must be {what or 'a non-empty string'}, got {value!r}", where=f"{path}: {at}.{key}")
        return value

    commit = text("commit", _COMMIT, "a full 40-digit lower-case hex commit id")
    source_digest = text("source_digest", _DIGEST, "'sha256:' and 64 lower-case hex digits")
    for key in ("repository", "archive_url"):
        _check_url(text(key), f"{path}: {at}.{key}")
    prefix = text("archive_prefix")
    if "/" in prefix or prefix in (".", ".."):
        raise LockError("archive_prefix is the single top-level directory of the archive",
                        where=f"{path}: {at}.archive_prefix")
    steps = tuple(_step(s, path, f"{at}.prepare[{i}]", earlier) for i, s in enumerate(entry.get("prepare") or []))
    prepared = entry.get("prepared_digest")
    if steps and prepared is None:
        raise LockError("a dependency with prepare steps needs prepared_digest", where=f"{path}: {at}")
    if prepared is not None:
        if not steps:
            raise LockError("prepared_digest without prepare steps", where=f"{path}: {at}.prepared_digest",
                            fix="remove prepared_digest, or add the steps that produce it")
        prepared = text("prepared_digest", _DIGEST, "'sha256:' and 64 lower-case hex digits")
    version = entry.get("version")
    if version is not None:
        version = text("version")
    return Dependency(name=name, repository=entry["repository"], commit=commit,
                      license=text("license", _SPDX, "an SPDX licence expression"),
                      archive_url=entry["archive_url"], archive_prefix=prefix, source_digest=source_digest,
                      version=version, prepare=steps, prepared_digest=prepared)


def _step(step, path, at, earlier: list[str]):
    if isinstance(step, dict) and set(step) == {"remove_files_named"} and isinstance(step["remove_files_named"], str):
        return RemoveFiles(step["remove_files_named"])
    if isinstance(step, dict) and set(step) == {"patch", "from"}:
        source, patch = step["from"], step["patch"]
        if source not in earlier:
            raise LockError(f"patch source '{source}' is not a dependency listed before this one",
                            where=f"{path}: {at}.from",
                            fix="list the dependency that holds the patch earlier in the lock")
        rel = PurePosixPath(patch) if isinstance(patch, str) else None
        if rel is None or rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise LockError("patch must be a relative path inside the source tree", where=f"{path}: {at}.patch")
        return Patch(source=source, path=patch)
    raise LockError("a prepare step is {remove_files_named: PATTERN} or {patch: PATH, from: DEPENDENCY}",
                    where=f"{path}: {at}")


def _check_url(url: str, where: str) -> None:
    """HTTPS only; plain HTTP is accepted for loopback hosts (local mirrors and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return
    raise LockError(f"'{url}' is not an https:// URL", where=where,
                    fix="upstream sources are fetched over HTTPS only (http:// is accepted for 127.0.0.1/localhost)")


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain HTTP may be used with."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
