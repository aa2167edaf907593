"""Capture a board's console from its serial port until the test application's last line.

Why: on a real board the test image prints its report -- the vectors, and `TML-TIME ... unit=cycles`
from its DWT/CCOUNT counter -- on a UART. `scons ... monitor port=/dev/ttyUSB0` captures that run
into monitor.log, which `measured=` then feeds to the cycle report in place of the estimate
(reports/measured_cycles.py). pyserial is imported only here, only when a capture runs.

    text = capture("/dev/ttyUSB0", 115200, Path("build/stm32f407/kws/monitor.log"), timeout=300)
"""

from __future__ import annotations

import time
from pathlib import Path

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.fileio import write_atomic

DEFAULT_TIMEOUT = 300.0  # seconds: a kws image on a 16 MHz reset clock reports well within this
MAX_BYTES = 4 << 20  # a console that never ends is a runaway, not a report
FINAL_MARKERS = (b"TML-RESULT ", b"TML-FAULT ")


def _serial_module():
    try:
        import serial  # pyserial
    except ImportError:
        raise ToolchainError("pyserial is not installed (needed to read the board's serial port)",
                             fix="install it: pip install pyserial (or apt-get install python3-serial)") from None
    return serial


def _finished(received: bytes) -> bool:
    for marker in FINAL_MARKERS:
        at = received.find(marker)
        if at >= 0 and received.find(b"\n", at) >= 0:
            return True
    return False


def capture(port: str, baud: int, log_path: Path, timeout: float = DEFAULT_TIMEOUT, serial_module=None) -> str:
    """Read `port` at `baud` until a TML-RESULT or TML-FAULT line (or `timeout` seconds); write the text
    to `log_path` and return it. TinyMLError when the port cannot be opened or no final line came."""
    serial = serial_module or _serial_module()
    try:
        link = serial.Serial(port, baudrate=baud, timeout=0.2)
    except (serial.SerialException, OSError, ValueError) as err:
        raise TinyMLError(f"cannot open the serial port: {err}", where=f"port={port}",
                          fix="check the device name, the cable and that no other program holds the port") from None
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(received) < MAX_BYTES:
            received += link.read(4096)
            if _finished(received):
                break
    finally:
        link.close()
    text = received.decode("utf-8", "replace").replace("\r\n", "\n")
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(log_path, text)
    if not _finished(received):
        why = "the output limit was reached" if len(received) >= MAX_BYTES else f"{timeout:g} s passed"
        raise TinyMLError(f"no TML-RESULT line from the board before {why} ({len(received)} bytes captured)",
                          where=f"port={port}", fix=f"reset the board after starting the capture; see {log_path.name}")
    return text
