"""Which oracle judges: the pinned TFLM host build when its sources resolve and g++ exists, else the wheel.

Why a named choice: a golden output is only as good as the TFLM that computed it, so every
golden.json, test result and manifest records the oracle's name and TFLM commit, and the build
graph regenerates golden data when the choice (or the pin) changes.

The reference kernels judge every image (bit-exact with the reference is the stronger claim), except
a model that uses an op whose optimized kernel in the image's kernel library is not bit-exact with
the reference by design (op_inventory.NOT_BIT_EXACT): oracle_for() then names the pinned TFLM built
WITH that library's portable C code, and says why it was chosen. On a target that runs in
qemu-system-arm, a model whose float kernels call libm functions that are not correctly rounded
(target.LIBM_CALLS) is judged by the pinned TFLM built for that core with newlib, run in QEMU
(target.py): newlib and glibc give other last bits there. Both lists are data; oracle_for() is the
one place that reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.analysis.op_inventory import REFERENCE
from tinyml_build.errors import TinyMLError

PINNED = "pinned"
WHEEL = "wheel"
TARGET = "target"  # target.py: the pinned runner cross-compiled for the image's core, run in QEMU
UNKNOWN_COMMIT = "unknown"


@dataclass(frozen=True)
class Unjudged:
    """A blind spot of the reference oracle in a kernel library's image: an op of NOT_BIT_EXACT whose
    library oracle could not be built."""

    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True)
class Oracle:
    """One TFLM reference interpreter: `name` says which, with its TFLM commit, in one line."""

    name: str  # e.g. "tflite-micro 90b983c2 (pinned sources, host build)"
    kind: str  # PINNED, WHEEL or TARGET
    tflm_commit: str  # full commit the outputs come from, or UNKNOWN_COMMIT (a wheel does not record it)
    reason: str = ""  # for the wheel: why the pinned build is not used
    build: object = field(default=None, compare=False, repr=False)  # pinned.PinnedBuild / target.TargetBuild
    kernels: str = REFERENCE  # the kernel set it computes with (op_inventory.KERNEL_CHOICES)
    chosen_because: str = ""  # for a kernel library's or the target oracle: the ops that made it the judge
    unjudged: tuple[Unjudged, ...] = ()  # ops its reference kernels cannot judge (their library's oracle failed)

    def as_dict(self) -> dict:
        """The oracle as reports record it (golden.json, test.json, manifest.json); a kernel
        library's oracle adds its kernels and why it judges, the target oracle why it judges."""
        data = {"name": self.name, "kind": self.kind, "tflm_commit": self.tflm_commit}
        if self.kernels != REFERENCE:
            data.update(kernels=self.kernels)
        if self.chosen_because:
            data.update(chosen_because=self.chosen_because)
        return data

    def identity(self) -> str:
        """What golden data depends on: the name and, for the pinned build, the runner's digest
        (trees, runner source, flags, compiler; for the target oracle also its core, layout and ops)."""
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

            pinned.refuse_unavailable(self.build, model)
            return pinned.run(_runner(self.build), model, inputs, intermediates, timeout)
        from tinyml_build.verification.oracle import wheel

        return wheel.run(model, inputs, intermediates)

    def blind_spots(self, model) -> list:
        """The known wheel differences `model` hits (differences.WheelDifference; none for the pinned build),
        then what `unjudged` names."""
        if self.kind != WHEEL:
            return list(self.unjudged)
        from tinyml_build.verification.oracle.differences import differences_in

        return differences_in(model) + list(self.unjudged)


_RUNNERS: dict[int, Path] = {}


def _runner(build) -> Path:
    """The built runner, once per process and build plan (the cache check costs a compiler call)."""
    from tinyml_build.verification.oracle import pinned

    key = id(build)
    if key not in _RUNNERS:
        _RUNNERS[key] = pinned.build_runner(build)
    return _RUNNERS[key]


LIBRARY_NAMES = {"cmsis-nn": "CMSIS-NN"}  # kernels= value -> how an oracle's name spells the library


def pinned_oracle(overrides: Mapping[str, str] | None = None, env=None, kernels: str = REFERENCE,
                  chosen_because: str = "") -> Oracle:
    """The pinned host build (with `kernels`' kernels); TinyMLError (MissingSourceError,
    ToolchainError) when it cannot be made."""
    from tinyml_build.errors import ToolchainError
    from tinyml_build.verification.oracle import pinned

    build = pinned.plan_build(overrides, env, kernels)
    if pinned.find_compilers() is None:
        raise ToolchainError("g++/gcc not found on PATH", fix=f"install them: {pinned.APT_COMMAND}")
    named = ["tflite-micro", *(name for name, _ in build.library_commits)]  # the trees the name gives commits of
    how = ("pinned sources" if all(build.how[name] == "cache" for name in named)
           else "explicit source tree, unverified")
    library = "".join(f" + {LIBRARY_NAMES.get(kernels, kernels)} {commit[:7]}"
                      for name, commit in build.library_commits if name == kernels)
    return Oracle(name=f"tflite-micro {build.commit[:8]}{library} ({how}, host build)", kind=PINNED,
                  tflm_commit=build.commit, build=build, kernels=kernels, chosen_because=chosen_because)


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


