"""Which upstream files a runtime=tflm image compiles, derived from the resolved trees by rule.

Why by rule: a file list copied from TFLM's Makefile would drift with every pin. The trees come
from the resolver (tinyml_build.third_party: an explicit path, else the verified cache; never the
network), and the lists are computed from what is in them, in well under a second.

The rules (see tinyml_build/runtimes/tflm/README.md):
  core     TFLM's framework, as its Makefile's MICROLITE_CC_BASE_SRCS minus tests: every .cc
           in tensorflow/lite/micro/, arena_allocator/, memory_planner/, tflite_bridge/, plus
           the shared TFLite files (every .cc/.c under tensorflow/ outside lite/micro/ and
           lite/experimental/), minus tests (*_test.cc), test helpers (test_helpers*.cc,
           test_helper_custom_ops.cc, mock_micro_graph.cc, fake_micro_context.cc) and
           lite/array.cc (excluded under TF_LITE_STATIC_MEMORY, as TFLM does). debug_log.cc is
           replaced by the project's own (it prints through the platform console instead of
           newlib's stdio), as TFLM's target folders replace it; the arena probe's checked
           allocator (tml_tflm_checked_arena.cc) is added. Compression stays off: no
           USE_TFLM_COMPRESSION, so no decode code is compiled unless a model has TFLM_DECODE.
  kernels  exactly op_inventory.kernel_sources(ops, kernels): the model's ops only, an
           optimized file in place of its reference twin.
  library  for an optimized kernel set, only the library's source files whose functions the
           chosen kernel files reach (a closure over function names; see library_closure).
           ESP-NN's kernel files come from espressif/esp-tflite-micro (KernelLibraryBuild.kernel_tree),
           with the project's ESP-IDF shim (KernelLibraryBuild.glue).
The core does not depend on the kernel set (no core file includes a header that tests
CMSIS_NN or ESP_NN; tests/test_tflm_sources.py checks it), so its objects are shared by all
kernel sets of a target.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tinyml_build.analysis import op_inventory
from tinyml_build.errors import TinyMLError
from tinyml_build.third_party import Lock, MissingSourceError, resolve
from tinyml_build.third_party import load_lock as _load_lock

PACKAGE_DIR = Path(__file__).resolve().parent
GLUE_DIR = PACKAGE_DIR / "src"  # the project's own C/C++ for the tflm runtime
PLATFORM_GLUE = GLUE_DIR / "tml_tflm_platform.cc"

TFLM = "tflite-micro"
BASE_DEPENDENCIES = (TFLM, "flatbuffers", "gemmlowp", "ruy")  # every tflm image: framework + its headers

# Folders of TFLM's framework core, relative to the TFLM tree (non-recursive).
_CORE_DIRS = ("tensorflow/lite/micro", "tensorflow/lite/micro/arena_allocator",
              "tensorflow/lite/micro/memory_planner", "tensorflow/lite/micro/tflite_bridge")
# The shared TFLite sources: everything under tensorflow/ except these two subtrees.
_SHARED_ROOT = "tensorflow"
_SHARED_PRUNE = ("tensorflow/lite/micro", "tensorflow/lite/experimental")
_NOT_CORE = re.compile(r"(_test\.cc|/test_helpers[^/]*\.cc|/test_helper_custom_ops\.cc|/mock_micro_graph\.cc"
                       r"|/fake_micro_context\.cc)\Z")
_STATIC_MEMORY_EXCLUDED = ("tensorflow/lite/array.cc",)  # TFLM drops it when TF_LITE_STATIC_MEMORY is set
_REPLACED = {"tensorflow/lite/micro/debug_log.cc": PLATFORM_GLUE}
# The project's own additions to the core: the arena probe's checked allocator (unused by final
# images, so the linker drops it there).
GLUE_SOURCES = (GLUE_DIR / "tml_tflm_checked_arena.cc",)


@dataclass(frozen=True)
class KernelLibraryBuild:
    """How an optimized kernel set is compiled: which pinned trees, defines and include dirs."""

    name: str  # kernels= value
    library: str  # the lock dependency holding the optimized library's own code
    dependencies: tuple[str, ...]  # lock dependencies, library first
    defines: tuple[str, ...]
    source_dir: str  # inside `library`: where its .c files are
    header_dir: str  # inside `library`: its public headers (inline functions count as reachable code)
    include_dirs: tuple[tuple[str, str], ...]  # (dependency, folder inside it)
    excluded: str  # regex of library sources never compiled (float variants TFLM disables)
    kernel_tree: str = "tflite-micro"  # the lock dependency whose tree ships the library's kernel files
    glue: tuple[str, ...] = ()  # the project's own sources (in src/) the kernel files need from their platform
    glue_include: str = ""  # folder in src/ with the headers those kernel files include from their platform


# Per optimized kernel set, what TFLM's make/ext_libs/<lib>.inc does, expressed as data.
# CMSIS-NN: TFLM builds it with ARM_NN_ENABLE_F16=0/F32=0 and adds CMSIS(-6) Core to the include
# path (its cmsis_nn kernels use CMSIS-relative includes); the float (_f16/_f32) sources are not built.
LIBRARY_BUILDS: Mapping[str, KernelLibraryBuild] = {
    "cmsis-nn": KernelLibraryBuild(
        name="cmsis-nn", library="cmsis-nn", dependencies=("cmsis-nn", "cmsis-6"),
        defines=("ARM_NN_ENABLE_F16=0", "ARM_NN_ENABLE_F32=0"),
        source_dir="Source",
        header_dir="Include",
        include_dirs=(("cmsis-6", ""), ("cmsis-nn", ""), ("cmsis-6", "CMSIS/Core/Include"), ("cmsis-nn", "Include")),
        excluded=r"(_f16|_f32|/arm_nntables_flt)\.c\Z",
    ),
    # ESP-NN: the kernel wrappers are espressif/esp-tflite-micro's esp_nn/*.cc (its CMakeLists.txt adds
    # -DESP_NN and drops their reference twins), compiled against OUR TFLM tree. The library is built as
    # esp-nn's CMakeLists.txt builds it for a chip that is neither ESP32-S3 nor ESP32-P4 (the ESP32-C3):
    # the portable C sources only (c_srcs; the _esp32s3/_esp32p4 files are those chips' own), with
    # CONFIG_NN_OPTIMIZED, ESP-IDF's Kconfig default (NN_OPTIMIZED), under which esp_nn.h maps the
    # entry points to esp_nn_generic_opt.h's choice (conv, depthwise conv and softmax: the _opt C
    # versions; the rest: _ansi). CONFIG_NN_SKIP_NUDGE (Kconfig default n; not bit-exact) stays off.
    # What they need from ESP-IDF, esp_timer_get_time() and a console printf, comes from the project's shim.
    "esp-nn": KernelLibraryBuild(
        name="esp-nn", library="esp-nn", dependencies=("esp-nn", "esp-tflite-micro"),
        defines=("CONFIG_NN_OPTIMIZED=1",),
        source_dir="src",
        header_dir="include",
        include_dirs=(("esp-nn", "include"), ("esp-nn", "src/common")),
        excluded=r"_esp32(s3|p4)\.c\Z",
        kernel_tree="esp-tflite-micro",
        glue=("tml_esp_printf.c", "tml_esp_timer.c"),
        glue_include="esp_idf",
    ),
}

# Include folders of the base dependencies, as TFLM's Makefile lists them.
_BASE_INCLUDES = ((TFLM, ""), ("flatbuffers", "include"), ("gemmlowp", ""), ("ruy", ""))
# Include folders of the ops' own third-party needs (op_inventory third_party=), as TFLM's Makefile
# lists them (-I$(DOWNLOADS_DIR)/kissfft): its kiss_fft_wrappers #include "kiss_fft.c" and
# "tools/kiss_fftr.c" from there, so kissfft is compiled inside TFLM's files, never on its own.
_OP_NEED_INCLUDES = {"kissfft": ""}


@dataclass(frozen=True)
class TflmSources:
    """Everything one tflm build compiles from upstream, resolved to paths on this machine."""

    kernels: str
    trees: Mapping[str, Path]  # lock name -> resolved tree
    how: Mapping[str, str]  # lock name -> 'cache' or 'explicit'
    core: tuple[Path, ...]
    kernel_files: tuple[Path, ...]
    library_files: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    glue_files: tuple[Path, ...]  # the project's own sources the kernel set needs (KernelLibraryBuild.glue)
    defines: tuple[str, ...]  # kernel-set defines (CMSIS_NN, ...); the core needs none of them
    library: KernelLibraryBuild | None

    def origin(self, path: Path) -> tuple[str, str]:
        """(lock name or 'tinyml_build', POSIX path inside it) of a compiled file."""
        path = Path(path)
        for name, tree in self.trees.items():
            try:
                return name, path.relative_to(tree).as_posix()
            except ValueError:
                continue
        try:
            return "tinyml_build", path.relative_to(PACKAGE_DIR.parents[1]).as_posix()
        except ValueError:
            raise TinyMLError(f"{path} is in no resolved source tree", where="runtime=tflm") from None

    def portable_core(self) -> tuple[Path, ...]:
        """The core as upstream ships it, for a build outside our platform layer (export): the image's
        core with TFLM's own debug_log.cc back in place of the platform glue (which prints through the
        project's console). Derived from `core`, so an image and an export cannot disagree otherwise."""
        back = {glue: self.trees[TFLM] / rel for rel, glue in _REPLACED.items()}
        return tuple(back.get(p, p) for p in self.core)

    def prefix_maps(self) -> tuple[str, ...]:
        """-ffile-prefix-map flags that turn each tree's path into its lock name (no cache path in
        objects, debug info or __FILE__ strings)."""
        return tuple(f"-ffile-prefix-map={tree}={name}" for name, tree in sorted(self.trees.items()))


