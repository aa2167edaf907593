"""Every model the aot runtime supports, on every emulated target, bit-exact with tflite-micro.

To keep the suite fast, models share images: per target the supported models are packed into
as few images as their arenas allow (each model has its own static arena; the STM32F407 has
128 KB of SRAM; the ESP images are RAM-loaded, so their models' weights count too), each image is
built and run once (`scons ... test`), and each (target, model) pair is then its own test that
reads its verdict from test.json. Sharing an image also exercises multi-model firmware. A model
that cannot fit a target alone must fail at build time, naming the limit and the fix.
"""

import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, shared_model_paths

from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model, model_name_from_path

TARGETS = ("qemu-m3", "qemu-m4", "qemu-m7", "qemu-m33", "qemu-m55", "stm32f407", "esp32c3", "esp32", "esp32s3")
# What the ESP targets' builds and twins need besides arm-none-eabi-gcc (skipped without them).
NEEDS = {"esp32c3": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32"),
         "esp32": ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa"),
         "esp32s3": ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa")}
CATALOG = ("hello_world", "kws")
RESERVED_RAM = 24 * 1024  # .data/.bss of the platform and application, alignment, margin

pytestmark = [
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                       reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                       reason="qemu-system-arm not installed (sudo apt-get install qemu-system-arm)"),
    pytest.mark.qemu,
]


@functools.cache
def aot_arena(path: str) -> int | str:
    """The model's arena bytes under runtime=aot, or why aot cannot build it."""
    from tinyml_build.runtimes.aot import lower_model

    try:
        return lower_model(load_model(path)).arena_size
    except TinyMLError as err:
        return str(err).splitlines()[0]


def _models() -> list[tuple[str, str]]:
    """(name, model= value) for the catalog models and the reference models."""
    found = [(name, name) for name in CATALOG if (PROJECT_DIR / "models" / name / "model.yaml").is_file()]
    found += [(model_name_from_path(p), str(p)) for p in shared_model_paths()]
    return found


# Random vectors per model in this matrix (besides the edge vectors and samples): several models share
# one image per target, so the default 20 would not fit the boards' flash (stm32f407: 2 MB of test data
# for its image of six models); the default's reach is tested on single-model images elsewhere.
MATRIX_VECTORS = 3


def _catalog_tflite(name: str) -> str:
    return str(PROJECT_DIR / "models" / name / f"{name}.tflite")


def _supported(value: str) -> str | None:
    arena = aot_arena(_catalog_tflite(value) if value in CATALOG else value)
    return arena if isinstance(arena, str) else None


def _arena(value: str) -> int:
    return aot_arena(_catalog_tflite(value) if value in CATALOG else value)


def _room(target: str) -> int:
    board = load_target(target)
    room = board.arena.size - RESERVED_RAM
    if board.arena_region == "ram":
        room -= board.stack_size + board.heap_size
    return room


@functools.cache
def _test_data_bytes(tflite: str) -> int:
    """Bytes of test vectors an image carries for the model: inputs and outputs of every vector."""
    from tinyml_build.verification.golden import edge_vectors, tensor_specs
    from tinyml_build.verification.samples import model_samples

    model = load_model(tflite)
    graph = model.main
    per_vector = sum(graph.tensors[i].nbytes for i in graph.inputs + graph.outputs)
    edges = len(edge_vectors(model, tensor_specs(model, graph.inputs)))
    return per_vector * (MATRIX_VECTORS + edges + len(model_samples(Path(tflite))))


def _cost(target: str, value: str) -> int:
    """RAM a model takes in an image: its arena, plus, where the image is RAM-loaded (ESP), its
    weights and its test vectors."""
    board = load_target(target)
    tflite = _catalog_tflite(value) if value in CATALOG else value
    loaded = Path(tflite).stat().st_size + _test_data_bytes(tflite) if board.model_region == board.arena_region else 0
    return _arena(value) + loaded


def _too_big(target: str, value: str) -> bool:
    return _cost(target, value) > _room(target)


