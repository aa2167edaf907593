"""The pinned oracle: TFLM's reference interpreter from the resolved (pinned) tree, built for the host.

Why: golden data must come from the TFLM commit third_party/lock.yaml pins -- the one the tflm
runtime compiles and the aot kernels are checked against -- not from the commit some Python wheel
happened to be built from. The project's runner (src/tml_oracle_runner.cc) is compiled with TFLM's
framework core and every reference kernel the op inventory lists, with the flags TFLM's own host
Makefile build uses, once per digest of (source trees, runner, flags, compiler) into the user cache.
A parallel build (pytest -n, two scons) waits on a lock file and finds the finished runner; objects
are built in a temporary folder and the executable is renamed into place, so no half-written runner
ever has the final name.
plan_build(kernels="cmsis-nn") plans the same runner with a kernel library (the tflm runtime's source
plan for it: CMSIS-NN's portable C on the host), for the ops whose library kernel is not bit-exact
with the reference by design (op_inventory.NOT_BIT_EXACT; see select.oracle_for).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tinyml_build.analysis import op_inventory
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.fileio import user_cache_dir

SOURCE_DIR = Path(__file__).resolve().parent / "src"
RUNNER_SOURCE = SOURCE_DIR / "tml_oracle_runner.cc"
CACHE_FOLDER = "oracle"  # under tinyml_build.fileio.user_cache_dir(), beside qemu-plugins/
OPS_HEADER = "tml_oracle_ops.h"
APT_COMMAND = "sudo apt-get install g++"
# TFLM's tools/make/Makefile for TARGET=HOST_OS: COMMON_FLAGS (minus warnings), CXXFLAGS, -std=c++17/c17.
COMMON_FLAGS = ("-O2", "-fno-unwind-tables", "-fno-asynchronous-unwind-tables", "-ffunction-sections",
                "-fdata-sections", "-DTF_LITE_STATIC_MEMORY", "-DTF_LITE_DISABLE_X86_NEON", "-DTF_LITE_USE_CTIME")
CXXFLAGS = ("-std=c++17", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics", *COMMON_FLAGS)
CFLAGS = ("-std=c17", *COMMON_FLAGS)
_HASHED_SUFFIXES = (".h", ".hpp", ".inc", ".c", ".cc", ".cpp")
# Images replace TFLM's debug_log.cc by the platform's console glue; the host runner keeps TFLM's (stderr).
_UPSTREAM_OF_GLUE = {"tml_tflm_platform.cc": "tensorflow/lite/micro/debug_log.cc"}


@dataclass(frozen=True)
class PinnedBuild:
    """What the runner is compiled from: resolved trees and the file lists derived from them."""

    trees: Mapping[str, Path]  # lock name -> resolved tree
    how: Mapping[str, str]  # lock name -> 'cache' (verified) or 'explicit'
    commit: str  # the TFLM commit the lock pins
    ops: tuple[str, ...]  # op inventory names the runner registers
    registrations: tuple[str, ...]  # their MicroMutableOpResolver methods, sorted, distinct
    sources: tuple[Path, ...]  # framework core + kernels (+ the kernel library's own files), sorted
    include_dirs: tuple[Path, ...]
    kernels: str = op_inventory.REFERENCE  # the kernel set (op_inventory.KERNEL_CHOICES) the runner is built with
    kernel_defines: tuple[str, ...] = ()  # the kernel set's defines (CMSIS_NN, ...), as the tflm runtime uses them
    kernel_units: frozenset[Path] = frozenset()  # the files compiled with kernel_defines (kernels, library)
    library_commits: tuple[tuple[str, str], ...] = ()  # (lock name, commit) of the kernel library's trees


def oracle_ops(kernels: str = op_inventory.REFERENCE, overrides: Mapping[str, str] | None = None,
               env=None) -> list[str]:
    """Every op of the inventory whose external needs the lock pins and whose own trees resolve
    (SignalRfft/Irfft need kissfft): the runner registers exactly these. Why not fail without
    kissfft: the other ops must still be judged; a model using a left-out op is refused by name
    (unavailable_needs says which tree to provide)."""
    from tinyml_build.runtimes.tflm.sources import load_lock, required_dependencies
    from tinyml_build.third_party.resolve import locate

    lock = load_lock()
    base = set(required_dependencies((), kernels, lock))
    resolves: dict[str, bool] = {}
    usable = []
    for name in op_inventory.supported_ops():
        try:
            needs = [n for n in required_dependencies([name], kernels, lock) if n not in base]
        except TinyMLError:
            continue
        for need in needs:
            if need not in resolves:
                resolves[need] = locate(lock.get(need), overrides, env).path is not None
        if all(resolves[need] for need in needs):
            usable.append(name)
    return usable


def refuse_unavailable(build: PinnedBuild, model) -> None:
    """ModelError naming the tree to provide when `model` uses an op the runner left out for lack of
    it (SignalRfft without kissfft): clearer than the runner's 'not registered'."""
    from tinyml_build.errors import ModelError
    from tinyml_build.runtimes.tflm.sources import load_lock
    from tinyml_build.third_party.resolve import provide_fix

    missing = unavailable_needs(build, {use.name for use in op_inventory.op_uses(model)})
    if missing:
        need, ops = next(iter(sorted(missing.items())))
        raise ModelError(f"the pinned TFLM oracle does not register {', '.join(ops)}: they need {need}, "
                         f"which is not available", where=model.path, fix=provide_fix(load_lock().get(need)))