_FOR_LIBRARY: dict[tuple, Oracle] = {}


def oracle_for(model, kernels: str, overrides: Mapping[str, str] | None = None, env=None,
               target=None) -> Oracle:
    """The oracle that judges `model` in an image computed with `kernels` for `target` (a
    config.targets.Target; None: no target, e.g. a host check): select_oracle()'s, unless

    - the model uses an op whose float kernel calls a libm function that is not correctly rounded
      (target.LIBM_CALLS) and the target runs in qemu-system-arm: the pinned TFLM built for that
      core with newlib, run in QEMU (target.py);
    - the model uses an op whose `kernels` kernel is not bit-exact with the reference
      (op_inventory.NOT_BIT_EXACT): the pinned TFLM built with that library.

    `chosen_because` names the ops. Both at once is refused (TargetError naming both): no oracle
    here computes newlib's libm and a library's kernels together. When the chosen oracle cannot be
    made (no g++, arm-none-eabi-gcc or QEMU), select_oracle()'s, with the ops as blind spots
    (golden.json and the build's warning name them): the image still builds. On a target whose libm
    no oracle here runs (ESP32 twins, a Cortex-M board without a qemu-system-arm stand-in), the libm
    ops are blind spots too: their last bits may differ there, and the build says so."""
    import dataclasses
    import os

    from tinyml_build.analysis import op_inventory
    from tinyml_build.errors import TargetError
    from tinyml_build.verification.oracle import target as on_target

    hits = [] if kernels == REFERENCE else op_inventory.not_bit_exact(op_inventory.op_uses(model), kernels)
    libm = on_target.libm_uses(model) if on_target.applies(target) else []
    elsewhere = on_target.libm_uses(model) if on_target.libm_unjudged(target) else []
    if elsewhere:  # ESP32 twins etc.: the host oracle (or a library's) judges, naming what it cannot
        judge = oracle_for(model, kernels, overrides, env)
        return dataclasses.replace(judge, unjudged=judge.unjudged + tuple(
            Unjudged(f"{use} ({target.name}: its libm is not glibc and no oracle here runs on its core; the last "
                     "bits may differ)") for use in elsewhere))
    if hits and libm:
        raise TargetError(f"model '{model.name}' needs two oracles that no build here combines: "
                          f"{', '.join(libm)} call libm functions whose newlib results only a TFLM built for "
                          f"{target.cpu} computes, and {', '.join(h.describe() for h in hits)} is not bit-exact "
                          "with TFLM's reference kernels by design",
                          where=f"target={target.name}, kernels={kernels}",
                          fix="use kernels=reference (or runtime=aot) for this model, or split the model")
    if not hits and not libm:
        return select_oracle(overrides, env)
    if libm:
        because = (f"{', '.join(libm)}: libm functions that are not correctly rounded; newlib's (the image's) give "
                   "other bytes than glibc's (the host oracle's)")
    else:
        because = (f"{', '.join(h.describe() for h in hits)}: not bit-exact with TFLM's reference kernels by design "
                   f"(op_inventory.NOT_BIT_EXACT), so the pinned TFLM built with {kernels} judges")
    environ = os.environ if env is None else env
    on = (target.name, str(target.path), tuple(model.op_names())) if libm else ()  # the target runner's inputs
    key = (kernels, because, on, tuple(sorted((overrides or {}).items())),
           tuple(sorted((k, v) for k, v in environ.items() if k.startswith(("TINYML_", "XDG_CACHE")))))
    if key not in _FOR_LIBRARY:
        try:
            _FOR_LIBRARY[key] = (on_target.target_oracle(model, target, because, overrides, env) if libm
                                 else pinned_oracle(overrides, env, kernels, because))
        except TinyMLError as err:
            blind = ([f"{use} (newlib's libm gives other bytes than the host's; the target oracle cannot be made: "
                      f"{err.what})" for use in libm] if libm else
                     [f"{h.describe()} (not bit-exact with the reference; its oracle cannot be built: {err.what})"
                      for h in hits])
            _FOR_LIBRARY[key] = dataclasses.replace(select_oracle(overrides, env),
                                                    unjudged=tuple(Unjudged(text) for text in blind))
    return _FOR_LIBRARY[key]


def _short_reason(err: TinyMLError) -> str:
    """A stable few words for the oracle's name (it is part of golden data's identity)."""
    from tinyml_build.errors import ToolchainError

    if isinstance(err, ToolchainError):
        return "no host g++ to build the pinned TFLM"
    return "pinned TFLM sources not resolved"
