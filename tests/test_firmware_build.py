"""`scons target=... model=...` for Cortex-M targets: outputs, no-op rebuilds, model-only rebuilds,
clean errors (budget, unsupported model, no emulator, bad options)."""

import json
import re
import shutil
import struct
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, shared_model
from junit_schema import cases, check_junit
from tflite_builder import op_aot_lacks_model

from tinyml_build.image.elf import read_elf
from tinyml_build.reports.manifest import sha256_file

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def scons(*args) -> subprocess.CompletedProcess:
    """These tests are about runtime=aot images (runtime=auto picks tflm when its sources are cached)."""
    runtime = [] if any(a.startswith("runtime=") for a in args) else ["runtime=aot"]
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", *runtime, *args], capture_output=True, text=True,
                          cwd=PROJECT_DIR)


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    """One build folder for the module: target-level objects are shared between the tests' models."""
    return tmp_path_factory.mktemp("fw-build")


@pytest.fixture(scope="module")
def f407(build_root):
    result = scons("target=stm32f407", "model=hello_world", f"build_dir={build_root}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return build_root / "stm32f407" / "hello_world"


def _fails_cleanly(result, *needles):
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text, text[-3000:]


def test_outputs(f407, build_root):
    for name in ("firmware.elf", "firmware.bin", "firmware.hex", "firmware.map", "size.txt", "size.json",
                 "manifest.json", "compile_commands.json", "gen/hello_world_model.c", "gen/hello_world_test_vectors.c",
                 "golden/hello_world.json"):
        assert (f407 / name).is_file(), name
    # The .bin is what goes to address 0x08000000: initial stack pointer, then the Thumb reset vector.
    sp, reset = struct.unpack_from("<II", (f407 / "firmware.bin").read_bytes())
    elf = read_elf(f407 / "firmware.elf")
    stack = elf.section(".stack")
    assert sp == stack.vma + stack.size and 0x20000000 < sp <= 0x20020000
    assert reset & 1 and 0x08000000 <= reset < 0x08100000
    assert (f407 / "firmware.hex").read_text().startswith(":")
    size = json.loads((f407 / "size.json").read_text())
    assert size["target"] == "stm32f407" and size["regions"]["flash"]["size"] == 1 << 20
    assert size["flash"]["total"] < 16 * 1024  # hello_world with runtime=aot: the 16 KB goal
    assert {"model data", "kernels", "platform", "application", "C library"} <= set(size["flash"]["by_component"])
    assert size["ram"]["by_component"]["stack"] == 8192
    commands = json.loads((f407 / "compile_commands.json").read_text())
    assert any(c["file"].endswith("startup.c") and "-Os" in c["command"] for c in commands)
    assert any(c["file"].endswith("hello_world_model.c") and "-O2" in c["command"] for c in commands)


def test_manifest_lists_every_input_and_output(f407):
    manifest = json.loads((f407 / "manifest.json").read_text())
    assert manifest["target"] == "stm32f407" and manifest["runtime"] == "aot"
    inputs = manifest["inputs"]
    assert inputs["targets/stm32f407.yaml"] == sha256_file(PROJECT_DIR / "targets" / "stm32f407.yaml")
    assert inputs["models/hello_world/hello_world.tflite"] == sha256_file(
        PROJECT_DIR / "models/hello_world/hello_world.tflite")
    for name in ("tinyml_build/platform/src/startup.c", "tinyml_build/verification/src/main.c",
                 "tinyml_build/runtimes/include/tml_model_api.h",
                 "<build>/stm32f407/hello_world/gen/hello_world_model.c",
                 "<build>/stm32f407/_common/include/tml_board.h", "<build>/stm32f407/_common/firmware.ld"):
        assert name in inputs, name
    assert manifest["outputs"]["<build>/stm32f407/hello_world/firmware.elf"] == sha256_file(f407 / "firmware.elf")
    assert manifest["tools"]["arm-none-eabi-gcc"].startswith("arm-none-eabi-gcc")
    assert "-mcpu=cortex-m4" in manifest["flags"]["arch"]
    assert not any("/tmp" in flag for flag in manifest["flags"]["common"])  # folders are placeholders


def test_nothing_to_do_the_second_time(f407, build_root):
    again = scons("target=stm32f407", "model=hello_world", f"build_dir={build_root}", "--debug=explain")
    assert again.returncode == 0, again.stderr
    assert "because" not in again.stdout, again.stdout


@pytest.mark.shared_models
def test_a_model_change_rebuilds_only_what_depends_on_it(build_root, tmp_path):
    model = tmp_path / "swap.tflite"
    shutil.copy(shared_model("hello_world_int8.tflite"), model)
    first = scons("target=stm32f407", f"model={model}", f"build_dir={build_root}")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr
    shutil.copy(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite", model)  # same op set, new weights
    second = scons("target=stm32f407", f"model={model}", f"build_dir={build_root}", "--debug=explain")
    assert second.returncode == 0, second.stderr
    rebuilt = re.findall(r"(?:re)?building `([^']+)' because", second.stdout)
    assert rebuilt, second.stdout
    assert not [p for p in rebuilt if "/_common/" in p], rebuilt  # platform, app, kernels, board files untouched
    for expected in ("swap/gen/swap_model.c", "swap/obj/swap_model.o", "swap/golden/swap.json", "swap/firmware.elf"):
        assert any(p.endswith(expected) for p in rebuilt), (expected, rebuilt)


@pytest.mark.parametrize("target", ["stm32f103", "stm32h743", "stm32u585"])
def test_boards_without_emulator_build(build_root, target):
    result = scons(f"target={target}", "model=hello_world", f"build_dir={build_root}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    size = json.loads((build_root / target / "hello_world" / "size.json").read_text())
    assert all(r["used"] <= r["size"] for r in size["regions"].values())


@pytest.mark.shared_models
def test_budget_gate_fails_the_build_with_numbers(build_root):
    result = scons("target=stm32f103", f"model={shared_model('person_detect.tflite')}", f"build_dir={build_root}")
    _fails_cleanly(result, "the image does not fit stm32f103", "flash needs", "but the target has 262,144",
                   "biggest consumers: model data", "arena 55,296", "fix:")
    assert not (build_root / "stm32f103" / "person_detect" / "firmware.elf").exists()


def test_test_needs_an_emulator(build_root):
    _fails_cleanly(scons("target=stm32h743", "model=hello_world", f"build_dir={build_root}", "test"),
                   "stm32h743 cannot run `test`", "no emulator", "fix:")


def test_model_the_aot_runtime_cannot_build(build_root, tmp_path):
    op, data = op_aot_lacks_model()
    model = tmp_path / "model.tflite"
    model.write_bytes(data)
    _fails_cleanly(scons("target=qemu-m4", f"model={model}", f"build_dir={build_root}"),
                   f"{op} is not supported by runtime=aot")


@pytest.mark.parametrize("option, needle", [("test_vectors=many", "test_vectors=many is not a whole number"),
                                            ("qemu_timeout=0", "qemu_timeout=0 is below 1")])
def test_bad_firmware_options(build_root, option, needle):
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", option, f"build_dir={build_root}"), needle)


def test_missing_toolchain_is_one_message_with_the_apt_command(build_root, tmp_path):
    import os

    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world",
                             f"build_dir={build_root}"], capture_output=True, text=True, cwd=PROJECT_DIR,
                            env={**os.environ, "TINYML_ARM_TOOLCHAIN": str(tmp_path / "no-such-toolchain")})
    _fails_cleanly(result, "TINYML_ARM_TOOLCHAIN", "sudo apt-get install gcc-arm-none-eabi")


# ---- `scons ... test`: its exit status and test.xml for each outcome (README "Exit status") ----------

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                                reason="qemu-system-arm not installed (sudo apt-get install qemu-system-arm)")