def unavailable_needs(build: PinnedBuild, op_names) -> dict[str, list[str]]:
    """{lock name: [ops]} of the ops in `op_names` the runner left out because a tree they need
    (kissfft) does not resolve: what a refusal names, with how to provide it."""
    from tinyml_build.runtimes.tflm.sources import load_lock, required_dependencies

    lock = load_lock()
    base = set(required_dependencies((), build.kernels, lock))
    missing: dict[str, list[str]] = {}
    for name in sorted(set(op_names) - set(build.ops)):
        try:
            needs = required_dependencies([name], build.kernels, lock)
        except TinyMLError:
            continue
        for need in needs:
            if need not in base and need not in build.trees:
                missing.setdefault(need, []).append(name)
    return missing


def plan_build(overrides: Mapping[str, str] | None = None, env=None,
               kernels: str = op_inventory.REFERENCE, ops: tuple[str, ...] | None = None) -> PinnedBuild:
    """Resolve TFLM and its header trees and list the runner's sources (the tflm runtime's own
    source plan for every op -- or only `ops`, as an image of a model with those ops; target.py --
    with `kernels`' kernel files and, for a library, its reachable sources and defines);
    MissingSourceError (the resolver's) when a tree is absent."""
    from tinyml_build.runtimes.tflm import sources as tflm_sources

    ops = tuple(oracle_ops(kernels, overrides, env)) if ops is None else tuple(sorted(set(ops)))
    plan = tflm_sources.resolve_sources(ops, kernels, overrides, env)
    tflm = plan.trees[tflm_sources.TFLM]
    # The host build keeps TFLM's own debug_log.cc (stderr) where images use the platform's console
    # glue, and leaves out the arena probe's allocator (images only).
    core = [tflm / _UPSTREAM_OF_GLUE[p.name] if p.name in _UPSTREAM_OF_GLUE else p
            for p in plan.core if p not in tflm_sources.GLUE_SOURCES]
    registrations = tuple(sorted({op_inventory.lookup(op).registration for op in ops}))
    lock = tflm_sources.load_lock()
    how = {name: "cache" if way == "explicit" and _is_the_pinned_tree(lock, name, plan.trees[name]) else way
           for name, way in plan.how.items()}
    kernel_units = frozenset(plan.kernel_files) | frozenset(plan.library_files)
    library = plan.library.dependencies if plan.library is not None else ()
    return PinnedBuild(trees=plan.trees, how=how, commit=lock.get(tflm_sources.TFLM).commit,
                       ops=ops, registrations=registrations,
                       sources=tuple(sorted(set(core) | kernel_units)), include_dirs=plan.include_dirs,
                       kernels=kernels, kernel_defines=tuple(plan.defines), kernel_units=kernel_units,
                       library_commits=tuple((name, lock.get(name).commit) for name in library))


