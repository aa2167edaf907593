"""The test firmware: application sources (src/) and the generated test-vector C files.

`app_sources()` lists the application's C files; `test_vectors` renders golden data as C.
"""

from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "src"


def reference_version() -> str:
    """The oracle golden data comes from ('tflite-micro <version>'); here, not in golden.py, so the
    build graph can depend on it without importing numpy."""
    try:
        from importlib.metadata import version

        return f"tflite-micro {version('tflite-micro')}"
    except Exception:  # noqa: BLE001 -- a missing distribution record only loses the version text
        return "tflite-micro"


def app_sources() -> list[Path]:
    """The application's C files (the runner that checks every model on its test vectors)."""
    return [SOURCE_DIR / "main.c"]