# --- resolution ----------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def load_lock(path: Path | None = None) -> Lock:
    """third_party/lock.yaml, parsed once per process (a build asks for it several times)."""
    return _load_lock(path)


def required_dependencies(op_names: Iterable[str], kernels: str, lock: Lock | None = None) -> list[str]:
    """Lock names a tflm build of these ops with `kernels` needs; TinyMLError for unpinned needs."""
    lock = lock or load_lock()
    needs = list(BASE_DEPENDENCIES)
    if kernels != op_inventory.REFERENCE:
        library = op_inventory.KERNEL_LIBRARIES[kernels]
        build = LIBRARY_BUILDS.get(kernels)
        if build is None or _lock_name(lock, library.source_tree) is None:
            pinned = [n for n in (_lock_name(lock, r) for r in library.requires) if n]
            missing = [r for r in (library.source_tree, *library.requires) if _lock_name(lock, r) is None]
            raise TinyMLError(
                f"kernels={kernels} cannot be built by runtime=tflm: its kernels come from {library.source_tree} and "
                f"need {', '.join(library.requires)}; third_party/lock.yaml does not pin "
                f"{', '.join(missing) or library.source_tree}" + (f" (it pins {', '.join(pinned)})" if pinned else ""),
                where=f"kernels={kernels}",
                fix=f"use kernels={op_inventory.REFERENCE}, or runtime=aot")
        needs += [d for d in build.dependencies if d not in needs]
    for need in op_inventory.third_party_needs(op_names, op_inventory.REFERENCE):
        name = _lock_name(lock, need)
        if name is None:
            ops = sorted(op.name for op in op_inventory.lookup_all(op_names) if need in op.third_party)
            raise TinyMLError(f"operator(s) {', '.join(ops)} need {need}, which third_party/lock.yaml does not pin",
                              where="runtime=tflm", fix="use runtime=aot, or a model without these operators")
        needs.append(name)
    return needs


