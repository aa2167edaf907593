"""Where the project's own data lives: the built-in targets, models and upstream lock.

In a checkout they are the top-level `targets/`, `models/` and `third_party/` folders; an installed
package (pip install, a wheel) carries the same files under `tinyml_build/_data/` (pyproject.toml
maps them there). A user's project folder may add its own `targets/` and `models/`, searched first.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_KINDS = ("targets", "models", "third_party")


def _checkout_or_package(in_checkout: str, in_package: str) -> Path:
    """A top-level folder of the checkout this package runs from, else its copy inside the package
    (pyproject.toml maps each such folder into the wheel)."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / in_checkout).is_dir():
        return checkout / in_checkout
    return PACKAGE_DIR / in_package


def builtin_dir(kind: str) -> Path:
    """The built-in `targets`, `models` or `third_party` folder (checkout first, else the package's)."""
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown data folder {kind!r}")
    return _checkout_or_package(kind, f"_data/{kind}")


def scons_dir() -> Path:
    """The folder holding the build description (SConstruct) and the SCons tools: the checkout's
    site_scons/, or the package's scons/."""
    return _checkout_or_package("site_scons", "scons")


def search_dirs(project_dir: Path, kind: str) -> list[Path]:
    """The folders a name of this kind is looked up in: the project's own, then the built-in one."""
    dirs = []
    own = Path(project_dir) / kind
    if own.is_dir():
        dirs.append(own)
    builtin = builtin_dir(kind)
    if not any(d.resolve() == builtin.resolve() for d in dirs):
        dirs.append(builtin)
    return dirs


def find_named(project_dir: Path, kind: str, relative: str) -> Path:
    """The folder of `search_dirs` holding `relative` (e.g. 'qemu-m4.yaml'), else the first one (whose
    lookup then fails with the usual message)."""
    dirs = search_dirs(project_dir, kind)
    return next((d for d in dirs if (d / relative).exists()), dirs[0])
