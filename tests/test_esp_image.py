"""The ESP flash image: our segment check (what esptool elf2image does not validate), esptool
elf2image / image-info, and the write-flash command.

The segment tests use tiny ELF files written here (section headers are all the check and esptool
read), so they run without a cross compiler; one test also converts a real linked image.
"""

import struct
import subprocess
import sys

import pytest
from esp_chip_testlib import build_image

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.image import esp_image
from tinyml_build.image.esp_image import (
    MAX_SEGMENTS,
    check_segments,
    elf2image,
    image_info,
    image_segments,
    write_flash_command,
)
from tinyml_build.platform.esp_chip import CHIPS

PROGBITS, NOBITS = 1, 8
EM = {"xtensa": 94, "riscv": 243}


def write_elf(path, chip, sections, entry=None):
    """A little-endian ELF32 executable with the given (name, type, address, contents-or-size) sections."""
    names = b"\0" + b"".join(n.encode() + b"\0" for n, *_ in sections) + b".shstrtab\0"
    body = bytearray()
    headers = [bytes(40)]
    name_at = 1
    offset = 52
    for name, kind, address, data in sections:
        size = data if isinstance(data, int) else len(data)
        if kind != NOBITS:
            body += data
        headers.append(struct.pack("<10I", name_at, kind, 0x7, address, offset, size, 0, 0, 4, 0))
        offset += 0 if kind == NOBITS else size
        name_at += len(name) + 1
    headers.append(struct.pack("<10I", name_at, 3, 0, 0, offset, len(names), 0, 0, 1, 0))
    body += names
    shoff = 52 + len(body)
    entry = sections[0][2] if entry is None else entry
    header = (b"\x7fELF\x01\x01\x01" + bytes(9) +
              struct.pack("<HHIIIIIHHHHHH", 2, EM[CHIPS[chip].isa], 1, entry, 0, shoff, 0, 52, 0, 0, 40,
                          len(headers), len(headers) - 1))
    path.write_bytes(header + body + b"".join(headers))
    return path


def code_and_data(chip):
    facts = CHIPS[chip]
    iram = next(r for r in facts.memory if r.name == "iram")
    ram = next(r for r in facts.memory if r.name == "ram")
    return iram.origin, ram.origin


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_adjacent_sections_make_one_segment_and_nobits_none(chip, tmp_path):
    code, data = code_and_data(chip)
    elf = write_elf(tmp_path / "a.elf", chip, [
        (".text", PROGBITS, code, b"\x00" * 64),
        (".rodata", PROGBITS, data, b"\x01" * 16),
        (".data", PROGBITS, data + 16, b"\x02" * 8),  # ends where .rodata starts: merged, as esptool does
        (".bss", NOBITS, data + 32, 4096),
        (".empty", PROGBITS, data + 64, b""),
    ])
    segments = check_segments(elf, chip)
    assert [(s.address, s.size, s.sections) for s in segments] == [(data, 24, (".rodata", ".data")),
                                                                   (code, 64, (".text",))]  # DRAM below IRAM


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_a_segment_outside_the_loader_ram_is_refused(chip, tmp_path):
    code, _ = code_and_data(chip)
    flash_window = 0x3F400000 if chip == "esp32" else 0x3C000000  # mapped flash: the ROM loader maps none
    elf = write_elf(tmp_path / "bad.elf", chip, [(".text", PROGBITS, code, b"\0" * 8),
                                                  (".rodata.model", PROGBITS, flash_window, b"\0" * 32)])
    with pytest.raises(TinyMLError) as err:
        check_segments(elf, chip)
    text = str(err.value)
    assert f"0x{flash_window:08X}" in text and ".rodata.model" in text and "outside the RAM" in text
    assert "fix:" in text and "RAM-only" in text


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_a_segment_over_the_rom_stack_is_refused(chip, tmp_path):
    code, _ = code_and_data(chip)
    used = CHIPS[chip].rom_used[-1 if chip == "esp32" else 0]
    elf = write_elf(tmp_path / "rom.elf", chip, [(".text", PROGBITS, code, b"\0" * 8),
                                                  (".data", PROGBITS, used.start + 0x10, b"\0" * 16)])
    with pytest.raises(TinyMLError) as err:
        check_segments(elf, chip)
    assert "overlaps" in str(err.value) and "ROM loader would overwrite" in str(err.value)


