"""`export` in the build systems it targets, with their own tools: the qemu-m4 export built by CMake
with an arm-none-eabi toolchain file and run in QEMU bit-exact with tflite-micro; the ESP-IDF component
checked and packed by Espressif's component manager; the PlatformIO library packed by `pio pkg pack`.
Each skips, saying what to install, when its tool is missing; all run offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from export_testlib import export, golden_of

from tinyml_build.config.targets import load_target
from tinyml_build.export import layout

TOOLCHAIN_FILE = """set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
"""


def _need(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed (./setup.sh installs it)")


def _qemu_app(plan, inputs: bytes, vectors: int) -> str:
    p = layout.macro_prefix(plan.library)
    data = ", ".join(str(b) for b in inputs)
    return f"""#include <stdint.h>
#include <string.h>

#include "tml_platform.h"
#include "tml_print.h"
#include "{layout.model_header(plan.library)}"

static const uint8_t inputs[] = {{{data}}};

int main(void) {{
  const tml_model_api *api = &{p}_API;
  const uint8_t *in = inputs;
  uint32_t r;
  uint32_t i;
  tml_platform_init();
  if (api->init() != TML_OK) {{
    tml_printf("EXPORT-FAIL init\\n");
    return 1;
  }}
  for (r = 0; r < {vectors}u; ++r) {{
    for (i = 0; i < api->num_inputs; ++i) {{
      memcpy(api->input(i)->data, in, api->input(i)->bytes);
      in += api->input(i)->bytes;
    }}
    if (api->invoke() != TML_OK) {{
      tml_printf("EXPORT-FAIL invoke\\n");
      return 1;
    }}
    for (i = 0; i < api->num_outputs; ++i) {{
      tml_printf("EXPORT-OUT ");
      tml_print_hex_bytes((const uint8_t *)api->output(i)->data, api->output(i)->bytes);
      tml_printf("\\n");
    }}
  }}
  tml_printf("EXPORT-DONE\\n");
  return 0;
}}
"""


@pytest.mark.qemu
@pytest.mark.slow
def test_qemu_m4_export_built_with_cmake_runs_bit_exact(tmp_path):
    _need("cmake", "ninja", "arm-none-eabi-gcc", "qemu-system-arm")
    from tinyml_build.verification.cortex_m_program import ProgramBuilder

    plan, _ = export(tmp_path / "vendor" / "tml_kws", "qemu-m4", "kws")
    (tmp_path / "arm.cmake").write_text(TOOLCHAIN_FILE)
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(fw C)\n"
                                             f"add_subdirectory(\"{plan.folder}\" tml_kws)\n")
    build = tmp_path / "build"
    for command in (["cmake", "-G", "Ninja", "-S", str(tmp_path), "-B", str(build),
                     f"-DCMAKE_TOOLCHAIN_FILE={tmp_path / 'arm.cmake'}"],
                    ["cmake", "--build", str(build), "--target", "tml_kws", "-v"]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "-mcpu=cortex-m4" in result.stdout and "-mfloat-abi=hard" in result.stdout  # the usage requirement
    library = build / "tml_kws" / "libtml_kws.a"
    g = golden_of(plan)
    (tmp_path / "app.c").write_text(_qemu_app(plan, b"".join(b for v in g.vectors for b in v.inputs), len(g.vectors)))
    builder = ProgramBuilder(load_target("qemu-m4"), tmp_path / "program")
    objects = builder.compile([tmp_path / "app.c"], "app", include_dirs=[plan.folder / layout.SRC])
    outcome = builder.run(builder.link(objects + [str(library)], tmp_path / "app.elf"), timeout=60)
    assert "EXPORT-DONE" in outcome.output, outcome.output[-2000:] + outcome.stderr[-2000:]
    got = [line.split()[1].lower() for line in outcome.output.splitlines() if line.startswith("EXPORT-OUT")]
    assert got == [b.hex() for v in g.vectors for b in v.outputs]


def _offline_env(tmp_path: Path) -> dict:
    return {**os.environ, "HOME": str(tmp_path / "home"), "PLATFORMIO_CORE_DIR": str(tmp_path / "pio"),
            "IDF_COMPONENT_CACHE_PATH": str(tmp_path / "idf-cache"), "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
            "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}


def test_idf_component_manager_accepts_and_packs_the_component(tmp_path):
    _need("compote")
    plan, files = export(tmp_path / "tml_kws", "esp32s3", "kws")
    env = _offline_env(tmp_path)
    lint = subprocess.run(["compote", "manifest", "lint", str(plan.folder / layout.IDF_COMPONENT)],
                          capture_output=True, text=True, env=env)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    pack = subprocess.run(["compote", "component", "pack", "--name", plan.library, "--dest-dir",
                           str(tmp_path / "dist")], cwd=plan.folder, capture_output=True, text=True, env=env)
    assert pack.returncode == 0, pack.stdout + pack.stderr
    with tarfile.open(tmp_path / "dist" / f"{plan.library}_0.1.0.tgz") as archive:
        packed = {name.removeprefix("./") for name in archive.getnames()}
    assert set(files) <= packed
    cmake = files[layout.CMAKE].decode()
    assert 'INCLUDE_DIRS "src"' in cmake and all(f'"{s}"' in cmake for s in plan.sources)


def test_platformio_packs_the_library(tmp_path):
    _need("pio")
    plan, files = export(tmp_path / "tml_kws", "esp32s3", "kws")
    # PlatformIO checks "license" against the SPDX list it downloads: offline, that one step is skipped
    # (a copy without the field is packed) and the id is checked here; everything else is pio's check.
    manifest = json.loads(files[layout.LIBRARY_JSON])
    assert manifest.pop("license") == "Apache-2.0"
    copy = tmp_path / "offline" / plan.library
    shutil.copytree(plan.folder, copy)
    (copy / layout.LIBRARY_JSON).write_text(json.dumps(manifest, indent=2) + "\n")
    (tmp_path / "out").mkdir()
    pack = subprocess.run(["pio", "pkg", "pack", "-o", str(tmp_path / "out")], cwd=copy, capture_output=True,
                          text=True, env=_offline_env(tmp_path))
    assert pack.returncode == 0, pack.stdout[-3000:] + pack.stderr[-3000:]
    [tarball] = list((tmp_path / "out").glob("*.tar.gz"))
    with tarfile.open(tarball) as archive:
        packed = set(archive.getnames())
    assert {p for p in files if p.startswith("src/")} <= packed and "library.json" in packed
    properties = dict(line.split("=", 1) for line in files[layout.LIBRARY_PROPERTIES].decode().splitlines())
    assert properties["name"] == plan.library and properties["includes"] == "tml_kws.h"