def _lock_name(lock: Lock, requirement: str) -> str | None:
    """The lock entry an op_inventory requirement ('owner/repo' or a lock name) refers to."""
    wanted = requirement.lower()
    for dep in lock.dependencies:
        repo = dep.repository.lower().removeprefix("https://github.com/").removesuffix(".git")
        if wanted in (dep.name, repo):
            return dep.name
    return None


def resolve_trees(names: Iterable[str], overrides: Mapping[str, str] | None = None, env=None,
                  lock: Lock | None = None) -> tuple[dict[str, Path], dict[str, str]]:
    """({name: tree}, {name: 'cache'|'explicit'}); MissingSourceError (the resolver's) for the first missing one."""
    from tinyml_build.third_party.resolve import locate

    lock = lock or load_lock()
    trees, how = {}, {}
    for name in names:
        dep = lock.get(name)
        trees[name] = resolve(dep, overrides, env)
        how[name] = locate(dep, overrides, env).how
    return trees, how


def resolve_sources(op_names: Iterable[str], kernels: str, overrides: Mapping[str, str] | None = None,
                    env=None, lock: Lock | None = None) -> TflmSources:
    """The complete source plan of a tflm build; raises TinyMLError (MissingSourceError when a tree is absent)."""
    op_names = sorted(set(op_names))
    lock = lock or load_lock()
    trees, how = resolve_trees(required_dependencies(op_names, kernels, lock), overrides, env, lock)
    tflm = trees[TFLM]
    build = LIBRARY_BUILDS.get(kernels)
    kernel_files = tuple(_existing(_kernel_tree(rel, kernels, build, trees), rel, "kernel source")
                         for rel in op_inventory.kernel_sources(op_names, kernels))
    library_files: tuple[Path, ...] = ()
    glue_files: tuple[Path, ...] = ()
    defines: tuple[str, ...] = ()
    includes = [trees[dep] / sub for dep, sub in _BASE_INCLUDES]
    includes += [trees[dep] / _OP_NEED_INCLUDES[dep] for dep in trees if dep in _OP_NEED_INCLUDES]
    if build is not None:
        defines = op_inventory.KERNEL_LIBRARIES[kernels].defines + build.defines
        includes += [trees[dep] / sub for dep, sub in build.include_dirs]
        includes += [GLUE_DIR / build.glue_include] if build.glue_include else []
        library_files = tuple(library_closure(trees[build.library] / build.source_dir, build.excluded,
                                              trees[build.library] / build.header_dir, kernel_files))
        glue_files = tuple(GLUE_DIR / name for name in build.glue)
    return TflmSources(kernels=kernels, trees=trees, how=how, core=tuple(core_sources(tflm)),
                       kernel_files=kernel_files, library_files=library_files,
                       include_dirs=tuple(_unique(Path(os.path.normpath(p)) for p in includes)),
                       glue_files=glue_files, defines=defines, library=build)


