"""What a build plan needs to know about one model: its digest, its ops (and their tensor types, which
pick the resolver's type-specialized registrations), which aot kernels its generated code calls
(or why runtime=aot cannot build it), and which op uses a kernel library or TFLM's reference kernels
cannot prepare. Checked once per model file and code.

Why cached: reading, analysing and lowering a model cost more than everything else a no-op `scons`
does (and import numpy and the schema). The facts are a function of the .tflite bytes and of the code
that derives them, so they are kept under the build root, keyed by both digests: a changed model or
a changed reader, analysis, op table or aot lowering recomputes them. A model that fails a check is
never cached: the next build reports the same error the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.fileio import write_atomic

CACHE_FOLDER = ".tinyml-cache/model-facts"


@dataclass(frozen=True)
class ModelFacts:
    sha256: str
    size: int
    op_names: tuple[str, ...]  # sorted, unique
    aot_kernels: tuple[str, ...] | None  # None when runtime=aot cannot build the model
    aot_refusal: tuple[str, str | None, str | None] | None = None  # (what, where, fix) of that refusal
    op_uses: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()  # (op, input, output dtypes), sorted
    library_refusals: tuple[tuple[str, str], ...] = ()  # (kernel library, reason): analysis/kernel_limits.py
    reference_refusals: tuple[tuple[str, str], ...] = ()  # (op, reason): analysis/reference_limits.py

    def uses(self) -> list:
        """op_uses as op_inventory.OpUse: what picks the type-specialized registrations."""
        from tinyml_build.analysis.op_inventory import OpUse

        return [OpUse(name, tuple(inputs), tuple(outputs)) for name, inputs, outputs in self.op_uses]

    def check_aot(self) -> tuple[str, ...]:
        """The aot kernels; UnsupportedOpError (the lowering's own message) if aot cannot build it."""
        if self.aot_kernels is None:
            what, where, fix = self.aot_refusal
            raise UnsupportedOpError(what, where=where, fix=fix)
        return self.aot_kernels


def model_facts(tflite: Path, name: str, cache_root: Path | None = None) -> ModelFacts:
    """The facts of `tflite` (C name `name`); ModelError & co. if the model cannot be built at all."""
    data = Path(tflite).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    cached = None
    if cache_root is not None:
        from tinyml_build.codegen.provenance import generator_digest

        code = generator_digest(__name__)[:16]
        name_digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        cached = Path(cache_root) / CACHE_FOLDER / f"{sha256}-{code}-{name_digest}.json"
        try:
            fields = json.loads(cached.read_text())
            return ModelFacts(sha256=fields["sha256"], size=fields["size"], op_names=tuple(fields["op_names"]),
                              aot_kernels=None if fields["aot_kernels"] is None else tuple(fields["aot_kernels"]),
                              aot_refusal=None if fields["aot_refusal"] is None else tuple(fields["aot_refusal"]),
                              op_uses=tuple((n, tuple(i), tuple(o)) for n, i, o in fields["op_uses"]),
                              library_refusals=tuple((k, r) for k, r in fields["library_refusals"]),
                              reference_refusals=tuple((o, r) for o, r in fields["reference_refusals"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent or unreadable: computed again below
    facts = _compute(tflite, name, sha256, len(data))
    if cached is not None:
        write_atomic(cached, json.dumps(asdict(facts), sort_keys=True) + "\n")
    return facts


def _compute(tflite: Path, name: str, sha256: str, size: int) -> ModelFacts:
    from tinyml_build.analysis import op_inventory
    from tinyml_build.analysis.analyze import analyze, check_buildable
    from tinyml_build.analysis.kernel_limits import library_refusals
    from tinyml_build.analysis.reference_limits import reference_refusals
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot.plan import aot_kernels

    parsed = load_model(tflite, name=name)
    check_buildable(analyze(parsed))
    op_inventory.lookup_all(parsed.op_names(), where=str(tflite))  # unknown ops fail before any output
    try:
        kernels, refusal = aot_kernels(parsed, name), None
    except UnsupportedOpError as err:
        kernels, refusal = None, (err.what, err.where, err.fix)
    uses = tuple((u.name, u.inputs, u.outputs) for u in op_inventory.op_uses(parsed))
    return ModelFacts(sha256=sha256, size=size, op_names=tuple(sorted(set(parsed.op_names()))), aot_kernels=kernels,
                      aot_refusal=refusal, op_uses=uses, library_refusals=library_refusals(parsed),
                      reference_refusals=reference_refusals(parsed))
