"""IF, WHILE and CALL_ONCE: run other subgraphs (lowered into functions by subgraphs.py).

Tensors move between graphs as TFLM's if.cc / while.cc move them (kernel_util.cc's
Copy*To* helpers): byte copies, skipped when both sides are the same memory. Every count, type
and shape is checked here at build time, where TFLM's Prepare/Eval would fail or copy garbage.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.subgraphs import called, function_name


def _nested(ctx):
    if ctx.nested is None:  # lower.py prepares the Nested state whenever the main graph has these ops
        raise ctx.unsupported("subgraph op outside a model prepared for subgraphs")
    return ctx.nested


def _indent_blocks(ctx, start: int) -> None:
    """Indent the statements emitted since `start` by their brace depth (the generated C is read)."""
    depth = 0
    statements = ctx.step.statements
    for k in range(start, len(statements)):
        text = statements[k]
        depth -= text.startswith("}")
        statements[k] = "  " * depth + text
        depth += text.endswith("{")


def _run(ctx, s: int) -> None:
    ctx.step.statements.append(f"if ({function_name(s)}() != TML_OK) return TML_ERROR;")


def _copy(ctx, dst: str, src: str, nbytes: int) -> None:
    if nbytes:
        ctx.call("tml_copy", dst, src, f"{nbytes}u", kernel="copy")


def _same_layout(ctx, a, b, what: str) -> None:
    """TFLM copies bytes between the graphs: refuse where types or static shapes differ."""
    if a.dtype != b.dtype or a.shape != b.shape:
        raise ctx.unsupported(f"{what}: {a.dtype}{list(a.shape)} '{a.name}' vs {b.dtype}{list(b.shape)} '{b.name}' "
                              "(the tensors a subgraph call copies must match in type and shape)")
    for t in (a, b):
        if t.shape_signature is not None and any(d < 0 for d in t.shape_signature):
            raise ctx.unsupported(f"{what}: tensor '{t.name}' has a dynamic shape {list(t.shape_signature)}; "
                                  "runtime=aot needs static shapes across subgraph calls")


def _counts(ctx, s: int, inputs: int, outputs: int, role: str) -> None:
    sg = ctx.nested.model.subgraphs[s]
    if len(sg.inputs) != inputs or len(sg.outputs) != outputs:
        raise ctx.unsupported(f"{role} subgraph {s} has {len(sg.inputs)} inputs and {len(sg.outputs)} outputs; "
                              f"the op passes {inputs} and takes {outputs}")


def _op_tensors(ctx, first: int = 0):
    ins = [ctx.input(n) for n in range(first, len(ctx.op.inputs))]
    if any(t is None for t in ins):
        raise ctx.unsupported("an input is omitted")
    return ins, [ctx.output(n) for n in range(len(ctx.op.outputs))]


@register("IF")
def lower_if(ctx) -> None:
    """if.cc: cond (bool, one element) picks then/else; inputs 1.. go to the branch's inputs, its
    outputs to the op's outputs."""
    nested = _nested(ctx)
    cond = ctx.require_dtype(ctx.input(0), ("bool",), "condition")
    if cond.elements != 1:
        raise ctx.unsupported(f"condition tensor #{cond.index} has {cond.elements} elements (TFLM needs 1)")
    ins, outs = _op_tensors(ctx, first=1)
    branches = [s for _, s in called(ctx.op)]
    for role, s in zip(("then", "else"), branches):
        _counts(ctx, s, len(ins), len(outs), role)
        sg = nested.model.subgraphs[s]
        for n, (t, i) in enumerate(zip(ins, sg.inputs)):
            _same_layout(ctx, t, sg.tensors[i], f"{role} subgraph {s} input {n}")
        for n, (t, o) in enumerate(zip(outs, sg.outputs)):
            _same_layout(ctx, t, sg.tensors[o], f"{role} subgraph {s} output {n}")
    start = len(ctx.step.statements)
    ctx.step.statements.append(f"if ({ctx.ptr(cond)}[0] != 0u) {{")
    for k, s in enumerate(branches):
        if k:
            ctx.step.statements.append("} else {")
        sg = nested.model.subgraphs[s]
        for t, i in zip(ins, sg.inputs):
            _copy(ctx, nested.pointer(ctx, s, i, const=False), ctx.ptr(t), t.nbytes)
        _run(ctx, s)
        for t, o in zip(outs, sg.outputs):
            _copy(ctx, ctx.ptr(t, const=False), nested.pointer(ctx, s, o, const=True), t.nbytes)
    ctx.step.statements.append("}")
    _indent_blocks(ctx, start)


