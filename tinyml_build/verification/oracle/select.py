"""Which oracle judges: the pinned TFLM host build when its sources resolve and g++ exists, else the wheel.

Why a named choice: a golden output is only as good as the TFLM that computed it, so every
golden.json, test result and manifest records the oracle's name and TFLM commit, and the build
graph regenerates golden data when the choice (or the pin) changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.errors import TinyMLError

PINNED = "pinned"
WHEEL = "wheel"
TARGET = "target"  # target.py: the pinned runner cross-compiled for the image's core, run in QEMU
UNKNOWN_COMMIT = "unknown"


@dataclass(frozen=True)
class Oracle:
    """One TFLM reference interpreter: `name` says which, with its TFLM commit, in one line."""

    name: str  # e.g. "tflite-micro 90b983c2 (pinned sources, host build)"
    kind: str  # PINNED, WHEEL or TARGET
    tflm_commit: str  # full commit the outputs come from, or UNKNOWN_COMMIT (a wheel does not record it)
    reason: str = ""  # for the wheel: why the pinned build is not used; for TARGET: why it judges
    build: object = field(default=None, compare=False, repr=False)  # pinned.PinnedBuild / target.TargetBuild

    def as_dict(self) -> dict:
        """The oracle as reports record it (golden.json, test.json, manifest.json)."""
        if self.kind == TARGET:
            return {"name": self.name, "kind": self.kind, "tflm_commit": self.tflm_commit, "why": self.reason}
        return {"name": self.name, "kind": self.kind, "tflm_commit": self.tflm_commit}

    def identity(self) -> str:
        """What golden data depends on: the name and, for the pinned build, the runner's digest
        (trees, runner source, flags, compiler)."""
        if self.kind == TARGET:
            from tinyml_build.verification.oracle import target

            return f"{self.name} runner {target.build_digest(self.build, target.compiler_identity())}"
        if self.kind != PINNED:
            return self.name
        from tinyml_build.verification.oracle import pinned

        compilers = pinned.find_compilers()
        return f"{self.name} runner {pinned.build_digest(self.build, pinned.compiler_identity(compilers[0]))}"

    def run(self, model, inputs, intermediates: bool = False, timeout: float | None = None):
        """(outputs per run, {(run, tensor): bytes}) -- see pinned.run, target.run and wheel.run."""
        if self.kind == TARGET:
            from tinyml_build.verification.oracle import target

            return target.run(self.build, self.name, model, inputs, intermediates, timeout)
        if self.kind == PINNED:
            from tinyml_build.verification.oracle import pinned

            return pinned.run(_runner(self.build), model, inputs, intermediates, timeout)
        from tinyml_build.verification.oracle import wheel

        return wheel.run(model, inputs, intermediates)

    def blind_spots(self, model) -> list:
        """The known wheel differences `model` hits (differences.WheelDifference); none for the pinned builds."""
        if self.kind != WHEEL:
            return []
        from tinyml_build.verification.oracle.differences import differences_in

        return differences_in(model)


_RUNNERS: dict[int, Path] = {}


def _runner(build) -> Path:
    """The built runner, once per process and build plan (the cache check costs a compiler call)."""
    from tinyml_build.verification.oracle import pinned

    key = id(build)
    if key not in _RUNNERS:
        _RUNNERS[key] = pinned.build_runner(build)
    return _RUNNERS[key]


def pinned_oracle(overrides: Mapping[str, str] | None = None, env=None) -> Oracle:
    """The pinned host build; TinyMLError (MissingSourceError, ToolchainError) when it cannot be made."""
    from tinyml_build.errors import ToolchainError
    from tinyml_build.verification.oracle import pinned

    build = pinned.plan_build(overrides, env)
    if pinned.find_compilers() is None:
        raise ToolchainError("g++/gcc not found on PATH", fix=f"install them: {pinned.APT_COMMAND}")
    tflm = "tflite-micro"
    how = ("pinned sources" if build.how[tflm] == "cache"
           else "explicit source tree, unverified")
    return Oracle(name=f"tflite-micro {build.commit[:8]} ({how}, host build)", kind=PINNED,
                  tflm_commit=build.commit, build=build)


def wheel_oracle(reason: str = "") -> Oracle:
    """The tflite-micro wheel; its TFLM commit is not recorded in it, only its build date."""
    from tinyml_build.verification.oracle.wheel import wheel_version

    version = wheel_version() or "(not installed)"
    built = re.match(r"0\.dev(\d{4})(\d{2})(\d{2})", version)
    as_of = f", TFLM as of {built.group(1)}-{built.group(2)}-{built.group(3)}" if built else ""
    note = f"fallback: {reason}" if reason else "explicitly chosen"
    return Oracle(name=f"tflite-micro wheel {version} ({note}{as_of})", kind=WHEEL, tflm_commit=UNKNOWN_COMMIT,
                  reason=reason)


_SELECTED: dict[tuple, Oracle] = {}


def select_oracle(overrides: Mapping[str, str] | None = None, env=None) -> Oracle:
    """The pinned build when TFLM's sources resolve (explicit path, else the verified cache) and
    g++ exists; otherwise the wheel, its name saying why. Chosen once per process and inputs."""
    import os

    environ = os.environ if env is None else env
    key = (tuple(sorted((overrides or {}).items())),
           tuple(sorted((k, v) for k, v in environ.items() if k.startswith(("TINYML_", "XDG_CACHE")))))
    if key not in _SELECTED:
        try:
            _SELECTED[key] = pinned_oracle(overrides, env)
        except TinyMLError as err:
            _SELECTED[key] = wheel_oracle(_short_reason(err))
    return _SELECTED[key]


def _short_reason(err: TinyMLError) -> str:
    """A stable few words for the oracle's name (it is part of golden data's identity)."""
    from tinyml_build.errors import ToolchainError

    if isinstance(err, ToolchainError):
        return "no host g++ to build the pinned TFLM"
    return "pinned TFLM sources not resolved"
