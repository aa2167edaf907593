"""Sample inputs a catalog model lists in its model.yaml (`samples:`), as the build plan sees them:
files and labels only (golden.py reads their bytes when it computes the golden outputs); and the
other model.yaml facts the test data uses: the float `reference:` and the class `labels:`. No numpy
here: the build plan imports this while SCons reads the build description."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.model import catalog as model_catalog


@dataclass(frozen=True)
class AccuracyRequest:
    """What one model's accuracy is measured with (decided by the build plan; float_reference.py measures)."""

    reference: Path  # the float .tflite
    dataset: Path | None  # None: the model.yaml samples


@dataclass(frozen=True)
class Sample:
    """A sample input from model.yaml: a .npy (or raw .bin) file for the model's single input."""

    path: Path
    label: str
    tflm_output: tuple[int, ...] | None = None


def samples_from_metadata(model_dir: Path, metadata: dict) -> list[Sample]:
    """The `samples:` entries of a catalog model's model.yaml."""
    return [Sample(Path(model_dir) / s["file"], s["label"], tuple(s["tflm_output"]) if s.get("tflm_output") else None)
            for s in metadata.get("samples", [])]


def model_samples(tflite: Path) -> tuple[Sample, ...]:
    """The samples model.yaml lists, for a catalog model (a .tflite beside a model.yaml)."""
    entry = _catalog_entry(tflite)
    return tuple(samples_from_metadata(Path(tflite).parent, entry.metadata)) if entry is not None else ()


def _catalog_entry(tflite: Path):
    """The catalog entry whose .tflite this is, or None (a bare .tflite path)."""
    folder = Path(tflite).parent
    if not (folder / model_catalog.METADATA_FILE).is_file():
        return None
    entry = model_catalog.load_model(folder, check_sha256=False)
    return entry if Path(entry.tflite).resolve() == Path(tflite).resolve() else None


def model_reference(tflite: Path) -> Path | None:
    """The float reference model.yaml names (`reference:`), for a catalog model."""
    entry = _catalog_entry(tflite)
    if entry is None or "reference" not in entry.metadata:
        return None
    return Path(tflite).parent / entry.metadata["reference"]


def model_labels(tflite: Path) -> tuple[str, ...]:
    """The class names model.yaml lists (`labels:`), in output order; () when none."""
    entry = _catalog_entry(tflite)
    return tuple(entry.metadata.get("labels", ())) if entry is not None else ()
