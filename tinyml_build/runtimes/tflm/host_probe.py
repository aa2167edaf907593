"""The arena probe of target=host (runtime=tflm export): the export's own code, built with the build
machine's gcc/g++ and run natively.

Why: the host target builds no image, so the image's probe (an image run in QEMU) cannot measure the
arena a user's Linux/host build of the exported library needs -- and that arena is not a Cortex-M's:
TFLM's structs hold pointers and size_t, 8 bytes on a 64-bit host, 4 on the MCU. So this probe is
the same program as the image's (src/tml_arena_probe.c over the generated wrapper and probe table,
read by arena.parse_probe_output, decided by arena.decide), compiled from exactly the files the
export compiles (its upstream list, TFLM's debug_log.cc included), with the export's definitions and
private flags, plus src/tml_host_probe_platform.c for the console. Built with
TML_ARENA_PROBE_INVOKE it also runs one inference in the arena it found, since no image test follows.

Objects: <build>/host/_common/tflm-host-probe/<kernels>/<tree>/<path>.o (upstream and project files,
shared by the models), <out>/probe/obj/ (the model's wrapper, array and probe table), <out>/probe/arena_probe
(the program), <out>/probe/arena_probe.log and <out>/arena.json (what the export reads).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.fileio import write_atomic
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.tflm import api
from tinyml_build.runtimes.tflm.arena import ALIGNMENT, ProbeResult, parse_probe_output, probe_capacity
from tinyml_build.runtimes.tflm.plan import PROBE_APP
from tinyml_build.runtimes.tflm.sources import GLUE_DIR, resolve_sources

HOST_GLUE = GLUE_DIR / "tml_host_probe_platform.c"
PRINT_SOURCE = PLATFORM_SOURCE_DIR / "tml_print.c"
INVOKE_DEFINE = "TML_ARENA_PROBE_INVOKE"
# The probe's arena on the host: generous (person_detect needs well under 1 MB) without reserving the
# host target's whole 256 MB budget, which the probe would zero at every set-up.
HOST_CAPACITY_LIMIT = 64 * 1024 * 1024
COMPILERS = ("gcc", "g++")
APT_COMMAND = "sudo apt-get install gcc g++"
PROBE_TIMEOUT = 120.0  # seconds: set-ups and one inference of a model, natively


@dataclass(frozen=True)
class HostProbePlan:
    model: str
    upstream: tuple[tuple[Path, Path], ...]  # (source, object): the export's compiled upstream and project files
    own: tuple[Path, ...]  # the probe's application, the console glue and the printf
    api_cc: Path  # gen/<model>_tflm_api.cc (as the export's)
    model_data_cc: Path  # gen/<model>_model_data.cc
    probe_models_c: Path  # gen/probe/tml_arena_probe_models.c
    include_dirs: tuple[Path, ...]
    definitions: tuple[str, ...]  # the export's usage requirements
    private: tuple[str, ...]  # the export's private flags without the language standard
    c_flags: tuple[str, ...]
    cxx_flags: tuple[str, ...]
    capacity: int
    common_dir: Path
    probe_dir: Path
    arena_json: Path

    @property
    def obj_dir(self) -> Path:
        return self.probe_dir / "obj"

    @property
    def program(self) -> Path:
        return self.probe_dir / "arena_probe"

    @property
    def log(self) -> Path:
        return self.probe_dir / "arena_probe.log"


def plan_host_probe(config, export_plan) -> HostProbePlan:
    """The probe of a host tflm export (ExportPlan with arena=auto) for its checked BuildConfig."""
    tflm = export_plan.tflm
    compiled = set(export_plan.sources)
    model = export_plan.model_name
    generated = {api.api_file_name(model), f"{model}_model_data.cc", api.descriptor_file_name(model)}
    upstream = sorted(src for path, src in tflm.copied if path in compiled and Path(path).name not in generated)
    missing = generated - {Path(p).name for p in compiled}
    if missing:
        raise TinyMLError(f"the tflm export compiles none of {', '.join(sorted(missing))}", where="export",
                          fix="report this bug: the host arena probe builds what the export compiles")
    sources = resolve_sources(config.op_names(), config.kernels, dict(config.third_party_overrides))
    common_dir = Path(config.build_root) / config.target.name / "_common" / "tflm-host-probe" / sources.kernels
    objects = tuple((src, common_dir.joinpath(*sources.origin(src)).with_suffix(".o")) for src in upstream)
    flags = export_plan.flags
    return HostProbePlan(
        model=model, upstream=objects, own=(PROBE_APP, HOST_GLUE, PRINT_SOURCE),
        api_cc=Path(config.gen_dir) / api.api_file_name(model),
        model_data_cc=Path(config.gen_dir) / f"{model}_model_data.cc",
        probe_models_c=Path(config.gen_dir) / "probe" / api.PROBE_FILE_NAME,
        include_dirs=(Path(config.gen_dir), GLUE_DIR, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR, *sources.include_dirs),
        definitions=tuple(tflm.definitions),
        private=tuple(f for f in flags.private if not f.startswith("-std=")),
        c_flags=tuple(f for f in flags.private if f.startswith("-std=")),
        cxx_flags=tuple(flags.cxx),
        capacity=min(probe_capacity(config.target), HOST_CAPACITY_LIMIT) // ALIGNMENT * ALIGNMENT,
        common_dir=common_dir,
        probe_dir=Path(config.out_dir) / "probe", arena_json=export_plan.arena_file)


def compiler_identity(path_env: str | None = None) -> str:
    """Each host compiler's path and `--version` first line: what the probe's objects and its
    measurement depend on besides their sources (another compiler may lay TFLM's structs out otherwise)."""
    lines = []
    for name in COMPILERS:
        found = shutil.which(name, path=path_env)
        if found is None:
            raise ToolchainError(f"{name} not found: the host arena probe (target=host runtime=tflm export "
                                 "arena=auto) compiles TFLM natively", fix=f"{APT_COMMAND}, or pass arena=<bytes>")
        version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout.splitlines()
        lines.append(f"{found}: {version[0] if version else '?'}")
    return "\n".join(lines)


def link_program(objects: list[str], program: str | Path, path_env: str | None = None) -> None:
    """g++ links the probe (C++ objects, libm as the export's users link it)."""
    gxx = shutil.which("g++", path=path_env) or "g++"
    proc = subprocess.run([gxx, "-o", str(program), *objects, "-lm"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinyMLError("the host arena probe does not link", where=str(program), details=proc.stderr.strip()[:4000],
                          fix="report this with the message: the export's own files should link natively")


def run_host_probe(program: str | Path, model: str, log: str | Path,
                   timeout: float = PROBE_TIMEOUT) -> dict[str, ProbeResult]:
    """{model: ProbeResult} of the native probe; its output goes to `log`. TinyMLError on a crash or hang."""
    where = str(log)
    try:
        proc = subprocess.run([str(program)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        write_atomic(where, _text(err.stdout) + _text(err.stderr))
        raise TinyMLError(f"the host arena probe did not finish within {timeout:g} s", where=where,
                          fix="pass qemu_timeout=<seconds> if the machine is slow") from None
    write_atomic(where, proc.stdout + proc.stderr)
    if proc.returncode < 0:
        raise TinyMLError(f"the host arena probe crashed (signal {-proc.returncode})", where=where,
                          fix="report this with the log: the export's TFLM build is broken on this host")
    return parse_probe_output(proc.stdout, [model], where)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")
