"""The test firmware: application sources (src/) and the generated test-vector C files.

`app_sources()` lists the application's C files; `test_vectors` renders golden data as C.
"""

from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "src"


def app_sources() -> list[Path]:
    """The application's C files (the runner that checks every model on its test vectors)."""
    return [SOURCE_DIR / "main.c"]
