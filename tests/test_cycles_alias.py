"""`cycles`, `monitor`, `profile_ops=` and `measured=` through scons: the per-op estimate of a profiling
image end to end in QEMU, and every combination that cannot apply refused with one clean message."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def scons(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True,
                          cwd=PROJECT_DIR, env=dict(os.environ))


def _fails_cleanly(result, message):
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in text, text[-2000:]
    assert message in text, text[-2000:]


@needs_arm
@pytest.mark.qemu
def test_cycles_of_a_per_op_profiling_image(tmp_path):
    if shutil.which("qemu-system-arm") is None or shutil.which("gcc") is None:
        pytest.skip("qemu-system-arm or gcc (the plugin's compiler) not installed")
    result = scons("target=qemu-m4", "model=hello_world", "runtime=aot", "profile_ops=on", f"build_dir={tmp_path}",
                   "cycles")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path / "qemu-m4" / "hello_world"
    estimate = json.loads((out / "cycles.json").read_text())["hello_world"]
    assert [op["op"] for op in estimate["per_op"]] == ["#0 FULLY_CONNECTED", "#1 FULLY_CONNECTED",
                                                       "#2 FULLY_CONNECTED"]
    assert estimate["core"] == "cortex-m4" and estimate["clock_hz"] == 25000000 and not estimate["measured"]
    assert estimate["instructions"] < estimate["cycles"] < 3 * estimate["instructions"]
    assert sum(op["instructions"] for op in estimate["per_op"]) <= estimate["instructions"]
    assert estimate["latency_us"] == pytest.approx(estimate["cycles"] / 25, abs=0.1)
    assert estimate["method"].startswith("Estimate, not a measurement")
    assert "#1 FULLY_CONNECTED" in (out / "cycles.txt").read_text()

    log = tmp_path / "board.log"
    log.write_text("TML-TIME model=hello_world unit=cycles per_inference=12345 runs=4\nTML-RESULT status=PASS\n")
    result = scons("target=qemu-m4", "model=hello_world", "runtime=aot", "profile_ops=on", f"build_dir={tmp_path}",
                   "cycles", f"measured={log}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    measured = json.loads((out / "cycles.json").read_text())["hello_world"]
    assert measured["measured"] and measured["cycles"] == 12345
    assert measured["estimated_cycles"] == estimate["cycles"] and measured["measured_source"] == "board.log"


@pytest.mark.parametrize("args,message", [
    (("target=host", "cycles"), "target host cannot run `cycles`: it builds no firmware image"),
    (("target=qemu-m4", "monitor", "port=/dev/ttyS0"), "target qemu-m4 has no serial console to monitor"),
    (("target=stm32f407", "monitor"), "`monitor` needs the board's serial port"),
    (("target=qemu-m4", "measured=x.log"), "measured=x.log has no effect on this build"),
    (("target=qemu-m4", "port=/dev/ttyS0"), "port=/dev/ttyS0 has no effect on this build"),
])
def test_what_cannot_apply_is_refused(tmp_path, args, message):
    _fails_cleanly(scons("model=hello_world", "runtime=aot", f"build_dir={tmp_path}", *args), message)


def test_profile_ops_is_aot_only(tmp_path):
    _fails_cleanly(scons("target=host", "model=hello_world", "runtime=aot", "profile_ops=on",
                         f"build_dir={tmp_path}"), "profile_ops=on has no effect on this build")


@needs_arm
@pytest.mark.qemu
def test_cycles_of_a_board_without_emulator_run_on_its_stand_in(tmp_path):
    """stm32f103 has no QEMU machine: its objects are linked with qemu-m3's platform (same arch flags),
    profiled there and estimated for the F103: Cortex-M3 timings, 72 MHz, its flash wait states."""
    if shutil.which("qemu-system-arm") is None or shutil.which("gcc") is None:
        pytest.skip("qemu-system-arm or gcc (the plugin's compiler) not installed")
    result = scons("target=stm32f103", "model=hello_world", "runtime=aot", "profile_ops=on", f"build_dir={tmp_path}",
                   "cycles")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path / "stm32f103" / "hello_world"
    estimate = json.loads((out / "cycles.json").read_text())["hello_world"]
    assert estimate["core"] == "cortex-m3" and estimate["clock_hz"] == 72000000 and len(estimate["per_op"]) == 3
    assert estimate["per_class"]["flash_wait"] > 0 and "RM0008" in estimate["method"]
    assert any("profiled on qemu-m3" in note for note in estimate["notes"])
    assert (out / "firmware-stand-in.elf").is_file() and not (tmp_path / "qemu-m3").exists()


@needs_arm
def test_monitor_alias_captures_a_board_run_from_a_pty(tmp_path):
    """`monitor port=` on a UART target: the image is built, then the console is read until TML-RESULT
    into monitor.log (a pty replays a recorded board run), which `measured=` accepts."""
    pytest.importorskip("serial", reason="pyserial not installed")
    import pty
    import threading
    import time

    master, slave = pty.openpty()
    os.set_blocking(master, False)
    record = (b"TML-MODEL name=hello_world runtime=aot\r\n"
              b"TML-TIME model=hello_world unit=cycles per_inference=9000 runs=100\r\n"
              b"TML-RESULT status=PASS models=1 vectors=4 passed=4 failed=0\r\n")
    done = threading.Event()

    def replay():  # the board restarts its run until the capture has it (opening the port flushes input)
        while not done.is_set():
            try:
                os.write(master, record)
            except (BlockingIOError, OSError):
                pass
            time.sleep(0.3)
    feeder = threading.Thread(target=replay)
    feeder.start()
    try:
        result = scons("target=stm32f407", "model=hello_world", "runtime=aot", f"build_dir={tmp_path}", "monitor",
                       f"port={os.ttyname(slave)}")
    finally:
        done.set()
        feeder.join()
        os.close(master)
        os.close(slave)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = tmp_path / "stm32f407" / "hello_world" / "monitor.log"
    from tinyml_build.reports.measured_cycles import read_measured

    assert read_measured(log) == {"hello_world": 9000}
    assert "TML-RESULT status=PASS" in result.stdout


@pytest.mark.qemu
@pytest.mark.parametrize("target,tools,core", [
    ("esp32c3", ("riscv64-unknown-elf-gcc", "riscv64-unknown-elf-objdump", "qemu-system-riscv32"), "rv32imc-esp32c3"),
    ("esp32s3", ("clang-22", "llvm-objdump-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa"), "xtensa-lx7"),
])
def test_cycles_on_the_esp_twins(tmp_path, target, tools, core):
    """The RISC-V and Xtensa classifiers on real compiled code: nearly every executed address is an
    instruction of the twin's disassembly, and the per-op split works there too."""
    missing = [t for t in (*tools, "gcc") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    result = scons(f"target={target}", "model=hello_world", "runtime=aot", "profile_ops=on", f"build_dir={tmp_path}",
                   "cycles")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    estimate = json.loads((tmp_path / target / "hello_world" / "cycles.json").read_text())["hello_world"]
    assert estimate["core"] == core and len(estimate["per_op"]) == 3
    assert estimate["per_class"]["load"] > 0 and estimate["per_class"]["branch_taken"] > 0
    unknown = sum(int(n.split()[0]) for n in estimate["notes"] if "outside the ELF's code" in n)
    assert unknown <= 0.01 * estimate["instructions"]
