"""Link the firmware and write its flashable forms (.bin per memory region, .hex).

Link: the generated linker script decides placement; if ld reports that a region overflows,
the image is linked again with the sizing script (same layout, enlarged regions) and measured,
so the failure names the numbers and the biggest consumers (size_report.check_budget) instead
of ld's one-line complaint.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tinyml_build.errors import ToolchainError
from tinyml_build.image.elf import ElfImage, read_elf
from tinyml_build.image.linker_map import read_map
from tinyml_build.reports.size import check_budget, measure
from tinyml_build.config.targets import Target
from tinyml_build.toolchains.arm_gcc import ArmGcc, Flags

_OVERFLOW_MARKERS = ("overflowed by", "will not fit in region", "region `")
ERASED_FLASH = 0xFF  # gaps in a .bin read as erased flash


def link_command(toolchain: ArmGcc, flags: Flags, script: str, map_path: str, elf_path: str,
                 objects: list[str]) -> list[str]:
    return [str(toolchain.gcc), *flags.arch, *flags.link, f"-T{script}", f"-Wl,-Map={map_path}", "-o", elf_path,
            *objects, *flags.libraries]


def link(toolchain: ArmGcc, flags: Flags, target: Target, objects: list[str], elf_path: str, map_path: str,
         script: str, sizing_script: str) -> None:
    """Link; BudgetError (with the consumers) when the image does not fit, ToolchainError otherwise."""
    result = _run(link_command(toolchain, flags, script, map_path, elf_path, objects))
    if result.returncode == 0:
        return
    message = (result.stderr + result.stdout).strip()
    if any(marker in message for marker in _OVERFLOW_MARKERS):
        sizing_elf = f"{elf_path}.sizing"
        sizing_map = f"{map_path}.sizing"
        sizing = _run(link_command(toolchain, flags, sizing_script, sizing_map, sizing_elf, objects)
                      + ["-Wl,--no-check-sections"])
        if sizing.returncode == 0:
            try:
                check_budget(measure(target, read_elf(sizing_elf), read_map(sizing_map)), target)
            finally:
                Path(sizing_elf).unlink(missing_ok=True)
                Path(sizing_map).unlink(missing_ok=True)
    raise ToolchainError(f"linking {elf_path} failed:\n{message}", fix="see the linker message above")


def _run(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as err:
        raise ToolchainError(f"cannot run {command[0]}: {err}") from None


def region_images(elf: ElfImage, target: Target) -> dict[str, tuple[int, bytes]]:
    """Region name -> (start address, bytes) of everything loaded into non-volatile regions.

    Each image starts at the region's first loaded byte; gaps read as erased flash (0xFF).
    """
    chunks: dict[str, list[tuple[int, bytes]]] = {}
    for section in elf.sections:
        if not section.loaded:
            continue
        region = next((r for r in target.memory if r.origin <= section.lma < r.end), None)
        if region is None or region.data:
            continue
        chunks.setdefault(region.name, []).append((section.lma, elf.contents(section)))
    images = {}
    for name, parts in chunks.items():
        parts.sort()
        start = parts[0][0]
        end = max(address + len(data) for address, data in parts)
        image = bytearray([ERASED_FLASH]) * (end - start)
        for address, data in parts:
            image[address - start:address - start + len(data)] = data
        images[name] = (start, bytes(image))
    return images


def binary_names(target: Target) -> dict[str, str]:
    """Region -> .bin file name: firmware.bin for the boot region, firmware.<region>.bin for the model region."""
    names = {"flash": "firmware.bin"}
    model_region = target.model_memory
    if model_region.name != "flash" and not model_region.data:
        names[model_region.name] = f"firmware.{model_region.name}.bin"
    return names


def write_binaries(elf_path: str | Path, target: Target, out_dir: str | Path) -> list[Path]:
    """Write one .bin per region that holds image bytes (see binary_names)."""
    images = region_images(read_elf(elf_path), target)
    written = []
    for region, name in binary_names(target).items():
        _start, data = images.get(region, (0, b""))
        path = Path(out_dir) / name
        path.write_bytes(data)
        written.append(path)
    return written


def write_hex(toolchain: ArmGcc, elf_path: str | Path, hex_path: str | Path) -> None:
    result = _run([str(toolchain.objcopy), "-O", "ihex", str(elf_path), str(hex_path)])
    if result.returncode != 0:
        raise ToolchainError(f"objcopy failed: {result.stderr.strip()}")
