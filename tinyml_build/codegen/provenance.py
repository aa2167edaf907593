"""Which project code produces a generated file, as one digest: what every generating builder depends on.

Why: `scons` after an edit of the package must give what a clean build gives. A generated file depends
on the module that writes it, every tinyml_build module that module imports (transitively, imports
inside functions included: the package imports lazily) and every template those modules name. The
closure is found by reading the modules' syntax trees, never by hand-kept lists that drift.
Changing any of those files changes the digest, so SCons regenerates the file; when the regenerated
bytes are the same, content signatures keep everything downstream from rebuilding.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from tinyml_build.codegen import TEMPLATE_DIRS

PACKAGE = "tinyml_build"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=None)
def module_file(name: str) -> Path | None:
    """The source file of a tinyml_build module or package, or None if there is none."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    base = PACKAGE_DIR.joinpath(*name.split(".")[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(tinyml_build[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+(tinyml_build[\w.]*)", re.M)
_TEMPLATE = re.compile(r"[\"']([\w.-]+\.j2)[\"']")
_DYNAMIC = re.compile(r"\b(import_module|iter_modules|walk_packages)\(")


@functools.lru_cache(maxsize=None)
def _references(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tinyml_build modules imported anywhere in `path`, template names it mentions).

    A text scan rather than a parse (a parse of the package costs ~0.5 s per scons run): it may
    also see an import written in a docstring, which only adds a file to the digest, never drops one.
    """
    text = path.read_text(encoding="utf-8")
    modules = set(_IMPORT.findall(text))
    for base, names in _FROM_IMPORT.findall(text):
        modules.add(base)
        for name in names.strip("()").replace("\n", ",").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                modules.add(f"{base}.{name}")  # `from package import module`
    if _DYNAMIC.search(text):
        modules.update(_siblings(path))  # a registry importing its whole folder (e.g. aot ops/)
    packages = {m.rsplit(".", 1)[0] for m in modules if "." in m}  # importing a.b.c runs a/__init__ and a/b/__init__
    return tuple(sorted(modules | packages)), tuple(sorted(set(_TEMPLATE.findall(text))))


def _siblings(path: Path) -> set[str]:
    """Every module in the folder of `path` (for packages that import their modules dynamically)."""
    package = _module_name(path.parent / "__init__.py")
    return {f"{package}.{p.stem}" for p in path.parent.glob("*.py") if p.name != "__init__.py"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _template_file(name: str) -> Path:
    for folder in TEMPLATE_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"template {name} is in none of {', '.join(str(d) for d in TEMPLATE_DIRS)}")


def generator_files(*modules: str) -> list[Path]:
    """Every file whose content decides what `modules` generate: their import closure within
    tinyml_build and the templates named in it, sorted."""
    return sorted(set().union(*(_closure(m) for m in modules)))


@functools.lru_cache(maxsize=None)
def _closure(module: str) -> frozenset[Path]:
    """One module's files (memoized: a build asks for the same generators many times)."""
    if module_file(module) is None:
        raise ValueError(f"{module} is not a module of {PACKAGE}")
    seen: set[Path] = set()
    templates: set[Path] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        path = module_file(name)
        if path is None:
            continue  # `from pkg import name` where name is a function, not a module
        if path in seen:
            continue
        seen.add(path)
        imported, named = _references(path)
        pending.extend(imported)
        templates.update(_template_file(t) for t in named)
    for parent in list(seen):  # a package's __init__ runs before any of its modules
        for folder in parent.relative_to(PACKAGE_DIR).parents:
            init = PACKAGE_DIR / folder / "__init__.py"
            if init.is_file():
                seen.add(init)
    return frozenset(seen | templates)


def generator_digest(*modules: str) -> str:
    """sha256 over the paths (relative to the package) and contents of generator_files(*modules)."""
    digest = hashlib.sha256()
    for path in generator_files(*modules):
        digest.update(f"{path.relative_to(PACKAGE_DIR).as_posix()}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