def ops_header(registrations: tuple[str, ...]) -> str:
    """tml_oracle_ops.h: the resolver's Add* calls as an X-macro, generated from the op inventory so
    the runner registers exactly what the inventory knows."""
    lines = ["/* tml_oracle_ops.h -- generated by tinyml_build.verification.oracle.pinned from the op inventory. */",
             "#ifndef TML_ORACLE_OPS_H", "#define TML_ORACLE_OPS_H", "",
             f"#define TML_ORACLE_OP_COUNT {len(registrations)}", "#define TML_ORACLE_OPS(X) \\"]
    lines += [f"  X({name}) \\" for name in registrations]
    lines += ["", "#endif /* TML_ORACLE_OPS_H */", ""]
    return "\n".join(lines)


def compiler_identity(cxx: str) -> str:
    """`g++ --version`'s first line: a new compiler builds a new runner."""
    proc = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout.splitlines() or [Path(cxx).name])[0].strip()


def find_compilers() -> tuple[str, str] | None:
    """(C++ compiler, C compiler) on PATH, or None."""
    cxx, cc = shutil.which("g++"), shutil.which("gcc")
    return (cxx, cc) if cxx and cc else None


@lru_cache(maxsize=16)
def _is_the_pinned_tree(lock, name: str, tree: Path) -> bool:
    """An explicit tree (`<name>_path=`) whose tinyml-tree-v1 digest is the lock's is the pinned tree
    (0.2 s for TFLM's): it gives the same oracle as the verified cache, so naming one's own checkout
    of the pin neither rebuilds the runner nor regenerates golden data."""
    from tinyml_build.third_party.digest import tree_digest

    dep = lock.get(name)
    return dep is not None and tree_digest(Path(tree)) == dep.digest


