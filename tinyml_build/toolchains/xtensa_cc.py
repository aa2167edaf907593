"""Compiler driver for Xtensa objects: `python -m tinyml_build.toolchains.xtensa_cc [options] -- <gcc args>`.

Why a driver: clang-22 cannot write correct Xtensa objects itself (its inline literal pools are
misaligned), so every C file goes through `clang -S`, then `llvm-mc -filetype=obj` with the same
features; llvm-mc 22 cannot parse some `.cfi_*` directives clang writes, so those lines are dropped
(the firmware has no unwinder; debuggers still get line tables), and so are the MD5 checksums of
`.file` lines (clang++ writes them for some headers only, which llvm-mc warns about). LLVM 22 also crashes on a select
between two float constants when the FP unit is enabled; such a file is compiled again without
`+fp`, which is ABI-safe (floats are passed in AR registers either way) and only makes that file's
float arithmetic use library calls (a link error names any helper xtensa_rt lacks).

Usable as SCons's $CC and, run with `--clang=clang++-22`, as $CXX (runtime=tflm's C++: `.cc`/`.cpp`
sources, clang_xtensa.cxx_command): the arguments after `--` are gcc-style (`-o out.o -c src.c -O2 -Ifoo
-DX=1 -g ...`, also -S and -E). The LLVM features come from the `-Xclang -target-feature -Xclang +F`
flags among them (clang_xtensa.arch_flags), so compiler and assembler always agree. The driver adds
`--target=xtensa` if absent, `-fomit-frame-pointer` (before the user's flags: LLVM 22's variadic
functions lose a7 to the frame pointer), `-nostdlibinc` (host headers are never right) with
xtensa_rt's freestanding headers (string.h, inttypes.h, and a stdarg.h correcting LLVM 22's Xtensa
va_arg), and `-fno-crash-diagnostics` (no reproducer files in /tmp).

Options before `--`:
  --clang=PATH   clang-22 to run (default: clang-22 on PATH)
  --mc=PATH      llvm-mc-22 to run (default: llvm-mc-22 on PATH)
  --verbose      print the commands run, and one line when a file is recompiled without +fp

The object is written atomically (temporary file next to it, then renamed) and is byte-identical
for the same input: the temporary assembly file's name never reaches it (clang records the C
source, not the .s, and llvm-mc writes no debug info of its own).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RT_INCLUDE_DIR = Path(__file__).resolve().parent.parent / "platform" / "xtensa_rt" / "include"


def revision() -> str:
    """A digest of what decides the objects besides the command line: this driver and the headers it
    puts on the include path. It is part of the driver's command (`--revision=`), so an edit to
    either recompiles every object (SCons's scanner does not see headers found through -isystem
    added here, nor the driver's own code)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for header in sorted(RT_INCLUDE_DIR.glob("*.h")):
        digest.update(header.name.encode() + b"\0" + header.read_bytes())
    return digest.hexdigest()[:16]

# Options whose value is the next argument (so that value is not taken for a source file).
_TAKES_VALUE = {"-o", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote", "-idirafter", "-MF", "-MT",
                "-MQ", "-x", "-Xclang", "-mllvm", "-target", "--param", "-Xpreprocessor", "-Xassembler"}
_SOURCE_SUFFIXES = (".c", ".cc", ".cpp")
# Before the user's flags: LLVM 22's variadic prologue stores a7 after it became the frame pointer,
# so frame pointers stay off (a function with a VLA still gets one: no variadic function has one).
FORCED_FLAGS = ("-fomit-frame-pointer",)
FP_FEATURE = "+fp"
_NO_FP_FEATURE = "-fp"


class DriverError(Exception):
    """A usage error of the driver (printed as one line, exit status 2)."""


@dataclass
class Invocation:
    """The gcc-style arguments, split into what the driver handles and what clang gets."""

    mode: str = "link"  # 'c' (object), 'S' (assembly), 'E' (preprocess), 'link' (refused)
    output: str | None = None
    sources: list[str] = field(default_factory=list)
    clang_args: list[str] = field(default_factory=list)  # everything but -o/-c/-S/-E
    features: list[str] = field(default_factory=list)  # '+fp', ... in order


def parse(args: list[str]) -> Invocation:
    inv = Invocation()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-c", "-S", "-E"):
            inv.mode = arg[1]
        elif arg == "-o":
            if i + 1 >= len(args):
                raise DriverError("-o needs a file name")
            inv.output = args[i + 1]
            i += 1
        elif arg.startswith("-o") and len(arg) > 2:
            inv.output = arg[2:]
        elif arg == "-Xclang" and args[i + 1:i + 4][:2] == ["-target-feature", "-Xclang"] and i + 3 < len(args):
            inv.features.append(args[i + 3])
            inv.clang_args += args[i:i + 4]
            i += 3
        elif arg in _TAKES_VALUE:
            inv.clang_args += args[i:i + 2]
            i += 1
        elif not arg.startswith("-") and arg.endswith(_SOURCE_SUFFIXES):
            inv.sources.append(arg)
            inv.clang_args.append(arg)
        else:
            inv.clang_args.append(arg)
        i += 1
    return inv


def _has_target(args: list[str]) -> bool:
    return any(a.startswith("--target=") or a == "-target" for a in args)


def strip_cfi(assembly: str) -> str:
    """Drop `.cfi_*` directive lines (llvm-mc 22 rejects `.cfi_def_cfa a7, N`)."""
    return "".join(line for line in assembly.splitlines(keepends=True) if not line.lstrip().startswith(".cfi_"))


_FILE_MD5 = re.compile(r"^(\s*\.file\s.*?)\s+md5\s+0x[0-9a-fA-F]+[ \t]*$", re.MULTILINE)


def drop_file_md5(assembly: str) -> str:
    """Drop the `md5 0x...` checksums of `.file` directives: clang++ writes none for libc++'s
    extension-less headers (<cstdint>) and one for every other file, and llvm-mc warns about the
    mix on every C++ object ("inconsistent use of MD5 checksums"); line tables work without them."""
    return _FILE_MD5.sub(r"\1", assembly)


def is_float_select_crash(stderr: str) -> bool:
    """LLVM 22's instruction-selection failure on `c ? 1.0f : 0.0f` with +fp (constant-pool select)."""
    return "Cannot select" in stderr and "TargetConstantPool" in stderr


class Driver:
    def __init__(self, clang: str, mc: str, verbose: bool = False):
        self.clang = clang
        self.mc = mc
        self.verbose = verbose

    def _run(self, command: list[str]) -> subprocess.CompletedProcess:
        if self.verbose:
            print(" ".join(command), file=sys.stderr)
        try:
            return subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
        except OSError as err:
            raise DriverError(f"cannot run {command[0]}: {err}") from None

    def clang_command(self, inv: Invocation, extra: list[str], without_fp: bool = False) -> list[str]:
        args = list(inv.clang_args)
        if without_fp:
            args = [_NO_FP_FEATURE if a == FP_FEATURE else a for a in args]
        command = [self.clang]
        if not _has_target(args):
            command.append("--target=xtensa")
        return command + list(FORCED_FLAGS) + args + ["-nostdlibinc", "-isystem", str(RT_INCLUDE_DIR),
                                                     "-fno-crash-diagnostics"] + extra

    def compile_to_assembly(self, inv: Invocation, assembly: Path) -> int:
        """clang -S to `assembly` (with the float-select retry); returns the exit status."""
        result = self._run(self.clang_command(inv, ["-S", "-o", str(assembly)]))
        if result.returncode != 0 and FP_FEATURE in inv.features and is_float_select_crash(result.stderr):
            if self.verbose:
                print(f"xtensa_cc: {inv.sources[0]}: LLVM 22 float-select crash with +fp; "
                      "compiling this file without the FP unit (ABI-safe)", file=sys.stderr)
            result = self._run(self.clang_command(inv, ["-S", "-o", str(assembly)], without_fp=True))
        sys.stderr.write(result.stderr)
        return result.returncode

    def run(self, inv: Invocation) -> int:
        if inv.mode == "E":
            result = self._run(self.clang_command(inv, ["-E"] + (["-o", inv.output] if inv.output else [])))
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            return result.returncode
        if inv.mode == "link":
            raise DriverError("linking is not done by this driver: pass -c (or -S, -E); link with xtensa-lx106-elf-ld")
        if len(inv.sources) != 1:
            raise DriverError(f"expected exactly one C or C++ source file, got {len(inv.sources)}")
        source = inv.sources[0]
        output = Path(inv.output) if inv.output else Path(Path(source).stem + (".o" if inv.mode == "c" else ".s"))
        self._dependency_flags(inv, output)
        out_dir = output.parent if str(output.parent) else Path(".")
        out_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".xtensa_cc-", dir=out_dir))
        try:
            raw = work / f"{output.stem}.clang.s"
            status = self.compile_to_assembly(inv, raw)
            if status != 0:
                return status
            clean = work / f"{output.stem}.s"
            # latin-1 round-trips every byte: clang's comments may hold raw bytes (a DW_OP_implicit_value
            # of 0xff is commented as that byte), which are not UTF-8
            clean.write_text(drop_file_md5(strip_cfi(raw.read_text(encoding="latin-1"))), encoding="latin-1")
            if inv.mode == "S":
                os.replace(clean, output)
                return 0
            obj = work / f"{output.stem}.o"
            mattr = ",".join(inv.features)
            command = [self.mc, "-triple=xtensa"] + ([f"-mattr={mattr}"] if mattr else [])
            result = self._run(command + ["-filetype=obj", "-o", str(obj), str(clean)])
            sys.stderr.write(result.stderr)
            if result.returncode != 0:
                return result.returncode
            os.replace(obj, output)
            return 0
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _dependency_flags(inv: Invocation, output: Path) -> None:
        """-MD/-MMD write a .d file named after -o: point it at the real output, not the temporary."""
        if not any(a in ("-MD", "-MMD") for a in inv.clang_args):
            return
        if "-MF" not in inv.clang_args:
            inv.clang_args += ["-MF", str(output.with_suffix(".d"))]
        if "-MT" not in inv.clang_args and "-MQ" not in inv.clang_args:
            inv.clang_args += ["-MT", str(output)]


