"""Link the firmware and write its flashable forms (.bin per memory region, .hex).

Link: the generated linker script decides placement; if ld reports that a region overflows,
the image is linked again with the sizing script (same layout, enlarged regions) and measured,
so the failure names the numbers and the biggest consumers (size_report.check_budget) instead
of ld's one-line complaint.

Every output is written under a temporary name and renamed when complete: a build killed while
the linker writes leaves no partial firmware.elf that a later build could take as up to date.
The linker runs in the build root with relative paths, so firmware.map holds no absolute path of
the build folder wherever build_dir= points.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.fileio import write_atomic
from tinyml_build.image.elf import ElfError, ElfImage, read_elf
from tinyml_build.image.linker_map import InputSection, MapError, read_map
from tinyml_build.reports.size import check_budget_recorded, measure
from tinyml_build.toolchains.gcc import Flags

_OVERFLOW_MARKERS = ("overflowed by", "will not fit in region", "region `")
ERASED_FLASH = 0xFF  # gaps in a .bin read as erased flash


def link_command(toolchain, flags: Flags, script: str, map_path: str, elf_path: str, objects: list[str]) -> list[str]:
    """The toolchain's own link command line (gcc driver, or ld for clang-xtensa)."""
    return toolchain.link_command(flags, script, map_path, elf_path, objects)


def partial(path: str | Path) -> Path:
    """The temporary name an output is written to before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.partial")


def link(toolchain, flags: Flags, target: Target, objects: list[str], elf_path: str, map_path: str,
         script: str, sizing_script: str, cwd: str | Path | None = None, echo=None) -> None:
    """Link; BudgetError (with the consumers) when the image does not fit, ToolchainError otherwise.

    `cwd`: run the linker there, with every path relative to it (default: the current folder).
    `echo`: called with the command line before it runs (verbose builds).
    """
    cwd = Path(cwd or ".").resolve()

    def rel(path):
        return os.path.relpath(Path(path).resolve(), cwd)

    objects = [rel(o) for o in objects]
    elf_tmp, map_tmp = partial(elf_path), partial(map_path)
    command = link_command(toolchain, flags, rel(script), rel(map_tmp), rel(elf_tmp), objects)
    if echo is not None:
        echo(" ".join(command))
    try:
        result = _run(command, cwd)
        if result.returncode == 0:
            os.replace(map_tmp, map_path)
            os.replace(elf_tmp, elf_path)
            return
    finally:
        elf_tmp.unlink(missing_ok=True)
        map_tmp.unlink(missing_ok=True)
    message = (result.stderr + result.stdout).strip()
    if any(marker in message for marker in _OVERFLOW_MARKERS):
        sizing_elf, sizing_map = partial(f"{elf_path}.sizing"), partial(f"{map_path}.sizing")
        sizing = _run(link_command(toolchain, flags, rel(sizing_script), rel(sizing_map), rel(sizing_elf), objects)
                      + [toolchain.linker_flag("--no-check-sections")], cwd)
        try:
            if sizing.returncode == 0:
                check_budget_recorded(measure(target, read_elf(sizing_elf), read_map(sizing_map)), target,
                                      Path(elf_path).parent)
        finally:
            sizing_elf.unlink(missing_ok=True)
            sizing_map.unlink(missing_ok=True)
    explain = getattr(toolchain, "link_failure_fix", None)  # clang-xtensa: which helpers it lacks
    raise ToolchainError(f"linking {elf_path} failed:", details=message,
                         fix=(explain(message) if explain else None) or "see the linker message above")


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    except OSError as err:
        raise ToolchainError(f"cannot run {command[0]}: {err}") from None


def read_linked(elf_path: str | Path, map_path: str | Path | None = None) -> tuple[ElfImage, list[InputSection]]:
    """The linked image (and its map): a file that is not whole (truncated, overwritten) is removed
    and reported as one message, so the next build relinks it instead of failing on it forever."""
    try:
        return read_elf(elf_path), (read_map(map_path) if map_path is not None else [])
    except (ElfError, MapError, OSError) as err:
        for path in (elf_path, map_path):
            if path is not None:
                Path(path).unlink(missing_ok=True)
        raise TinyMLError(f"{elf_path} is not a whole linked image ({err})", where=str(elf_path),
                          fix="it was removed: run scons again and the link step rebuilds it") from None


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
    images = region_images(read_linked(elf_path)[0], target)
    written = []
    for region, name in binary_names(target).items():
        _start, data = images.get(region, (0, b""))
        written.append(write_atomic(Path(out_dir) / name, data))
    return written


def write_hex(toolchain, elf_path: str | Path, hex_path: str | Path) -> None:
    tmp = partial(hex_path)
    try:
        result = _run([str(toolchain.objcopy), "-O", "ihex", str(elf_path), str(tmp)])
        if result.returncode != 0:
            raise ToolchainError("objcopy failed:", details=result.stderr.strip())
        os.replace(tmp, hex_path)
    finally:
        tmp.unlink(missing_ok=True)