def test_too_many_segments_are_refused(tmp_path):
    code, data = code_and_data("esp32c3")
    sections = [(f".data{i}", PROGBITS, data + 0x100 * i, b"\0" * 4) for i in range(MAX_SEGMENTS)]
    elf = write_elf(tmp_path / "many.elf", "esp32c3", [(".text", PROGBITS, code, b"\0" * 4), *sections])
    assert len(image_segments(elf)) == MAX_SEGMENTS + 1
    with pytest.raises(TinyMLError) as err:
        check_segments(elf, "esp32c3")
    assert f"{MAX_SEGMENTS + 1} segments" in str(err.value) and err.value.detail_lines


def test_not_an_elf_is_a_clear_error(tmp_path):
    path = tmp_path / "x.elf"
    path.write_bytes(b"not an elf")
    with pytest.raises(TinyMLError) as err:
        check_segments(path, "esp32")
    assert "cannot read the firmware ELF" in str(err.value)


@pytest.mark.parametrize("chip,offset", [("esp32", "0x1000"), ("esp32s3", "0x0"), ("esp32c3", "0x0")])
def test_write_flash_command(chip, offset):
    command = write_flash_command("out/app.bin", chip, port="/dev/ttyUSB0", baud=921600)
    assert command[:5] == ["esptool", "--chip", chip, "--port", "/dev/ttyUSB0"]
    at = command.index("write-flash")
    assert command[at - 2:at] == ["--baud", "921600"]
    assert command[at + 1:] == ["--flash-mode", "keep", "--flash-freq", "keep", "--flash-size", "keep", offset,
                                "out/app.bin"]
    assert "--port" not in write_flash_command("app.bin", chip)


def _need_esptool():
    probe = subprocess.run([sys.executable, "-c", "import esptool"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"esptool not installed ({esp_image.ESPTOOL_PIN})")


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_elf2image_is_deterministic_and_esptool_reads_it_back(chip, tmp_path):
    _need_esptool()
    code, data = code_and_data(chip)
    elf = write_elf(tmp_path / "a.elf", chip, [(".text", PROGBITS, code, bytes(range(64))),
                                                (".data", PROGBITS, data, b"\x5a" * 12)], entry=code + 8)
    first = elf2image(elf, tmp_path / "one" / "app.bin", chip).read_bytes()
    second = elf2image(elf, tmp_path / "two.bin", chip).read_bytes()
    assert first == second
    assert first[0] == 0xE9 and first[1] == 2  # image magic, segment count
    assert int.from_bytes(first[4:8], "little") == code + 8  # entry
    info = image_info(tmp_path / "two.bin", chip)
    assert f"Entry point: 0x{code + 8:08x}" in info and "Segments: 2" in info
    assert "Checksum:" in info and "(valid)" in info and "invalid" not in info
    assert not list(tmp_path.glob("**/.elf2image-*"))  # no scratch file left


def test_elf2image_refuses_a_bad_image_before_running_esptool(tmp_path, monkeypatch):
    monkeypatch.setattr(esp_image, "_esptool", lambda *a: pytest.fail("esptool must not run"))
    elf = write_elf(tmp_path / "bad.elf", "esp32", [(".text", PROGBITS, 0x40000000, b"\0" * 8)])  # ROM addresses
    with pytest.raises(TinyMLError):
        elf2image(elf, tmp_path / "bad.bin", "esp32")
    assert not (tmp_path / "bad.bin").exists()


def test_missing_esptool_names_the_pip_command(monkeypatch):
    def no_module(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, "", f"{sys.executable}: No module named esptool\n")

    monkeypatch.setattr(esp_image.subprocess, "run", no_module)
    with pytest.raises(ToolchainError) as err:
        esp_image.esptool_version()
    assert "pip install esptool==5.6.0" in str(err.value)


def test_esptool_version():
    _need_esptool()
    assert esp_image.esptool_version().startswith("5.")


@pytest.mark.parametrize("chip", sorted(CHIPS))
def test_a_linked_platform_image_converts(chip, tmp_path):
    _need_esptool()
    elf = build_image(chip, tmp_path / "build")  # skips without the chip's cross tools
    segments = check_segments(elf, chip)
    image = elf2image(elf, tmp_path / "app.bin", chip)
    info = image_info(image, chip)
    assert f"Segments: {len(segments)}" in info and "(valid)" in info
    assert image.read_bytes() == elf2image(elf, tmp_path / "again.bin", chip).read_bytes()
