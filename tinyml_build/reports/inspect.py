"""`tinyml-build inspect`: the analysis as readable text and as JSON (same facts in both).

Names, paths and the description come from the model: the JSON holds them exactly (json_text
escapes them), the text shows them escaped for the terminal, one field at a time (so a newline in
a name is shown as \\x0a, never as a line of its own).
"""

from tinyml_build.analysis.analyze import Analysis
from tinyml_build.escape import json_text, terminal
from tinyml_build.model.reader import Tensor
from tinyml_build.reports.runtime_support import runtime_support


def _quant(tensor: Tensor) -> dict | None:
    q = tensor.quantization
    if q is None:
        return None
    if q.per_channel:
        return {"per_channel": True, "axis": q.axis, "channels": len(q.scale),
                "scale_min": min(q.scale), "scale_max": max(q.scale), "zero_point": sorted(set(q.zero_point))}
    return {"per_channel": False, "scale": q.scale[0], "zero_point": q.zero_point[0]}


def _tensor_dict(a: Analysis, tensor: Tensor) -> dict:
    lifetime = a.lifetimes.get(tensor.index)
    return {
        "index": tensor.index,
        "name": tensor.name,
        "dtype": tensor.dtype,
        "shape": list(tensor.shape),
        "bytes": tensor.nbytes,
        "kind": a.tensor_kind(tensor),
        "quantization": _quant(tensor),
        "lifetime": [lifetime.first, lifetime.last] if lifetime else None,
        "arena_offset": a.arena.offsets.get(tensor.index),
    }


def to_dict(a: Analysis) -> dict:
    m, sg = a.model, a.model.main
    return {
        "model": {"name": m.name, "path": m.path, "sha256": m.sha256, "bytes": m.size,
                  "schema_version": m.version, "description": m.description, "subgraphs": len(m.subgraphs)},
        "operator_count": sum(len(s.operators) for s in m.subgraphs),
        "tensor_count": sum(len(s.tensors) for s in m.subgraphs),
        "parameters": a.parameters,
        "weight_bytes": a.weight_bytes,
        "macs": a.macs,
        "arena": {"estimated_bytes": a.arena.size, "lower_bound_bytes": a.arena.lower_bound,
                  "note": "activation tensors only, static greedy plan; runtimes add their own overhead"},
        "inputs": [_tensor_dict(a, sg.tensors[i]) for i in sg.inputs],
        "outputs": [_tensor_dict(a, sg.tensors[i]) for i in sg.outputs],
        "op_summary": [{"op": name, "count": count, "versions": a.op_versions[name]}
                       for name, count in a.op_counts.items()],
        "operators": [{"index": o.index, "op": o.name, "version": o.version, "inputs": list(o.inputs),
                       "outputs": list(o.outputs), "macs": o.macs} for o in a.ops],
        "tensors": [_tensor_dict(a, t) for t in sg.tensors],
        "findings": [{"severity": f.severity, "what": f.what, "fix": f.fix} for f in a.findings],
        "runtimes": {r.runtime: r.as_dict() for r in runtime_support(m)},
    }


def to_json(a: Analysis) -> str:
    return json_text(to_dict(a), indent=2, sort_keys=False) + "\n"


def _human(n: int) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.2f} {unit}"
    return str(n)


def _shape(t: dict) -> str:
    return "x".join(str(d) for d in t["shape"]) or "scalar"


def _qtext(q: dict | None) -> str:
    if q is None:
        return ""
    if q["per_channel"]:
        return f"per-channel[{q['channels']}] axis {q['axis']}"
    return f"scale {q['scale']:.6g} zp {q['zero_point']}"


def to_text(a: Analysis, show_tensors: bool = False) -> str:
    d = to_dict(a)
    m = d["model"]
    lines = [
        f"Model: {terminal(m['name'])}  ({terminal(m['path'])})",
        f"  sha256 {m['sha256']}",
        f"  {m['bytes']:,} bytes, schema v{m['schema_version']}, {m['subgraphs']} subgraph(s)"
        + (f", \"{terminal(m['description'])}\"" if m["description"] else ""),
        f"  operators: {d['operator_count']} ({len(d['op_summary'])} distinct)   tensors: {d['tensor_count']}",
        f"  parameters: {d['parameters']:,} ({d['weight_bytes']:,} bytes of constants)   "
        f"MACs: {d['macs']:,} ({_human(d['macs'])})",
        f"  estimated arena: {d['arena']['estimated_bytes']:,} bytes of activations "
        f"(no plan below {d['arena']['lower_bound_bytes']:,}; runtime overhead not included)",
        "",
    ]
    for title, group in (("Inputs", d["inputs"]), ("Outputs", d["outputs"])):
        lines.append(f"{title}:")
        for t in group:
            lines.append(f"  #{t['index']:<4} {terminal(t['name']):<36} {t['dtype']:<8} {_shape(t):<16} "
                         f"{_qtext(t['quantization'])}")
    lines += ["", "Operators:"]
    for s in d["op_summary"]:
        versions = ",".join(str(v) for v in s["versions"])
        lines.append(f"  {terminal(s['op']):<32} x{s['count']:<4} version {versions}")
    lines += ["", f"  {'#':>4}  {'op':<28} {'output':<18} {'MACs':>14}"]
    tensors = d["tensors"]
    for o in d["operators"]:
        out = _shape(tensors[o["outputs"][0]]) if o["outputs"] else ""
        lines.append(f"  {o['index']:>4}  {terminal(o['op']):<28} {out:<18} {o['macs']:>14,}")
    if show_tensors:
        lines += ["", "Tensors:",
                  f"  {'#':>4}  {'name':<40} {'dtype':<8} {'shape':<16} {'bytes':>10}  {'kind':<10} quantization"]
        for t in tensors:
            lines.append(f"  {t['index']:>4}  {terminal(t['name'])[:40]:<40} {t['dtype']:<8} {_shape(t):<16} "
                         f"{t['bytes']:>10,}  {t['kind']:<10} {_qtext(t['quantization'])}")
    lines += ["", "Runtimes:"]
    for runtime, r in d["runtimes"].items():
        lacks = f" (lacks {', '.join(terminal(n) for n in r['lacks'])})" if r["lacks"] else ""
        lines.append(f"  runtime={runtime}: " + ("builds this model" if r["builds"] else "refuses this model")
                     + lacks)
        if not r["builds"]:
            lines += [f"    {terminal(r['reason'])}"] + ([f"    fix: {terminal(r['fix'])}"] if r["fix"] else [])
        if r["memory"]:
            mem = r["memory"]
            lines.append(f"    arena {mem['arena_bytes']:,} B (no plan below {mem['arena_lower_bound_bytes']:,}), "
                         f"op state {mem['op_state_bytes']:,} B, model data {mem['model_data_bytes']:,} B in flash")
        lines += [f"    note: {terminal(note)}" for note in r["notes"]]
    if d["findings"]:
        lines += ["", "Findings:"]
        for f in d["findings"]:
            lines += [f"  {f['severity'].upper()}: {terminal(f['what'])}", f"    fix: {terminal(f['fix'])}"]
    return "\n".join(lines) + "\n"