def _kernel_tree(rel: str, kernels: str, build: KernelLibraryBuild | None, trees: Mapping[str, Path]) -> Path:
    """The tree that ships kernel file `rel`: the library's own kernel tree for its optimized files
    (esp-tflite-micro's esp_nn/), TFLM's for every reference kernel."""
    if build is not None and rel.startswith(op_inventory.KERNEL_LIBRARIES[kernels].directory + "/"):
        return trees[build.kernel_tree]
    return trees[TFLM]


def missing_reason(op_names: Iterable[str], kernels: str, overrides=None, env=None) -> str | None:
    """None when a tflm build would resolve, else the first line of why not (for runtime=auto)."""
    try:
        lock = load_lock()
        resolve_trees(required_dependencies(op_names, kernels, lock), overrides, env, lock)
    except TinyMLError as exc:
        return exc.what
    return None


def _existing(tree: Path, rel: str, what: str) -> Path:
    path = tree / rel
    if not path.is_file():
        raise MissingSourceError(f"{what} {rel} is not in {tree}",
                                 fix="the tree does not match the pinned commit: "
                                     "run `tinyml-build deps status --verify`")
    return path


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen, out = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# --- the core ------------------------------------------------------------------------------------

def core_sources(tflm: Path) -> list[Path]:
    """TFLM's framework core in a TFLM tree, by the rule in the module docstring, sorted."""
    tflm = Path(tflm)
    if not (tflm / "tensorflow/lite/micro/micro_interpreter.cc").is_file():
        raise MissingSourceError(f"{tflm} is not a tflite-micro tree (no tensorflow/lite/micro/micro_interpreter.cc)",
                                 fix="point tflite_micro_path= (or TINYML_TFLITE_MICRO_PATH) "
                                     "at a tflite-micro checkout")
    found = set()
    for folder in _CORE_DIRS:
        found.update(f"{folder}/{p.name}" for p in (tflm / folder).glob("*.cc") if p.is_file())
    root = tflm / _SHARED_ROOT
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(tflm).as_posix()
        dirnames[:] = sorted(d for d in dirnames if f"{rel_dir}/{d}" not in _SHARED_PRUNE)
        found.update(f"{rel_dir}/{f}" for f in filenames if f.endswith((".cc", ".c")))
    chosen = sorted(rel for rel in found if not _NOT_CORE.search("/" + rel) and rel not in _STATIC_MEMORY_EXCLUDED)
    return [_REPLACED.get(rel, tflm / rel) for rel in chosen] + list(GLUE_SOURCES)


