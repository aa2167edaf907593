"""Build small firmware images without SCons: the platform layer, the test application, a
hand-written model (fixtures/firmware/add_one_model.c) and test vectors from a Golden.

Why: the platform layer (startup, consoles, timer, fault handler, exit status) and the QEMU
runner are tested on a model whose behaviour the test controls -- including crashing and
hanging -- independently of the aot runtime.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml_build.verification import app_sources
from tinyml_build.image.link import link
from tinyml_build.image.plan import API_INCLUDE_DIR
from tinyml_build.verification.test_vectors import render_model_table, render_test_vectors
from tinyml_build.verification.golden import Golden, GoldenVector, TensorSpec
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SRC
from tinyml_build.platform import platform_sources
from tinyml_build.platform.board_header import render_board_header
from tinyml_build.platform.linker_script import render_linker_script
from tinyml_build.config.targets import load_target
from tinyml_build.toolchains.arm_gcc import find_toolchain, firmware_flags

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "firmware"
PROJECT_DIR = Path(__file__).resolve().parents[1]
ADD_ONE_SIZE = 16


def add_one_golden(vectors: int = 3, seed: int = 7, corrupt: bool = False) -> Golden:
    """Golden data for add_one: output = input + 1 (int8, wrapping); `corrupt` breaks one byte."""
    rng = np.random.default_rng(seed)
    spec = TensorSpec("x", "int8", (1, ADD_ONE_SIZE), ADD_ONE_SIZE)
    out = []
    for k in range(vectors):
        x = rng.integers(-128, 127, size=ADD_ONE_SIZE, endpoint=True).astype(np.int8)
        y = (x.astype(np.int16) + 1).astype(np.int8)
        y_bytes = bytearray(y.tobytes())
        if corrupt and k == vectors - 1:
            y_bytes[5] ^= 0x10
        out.append(GoldenVector(f"fixture #{k}", (x.tobytes(),), (bytes(y_bytes),)))
    return Golden("add_one", "0" * 64, "fixture", seed, (spec,), (TensorSpec("y", "int8", (1, ADD_ONE_SIZE), ADD_ONE_SIZE),),
                  tuple(out))


@dataclass
class FixtureBuilder:
    """Compiles each target's platform + application once, then links model variants against it."""

    root: Path

    def __post_init__(self):
        self.toolchain = find_toolchain()
        self._platform: dict[str, list[str]] = {}

    def _compile(self, target, sources: list[Path], out_dir: Path, include_dirs: list[Path], defines=()) -> list[str]:
        flags = firmware_flags(target, PROJECT_DIR)
        objects = []
        for src in sources:
            obj = out_dir / f"{src.stem}.o"
            cmd = [str(self.toolchain.gcc), *flags.arch, *flags.common, *flags.path_maps, *flags.c, flags.framework_optimization,
                   *[f"-I{d}" for d in include_dirs], *[f"-D{d}" for d in defines], "-c", str(src), "-o", str(obj)]
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            objects.append(str(obj))
        return objects

    def _target_dir(self, name: str) -> Path:
        return self.root / name

    def platform_objects(self, name: str) -> list[str]:
        if name not in self._platform:
            target = load_target(name)
            base = self._target_dir(name)
            (base / "include").mkdir(parents=True, exist_ok=True)
            (base / "include" / "tml_board.h").write_text(render_board_header(target))
            (base / "firmware.ld").write_text(render_linker_script(target))
            (base / "firmware-sizing.ld").write_text(render_linker_script(target, relaxed=True))
            for part in ("platform", "app"):  # the folder names the size report attributes objects by
                (base / part).mkdir(exist_ok=True)
            self._platform[name] = (self._compile(target, platform_sources(target), base / "platform", self.include_dirs(name))
                                    + self._compile(target, app_sources(), base / "app", self.include_dirs(name)))
        return self._platform[name]

    def include_dirs(self, name: str) -> list[Path]:
        return [self._target_dir(name) / "include", PLATFORM_SRC, app_sources()[0].parent, API_INCLUDE_DIR]

    def image(self, name: str, variant: str, golden: Golden, defines=()) -> Path:
        """Link add_one (with `defines`) and `golden`'s test vectors into <root>/<target>/<variant>/firmware.elf."""
        target = load_target(name)
        objects = self.platform_objects(name)
        out = self._target_dir(name) / variant
        out.mkdir(parents=True, exist_ok=True)
        (out / "add_one_test_vectors.c").write_text(render_test_vectors(golden))
        (out / "tml_test_models.c").write_text(render_model_table(["add_one"]))
        own = self._compile(target, [FIXTURES / "add_one_model.c", out / "add_one_test_vectors.c",
                                     out / "tml_test_models.c"], out, self.include_dirs(name), defines)
        base = self._target_dir(name)
        elf = out / "firmware.elf"
        link(self.toolchain, firmware_flags(target, PROJECT_DIR), target, objects + own, str(elf),
             str(out / "firmware.map"), str(base / "firmware.ld"), str(base / "firmware-sizing.ld"))
        return elf
