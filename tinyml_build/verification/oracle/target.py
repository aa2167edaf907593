"""The target oracle: the pinned TFLM runner cross-compiled for the image's Cortex-M core, run in QEMU.

Why: float kernels that call libm functions which are not correctly rounded (expf, tanhf, logf...)
give other bytes with newlib's libm (what every Cortex-M image links) than with glibc's (the host
oracle). Both runtimes print the same bytes on the target, so the host golden data are what is
wrong there -- no tolerance can fix that, only the same TFLM computed by the same C library. So
for a model that uses such an op (LIBM_CALLS, from TFLM's kernels at the pin) on a target that
runs in qemu-system-arm, select.oracle_for() names this oracle: src/tml_oracle_runner.cc compiled
with the pinned TFLM framework core and the reference kernels of the model's own ops (the tflm
runtime's source plan for them, as an image of that model compiles), with the tflm runtime's flags
for the target's core (its arch flags, -Os framework / -O2 kernels, -ffp-contract=off),
newlib-nano and libm as images link them, and newlib's rdimon for semihosting file I/O; it runs on
the emulated board with the most RAM among those with the image's arch flags. Everything else keeps
the host oracle (it is bit-exact for correctly rounded arithmetic and much faster).

Why only the model's ops: every reference kernel (185 files) took 25 minutes on 2 busy cores; the
core and a few kernels cost about what a runtime=tflm image build costs. The objects are cached per
(trees, flags, compiler, core) and shared by the runners of other op sets, so a second model only
compiles its new kernels, the runner and the link.

The runner's arena is a compile-time size that fits that board's RAM (Layout); a model and test
vectors that do not fit are refused before the run, naming the sizes. The ELF is cached like the
host runner, per digest of (trees, runner and start-up source, op set, flags, compiler, memory layout).
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
from tinyml_build.config.targets import Target, list_targets, load_target
from tinyml_build.errors import ModelError, ToolchainError
from tinyml_build.fileio import user_cache_dir
from tinyml_build.verification.oracle import pinned

# (op, dtype of its first input) -> the libm functions TFLM's reference kernel (Eval, or the LUT its
# Prepare fills) calls for it at the pin; none of them is correctly rounded in glibc or newlib, so
# the two libraries give different last bits. sqrtf (SQRT, RSQRT, L2_NORMALIZATION) is IEEE-exact in
# both and is not listed. Checked against the pinned tree by tests/test_oracle_target.py.
LIBM_CALLS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("COS", "float32"): ("cosf",),  # elementwise.cc: std::cos
    ("ELU", "float32"): ("expm1f",),  # reference/elu.h: TfLiteExpm1
    ("EXP", "float32"): ("expf",),  # reference/exp.h
    ("LOG", "float32"): ("logf",),  # elementwise.cc: std::log
    ("LOGISTIC", "float32"): ("expf",),  # reference/logistic.h
    ("LOG_SOFTMAX", "float32"): ("expf", "logf"),  # reference/log_softmax.h
    ("SIN", "float32"): ("sinf",),  # elementwise.cc: std::sin
    ("SOFTMAX", "float32"): ("expf",),  # reference/softmax.h
    ("SVDF", "float32"): ("expf", "tanhf"),  # activation_utils.h: fused SIGMOID/TANH
    ("TANH", "float32"): ("tanhf",),  # reference/tanh.h
    ("TFLite_Detection_PostProcess", "float32"): ("exp",),  # detection_postprocess.cc: double std::exp
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32"): ("expf", "tanhf"),  # micro_tensor_utils.cc
}
# Quantized paths whose Prepare fills a lookup table with expf: they do NOT select this oracle. aot
# computes those tables at build time with the host's expf (quantization.host_expf), so the host
# oracle is what aot reproduces; on a device TFLM's Prepare uses newlib's expf, which moves about 1 of
# 512,000 int8 ELU entries by one LSB (aot README, "int8 ELU").
PREPARE_LIBM_CALLS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("ELU", "int8"): ("expf",),  # elu.cc Prepare: lookup table of std::exp(x) - 1
    ("SOFTMAX", "int16"): ("expf",),  # softmax_common.cc Prepare: exp lookup table
}
QEMU_ARM = "qemu-system-arm"
HOST_TOOLCHAIN = "host-gcc"  # config.cpus.TOOLCHAINS: the build machine itself, glibc like the host oracle
CACHE_FOLDER = pinned.CACHE_FOLDER
START_SOURCE = pinned.SOURCE_DIR / "tml_oracle_target.c"
STACK_BYTES = 128 << 10  # the runner reads its files through a 64 KB chunk on the stack
STATIC_BYTES = 64 << 10  # room for .data/.bss of TFLM and newlib (the link fails if they need more)
FILE_SLACK = 64 << 10  # stdio buffers and the growth of the file vectors beyond twice their size
FAULT_STATUS = 70  # src/tml_oracle_target.c: a fault on the emulated core
RUN_TIMEOUT = 900.0  # seconds for one batch of vectors in QEMU when the caller gives none: no endless hang


@dataclass(frozen=True)
class Layout:
    """Where the runner lives on the emulated board: code in one region, data, heap and stack in one."""

    code_origin: int
    code_size: int
    data_origin: int
    data_size: int
    arena: int  # TML_ORACLE_ARENA_BYTES: half the heap, the other half holds the model and inputs

    @property
    def heap(self) -> int:
        return self.data_size - STACK_BYTES - STATIC_BYTES

    @property
    def file_room(self) -> int:
        """Bytes left on the heap for the model and the inputs file, each held once and grown once."""
        return self.heap - self.arena - FILE_SLACK


@dataclass(frozen=True)
class TargetBuild:
    """What the cross-compiled runner is made of and where it runs."""

    host: pinned.PinnedBuild  # trees, the model's ops and registrations, core + their kernel files
    target: Target  # the image's target: its arch flags
    machine: Target  # the emulated board that runs the runner
    layout: Layout

    @property
    def kernel_files(self) -> frozenset[Path]:
        """Compiled with the kernel optimization, as in images; the rest -Os."""
        return self.host.kernel_units


def libm_uses(model) -> list[str]:
    """'SOFTMAX float32 (expf)' for every op use of `model` whose kernel calls a libm function that is
    not correctly rounded, sorted; empty when the host oracle is exact for the target too."""
    found = set()
    for use in op_inventory.op_uses(model):
        key = (use.name, use.inputs[0] if use.inputs else "")
        if key in LIBM_CALLS:
            found.add(f"{key[0]} {key[1]} ({', '.join(LIBM_CALLS[key])})")
    return sorted(found)


def oracle_machine(target: Target) -> Target | None:
    """The emulated qemu-system-arm board that runs the target's objects and has the most RAM: the
    target itself or one with exactly its arch flags and toolchain; None when the target does not
    run in qemu-system-arm (ESP twins, host, a Cortex-M board with no such stand-in)."""
    if target.toolchain != "arm-none-eabi-gcc":
        return None
    candidates = [target] if target.emulator is not None else []
    folder = target.path.parent if target.path else None
    for name in list_targets(folder) if folder else []:
        other = load_target(name, folder)
        if other.emulator is not None and other.arch_flags == target.arch_flags and other.toolchain == target.toolchain:
            candidates.append(other)
    candidates = [t for t in candidates if t.emulator.qemu == QEMU_ARM]
    if not candidates:
        return None
    return max(candidates, key=lambda t: (_data_region(t).size, t.name == target.name, t.name))


def _data_region(target: Target):
    return max((r for r in target.memory if r.data), key=lambda r: (r.size, r.name))


def layout_for(machine: Target) -> Layout:
    """Code in the largest executable region that holds no data (else in the data region's low half),
    data, heap and stack in the largest data region."""
    data = _data_region(machine)
    code = max((r for r in machine.memory if r.executable and not r.data), key=lambda r: r.size, default=None)
    data_origin, data_size = data.origin, data.size
    if code is None:
        code_origin, code_size = data.origin, data.size // 2
        data_origin, data_size = data.origin + code_size, data.size - code_size
    else:
        code_origin, code_size = code.origin, code.size
    heap = data_size - STACK_BYTES - STATIC_BYTES
    return Layout(code_origin, code_size, data_origin, data_size, arena=(heap // 2) // 16 * 16)


def linker_script(layout: Layout) -> str:
    """The runner's memory map: vectors at the code region's start (the boot address of the MPS2/MPS3
    boards), .data/.bss then the heap in the data region, the stack at its top."""
    return f"""/* tml_oracle_target.ld -- generated by tinyml_build.verification.oracle.target. */
ENTRY(tml_oracle_reset)
MEMORY
{{
  CODE (rx)  : ORIGIN = 0x{layout.code_origin:08X}, LENGTH = 0x{layout.code_size:X}
  DATA (rwx) : ORIGIN = 0x{layout.data_origin:08X}, LENGTH = 0x{layout.data_size:X}
}}
__tml_oracle_stack_top = ORIGIN(DATA) + LENGTH(DATA);
__tml_oracle_heap_end = __tml_oracle_stack_top - 0x{STACK_BYTES:X};
SECTIONS
{{
  .vectors : ALIGN(128) {{ KEEP(*(.vectors)) }} > CODE
  .text : ALIGN(4) {{ *(.text .text.*) KEEP(*(.init)) KEEP(*(.fini)) }} > CODE
  .rodata : ALIGN(4) {{ *(.rodata .rodata.*) }} > CODE
  .ARM.extab : {{ *(.ARM.extab* .gnu.linkonce.armextab.*) }} > CODE
  .ARM.exidx : {{ __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; }} > CODE
  .preinit_array : {{ PROVIDE_HIDDEN(__preinit_array_start = .); KEEP(*(.preinit_array))
                     PROVIDE_HIDDEN(__preinit_array_end = .); }} > CODE
  .init_array : {{ PROVIDE_HIDDEN(__init_array_start = .); KEEP(*(SORT(.init_array.*))) KEEP(*(.init_array))
                  PROVIDE_HIDDEN(__init_array_end = .); }} > CODE
  .fini_array : {{ PROVIDE_HIDDEN(__fini_array_start = .); KEEP(*(SORT(.fini_array.*))) KEEP(*(.fini_array))
                  PROVIDE_HIDDEN(__fini_array_end = .); }} > CODE
  .data : ALIGN(8) {{ *(.data .data.*) }} > DATA
  .bss (NOLOAD) : ALIGN(8) {{ __bss_start__ = .; *(.bss .bss.* COMMON) . = ALIGN(8); __bss_end__ = .; }} > DATA
  end = .; _end = .; __end__ = .;
}}
ASSERT(end - ORIGIN(DATA) <= 0x{STATIC_BYTES:X}, "the oracle runner's static data exceed STATIC_BYTES (target.py)")
"""


def compile_flags(target: Target) -> dict[str, tuple[str, ...]]:
    """The tflm runtime's flags for the target's core (runtimes/tflm/plan.py), without -g (no code
    change) and with TFLM's error messages kept (they explain a refusal)."""
    from tinyml_build.runtimes.tflm.plan import NO_FP_CONTRACTION, NO_UNWIND, TFLM_DEFINES
    from tinyml_build.toolchains import gcc

    common = (*target.arch_flags, *(f for f in gcc.CODE_GENERATION if f != "-g"), *NO_UNWIND, *NO_FP_CONTRACTION,
              *(f"-D{d}" for d in TFLM_DEFINES))
    return {"c": (*common, gcc.C_STANDARD), "cxx": (*common, gcc.CXX_STANDARD, *gcc.CXX_ONLY),
            "framework": (gcc.FRAMEWORK_OPTIMIZATION,), "kernel": (gcc.KERNEL_OPTIMIZATION,),
            # newlib-nano and libm as images link them (toolchains/arm_gcc.py), rdimon for the file I/O
            "link": (*target.arch_flags, "-nostartfiles", "--specs=nano.specs", "--specs=rdimon.specs",
                     "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments", "-Wl,--build-id=none")}


def plan_target_build(target: Target, ops, overrides: Mapping[str, str] | None = None,
                      env=None) -> TargetBuild | None:
    """The runner's plan for a model with `ops` (op inventory names) on `target`: the pinned plan of
    those ops only, or None when the target does not run in qemu-system-arm; TinyMLError
    (MissingSourceError) when the pinned sources do not resolve."""
    machine = oracle_machine(target)
    if machine is None:
        return None
    host = pinned.plan_build(overrides, env, op_inventory.REFERENCE, ops=tuple(ops))
    return TargetBuild(host=host, target=target, machine=machine, layout=layout_for(machine))


@lru_cache(maxsize=4)
def _toolchain():
    from tinyml_build.toolchains.arm_gcc import find_toolchain

    return find_toolchain()


@lru_cache(maxsize=4)
def compiler_identity() -> str:
    """`arm-none-eabi-g++ --version`'s first line: a new compiler builds a new runner."""
    return pinned.compiler_identity(str(_toolchain().gxx))


def objects_digest(build: TargetBuild, compiler: str) -> str:
    """What every upstream object depends on besides its own path: trees, target flags, compiler.
    The op set is not part of it, so runners of other models share the core's objects."""
    sha = hashlib.sha256(pinned.trees_identity(build.host).encode())
    sha.update(repr(sorted(compile_flags(build.target).items())).encode())
    sha.update(compiler.encode())
    return sha.hexdigest()[:16]


def build_digest(build: TargetBuild, compiler: str) -> str:
    """Of the host runner's digest inputs (trees, runner, registered ops) plus the start-up, the
    target flags, the layout and the cross compiler."""
    sha = hashlib.sha256(pinned.build_digest(build.host, compiler).encode())
    sha.update(START_SOURCE.read_bytes())
    sha.update(linker_script(build.layout).encode())
    sha.update(repr(sorted(compile_flags(build.target).items())).encode())
    sha.update(f"arena={build.layout.arena}".encode())
    return sha.hexdigest()[:16]


def build_runner(build: TargetBuild, cache_dir: Path | None = None, jobs: int | None = None) -> Path:
    """The runner ELF for `build`, compiled only when the cache has none of this digest."""
    toolchain = _toolchain()
    cache_dir = Path(cache_dir) if cache_dir is not None else user_cache_dir() / CACHE_FOLDER
    digest = build_digest(build, compiler_identity())
    cpu = build.target.cpu
    elf = cache_dir / f"tml_oracle_runner-{cpu}-{digest}.elf"
    if elf.is_file():
        return elf
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".lock-{cpu}-{digest}", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if elf.is_file():
            return elf
        jobs = jobs or os.cpu_count() or 1
        objects = cache_dir / f"objects-{cpu}-{objects_digest(build, compiler_identity())}"
        missing = sum(not _object_path(build, objects, s).is_file() for s in build.host.sources)
        print(f"oracle: compiling TFLM {build.host.commit[:8]}'s reference interpreter for {cpu} (newlib) with the "
              f"kernels of {', '.join(build.host.ops)}, once per op set ({missing + 2} of "
              f"{len(build.host.sources) + 2} files to compile, {jobs} jobs)", flush=True)
        with tempfile.TemporaryDirectory(prefix=".build-", dir=cache_dir) as tmp:
            _compile_and_link(build, Path(tmp), objects, toolchain, jobs, elf)
    return elf


def _object_path(build: TargetBuild, objects: Path, source: Path) -> Path:
    """The cached object of an upstream file: <objects>/<kernel|framework>/<lock name>/<path in the tree>.o
    (the optimization level is part of the name: no op set can pick up another's object)."""
    role = "kernel" if source in build.kernel_files else "framework"
    for name, tree in build.host.trees.items():
        if source.is_relative_to(tree):
            return objects / role / name / source.relative_to(tree).with_suffix(".o")
    raise AssertionError(f"{source} is in no resolved tree")


def _compile_and_link(build: TargetBuild, work: Path, objects: Path, toolchain, jobs: int, elf: Path) -> None:
    flags = compile_flags(build.target)
    (work / pinned.OPS_HEADER).write_text(pinned.ops_header(build.host.registrations))
    (work / "tml_oracle_target.ld").write_text(linker_script(build.layout))
    includes = [f"-I{work}", *(f"-I{p}" for p in build.host.include_dirs)]
    maps = [f"-ffile-prefix-map={tree}={name}" for name, tree in sorted(build.host.trees.items())]
    arena = f"-DTML_ORACLE_ARENA_BYTES={build.layout.arena}u"
    units = [pinned.RUNNER_SOURCE, START_SOURCE, *build.host.sources]

    def compile_one(numbered: tuple[int, Path]) -> tuple[Path, subprocess.CompletedProcess]:
        k, source = numbered
        own = k < 2  # the runner (its ops header, its arena) and the start-up: per runner, in `work`
        obj = work / f"{k:04d}_{source.stem}.o" if own else _object_path(build, objects, source)
        if obj.is_file():
            return obj, subprocess.CompletedProcess([], 0, "", "")
        tool, lang = (toolchain.gcc, flags["c"]) if source.suffix == ".c" else (toolchain.gxx, flags["cxx"])
        optimization = flags["kernel"] if source in build.kernel_files else flags["framework"]
        partial = work / f"{k:04d}_{source.stem}.part.o"  # renamed into the cache only when complete
        proc = subprocess.run([str(tool), *lang, *optimization, *([arena] if own else []), *maps, *includes, "-c",
                               str(source), "-o", str(partial)], capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            obj.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, obj)
        return obj, proc

    results = [compile_one((0, units[0])), compile_one((1, units[1]))]
    if all(proc.returncode == 0 for _, proc in results):
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results += pool.map(compile_one, enumerate(units[2:], start=2))
    for (_obj, proc), source in zip(results, units):
        if proc.returncode != 0:
            raise ToolchainError(f"the target oracle (TFLM's reference interpreter for {build.target.cpu}) does "
                                 "not compile", where=str(source), details=(proc.stderr or proc.stdout)[-4000:],
                                 fix="check the TFLM tree (`tinyml-build deps status --verify`) and arm-none-eabi-gcc")
    out = work / "tml_oracle_runner.elf"
    proc = subprocess.run([str(toolchain.gxx), *flags["link"], "-T", str(work / "tml_oracle_target.ld"),
                           *(str(o) for o, _ in results), "-o", str(out),
                           "-Wl,--start-group", "-lc_nano", "-lm", "-lgcc", "-Wl,--end-group"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"the target oracle (TFLM's reference interpreter for {build.target.cpu}) does not "
                             f"link for {build.machine.name}", details=(proc.stderr or proc.stdout)[-4000:],
                             fix="the runner may not fit the board's memory map (see the linker's message)")
    os.replace(out, elf)


def qemu_launcher(build: TargetBuild, elf: Path):
    """argv -> the QEMU command that runs the runner with argv (semihosting arguments and files;
    names without spaces or commas: pinned.run's fixed names in its work folder)."""
    qemu = shutil.which(QEMU_ARM)
    if qemu is None:
        raise ToolchainError(f"{QEMU_ARM} not found on PATH (the target oracle runs in it)",
                             fix="install it: sudo apt-get install qemu-system-arm")
    emulator = build.machine.emulator

    def launch(argv: list[str]) -> list[str]:
        names = ["tml_oracle_runner", *(Path(a).name if k == 0 else a for k, a in enumerate(argv[1:], start=1))]
        command = [qemu, "-machine", emulator.machine, *(["-cpu", emulator.cpu] if emulator.cpu else []),
                   "-display", "none", "-monitor", "none", "-nodefaults", "-serial", "null",
                   "-semihosting-config", "enable=on,target=native," + ",".join(f"arg={n}" for n in names)]
        return command + ["-kernel", str(elf)]

    return launch


def check_fits(build: TargetBuild, model, inputs) -> None:
    """ModelError when the model and the inputs file cannot be held beside the arena on the board."""
    import numpy as np

    input_bytes = sum(np.asarray(a).nbytes for arrays in inputs for a in arrays)
    need = 2 * (len(model.data) + input_bytes)
    layout = build.layout
    if need > layout.file_room:
        raise ModelError(f"the model ({len(model.data):,} B) and its {len(inputs)} test vectors ({input_bytes:,} B) do "
                         f"not fit the target oracle on {build.machine.name} (QEMU {build.machine.emulator.machine}: "
                         f"{layout.data_size:,} B of RAM, of which {layout.arena:,} B arena and {layout.file_room:,} B "
                         "for the model and inputs, each held twice while read)",
                         where=model.path, fix="pass a smaller test_vectors=N")


def run(build: TargetBuild, name: str, model, inputs, intermediates: bool = False, timeout: float | None = None):
    """As pinned.run, on the emulated core."""
    check_fits(build, model, inputs)
    elf = build_runner(build)
    try:
        return pinned.run(elf, model, inputs, intermediates, timeout or RUN_TIMEOUT, launch=qemu_launcher(build, elf),
                          name=f"the target oracle ({name})")
    except ModelError as err:
        if "does not set up" in err.what:
            raise ModelError(err.what, where=err.where, details=err.details,
                             fix=f"its arena is {build.layout.arena:,} B (half the RAM of "
                                 f"{build.machine.name}); a model needing more cannot be judged there") from None
        raise


def applies(target: Target | None) -> bool:
    """Whether `target`'s images run in qemu-system-arm, where this oracle can judge them."""
    return target is not None and oracle_machine(target) is not None


def libm_unjudged(target: Target | None) -> bool:
    """Whether `target` runs code with a libm no oracle here runs: not the host (glibc, the host
    oracle's) and not in qemu-system-arm (ESP32 twins: picolibc or clang's; an Arm board without a
    stand-in). Their golden data stay the host's and name the libm ops as blind spots."""
    return target is not None and target.toolchain != HOST_TOOLCHAIN and not applies(target)


def target_oracle(model, target: Target, because: str, overrides: Mapping[str, str] | None = None, env=None):
    """This module's oracle for `model` on `target` (select.oracle_for decides when); TinyMLError
    when it cannot be made here (no pinned sources, arm-none-eabi-gcc or qemu-system-arm)."""
    from tinyml_build.verification.oracle.select import TARGET, Oracle

    if shutil.which(QEMU_ARM) is None:
        raise ToolchainError(f"{QEMU_ARM} not found on PATH", fix="install it: sudo apt-get install qemu-system-arm")
    build = plan_target_build(target, model.op_names(), overrides, env)
    compiler_identity()  # ToolchainError without arm-none-eabi-gcc
    how = "" if all(way == "cache" for way in build.host.how.values()) else ", explicit source tree, unverified"
    return Oracle(name=f"tflite-micro {build.host.commit[:8]} reference kernels on {target.cpu} (newlib libm{how}), "
                       f"in QEMU {build.machine.emulator.machine}",
                  kind=TARGET, tflm_commit=build.host.commit, build=build, chosen_because=because)
