"""The schema of third_party/lock.yaml (the format is described in third_party/README.md)."""

from pathlib import PurePosixPath
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from tinyml_build.config.schema_base import NonEmpty, Says, Schema, invalid, validate
from tinyml_build.third_party.digest import ALGORITHM
from tinyml_build.third_party.errors import LockError
from tinyml_build.third_party.lock import SCHEMA, is_loopback_host

_DIGEST_SAYS = Says("'sha256:' and 64 lower-case hex digits")


def _https(url: str) -> str:
    """HTTPS only; plain HTTP is accepted for loopback hosts (local mirrors and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return url
    raise invalid(f"'{url}' is not an https:// URL",
                  fix="upstream sources are fetched over HTTPS only (http:// is accepted for 127.0.0.1/localhost)")


def _single_directory(prefix: str) -> str:
    if "/" in prefix or prefix in (".", ".."):
        raise invalid(f"must be the single top-level directory of the archive, got '{prefix}'")
    return prefix


def _relative_inside(path: str) -> str:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise invalid(f"must be a relative path inside the source tree, got '{path}'")
    return path


Url = Annotated[NonEmpty, AfterValidator(_https)]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$"), _DIGEST_SAYS]
DependencyName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$"),
                           Says("a dependency name of lower-case letters, digits and '-'")]


class Step(Schema):
    """{remove_files_named: PATTERN} or {patch: PATH, from: DEPENDENCY}."""

    remove_files_named: NonEmpty = None
    patch: Annotated[NonEmpty, AfterValidator(_relative_inside)] = None
    from_: NonEmpty = Field(None, alias="from")

    @model_validator(mode="before")
    @classmethod
    def _one_of_two_forms(cls, data):
        if not isinstance(data, dict) or set(data) not in ({"remove_files_named"}, {"patch", "from"}):
            raise invalid("a prepare step is {remove_files_named: PATTERN} or {patch: PATH, from: DEPENDENCY}")
        return data


class Dependency(Schema):
    repository: Url
    commit: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$"),
                      Says("a full 40-digit lower-case hex commit id")]
    license: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$"),
                       Says("an SPDX licence expression")]
    archive_url: Url
    archive_prefix: Annotated[NonEmpty, AfterValidator(_single_directory)]
    source_digest: Digest
    version: NonEmpty | None = None
    prepare: list[Step] | None = None
    prepared_digest: Digest | None = None

    @model_validator(mode="after")
    def _prepared_digest_goes_with_steps(self):
        if self.prepare and self.prepared_digest is None:
            raise invalid("a dependency with prepare steps needs prepared_digest",
                          fix="add prepared_digest: the digest of the tree after the steps")
        if self.prepared_digest is not None and not self.prepare:
            raise invalid("prepared_digest without prepare steps", at=("prepared_digest",),
                          fix="remove prepared_digest, or add the steps that produce it")
        return self


class LockFile(Schema):
    schema_: int = Field(alias="schema")
    digest_algorithm: Literal[ALGORITHM]
    dependencies: Annotated[dict[DependencyName, Dependency], Field(min_length=1),
                            Says("a non-empty mapping of name to pin")]

    @field_validator("schema_")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != SCHEMA:
            raise invalid(f"schema {value} is not supported (expected {SCHEMA})",
                          fix="use the tinyml_build that wrote this lock, or rewrite it as schema 1")
        return value

    @model_validator(mode="after")
    def _patches_come_from_earlier_dependencies(self):
        earlier = []
        for name, dep in self.dependencies.items():
            for i, step in enumerate(dep.prepare or ()):
                if step.patch is not None and step.from_ not in earlier:
                    raise invalid(f"patch source '{step.from_}' is not a dependency listed before this one",
                                  at=("dependencies", name, "prepare", i, "from"),
                                  fix="list the dependency that holds the patch earlier in the lock")
            earlier.append(name)
        return self


def check(data, shown: str) -> None:
    validate(LockFile, data, shown, LockError, empty_fix="see third_party/README.md for the format")
