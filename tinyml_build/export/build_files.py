"""The build-system files of an export: CMake (+ ESP-IDF), Make, PlatformIO, Arduino, and its README.

Why generated together from one description: every build system must compile the same sources with
the same include directory and flags; each file is a view of the same BuildDescription, so they
cannot disagree. Sources are listed explicitly (no globbing): the export is exactly what the
manifest says. JSON goes through tinyml_build.escape.json_text; every other string here is made of
the checked C name, the target's checked name, fixed text and the package's own file names.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyml_build import __version__
from tinyml_build.codegen.templating import render
from tinyml_build.config.build_config import ESP_NN_ASSEMBLY_CHIPS
from tinyml_build.escape import json_text
from tinyml_build.export import layout
from tinyml_build.export.flags import ExportFlags

LICENSE = "Apache-2.0"  # tinyml_build's license: the generated code and the aot kernels
# ESP-IDF components that hold their own TFLM or ESP-NN (the registry's espressif/esp-tflite-micro and
# espressif/esp-nn, named espressif__<name> in a build, or a local copy): with a runtime=tflm export in
# the same build, tflite:: and esp_nn_* would be defined twice, so its CMakeLists.txt refuses the pair.
IDF_DUPLICATES = ("esp-tflite-micro", "esp-nn")


def cmake_options(flags: tuple[str, ...]) -> tuple[str, ...]:
    """Flags as CMake option items: CMake drops repeated items of an option list, so each `-Xclang`
    option with its `-Xclang` argument (`-Xclang -target-feature -Xclang +fp`, clang-xtensa's arch
    flags) is one `SHELL:` item, which CMake splits back into its words."""
    out: list[str] = []
    i = 0
    while i < len(flags):
        if flags[i] == "-Xclang" and i + 1 < len(flags):
            group = list(flags[i:i + 2])
            i += 2
            if group[1].startswith("-") and flags[i:i + 1] == ("-Xclang",) and i + 1 < len(flags) \
                    and not flags[i + 1].startswith("-"):
                group += flags[i:i + 2]
                i += 2
            out.append("SHELL:" + " ".join(group))
        else:
            out.append(flags[i])
            i += 1
    return tuple(out)


@dataclass(frozen=True)
class BuildDescription:
    library: str
    model_name: str
    sha256: str
    runtime: str
    target: str
    sources: tuple[str, ...]  # tree-relative, compiled
    flags: ExportFlags
    arena_bytes: int
    model_bytes: int
    definitions: tuple[str, ...] = ()  # public preprocessor definitions (NAME or NAME=VALUE)
    licenses: tuple[str, ...] = ()  # tree-relative license files of upstream components
    pins: tuple[str, ...] = ()  # 'name commit' of upstream sources (runtime=tflm)
    libraries: tuple[str, ...] = ()  # system libraries the sources call into ("m": libm's sinf, expf, ...)
    arena_source: str = ""  # runtime=tflm: how the arena was obtained (arena=<bytes>, or the probe's decision)
    arena_on_host: bool = False  # that probe ran natively on the build machine (target=host)
    port_sources: tuple[str, ...] = ()  # tree-relative, compiled only outside ESP-IDF (export/tflm.py PORT)
    port_include: str = ""  # their private include folder
    idf_requires: tuple[str, ...] = ()  # ESP-IDF components the sources need there (PRIV_REQUIRES)
    url: str = ""  # a page about the model or its runtime (render.library_url)
    kernels: str = ""  # runtime=tflm's kernel set

    @property
    def cxx(self) -> bool:
        return any(s.endswith((".cc", ".cpp")) for s in self.sources)

    @property
    def context(self) -> dict:
        private_c = self.flags.private
        no_std = tuple(f for f in private_c if not f.startswith("-std="))
        return dict(lib=self.library, name=self.model_name, sha256=self.sha256, runtime=self.runtime,
                    target=self.target, sources=self.sources, include_dir=layout.SRC, arch=self.flags.arch,
                    toolchain=self.flags.toolchain, private=private_c,
                    cmake_private=no_std, definitions=self.definitions, private_cxx=no_std + self.flags.cxx,
                    cxx_only=tuple(f for f in self.flags.cxx if not f.startswith("-std=")),
                    idf_private=no_std, cxx=self.cxx,
                    languages="C CXX" if self.cxx else "C", prefix=layout.macro_prefix(self.library),
                    mk=layout.make_fragment(self.library), header=layout.model_header(self.library),
                    version=__version__, license=LICENSE, arena_bytes=self.arena_bytes,
                    model_bytes=self.model_bytes, licenses=self.licenses, pins=self.pins,
                    cmake=layout.CMAKE, manifest=layout.MANIFEST, readme=layout.README, libraries=self.libraries,
                    arena_source=self.arena_source, arena_on_host=self.arena_on_host,
                    link_arch=self.flags.link_arch, cmake_arch=cmake_options(self.flags.arch),
                    cmake_link_arch=cmake_options(self.flags.link_arch), port_sources=self.port_sources,
                    port_include=self.port_include,
                    idf_requires=self.idf_requires, idf_duplicates=IDF_DUPLICATES, url=self.url,
                    kernels=self.kernels, esp_nn_assembly_chip=self.target in ESP_NN_ASSEMBLY_CHIPS)


def library_json(d: BuildDescription) -> str:
    """PlatformIO's library.json: sources and headers from src/, the private flags, nothing else built."""
    flags = [f for f in d.flags.private if not (d.cxx and f.startswith("-std="))]
    cxx = [f for f in d.flags.cxx if not f.startswith("-std=")]  # C++ only: PlatformIO's build.flags
    # reach C too, where GCC warns about them; CXXFLAGS via an extra script would not pack offline.
    data = {
        "name": d.library,
        "version": __version__,
        "description": f"Model {d.model_name} (runtime={d.runtime}) as C code, generated by tinyml_build",
        "keywords": ["tinyml", "tflite", "machine-learning"],
        "license": LICENSE,
        "frameworks": "*",
        "platforms": "*",
        "headers": [layout.model_header(d.library), "tml_model_api.h"],
        "build": {
            "srcDir": layout.SRC,
            "includeDir": layout.SRC,
            "flags": flags + cxx + [f"-D{x}" for x in d.definitions],
            "srcFilter": ["-<*>"] + [f"+<{s[len(layout.SRC) + 1:]}>" for s in d.sources],
        },
        "export": {"include": [layout.SRC, layout.MANIFEST, layout.README, layout.LIBRARY_JSON]},
    }
    if d.url:
        data["homepage"] = d.url
    return json_text(data, indent=2, sort_keys=False) + "\n"


def build_files(d: BuildDescription) -> dict[str, str]:
    """File name (tree-relative) -> text of every build-system file and the README."""
    ctx = d.context
    return {
        layout.CMAKE: render("export_CMakeLists.txt.j2", **ctx),
        layout.make_fragment(d.library): render("export_fragment.mk.j2", **ctx),
        layout.IDF_COMPONENT: render("export_idf_component.yml.j2", **ctx),
        layout.LIBRARY_JSON: library_json(d),
        layout.LIBRARY_PROPERTIES: render("export_library.properties.j2", **ctx),
        layout.README: render("export_README.md.j2", **ctx),
    }
