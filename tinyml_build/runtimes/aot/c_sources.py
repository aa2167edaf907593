"""Where runtime=aot's C lives: kernels/ (one op per file), include/ (shared helpers), host/ (the
host and Cortex-M check programs). Python modules find the C through these names only."""

from pathlib import Path

AOT_DIR = Path(__file__).resolve().parent
AOT_INCLUDE_DIR = AOT_DIR / "include"
KERNELS_DIR = AOT_DIR / "kernels"
HOST_DIR = AOT_DIR / "host"
