"""The project's Python passes `ruff check` with the configuration in pyproject.toml ([tool.ruff]).

Runs `ruff check .` from the top of the checkout: the package, site_scons/ (both SConstruct files
included), tests/, bench/ and models/; skipped when ruff is not installed (it is in the `test` extra,
pinned in requirements.lock, which setup.sh installs). Only the linter: the code is not `ruff format`ted.
To fix a failure: `ruff check --fix .` makes the safe automatic fixes (import order, unused imports,
pyupgrade); wrap long lines and fix the rest by hand.
"""

import importlib.util
import shutil
import subprocess
import sys
import tomllib

import pytest
from conftest import PROJECT_DIR


def _ruff() -> list[str] | None:
    """The ruff of this Python environment (the pinned one setup.sh installs), else one on PATH."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    path = shutil.which("ruff")
    return [path] if path else None


def _pinned_ruff() -> str | None:
    for line in (PROJECT_DIR / "requirements.lock").read_text().splitlines():
        if line.startswith("ruff=="):
            return line.split("==", 1)[1].strip()
    return None


def test_config_is_in_pyproject():
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    ruff = pyproject["tool"]["ruff"]
    assert ruff["line-length"] == 120 and ruff["target-version"] == "py311"
    assert {"E", "W", "F", "I", "B", "UP"} <= set(ruff["lint"]["select"])
    assert any(d.startswith("ruff") for d in pyproject["project"]["optional-dependencies"]["test"])
    assert _pinned_ruff() is not None, "requirements.lock pins no ruff"


def test_python_sources_pass_ruff_check():
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff not installed (pip install -c requirements.lock ruff; setup.sh installs it)")
    version = subprocess.run([*ruff, "--version"], capture_output=True, text=True).stdout.strip()
    proc = subprocess.run([*ruff, "check", "--no-cache", "--output-format", "concise", "."], cwd=PROJECT_DIR,
                          capture_output=True, text=True)
    report = "\n".join((proc.stdout + proc.stderr).splitlines()[:60])
    assert proc.returncode == 0, (f"`ruff check .` found problems ({version}; requirements.lock pins "
                                  f"{_pinned_ruff()}); `ruff check --fix .` makes the safe fixes\n{report}")
