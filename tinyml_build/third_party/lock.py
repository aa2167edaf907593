"""third_party/lock.yaml: which upstream sources the runtimes build from, pinned by content.

Loading checks every field, so a hand-edited lock fails with the key at fault instead of a
confusing download or build error later: the project's strict YAML loader (duplicate keys and
syntax errors name the line) and the schema in lock_schema.py. The format is described in
third_party/README.md.
"""

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.strict_yaml import load_checked
from tinyml_build.errors import suggest
from tinyml_build.resources import builtin_dir
from tinyml_build.third_party.errors import LockError

DEFAULT_LOCK_PATH = builtin_dir("third_party") / "lock.yaml"
SCHEMA = 1


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
    if not path.is_file():
        raise LockError("lock file not found", where=str(path),
                        fix="run from a tinyml_build checkout, or pass --lock PATH")
    data = load_checked(path, str(path), LockError, _check)
    return Lock(path=path, dependencies=tuple(_dependency(name, entry) for name, entry in data["dependencies"].items()))


def _check(data, shown: str, context: dict) -> None:
    from tinyml_build.third_party.lock_schema import check

    check(data, shown)


def _dependency(name: str, entry: dict) -> Dependency:
    steps = tuple(RemoveFiles(step["remove_files_named"]) if "remove_files_named" in step
                  else Patch(source=step["from"], path=step["patch"]) for step in entry.get("prepare") or ())
    return Dependency(name=name, repository=entry["repository"], commit=entry["commit"], license=entry["license"],
                      archive_url=entry["archive_url"], archive_prefix=entry["archive_prefix"],
                      source_digest=entry["source_digest"], version=entry.get("version"), prepare=steps,
                      prepared_digest=entry.get("prepared_digest"))


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain HTTP may be used with."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
