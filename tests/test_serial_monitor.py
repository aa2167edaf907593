"""The `monitor` capture without hardware: a pty stands in for the board's serial port and replays a
recorded console; and the measured cycle lines replace the estimate."""

import os
import pty
import sys
import threading
import time
import types

import pytest

from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.reports.cycle_model import estimate_cycles
from tinyml_build.reports.instruction_mix import InstructionMix
from tinyml_build.reports.measured_cycles import apply_measured, parse_measured, read_measured
from tinyml_build.verification import serial_monitor

RECORDED = (b"boot noise \xff\r\n"
            b"TML-MODEL name=kws runtime=aot operators=13\r\n"
            b"  time per inference: 4100000 cycles (24404 us at 168 MHz; DWT, mean of 8 runs)\r\n"
            b"TML-TIME model=kws unit=cycles per_inference=4100000 runs=8\r\n"
            b"TML-RESULT status=PASS models=1 vectors=6 passed=6 failed=0\r\n"
            b"after the end\r\n")


def _pty_port():
    master, slave = pty.openpty()
    return master, os.ttyname(slave), slave


def _feed(master, chunks):
    """Writes the chunks once the capture has opened the port (opening flushes what came before)."""
    def run():
        time.sleep(0.5)
        for chunk in chunks:
            os.write(master, chunk)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_capture_reads_until_the_result_line(tmp_path):
    pytest.importorskip("serial", reason="pyserial not installed")
    master, name, slave = _pty_port()
    try:
        feeder = _feed(master, [RECORDED[:20], RECORDED[20:90], RECORDED[90:]])
        text = serial_monitor.capture(name, 115200, tmp_path / "monitor.log", timeout=20)
        feeder.join()
    finally:
        os.close(master)
        os.close(slave)
    assert "TML-RESULT status=PASS" in text and "\r\n" not in text
    assert (tmp_path / "monitor.log").read_text() == text
    assert read_measured(tmp_path / "monitor.log") == {"kws": 4100000}


def test_capture_without_a_result_line_fails_and_keeps_the_log(tmp_path):
    pytest.importorskip("serial", reason="pyserial not installed")
    master, name, slave = _pty_port()
    try:
        feeder = _feed(master, [b"TML-MODEL name=kws\r\n"])
        with pytest.raises(TinyMLError, match="no TML-RESULT line from the board before 1 s passed"):
            serial_monitor.capture(name, 115200, tmp_path / "monitor.log", timeout=1)
        feeder.join()
    finally:
        os.close(master)
        os.close(slave)
    assert "TML-MODEL" in (tmp_path / "monitor.log").read_text()


def test_bad_port_and_missing_pyserial(tmp_path, monkeypatch):
    pytest.importorskip("serial", reason="pyserial not installed")
    with pytest.raises(TinyMLError, match="cannot open the serial port"):
        serial_monitor.capture(str(tmp_path / "no-such-tty"), 115200, tmp_path / "m.log", timeout=1)
    monkeypatch.setitem(sys.modules, "serial", None)  # `import serial` raises ImportError
    with pytest.raises(ToolchainError, match="pip install pyserial"):
        serial_monitor.capture("/dev/ttyUSB0", 115200, tmp_path / "m.log", timeout=1)


def test_measured_cycles_replace_the_estimate(tmp_path):
    target = load_target("stm32f407")
    estimate = estimate_cycles(InstructionMix({"alu": 1000, "load": 500}), target)
    assert estimate.cycles == 2000 and not estimate.measured
    replaced = apply_measured({"kws": estimate}, parse_measured(RECORDED.decode("latin-1")), "monitor.log")
    kws = replaced["kws"]
    assert kws.measured and kws.cycles == 4100000 and kws.estimated_cycles == 2000
    assert kws.latency_us == pytest.approx(4100000 / 168) and kws.method.startswith("Measured on the board")
    assert kws.as_dict()["measured_source"] == "monitor.log"
    qemu_log = "TML-TIME model=kws unit=qemu_instructions per_inference=6000000 runs=1\n"
    assert parse_measured(qemu_log) == {}  # instructions are not cycles
    (tmp_path / "qemu.log").write_text(qemu_log)
    with pytest.raises(TinyMLError, match="no `TML-TIME ... unit=cycles` line"):
        read_measured(tmp_path / "qemu.log")
    with pytest.raises(TinyMLError, match="not in this image: other"):
        apply_measured({"kws": estimate}, {"other": 5}, "x.log")


def test_fake_serial_module_is_used_when_given(tmp_path):
    """The module argument lets the capture run against any object with pyserial's interface."""
    class Link:
        def __init__(self, *args, **kwargs):
            self.chunks = [RECORDED]

        def read(self, size):
            return self.chunks.pop() if self.chunks else b""

        def close(self):
            pass
    fake = types.SimpleNamespace(Serial=Link, SerialException=OSError)
    text = serial_monitor.capture("COM3", 9600, tmp_path / "m.log", timeout=5, serial_module=fake)
    assert parse_measured(text) == {"kws": 4100000}
