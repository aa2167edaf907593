"""The project's own C (tinyml_build/**/*.c, *.h) is formatted as .clang-format says.

Runs `clang-format --dry-run --Werror` over every such file; skipped when no clang-format
(version 14 or later: Debian 12's `clang-format` package, which setup.sh installs) is on PATH.
Upstream sources never live in the repository, so they are never checked. To fix a failure:
`clang-format -i <file>` (the config is found from the file's path).
"""

import re
import shutil
import subprocess

import pytest
from conftest import PROJECT_DIR

MIN_VERSION = 14  # .clang-format uses options of clang-format 14 (Debian 12's package)


def _clang_format() -> tuple[str, int] | None:
    """The clang-format to use: plain `clang-format`, else the newest `clang-format-N` on PATH."""
    candidates = ["clang-format"] + [f"clang-format-{v}" for v in range(40, MIN_VERSION - 1, -1)]
    for name in candidates:
        path = shutil.which(name)
        if path is None:
            continue
        out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        match = re.search(r"version (\d+)\.", out)
        if match:
            return path, int(match.group(1))
    return None


def _c_files() -> list[str]:
    root = PROJECT_DIR / "tinyml_build"
    files = sorted({*root.rglob("*.c"), *root.rglob("*.h")})
    return [str(f.relative_to(PROJECT_DIR)) for f in files]


def test_config_is_at_the_repository_root():
    assert (PROJECT_DIR / ".clang-format").is_file()


def test_own_c_sources_are_clang_formatted():
    found = _clang_format()
    if found is None:
        pytest.skip("clang-format not installed (Debian: apt-get install clang-format; setup.sh installs it)")
    tool, version = found
    if version < MIN_VERSION:
        pytest.skip(f"{tool} is clang-format {version}; .clang-format needs {MIN_VERSION} or later")
    files = _c_files()
    assert len(files) > 20, files  # the runtime, platform and firmware sources are all found
    proc = subprocess.run([tool, "--style=file", "--dry-run", "--Werror", *files], cwd=PROJECT_DIR,
                          capture_output=True, text=True)
    report = "\n".join((proc.stderr or proc.stdout).splitlines()[:60])
    assert proc.returncode == 0, (f"C sources not formatted as .clang-format says ({tool}, version {version}); "
                                  f"fix with: clang-format -i <file>\n{report}")