@register("WHILE")
def lower_while(ctx) -> None:
    """while.cc: the op's outputs hold the loop state; cond runs on it, then body and cond again
    while cond's first output is true. The trip count is run-time data."""
    nested = _nested(ctx)
    ins, outs = _op_tensors(ctx)
    (_, cond_s), (_, body_s) = called(ctx.op)
    if len(ins) != len(outs):
        raise ctx.unsupported(f"{len(ins)} inputs but {len(outs)} outputs (TFLM needs as many)")
    cond_sg, body_sg = nested.model.subgraphs[cond_s], nested.model.subgraphs[body_s]
    if len(cond_sg.inputs) != len(ins) or not cond_sg.outputs:
        raise ctx.unsupported(f"cond subgraph {cond_s} has {len(cond_sg.inputs)} inputs and "
                              f"{len(cond_sg.outputs)} outputs; it needs {len(ins)} inputs and a bool output")
    _counts(ctx, body_s, len(ins), len(outs), "body")
    flag = cond_sg.tensors[cond_sg.outputs[0]]
    if flag.dtype != "bool":
        raise ctx.unsupported(f"cond subgraph {cond_s}'s output '{flag.name}' is {flag.dtype}, not bool")
    for n, (t, o) in enumerate(zip(ins, outs)):
        _same_layout(ctx, t, o, f"loop variable {n}")
        _same_layout(ctx, o, cond_sg.tensors[cond_sg.inputs[n]], f"cond subgraph {cond_s} input {n}")
        _same_layout(ctx, o, body_sg.tensors[body_sg.inputs[n]], f"body subgraph {body_s} input {n}")
        _same_layout(ctx, o, body_sg.tensors[body_sg.outputs[n]], f"body subgraph {body_s} output {n}")
    flag_ptr = f"((const uint8_t *){nested.pointer(ctx, cond_s, cond_sg.outputs[0], const=True)})"

    def to_cond(sources):
        for src, t, i in zip(sources, outs, cond_sg.inputs):
            _copy(ctx, nested.pointer(ctx, cond_s, i, const=False), src, t.nbytes)

    to_cond([ctx.ptr(t) for t in ins])
    for t, o in zip(ins, outs):
        _copy(ctx, ctx.ptr(o, const=False), ctx.ptr(t), t.nbytes)
    _run(ctx, cond_s)
    start = len(ctx.step.statements)
    ctx.step.statements.append(f"while ({flag_ptr}[0] != 0u) {{")
    for t, i in zip(outs, body_sg.inputs):
        _copy(ctx, nested.pointer(ctx, body_s, i, const=False), ctx.ptr(t), t.nbytes)
    _run(ctx, body_s)
    for t, o in zip(outs, body_sg.outputs):
        _copy(ctx, ctx.ptr(t, const=False), nested.pointer(ctx, body_s, o, const=True), t.nbytes)
    to_cond([ctx.ptr(t) for t in outs])
    _run(ctx, cond_s)
    ctx.step.statements.append("}")
    _indent_blocks(ctx, start)


@register("CALL_ONCE")
def lower_call_once(ctx) -> None:
    """call_once.cc: the init subgraph runs on the first invoke after init() only."""
    nested = _nested(ctx)
    if ctx.op.inputs or ctx.op.outputs:
        raise ctx.unsupported("CALL_ONCE has inputs or outputs (TFLM needs none)")
    ((_, s),) = called(ctx.op)
    flag = nested.call_once_flag(ctx)
    ctx.step.statements.append(f"if ({flag} == 0u) {{")
    _run(ctx, s)
    ctx.step.statements.append(f"{flag} = 1u;")
    ctx.step.statements.append("}")
    _indent_blocks(ctx, len(ctx.step.statements) - 4)