def _test_outcome(result, out_dir, verdict, status):
    """The run ended with `status`, said so on its last line, and test.json/test.xml agree."""
    text = result.stdout + result.stderr
    assert result.returncode == status, text[-4000:]
    assert "Traceback" not in text
    last = [line for line in result.stdout.splitlines() if line.startswith("test: ")][-1]
    if status == 0:
        assert last.startswith("test: PASS ("), last
    else:
        assert last.startswith(f"test: FAIL ({verdict}, exit status {status}) "), last
        assert last.endswith(f"JUnit report {out_dir / 'test.xml'}"), last
    summary = json.loads((out_dir / "test.json").read_text())
    assert (summary["verdict"], summary["exit_status"]) == (verdict, status)
    root = check_junit((out_dir / "test.xml").read_text())
    return {name: next(iter(case), None) for (_, name), case in cases(root).items()}


def _target_file(tmp_path, base: str, name: str, edit) -> str:
    """A board file derived from targets/<base>.yaml (name: must match the file name)."""
    text = (PROJECT_DIR / "targets" / f"{base}.yaml").read_text().replace(f"name: {base}\n", f"name: {name}\n")
    path = tmp_path / f"{name}.yaml"
    path.write_text(edit(text))
    return str(path)


# hello_world's vectors with test_vectors=3 (these tests are about verdicts, not about vectors)
VECTORS = [f"vector {k}: {label}" for k, label in enumerate(
    ["edge all-min", "edge all-max", "edge all-zero"] + [f"random seed=1234 #{k}" for k in range(3)])]