DRIVER_MODULE = "tinyml_build.toolchains.xtensa_cc"


def database_command(command: list[str]) -> list[str]:
    """For compile_commands.json: the clang command equivalent to one driver command line (`python
    -m ...xtensa_cc [options] -- <gcc-style args>`), so clangd parses the file with the flags, the
    headers and the target the driver uses; other command lines are returned unchanged."""
    if DRIVER_MODULE not in command or "--" not in command:
        return command
    split = command.index("--")
    clang = next((o.split("=", 1)[1] for o in command[:split] if o.startswith("--clang=")), "clang-22")
    inv = parse(command[split + 1:])
    return Driver(clang, "").clang_command(inv, ["-c", "-o", inv.output] if inv.output else ["-c"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: python -m tinyml_build.toolchains.xtensa_cc [--clang=PATH] [--mc=PATH] [--verbose] "
              "-- <gcc-style compiler arguments>", file=sys.stderr)
        return 2
    split = argv.index("--")
    options, compiler_args = argv[:split], argv[split + 1:]
    clang, mc, verbose = "clang-22", "llvm-mc-22", False
    for option in options:
        if option.startswith("--clang="):
            clang = option.split("=", 1)[1]
        elif option.startswith("--mc="):
            mc = option.split("=", 1)[1]
        elif option == "--verbose":
            verbose = True
        elif option.startswith("--revision="):
            pass  # only there to make the command (and so each object's signature) follow revision()
        else:
            print(f"xtensa_cc: unknown option {option}", file=sys.stderr)
            return 2
    try:
        return Driver(clang, mc, verbose).run(parse(compiler_args))
    except DriverError as err:
        print(f"xtensa_cc: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