@lru_cache(maxsize=16)
def _tree_content_digest(tree: Path) -> str:
    """Of every source and header file in an explicit (unverified) tree: its edits build a new runner."""
    sha = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(_HASHED_SUFFIXES):
                path = Path(dirpath) / name
                sha.update(path.relative_to(tree).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return "content:" + sha.hexdigest()


def build_digest(build: PinnedBuild, compiler: str) -> str:
    """Of the trees (the lock's verified digest, or the content of an explicit tree), the runner
    source, the registered ops, the flags and the compiler's version."""
    sha = hashlib.sha256(trees_identity(build).encode())
    sha.update(RUNNER_SOURCE.read_bytes())
    sha.update(ops_header(build.registrations).encode())
    sha.update(" ".join((*CXXFLAGS, "|", *CFLAGS, "|", compiler)).encode())
    if build.kernels != op_inventory.REFERENCE:  # the reference runner's digest stays what it was
        sha.update(f"|kernels={build.kernels} {' '.join(build.kernel_defines)}".encode())
    return sha.hexdigest()[:16]


def trees_identity(build: PinnedBuild) -> str:
    """One line per tree: the lock's commit and verified digest, or the content digest of an explicit tree."""
    from tinyml_build.runtimes.tflm.sources import load_lock

    lock = load_lock()
    lines = []
    for name in sorted(build.trees):
        dep = lock.get(name)
        tree_id = (f"{dep.commit} {dep.digest}" if build.how[name] == "cache"
                   else _tree_content_digest(build.trees[name]))
        lines.append(f"{name}={tree_id}\n")
    return "".join(lines)


def runner_path(cache_dir: Path, digest: str) -> Path:
    return Path(cache_dir) / f"tml_oracle_runner-{digest}"


def build_runner(build: PinnedBuild, cache_dir: Path | None = None, jobs: int | None = None) -> Path:
    """The runner executable for `build`, compiled only when the cache has none of this digest.

    ToolchainError (one message, the compiler's tail in its details) when the build fails."""
    compilers = find_compilers()
    if compilers is None:
        raise ToolchainError("g++/gcc not found on PATH (needed to build the pinned TFLM oracle)",
                             fix=f"install them: {APT_COMMAND}")
    cxx, cc = compilers
    cache_dir = Path(cache_dir) if cache_dir is not None else user_cache_dir() / CACHE_FOLDER
    digest = build_digest(build, compiler_identity(cxx))
    target = runner_path(cache_dir, digest)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".lock-{digest}", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # a concurrent build of the same digest finishes first
        if target.is_file():
            return target
        kernels = "reference" if build.kernels == op_inventory.REFERENCE else f"{build.kernels} (portable C)"
        print(f"oracle: compiling TFLM {build.commit[:8]}'s interpreter with {kernels} kernels for the host, once "
              f"per source version ({len(build.sources) + 1} files, {jobs or os.cpu_count() or 1} jobs)", flush=True)
        with tempfile.TemporaryDirectory(prefix=".build-", dir=cache_dir) as tmp:
            _compile_and_link(build, Path(tmp), cxx, cc, jobs or os.cpu_count() or 1, target)
    return target


def _compile_and_link(build: PinnedBuild, work: Path, cxx: str, cc: str, jobs: int, target: Path) -> None:
    (work / OPS_HEADER).write_text(ops_header(build.registrations))
    includes = [f"-I{work}", *(f"-I{p}" for p in build.include_dirs)]
    maps = [f"-ffile-prefix-map={tree}={name}" for name, tree in sorted(build.trees.items())]
    units = [RUNNER_SOURCE, *build.sources]  # the project's own file first: its error shows in seconds

    # As in an image: the kernel set's defines reach its kernels, its library and the resolver's
    # translation unit (the runner), never the framework core.
    defines = [f"-D{d}" for d in build.kernel_defines]

    def compile_one(numbered: tuple[int, Path]) -> tuple[Path, subprocess.CompletedProcess]:
        k, source = numbered
        obj = work / f"{k:04d}_{source.stem}.o"
        tool, flags = (cc, CFLAGS) if source.suffix == ".c" else (cxx, CXXFLAGS)
        extra = defines if source == RUNNER_SOURCE or source in build.kernel_units else []
        proc = subprocess.run([tool, *flags, *extra, *maps, *includes, "-c", str(source), "-o", str(obj)],
                              capture_output=True, text=True, check=False)
        return obj, proc

    results = [compile_one((0, RUNNER_SOURCE))]
    if results[0][1].returncode == 0:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results += pool.map(compile_one, enumerate(units[1:], start=1))
    for (_obj, proc), source in zip(results, units):
        if proc.returncode != 0:
            raise ToolchainError("the pinned TFLM oracle (host build of TFLM's reference interpreter) does not compile",
                                 where=str(source), details=(proc.stderr or proc.stdout)[-4000:],
                                 fix="check the TFLM tree (`tinyml-build deps status --verify`) and the host g++")
    exe = work / "tml_oracle_runner"
    proc = subprocess.run([cxx, "-O2", "-Wl,--gc-sections", *(str(o) for o, _ in results), "-o", str(exe), "-lm"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError("the pinned TFLM oracle (host build of TFLM's reference interpreter) does not link",
                             details=(proc.stderr or proc.stdout)[-4000:],
                             fix="an op in the inventory may need a source it does not list; see the undefined symbols")
    os.replace(exe, target)


# --- running --------------------------------------------------------------------------------------

RUN_MARKER = 0xFFFFFFFF
_EXIT_MEANING = {2: "a file or usage error", 3: "an operator this TFLM build does not register",
                 4: "the model does not set up in TFLM", 5: "an inference failed in TFLM",
                 70: "the runner crashed on the emulated core (a fault; target.py)"}


def run(runner: Path, model, inputs, intermediates: bool = False, timeout: float | None = None,
        launch=None, name: str = "the pinned TFLM oracle"):
    """Run `inputs` (per run, one array per graph input) through the runner, in order, on one
    interpreter: (outputs per run as arrays -- None for a run TFLM stopped with kTfLiteAbort --,
    {(run, tensor): bytes} of every main-subgraph op output of the runs that ran, when
    `intermediates`). ModelError naming the reason when TFLM refuses the model.
    `launch(argv)` gives the command that runs the runner with argv (target.py: in QEMU)."""
    import numpy as np

    from tinyml_build.errors import ModelError

    sg = model.main
    with tempfile.TemporaryDirectory(prefix="tml_oracle_") as tmp:
        work = Path(tmp)
        (work / "model.tflite").write_bytes(model.data)
        with open(work / "inputs.bin", "wb") as f:
            for arrays in inputs:
                for a in arrays:
                    a = np.ascontiguousarray(a)
                    f.write(a.astype(a.dtype.newbyteorder("<")).tobytes())
        argv = [str(runner), "model.tflite", "inputs.bin", str(len(inputs)), "outputs.bin"]
        argv += ["trace.bin"] if intermediates else []
        argv = launch(argv) if launch is not None else argv
        try:
            proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ModelError(f"{name} did not finish within {timeout:g} s", where=model.path,
                             fix="raise qemu_timeout=, or use fewer test vectors") from None
        if proc.returncode != 0:
            meaning = _EXIT_MEANING.get(proc.returncode, f"exit status {proc.returncode}")
            raise ModelError(f"{name} cannot run the model: {meaning}", where=model.path,
                             details=(proc.stderr.strip() or proc.stdout.strip())[-4000:],  # QEMU: stdout
                             fix="check that the model runs in TFLM at the pinned commit "
                                 "(python -m tinyml_build inspect)")
        data = (work / "outputs.bin").read_bytes()
        raw = (work / "trace.bin").read_bytes() if intermediates else b""
    outputs = parse_outputs(data, sg, len(inputs))
    if outputs is None:
        raise ModelError(f"{name} returned fewer output bytes than {len(inputs)} runs of the model's outputs",
                         where=model.path)
    return outputs, parse_trace(raw)


STOPPED = 1  # a run's status in the outputs file: the invoke stopped early (kTfLiteAbort / TML_NOT_READY)


def parse_outputs(data: bytes, sg, runs: int):
    """The outputs file of the runner (and of the aot host check) as, per run, the graph outputs --
    or None for a run whose invoke stopped early (a CIRCULAR_BUFFER waiting for frames: kTfLiteAbort,
    aot's TML_NOT_READY), whose outputs hold nothing new. None when `data` is too short."""
    import numpy as np

    from tinyml_build.model.dtypes import numpy_dtype

    outputs, pos = [], 0
    for _ in range(runs):
        if pos + 4 > len(data):
            return None
        status = int.from_bytes(data[pos:pos + 4], "little")
        pos += 4
        run_outputs = []
        for index in sg.outputs:
            t = sg.tensors[index]
            chunk = data[pos:pos + t.nbytes]
            if len(chunk) != t.nbytes:
                return None
            run_outputs.append(np.frombuffer(chunk, dtype=numpy_dtype(t.dtype)).reshape(t.shape))
            pos += t.nbytes
        outputs.append(None if status == STOPPED else run_outputs)
    return outputs


def parse_trace(raw: bytes) -> dict[tuple[int, int], bytes]:
    """The runner's intermediates file as {(run, tensor index): bytes}."""
    import numpy as np

    tensors, pos, run_index = {}, 0, -1
    while pos < len(raw):
        op, tensor, nbytes = (int(v) for v in np.frombuffer(raw[pos:pos + 12], dtype="<u4"))
        pos += 12
        if op == RUN_MARKER:
            run_index = tensor
            continue
        tensors[(run_index, tensor)] = raw[pos:pos + nbytes]
        pos += nbytes
    return tensors