@needs_qemu
@pytest.mark.qemu
@pytest.mark.parametrize("corrupt", [False, True], ids=["pass", "mismatch"])
def test_test_passes_or_reports_a_mismatch(tmp_path, corrupt):
    args = ("target=qemu-m4", "model=hello_world", f"build_dir={tmp_path}", "test_vectors=3", "test")
    out = tmp_path / "qemu-m4" / "hello_world"
    if corrupt:  # golden data that disagrees with the model, as if the model's outputs had changed
        assert scons(*args[:-1]).returncode == 0
        golden = json.loads((out / "golden" / "hello_world.json").read_text())
        wrong = bytearray.fromhex(golden["vectors"][1]["outputs"][0])
        wrong[0] ^= 0x40
        golden["vectors"][1]["outputs"][0] = wrong.hex()
        (out / "golden" / "hello_world.json").write_text(json.dumps(golden))
    report = _test_outcome(scons(*args), out, "mismatch" if corrupt else "pass", 3 if corrupt else 0)
    assert list(report) == VECTORS
    if not corrupt:
        assert set(report.values()) == {None}
        return
    assert [v for v in VECTORS if report[v] is not None] == [VECTORS[1]]
    failure = report[VECTORS[1]]
    assert failure.tag == "failure" and failure.get("type") == "mismatch"
    assert failure.get("message").startswith("output 0: 1 of 1 bytes differ; first at byte 0: ")


@needs_qemu
@pytest.mark.qemu
def test_test_reports_a_crash(tmp_path):
    # Armv8-M checks the stack limit: a 256-byte stack overflows in the first printf, a UsageFault (STKOF).
    target = _target_file(tmp_path, "qemu-m33", "qemu-m33-tiny-stack",
                          lambda text: re.sub(r"(?m)^stack_size: .*$", "stack_size: 256", text))
    result = scons(f"target={target}", "model=hello_world", f"build_dir={tmp_path}", "test_vectors=3", "test")
    report = _test_outcome(result, tmp_path / "qemu-m33-tiny-stack" / "hello_world", "crash", 4)
    error = report[VECTORS[0]]
    assert error.tag == "error" and error.get("type") == "crash"
    assert "the firmware crashed: exception 3" in error.get("message") and "STKOF" in error.text
    assert [e.get("type") for e in list(report.values())[1:]] == ["not-run"] * (len(VECTORS) - 1)


@needs_qemu
@pytest.mark.qemu
def test_test_reports_a_hang(tmp_path):
    # An STM32 USART console on the MPS2 machine: the first print waits forever for its TXE flag.
    f407 = (PROJECT_DIR / "targets" / "stm32f407.yaml").read_text()
    uart = f407[f407.index("console:"):f407.index("cycle_timer:")]
    target = _target_file(tmp_path, "qemu-m4", "qemu-m4-wrong-uart",
                          lambda text: text.replace("console: {type: semihosting}\n", uart))
    result = scons(f"target={target}", "model=hello_world", f"build_dir={tmp_path}", "qemu_timeout=1",
                   "test_vectors=3", "test")
    report = _test_outcome(result, tmp_path / "qemu-m4-wrong-uart" / "hello_world", "hang", 5)
    error = report[VECTORS[0]]
    assert error.tag == "error" and error.get("type") == "hang" and "no final report within 1 s" in error.get("message")


@pytest.mark.parametrize("failure", ["option", "budget"])
def test_a_build_error_before_the_test_is_status_2(tmp_path, failure):
    if failure == "option":
        result = scons("target=qemu-m4", "model=hello_world", "runtim=aot", f"build_dir={tmp_path}", "test")
        _fails_cleanly(result, "unknown option runtim=")
    else:  # a failed build step: the image does not fit a 4 KB flash
        target = _target_file(tmp_path, "qemu-m4", "qemu-m4-4k",
                              lambda text: re.sub(r"flash: \{origin: 0x00000000, size: 0x400000",
                                                  "flash: {origin: 0x00000000, size: 0x1000", text))
        result = scons(f"target={target}", "model=hello_world", f"build_dir={tmp_path}", "test")
        _fails_cleanly(result, "the image does not fit qemu-m4-4k")
    assert result.returncode == 2
    assert not list(tmp_path.rglob("test.xml"))


def test_an_absolute_build_folder_leaves_no_absolute_path_in_the_map(tmp_path):
    """The linker runs in the build folder with relative paths: firmware.map names the objects the
    same way wherever build_dir= points."""
    result = scons("target=qemu-m4", "model=hello_world", f"build_dir={tmp_path.resolve()}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    text = (tmp_path / "qemu-m4" / "hello_world" / "firmware.map").read_text()
    assert str(tmp_path.resolve()) not in text
    assert "qemu-m4/_common/platform/startup.o" in text