@functools.cache
def _images(target: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The supported models packed into images whose arenas fit the target (first fit, biggest first)."""
    room = _room(target)
    images: list[list[tuple[str, str]]] = []
    fitting = (m for m in _models() if _supported(m[1]) is None and not _too_big(target, m[1]))
    for model in sorted(fitting, key=lambda m: (-_cost(target, m[1]), m[0])):
        home = next((i for i in images if sum(_cost(target, v) for _, v in i) + _cost(target, model[1]) <= room),
                    None)
        if home is None:
            images.append([model])
        else:
            home.append(model)
    return tuple(tuple(sorted(i)) for i in images)


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("qemu-models")


_verdicts: dict = {}


def _verdict(build_root: Path, target: str, group: tuple[tuple[str, str], ...]) -> dict:
    """Build and run one image (once per session) and return its test.json with the scons output."""
    key = (target, group)
    if key not in _verdicts:
        label = "+".join(name for name, _ in group)
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", f"target={target}", "runtime=aot",
                                 f"test_vectors={MATRIX_VECTORS}",
                                 "model=" + ",".join(value for _, value in group), f"build_dir={build_root}", "test"],
                                capture_output=True, text=True, cwd=PROJECT_DIR)
        verdict_file = build_root / target / label / "test.json"
        verdict = json.loads(verdict_file.read_text()) if verdict_file.is_file() else {}
        _verdicts[key] = {"returncode": result.returncode, "output": result.stdout[-6000:] + result.stderr[-3000:],
                          **verdict}
    return _verdicts[key]


def _image_of(target: str, name: str) -> tuple[tuple[str, str], ...]:
    return next(image for image in _images(target) if any(n == name for n, _ in image))


# A verdict problem that is only output bytes differing (no crash, no missing line).
_BYTES_DIFFER = re.compile(r"output \d+: \d+ of \d+ bytes differ")


@pytest.mark.parametrize("name, value", _models(), ids=[n for n, _ in _models()])
@pytest.mark.parametrize("target", TARGETS)
def test_model_matches_tflite_micro_in_qemu(build_root, target, name, value):
    missing = [tool for tool in NEEDS.get(target, ()) if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (./setup.sh installs them)")
    reason = _supported(value)
    if reason is not None:
        pytest.skip(f"runtime=aot cannot build {name} yet: {reason}")
    if _too_big(target, value):
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", f"target={target}", "runtime=aot",
                                 f"test_vectors={MATRIX_VECTORS}",
                                 f"model={value}", f"build_dir={build_root}"], capture_output=True, text=True,
                                cwd=PROJECT_DIR)
        text = result.stdout + result.stderr
        assert result.returncode != 0 and "does not fit" in text and "fix:" in text, text[-3000:]
        assert "Traceback" not in text, text[-3000:]
        return
    verdict = _verdict(build_root, target, _image_of(target, name))
    model = verdict.get("models", {}).get(name)
    mine = [p for p in verdict.get("problems", []) if f"model {name} " in p]
    assert model is not None, verdict["output"]
    if model.get("oracle_blind_spots") and mine and all(_BYTES_DIFFER.search(p) for p in mine):
        pytest.skip(f"the golden oracle ({model.get('oracle', {}).get('name')}) cannot judge "
                    + "; ".join(model["oracle_blind_spots"]))
    assert model["vectors"] >= 3 and model["passed"] == model["vectors"], mine or verdict["output"]
    assert not mine, mine
    assert model["time"]["unit"] == "qemu_instructions" and int(model["time"]["per_inference"]) > 0
    assert 0 < model["stack"]["used"] < model["stack"]["size"], model["stack"]  # measured on every target
    if load_target(target).emulator.qemu == "qemu-system-xtensa":  # exact counts from the QEMU plugin
        assert model["time"]["counted_by"] == "plugin", model["time"]
    assert verdict["status"] == "PASS" and verdict["returncode"] == 0, verdict["problems"] or verdict["output"]
