"""From what the user asked -- build options, or a vendored tree's own manifest -- to an ExportPlan.

Why here: the SCons `export` alias and `tinyml-build export --check DIR` must plan the same export
for the same request; the CLI rebuilds the request from the manifest (target, model, runtime), so a
CI job needs only the vendored folder and the project's models.
"""

from __future__ import annotations

from pathlib import Path

from tinyml_build.config.build_config import all_models, resolve
from tinyml_build.errors import TinyMLError
from tinyml_build.export.layout import MANIFEST, library_name
from tinyml_build.export.manifest import read_manifest
from tinyml_build.export.render import ExportPlan, plan_export


def model_option(value: str, project_dir: Path) -> str:
    """How the manifest names the model: its catalog name, or a path's file name (no directory)."""
    value = value.strip()
    return value if value in all_models(project_dir) else Path(value).name


def default_folder(config) -> Path:
    """<build_dir>/<target>/<model>/export/tml_<model>."""
    return Path(config.out_dir) / "export" / library_name(config.models[0].name)


def plan_from_options(config, values, project_dir: Path) -> ExportPlan:
    """The export of a build (its checked BuildConfig and option values)."""
    folder = values.text("export_dir").strip()
    if folder:
        folder = Path(folder) if Path(folder).is_absolute() else Path(project_dir) / folder
    else:
        folder = default_folder(config) if len(config.models) == 1 else Path(config.out_dir) / "export"
    return plan_export(config, Path(project_dir), folder, model_option(values.text("model"), Path(project_dir)),
                       options={"runtime": config.requested_runtime, **url_option(values.text("export_url"))},
                       arena=arena_option(config, values))


def url_option(url: str) -> dict:
    """export_url= as the manifest records it: only when given (the default is decided by the runtime)."""
    return {"export_url": url.strip()} if url.strip() else {}


def arena_option(config, values) -> str:
    """runtime=tflm's arena= ('auto' or bytes); 'auto' for aot, whose arena is planned, not measured."""
    return values.text("arena").strip() if config.runtime == "tflm" else "auto"


def needs_arena_probe(config, values) -> bool:
    """Whether `export` must run the image build's arena probe (runtime=tflm, arena=auto): then the
    image's graph is declared too, and the export depends on the probe's arena.json."""
    return arena_option(config, values) == "auto" and config.runtime == "tflm"


def plan_from_manifest(folder: Path, project_dir: Path, target: str | None = None, model: str | None = None,
                       runtime: str | None = None) -> ExportPlan:
    """The export that would be written into `folder` now, from its manifest (arguments override it)."""
    manifest = read_manifest(folder)
    if manifest is None and not (target and model):
        raise TinyMLError(f"no {MANIFEST} of a tinyml_build export there", where=str(folder),
                          fix="give the vendored export folder, or name --target and --model")
    manifest = manifest or {}
    target = target or manifest.get("target")
    model = model or manifest.get("model", {}).get("source")
    runtime = runtime or manifest.get("options", {}).get("runtime") or manifest.get("runtime") or "aot"
    if not isinstance(target, str) or not isinstance(model, str) or not isinstance(runtime, str):
        raise TinyMLError(f"{MANIFEST} names no target, model or runtime", where=str(Path(folder) / MANIFEST),
                          fix="name them: --target T --model M")
    kernels = manifest.get("options", {}).get("kernels", "") if runtime == "tflm" else ""
    config = resolve(Path(project_dir), target, model, runtime=runtime, kernels=str(kernels), exporting=True)
    arena = str(manifest.get("options", {}).get("arena", "auto")) if config.runtime == "tflm" else "auto"
    url = url_option(str(manifest.get("options", {}).get("export_url", "")))
    return plan_export(config, Path(project_dir), Path(folder), model_option(model, Path(project_dir)),
                       options={"runtime": runtime, **url}, arena=arena)
