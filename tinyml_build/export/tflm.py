"""runtime=tflm's part of an export: which upstream and project files go where in the tree, and the
generated model array, resolver, C API and descriptor.

Why from runtimes/tflm/sources.py: the image build's file list (resolve_sources: core, the model's
kernel files, the kernel library's reached files) is the one answer to "which files a tflm build
needs", so an export and an image cannot disagree; only the platform glue goes back to TFLM's own
debug_log.cc (TflmSources.portable_core), since an export has no platform layer.

Why place headers by the name they are included by: the tree has one include directory (`src/`,
see layout.py). A header found through an include folder as "tensorflow/lite/c/common.h" goes to
`src/tensorflow/lite/c/common.h`; one found beside its includer goes beside the includer's place.
Every quoted include of every shipped file then resolves with `-Isrc` alone, without editing a byte
of upstream code (a header included under two names is shipped twice; its guard makes that harmless).
ESP-NN includes its own headers as `<esp_nn.h>`, `<common_functions.h>`: angle includes found in the
kernel library's include folders are shipped the same way (the C library's are not).

Why a `port/` folder for ESP-NN: its kernel wrappers include ESP-IDF's <esp_timer.h>. Under ESP-IDF
the component takes ESP-IDF's own (PRIV_REQUIRES esp_timer); a header of that name in `src/`, the
public include folder, would shadow it in the user's code, so the stand-in for other builds (a
declaration and a weak esp_timer_get_time() returning 0) lives in `port/`, compiled and searched only
outside ESP-IDF. printf, ESP-NN's other need, is the C library's there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.errors import TinyMLError
from tinyml_build.export import layout
from tinyml_build.export.includes import angle_includes, quoted_includes
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.tflm.sources import GLUE_DIR, TflmSources, load_lock

PORT = "port"  # ESP-IDF's interfaces for builds without ESP-IDF (see the module docstring)
# kernel set -> (tree path, project file) of its port, and the ESP-IDF components it needs instead
PORTS = {"esp-nn": ((f"{PORT}/esp_timer.h", GLUE_DIR / "esp_idf" / "esp_timer.h"),
                    (f"{PORT}/tml_esp_timer_default.c", GLUE_DIR / "tml_esp_timer_default.c"))}
IDF_REQUIRES = {"esp-nn": ("esp_timer",)}

LICENSE_FILE = re.compile(r"(LICENSE|LICENCE|NOTICE|COPYING)(\.[A-Za-z]+)?\Z")
LICENSES_DIR = "licenses"  # licenses/<lock name>/LICENSE...: outside src/, never compiled
# Quoted includes upstream guards out on every build TFLM supports (absl in flatbuffers, Apple's
# and MSVC's headers, TFLite's profiler): named one by one, so any other miss stays an error.
INACTIVE_INCLUDES = frozenset({"absl/base/config.h", "absl/strings/string_view.h", "TargetConditionals.h",
                               "intrin.h", "tensorflow/lite/tensorflow_profiler_logger.h"})


@dataclass(frozen=True)
class TflmExportFiles:
    copied: tuple[tuple[str, Path], ...]  # (tree path, upstream or package file)
    generated: dict[str, str]  # tree path -> text (all but the model array and the descriptor)
    model_data: tuple[str, str]  # tree paths of <name>_model_data.h/.cc
    descriptor: str  # tree path of <name>_model.c (the arena: rendered once the arena is known)
    licenses: tuple[str, ...]
    pins: dict[str, str]  # lock name -> commit
    definitions: tuple[str, ...]
    kernels: str
    # .c/.cc files shipped only because another file #includes them (kissfft's kiss_fft.c inside TFLM's
    # kiss_fft_wrappers): never compiled on their own, as TFLM's Makefile lists them among the headers
    included_only: tuple[str, ...] = ()
    port_sources: tuple[str, ...] = ()  # compiled outside ESP-IDF only, with PORT as a private include folder
    idf_requires: tuple[str, ...] = ()  # ESP-IDF components the sources need under ESP-IDF (PRIV_REQUIRES)


def _place_compiled(path: Path, roots: list[Path], sources: TflmSources | None = None) -> str:
    """Tree path of a compiled upstream or glue file: relative to the first include root holding it;
    a library source under no include root (ESP-NN's src/) goes to src/<lock name>/<path in its tree>."""
    if path.parent == GLUE_DIR:
        return layout.in_src(path.name)
    for root in roots:
        if path.is_relative_to(root):
            return layout.in_src(path.relative_to(root).as_posix())
    if sources is not None and sources.library is not None:
        name, rel = sources.origin(path)
        if name == sources.library.library:
            return layout.in_src(f"{name}/{rel}")
    raise TinyMLError(f"{path} is under no include folder of the tflm build", where="export runtime=tflm",
                      fix="this is a bug in tinyml_build's export: report it")


def placed_closure(start: dict[str, tuple[Path | None, str]], include_dirs: list[Path],
                   provided: set[str], angle_dirs: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Tree path -> file of every header reached from `start` (tree path -> (file or None, text)).

    Quoted includes are looked up as the compiler does (beside the includer, then the include
    folders); a name found nowhere is an error unless INACTIVE_INCLUDES names it. Angle includes
    found in `angle_dirs` (a kernel library's own folders) are placed at src/<name>; others are the
    C library's and the toolchain's.
    """
    placed: dict[str, Path] = {}
    pending = [(place, path, text) for place, (path, text) in sorted(start.items())]
    seen: set[str] = set()
    while pending:
        place, path, text = pending.pop()
        if place in seen:
            continue
        seen.add(place)
        angled = [n for n in angle_includes(text) if n not in provided and any((d / n).is_file() for d in angle_dirs)]
        for name in quoted_includes(text) + angled:
            if name in provided:
                continue
            beside = path.parent / name if path is not None and name not in angled else None
            if beside is not None and beside.is_file():
                header, where = beside, str(Path(place).parent / name)
            else:
                header = next((d / name for d in include_dirs if (d / name).is_file()), None)
                where = layout.in_src(name)
            if header is None:
                if name in INACTIVE_INCLUDES:
                    continue
                raise TinyMLError(f"{place} includes \"{name}\", found in none of the tflm build's folders",
                                  where=str(path or place), fix="this is a bug in tinyml_build's export: report it")
            header = header.resolve()
            where = layout.check_relative(os.path.normpath(where))
            if placed.get(where, header) != header and placed[where].read_bytes() != header.read_bytes():
                raise TinyMLError(f"two different headers would both be {where} in the export", where=str(header),
                                  fix="this is a bug in tinyml_build's export: report it")
            placed.setdefault(where, header)
            pending.append((where, header, header.read_text(encoding="utf-8", errors="replace")))
    return placed


def license_files(sources: TflmSources) -> list[tuple[str, Path]]:
    """(tree path, file) of each upstream tree's LICENSE/NOTICE files at its root."""
    out = []
    for name, tree in sorted(sources.trees.items()):
        for path in sorted(tree.iterdir()):
            if path.is_file() and LICENSE_FILE.match(path.name):
                out.append((f"{LICENSES_DIR}/{name}/{path.name}", path))
        if not any(p.startswith(f"{LICENSES_DIR}/{name}/") for p, _ in out):
            raise TinyMLError(f"the {name} tree has no LICENSE or NOTICE file at its root", where=str(tree),
                              fix="the tree does not match its pin: run `tinyml-build deps status --verify`")
    return out


def plan_tflm_files(config, model, log: bool = False) -> TflmExportFiles:
    """The tflm export's files for a checked BuildConfig with one model (resolves the pinned trees)."""
    from tinyml_build.codegen.model_data import render_model_data
    from tinyml_build.codegen.op_resolver import render_op_resolver
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.tflm import api
    from tinyml_build.runtimes.tflm.plan import STRIP_LOG_DEFINE, TFLM_DEFINES
    from tinyml_build.runtimes.tflm.sources import resolve_sources

    sources = resolve_sources(config.op_names(), config.kernels, dict(config.third_party_overrides))
    roots = list(sources.include_dirs)
    compiled = list(sources.portable_core()) + list(sources.kernel_files) + list(sources.library_files)
    build = sources.library
    placing = roots + ([sources.trees[build.kernel_tree]] if build is not None else [])
    copied = {_place_compiled(p, placing, sources): p for p in compiled}
    name = model.name
    label = name  # one model: the resolver is <name>_op_resolver.h, as the image's for this model alone
    loaded = load_model(Path(model.tflite), name=name)
    data = render_model_data(name, Path(model.tflite).read_bytes(), model.sha256, Path(model.tflite).name)
    generated = {layout.in_src(f"{label}_op_resolver.h"):
                 render_op_resolver(label, config.op_names(), [Path(model.tflite).name], op_uses=config.op_uses()),
                 layout.in_src(api.api_file_name(name)): api.render_api(name, loaded, label),
                 layout.in_src(f"{name}_model_data.h"): data[f"{name}_model_data.h"]}
    provided = {Path(p).name for p in generated} | {api.descriptor_file_name(name)}
    start = {place: (path, path.read_text(encoding="utf-8", errors="replace")) for place, path in copied.items()}
    start.update({place: (None, text) for place, text in generated.items()})
    descriptor_includes = {api.descriptor_file_name(name): "#include \"tml_model_api.h\"\n"}
    start.update({layout.in_src(n): (None, t) for n, t in descriptor_includes.items()})
    library_dirs = tuple(sources.trees[dep] / sub for dep, sub in build.include_dirs) if build is not None else ()
    headers = placed_closure(start, roots + [GLUE_DIR, API_INCLUDE_DIR], provided, angle_dirs=library_dirs)
    included_only = tuple(sorted(p for p in headers if p.endswith((".c", ".cc", ".cpp")) and p not in copied))
    copied.update(headers)
    licenses = license_files(sources)
    copied.update(dict(licenses))
    port = PORTS.get(sources.kernels, ())
    copied.update(dict(port))
    lock = load_lock()
    # TFLM's defines are usage requirements: the tensor structs' layout depends on TF_LITE_STATIC_MEMORY.
    definitions = TFLM_DEFINES + (() if log else (STRIP_LOG_DEFINE,)) + tuple(sources.defines)
    return TflmExportFiles(copied=tuple(sorted(copied.items())), generated=generated,
                           model_data=(layout.in_src(f"{name}_model_data.h"), layout.in_src(f"{name}_model_data.cc")),
                           descriptor=layout.in_src(api.descriptor_file_name(name)),
                           licenses=tuple(p for p, _ in licenses),
                           pins={n: lock.get(n).commit for n in sorted(sources.trees)},
                           definitions=definitions, kernels=sources.kernels, included_only=included_only,
                           port_sources=tuple(p for p, _ in port if p.endswith(".c")),
                           idf_requires=IDF_REQUIRES.get(sources.kernels, ()))