# --- optimized library: only what the kernels reach -----------------------------------------------

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_ATTRIBUTE = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)")
# A function definition starting in column 0 (C style of CMSIS-NN): return type, name, parameter
# list, then '{' -- a prototype ends in ';', a call is indented, a preprocessor line starts with '#'.
_DEFINITION = re.compile(r"^(?=[A-Za-z_])([^;{}()=#]*?)\b([A-Za-z_]\w*)\s*\(([^;{}#]*?)\)\s*\{", re.M | re.S)
# A global variable definition with an initializer in column 0, e.g. `const q15_t table[256] = {`.
_DATA_DEFINITION = re.compile(r"^(?=[A-Za-z_])([^;{}()=#]*?)\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*=", re.M)
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
# `#define esp_nn_conv_s8 esp_nn_conv_s8_opt`: a header that picks an implementation by macro.
_ALIAS = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([A-Za-z_]\w*)[ \t]*$", re.M)
_NOT_NAMES = frozenset("if else for while do switch case return sizeof goto typedef struct enum union".split())
_INLINE = re.compile(r"\b(?:static\s+inline|__STATIC_FORCEINLINE|__STATIC_INLINE)\b"
                     r"[^{;]*?\b([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*\{", re.S)


@dataclass(frozen=True)
class _LibraryIndex:
    defined_in: Mapping[str, Path]  # external function -> the source file that defines it
    uses: Mapping[Path, frozenset[str]]  # source file -> identifiers it names (not its own functions)
    inline_uses: Mapping[str, frozenset[str]]  # header inline function -> identifiers its body names


def _read_code(path: Path) -> str:
    """The file without comments and GCC attributes (ESP-NN writes `__attribute__ ((noinline))` on the
    line before a definition, which would otherwise read as a function named __attribute__)."""
    return _ATTRIBUTE.sub(" ", _COMMENT.sub(" ", path.read_text(encoding="utf-8", errors="replace")))


def _body_end(text: str, open_brace: int) -> int:
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


@lru_cache(maxsize=8)
def _library_index(source_dir: Path, excluded: str, include_root: Path) -> _LibraryIndex:
    skip = re.compile(excluded)
    defined_in: dict[str, Path] = {}
    uses: dict[Path, frozenset[str]] = {}
    for path in sorted(Path(source_dir).rglob("*.c")):
        if skip.search(path.as_posix()):
            continue
        text = _read_code(path)
        own = {m.group(2) for pattern in (_DEFINITION, _DATA_DEFINITION) for m in pattern.finditer(text)
               if "static" not in m.group(1).split() and m.group(2) not in _NOT_NAMES}
        for name in own:
            if name in defined_in:
                raise TinyMLError(f"{name} is defined in both {defined_in[name]} and {path}", where=str(source_dir))
            defined_in[name] = path
        uses[path] = frozenset(set(_IDENT.findall(text)) - own)
    inline_uses: dict[str, frozenset[str]] = {}
    for header in sorted(Path(include_root).rglob("*.h")):
        text = _read_code(header)
        for m in _ALIAS.finditer(text):  # ESP-NN names its per-chip choice by macro: a use of either name
            inline_uses[m.group(1)] = inline_uses.get(m.group(1), frozenset()) | {m.group(2)}
        for m in _INLINE.finditer(text):
            body = text[m.end() - 1:_body_end(text, m.end() - 1)]
            if m.group(1) not in _NOT_NAMES:
                inline_uses[m.group(1)] = frozenset(_IDENT.findall(body))
    return _LibraryIndex(defined_in, uses, inline_uses)


def library_closure(source_dir: Path, excluded: str, include_root: Path, roots: Iterable[Path]) -> list[Path]:
    """The library's .c files whose functions or tables `roots` (kernel files) reach, directly,
    through other library files, or through the bodies of the library headers' inline functions.

    Text-level and conservative (preprocessor branches are not evaluated, so a function
    named only under another architecture's #if is still compiled); the link is the final check:
    a function missed here is an undefined reference, never a silent fallback.
    """
    index = _library_index(Path(source_dir), excluded, Path(include_root))
    pending = set()
    for root in roots:
        pending.update(_IDENT.findall(_read_code(Path(root))))
    seen_names: set[str] = set()
    files: set[Path] = set()
    while pending:
        name = pending.pop()
        if name in seen_names:
            continue
        seen_names.add(name)
        if name in index.inline_uses:
            pending.update(index.inline_uses[name] - seen_names)
        path = index.defined_in.get(name)
        if path is not None and path not in files:
            files.add(path)
            pending.update(index.uses[path] - seen_names)
    return sorted(files)
