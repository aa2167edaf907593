"""Build small firmware images without SCons: the platform layer, the test application, a
hand-written model (fixtures/firmware/add_one_model.c) and test vectors from a Golden.

Why: the platform layer (startup, consoles, timer, fault handler, exit status) and the QEMU
runner are tested on a model whose behaviour the test controls -- including crashing and
hanging -- independently of the aot runtime. The compiling and linking are
tinyml_build.verification.cortex_m_program's, the image's own flags and linker script.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml_build.config.targets import load_target
from tinyml_build.toolchains.arm_gcc import find_toolchain
from tinyml_build.verification import SOURCE_DIR as APP_SOURCE_DIR
from tinyml_build.verification import app_sources
from tinyml_build.verification.cortex_m_program import ProgramBuilder
from tinyml_build.verification.golden import Golden, GoldenVector, TensorSpec
from tinyml_build.verification.test_vectors import render_model_table, render_test_vectors

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "firmware"
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
    return Golden("add_one", "0" * 64, "fixture", seed, (spec,),
                  (TensorSpec("y", "int8", (1, ADD_ONE_SIZE), ADD_ONE_SIZE),), tuple(out))


@dataclass
class FixtureBuilder:
    """Compiles each target's platform + application once, then links model variants against it."""

    root: Path

    def __post_init__(self):
        self.toolchain = find_toolchain()
        self._builders: dict[str, ProgramBuilder] = {}
        self._app: dict[str, list[str]] = {}

    def _builder(self, name: str) -> ProgramBuilder:
        """<root>/<target>/: platform/ and app/, the folder names the size report attributes objects by."""
        if name not in self._builders:
            builder = ProgramBuilder(load_target(name), self.root / name, self.toolchain)
            self._app[name] = builder.compile(app_sources(), "app", include_dirs=[APP_SOURCE_DIR])
            self._builders[name] = builder
        return self._builders[name]

    def image(self, name: str, variant: str, golden: Golden, defines=()) -> Path:
        """Link add_one (with `defines`) and `golden`'s test vectors into <root>/<target>/<variant>/firmware.elf."""
        builder = self._builder(name)
        out = builder.root / variant
        out.mkdir(parents=True, exist_ok=True)
        (out / "add_one_test_vectors.c").write_text(render_test_vectors(golden))
        (out / "tml_test_models.c").write_text(render_model_table(["add_one"]))
        own = builder.compile([FIXTURES / "add_one_model.c", out / "add_one_test_vectors.c", out / "tml_test_models.c"],
                              variant, include_dirs=[APP_SOURCE_DIR], defines=defines)
        return builder.link(self._app[name] + own, out / "firmware.elf")
