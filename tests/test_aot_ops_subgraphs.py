"""aot subgraph and resource-variable ops (IF, WHILE, CALL_ONCE, VAR_HANDLE, READ/ASSIGN_VARIABLE)
against the pinned TFLM (issue 12 section 2).

Each generated model holds CELLS independent cells, each a small stateful program over its own
seven subgraphs, in the shape Keras/TF exports stateful models and control flow:

    CALL_ONCE(init: VAR_HANDLE v; ASSIGN_VARIABLE v := constant)
    r = READ_VARIABLE(VAR_HANDLE v)            # the state the previous invoke left
    s = ADD(r, x); ASSIGN_VARIABLE(v, s)       # so every invoke in sequence sees different state
    y = IF(flag, s)  then: ADD(s, c)  else: SUB(s, c)
    (i, n, z) = WHILE(0, count, y)  cond: LESS(i, n)   body: i + 1, n, IF(GREATER(i, k), z) -> z +- d

Loop counters are int32 in int8 cells (as TF's while_loop makes them) and float32 in float32 cells;
loop counts come from the input data (count per cell and run), so the C has no build-time bound.
Runs go in sequence through one init(), as the oracle runs them through one interpreter, so a
wrong CALL_ONCE or variable state diverges in the second run at the latest. What is compared:
every main-graph op output (READ_VARIABLE's r, IF's y, WHILE's i, n, z); ops inside subgraphs run
zero to many times per invoke and are judged through the outputs of the op that runs them.
"""

import shutil

import numpy as np
import pytest
from aot_op_cases import assert_exact
from tflite_builder import ModelBuilder

from tinyml_build.errors import ModelError, UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model

needs_qemu = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                reason="arm-none-eabi-gcc or qemu-system-arm not installed")

CELLS = 34  # the oracle traces with TFLM's linear planner: at most 1024 buffers (28 per cell)
TYPES = ("int8", "float32")
SEEDS = (0, 1, 2)
OPS = ("CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "IF", "WHILE")
GENERATED_CASES = {op: CELLS * len(TYPES) * len(SEEDS) for op in OPS}
MAX_TRIPS = 6  # loop counts drawn from 0..MAX_TRIPS (and negatives: no iteration)

B = fb.BuiltinOperator
OPT = fb.BuiltinOptions


class Cells:
    """Builds cells into one ModelBuilder, sharing opcodes."""

    def __init__(self, dtype: str, seed: int):
        self.b = ModelBuilder("aot subgraph cases")
        self.dtype = dtype
        self.rng = np.random.default_rng([seed, TYPES.index(dtype)])
        self.codes = {}

    def code(self, name: str) -> int:
        if name not in self.codes:
            self.codes[name] = self.b.opcode(getattr(B, name))
        return self.codes[name]

    def op(self, name: str, inputs, outputs, options=None, options_type=None):
        self.b.op(self.code(name), inputs, outputs, options_type or 0, options)

    def data(self, name: str, shape, values=None):
        q = dict(scale=self.scale, zero_point=self.zero_point) if self.dtype == "int8" else {}
        return self.b.tensor(name, self.dtype, shape, data=values, **q)

    def constant(self, name: str, shape):
        if self.dtype == "int8":
            values = self.rng.integers(-128, 128, size=shape).astype(np.int8)
        else:
            values = self.rng.uniform(-4, 4, size=shape).astype(np.float32)
        return self.data(name, shape, values)

    def binary(self, name: str, a, c, out):
        options = fb.AddOptionsT() if name == "ADD" else fb.SubOptionsT()
        self.op(name, [a, c], [out], options, OPT.AddOptions if name == "ADD" else OPT.SubOptions)

    def var_handle(self, shared_name: str, out_name: str) -> int:
        handle = self.b.tensor(out_name, "resource", [])
        options = fb.VarHandleOptionsT()
        options.sharedName = shared_name
        self.op("VAR_HANDLE", [], [handle], options, OPT.VarHandleOptions)
        return handle

    def branch(self, name: str, kind: str, shape) -> int:
        """A subgraph (x) -> ADD/SUB(x, constant)."""
        s = self.b.subgraph(name)
        x, y = self.data("x", shape), self.data("y", shape)
        self.binary(kind, x, self.constant("c", shape), y)
        self.b.inputs, self.b.outputs = [x], [y]
        return s

    def if_op(self, cond, x, y, then_s, else_s):
        options = fb.IfOptionsT()
        options.thenSubgraphIndex, options.elseSubgraphIndex = then_s, else_s
        self.op("IF", [cond, x], [y], options, OPT.IfOptions)

    def cell(self, n: int):
        """Adds cell n; returns (graph inputs, graph outputs) of the main graph."""
        b = self.b
        rank = int(self.rng.integers(1, 4))
        shape = [int(d) for d in self.rng.integers(1, 5, size=rank)]
        self.scale, self.zero_point = float(self.rng.uniform(0.02, 0.2)), int(self.rng.integers(-20, 21))
        name = f"cell{n}/v"
        ctr = "int32" if self.dtype == "int8" else "float32"  # loop counters: int32 as TF's, or float32
        # subgraphs: init, then, else, cond, body, body_then, body_else
        init_s = b.subgraph(f"cell{n}_init")
        h = self.var_handle(name, "h")
        self.op("ASSIGN_VARIABLE", [h, self.constant("init", shape)], [], fb.AssignVariableOptionsT(),
                OPT.AssignVariableOptions)
        then_s, else_s = self.branch(f"cell{n}_then", "ADD", shape), self.branch(f"cell{n}_else", "SUB", shape)
        body_then, body_else = self.branch(f"cell{n}_bthen", "ADD", shape), self.branch(f"cell{n}_belse", "SUB", shape)
        cond_s = b.subgraph(f"cell{n}_cond")
        i, cnt, z = b.tensor("i", ctr, [1]), b.tensor("n", ctr, [1]), self.data("z", shape)
        go = b.tensor("go", "bool", [1])
        self.op("LESS", [i, cnt], [go])
        b.inputs, b.outputs = [i, cnt, z], [go]
        body_s = b.subgraph(f"cell{n}_body")
        i, cnt, z = b.tensor("i", ctr, [1]), b.tensor("n", ctr, [1]), self.data("z", shape)
        one = b.tensor("one", ctr, [1], data=np.array([1], ctr))
        k = b.tensor("k", ctr, [1], data=np.array([int(self.rng.integers(0, 4))], ctr))
        i2, big, z2 = b.tensor("i2", ctr, [1]), b.tensor("big", "bool", [1]), self.data("z2", shape)
        self.binary("ADD", i, one, i2)
        self.op("GREATER", [i, k], [big])
        self.if_op(big, z, z2, body_then, body_else)  # nested IF inside WHILE
        b.inputs, b.outputs = [i, cnt, z], [i2, cnt, z2]

        b.select(0)
        x, flag = self.data(f"x{n}", shape), b.tensor(f"flag{n}", "bool", [1])
        count = b.tensor(f"count{n}", ctr, [1])
        options = fb.CallOnceOptionsT()
        options.initSubgraphIndex = init_s
        self.op("CALL_ONCE", [], [], options, OPT.CallOnceOptions)
        h = self.var_handle(name, f"h{n}")
        r, s_, y = self.data(f"r{n}", shape), self.data(f"s{n}", shape), self.data(f"y{n}", shape)
        self.op("READ_VARIABLE", [h], [r])
        self.binary("ADD", r, x, s_)
        self.op("ASSIGN_VARIABLE", [h, s_], [], fb.AssignVariableOptionsT(), OPT.AssignVariableOptions)
        self.if_op(flag, s_, y, then_s, else_s)
        i0 = b.tensor(f"i0_{n}", ctr, [1], data=np.array([0], ctr))
        i_out, n_out = b.tensor(f"i{n}", ctr, [1]), b.tensor(f"n{n}", ctr, [1])
        z_out = self.data(f"z{n}", shape)
        options = fb.WhileOptionsT()
        options.condSubgraphIndex, options.bodySubgraphIndex = cond_s, body_s
        self.op("WHILE", [i0, count, y], [i_out, n_out, z_out], options, OPT.WhileOptions)
        return [x, flag, count], [r, z_out, i_out]


def cells_model(dtype: str, seed: int, cells: int = CELLS, dtypes=None) -> bytes:
    """`cells` cells of `dtype` (or of dtypes[n] each)."""
    builder = Cells(dtype, seed)
    for n in range(cells):
        builder.dtype = dtypes[n] if dtypes else dtype
        xs, ys = builder.cell(n)
        builder.b.inputs += xs
        builder.b.outputs += ys
    return builder.b.build()


def cell_inputs(model, runs: int, seed: int) -> list[list[np.ndarray]]:
    """Per run: data inputs random (int8 full range; float32 in +-4), flags random, loop counts in
    -1..MAX_TRIPS (a count from run-time data)."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(runs):
        arrays = []
        for index in model.main.inputs:
            t = model.main.tensors[index]
            if t.dtype == "bool":
                arrays.append(rng.integers(0, 2, size=t.shape).astype(np.bool_))
            elif t.name.startswith("count"):
                arrays.append(rng.integers(-1, MAX_TRIPS + 1, size=t.shape).astype(t.dtype))
            elif t.dtype == "int8":
                arrays.append(rng.integers(-128, 128, size=t.shape).astype(np.int8))
            else:
                arrays.append(rng.uniform(-4, 4, size=t.shape).astype(np.float32))
        result.append(arrays)
    return result


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_generated_cells_bit_exact(tmp_path, dtype, seed):
    data = cells_model(dtype, seed)
    model = read_model(data, where="cells.tflite", name="cells")
    report = check_model(model, inputs=cell_inputs(model, runs=6, seed=seed))
    assert_exact(report)


def one_cell(mutate=None, dtype: str = "int8") -> bytes:
    """One cell; `mutate(cells)` edits it before packing. Main ops: CALL_ONCE 0, VAR_HANDLE 1,
    READ_VARIABLE 2, ADD 3, ASSIGN_VARIABLE 4, IF 5, WHILE 6; subgraphs: init 1, then 2, else 3,
    body's then 4 and else 5, cond 6, body 7."""
    cells = Cells(dtype, 0)
    xs, ys = cells.cell(0)
    cells.b.inputs += xs
    cells.b.outputs += ys
    if mutate is not None:
        mutate(cells)
    return cells.b.build()


def _subgraph(cells, s: int):
    """(tensors, operators, inputs, outputs, name) of subgraph s of a built cell."""
    cells.b.select(s)
    parts = cells.b._subgraphs[s]
    cells.b.select(0)
    return parts


def test_variable_state_and_call_once_are_what_is_checked():
    """A program whose CALL_ONCE runs its init subgraph on every invoke (its flag never set) resets
    the variable each time: the check sees it at READ_VARIABLE in the second run."""
    model = read_model(cells_model("int8", 0, cells=2), where="cells.tflite", name="cells")
    program = lower_model(model)
    for step in program.steps:
        step.statements = [st for st in step.statements if not st.strip().startswith("tml_once_")]
    report = check_model(model, inputs=cell_inputs(model, runs=3, seed=0), program=program)
    assert not report.ok
    assert report.divergence.op_name == "READ_VARIABLE" and report.divergence.run == 1, str(report)


def test_arena_no_larger_than_tflms(tmp_path):
    """Called subgraphs' tensors share the arena as TFLM's nested lifetimes let them: the plan is at
    most TFLM's tensor arena (its head) plus the resource buffers TFLM keeps in its tail."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot.memory_report import tflm_arena

    path = tmp_path / "cells.tflite"
    path.write_bytes(cells_model("int8", 3, cells=12, dtypes=["int8", "float32"] * 6))
    program = lower_model(load_model(path))
    try:
        head = tflm_arena(path)["head"]
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro's recording allocator is not available: {exc.what}")
    resources = sum(-(-p.nbytes // 16) * 16 for p in program.placements if p.macro.startswith("TML_R"))
    assert program.arena_lower_bound <= program.arena_size <= head + resources, (program.arena_size, head, resources)


@needs_qemu
@pytest.mark.qemu
def test_cells_on_cortex_m4():
    """int8 and float32 cells in one image on qemu-m4 (ADD, SUB, LESS, GREATER: IEEE operations
    only, exact on the hard-float target), five invokes in sequence."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(cells_model("int8", 5, cells=12, dtypes=["int8", "float32"] * 6), where="m4.tflite", name="m4")
    report = check_on_cortex_m(model, inputs=cell_inputs(model, runs=5, seed=5))
    assert_exact(report)


def _assign_other_size(cells):
    """The init subgraph assigns 5 bytes to the resource the main graph sized first (TFLM prepares
    subgraph 0 first) with 18 bytes."""
    cells.b.select(1)
    wrong = cells.b.tensor("wrong", "int8", [5], data=np.zeros(5, np.int8), scale=0.1, zero_point=0)
    cells.b.operators[1].inputs[1] = wrong
    cells.b.select(0)


def _set_options(cells, s: int, op: int, **fields):
    options = _subgraph(cells, s)[1][op].builtinOptions
    for key, value in fields.items():
        setattr(options, key, value)


def _reshape(cells, s: int, tensor: int, shape=None, signature=None):
    t = _subgraph(cells, s)[0][tensor]
    if shape is not None:
        t.shape = shape
    if signature is not None:
        t.shapeSignature = signature


def _lower(data: bytes):
    return lower_model(read_model(data, where="bad.tflite", name="bad"))


@pytest.mark.parametrize("mutate,error,words", [
    (lambda c: _set_options(c, 0, 5, thenSubgraphIndex=99), ModelError, "then_subgraph_index 99 is out of range"),
    (lambda c: _set_options(c, 0, 6, bodySubgraphIndex=-1), ModelError, "body_subgraph_index -1 is out of range"),
    (lambda c: _set_options(c, 0, 0, initSubgraphIndex=0), ModelError, "recursion through subgraphs 0 -> 0"),
    (lambda c: _set_options(c, 7, 2, elseSubgraphIndex=7), ModelError, "recursion through subgraphs 0 -> 7 -> 7"),
    (lambda c: _reshape(c, 3, 1, shape=[7]), UnsupportedOpError, "else subgraph 3 output 0"),
    (lambda c: _reshape(c, 7, 2, signature=[-1]), UnsupportedOpError, "dynamic shape"),
    (lambda c: setattr(_subgraph(c, 6)[0][3], "type", 9), UnsupportedOpError, "is int8, not bool"),
    (_assign_other_size, UnsupportedOpError, "subgraph 1 op #1 ASSIGN_VARIABLE assigns 5 bytes (int8[5]) to "
     "resource 'cell0/v' of 18 bytes"),
    (lambda c: c.b.operators[4].inputs.__setitem__(0, 0), UnsupportedOpError,
     "subgraph 0 op #4 ASSIGN_VARIABLE: its resource input #0 does not come from a VAR_HANDLE"),
])
def test_malformed_subgraph_references_are_clear_errors(mutate, error, words):
    with pytest.raises(error) as info:
        _lower(one_cell(mutate))
    assert words in str(info.value), str(info.value)


def test_read_of_a_variable_nothing_assigns_is_refused():
    def ghost(cells):
        b = cells.b
        h = cells.var_handle("ghost", "ghost_handle")
        out = b.tensor("ghost_value", "int8", [2], scale=0.1, zero_point=0)
        cells.op("READ_VARIABLE", [h], [out])
        b.outputs.append(out)

    with pytest.raises(UnsupportedOpError, match="resource 'ghost' is never assigned"):
        _lower(one_cell(ghost))


def test_shared_arena_refuses_resource_variables():
    """arena_share=on: another model's invoke would overwrite the resource buffers in the arena."""
    from tinyml_build.runtimes.aot.shared_arena import shared_arena_size

    model = read_model(one_cell(), where="cell.tflite", name="cell")
    with pytest.raises(UnsupportedOpError, match="resource variables"):
        shared_arena_size([model])


def special_model() -> bytes:
    """Structures the cells do not have: a READ before any ASSIGN (reads the fill byte: the int8 zero
    point), one pass-through subgraph (no ops, its input is its output) and one returning a constant,
    each called by three IFs (one with then == else), and a WHILE inside a WHILE's body."""
    cells = Cells("int8", 9)
    cells.scale, cells.zero_point = 0.05, -7
    b = cells.b
    shape = [2, 3]
    passthrough = b.subgraph("passthrough")
    t = cells.data("t", shape)
    b.inputs, b.outputs = [t], [t]
    constant = b.subgraph("constant")
    unused = cells.data("unused", shape)
    b.inputs, b.outputs = [unused], [cells.constant("k", shape)]
    b.select(0)
    x, flags = cells.data("x", shape), [b.tensor(f"flag{n}", "bool", [1]) for n in range(3)]
    h = cells.var_handle("fill", "h")
    r, s = cells.data("r", shape), cells.data("s", shape)
    cells.op("READ_VARIABLE", [h], [r])
    cells.binary("ADD", r, x, s)
    cells.op("ASSIGN_VARIABLE", [h, s], [], fb.AssignVariableOptionsT(), OPT.AssignVariableOptions)
    ys = [cells.data(f"y{n}", shape) for n in range(3)]
    cells.if_op(flags[0], s, ys[0], passthrough, constant)
    cells.if_op(flags[1], ys[0], ys[1], constant, passthrough)
    cells.if_op(flags[2], ys[1], ys[2], passthrough, passthrough)
    z, counts = nested_while(cells, ys[2], shape)
    b.inputs, b.outputs = [x] + flags + counts, [r] + ys + [z]
    return b.build()


def _while(cells, cond_s: int, body_s: int, inputs, outputs) -> None:
    options = fb.WhileOptionsT()
    options.condSubgraphIndex, options.bodySubgraphIndex = cond_s, body_s
    cells.op("WHILE", inputs, outputs, options, OPT.WhileOptions)


def _counter_cond(cells, name: str, state) -> int:
    """A cond subgraph over (i, n, ...state): i < n."""
    b = cells.b
    s = b.subgraph(name)
    i, n = b.tensor("i", "float32", [1]), b.tensor("n", "float32", [1])
    rest = [cells.data(f"v{k}", shape) if dtype != "float32" else b.tensor(f"v{k}", "float32", shape)
            for k, (dtype, shape) in enumerate(state)]
    go = b.tensor("go", "bool", [1])
    cells.op("LESS", [i, n], [go])
    b.inputs, b.outputs = [i, n] + rest, [go]
    return s


def nested_while(cells, z, shape):
    """A WHILE whose body runs another WHILE (both trip counts from inputs); returns (z, count inputs)."""
    b = cells.b
    inner_cond = _counter_cond(cells, "inner_cond", [("int8", shape)])
    inner_body = b.subgraph("inner_body")
    j, m, v = b.tensor("j", "float32", [1]), b.tensor("m", "float32", [1]), cells.data("v", shape)
    one = b.tensor("one", "float32", [1], data=np.array([1], np.float32))
    j2, v2 = b.tensor("j2", "float32", [1]), cells.data("v2", shape)
    cells.binary("ADD", j, one, j2)
    cells.binary("ADD", v, cells.constant("c", shape), v2)
    b.inputs, b.outputs = [j, m, v], [j2, m, v2]
    outer_cond = _counter_cond(cells, "outer_cond", [("float32", [1]), ("int8", shape)])
    outer_body = b.subgraph("outer_body")
    i, n, m, v = (b.tensor("i", "float32", [1]), b.tensor("n", "float32", [1]), b.tensor("m", "float32", [1]),
                  cells.data("v", shape))
    one = b.tensor("one", "float32", [1], data=np.array([1], np.float32))
    zero = b.tensor("zero", "float32", [1], data=np.array([0], np.float32))
    i2, j_out, m_out, v2 = (b.tensor("i2", "float32", [1]), b.tensor("j_out", "float32", [1]),
                            b.tensor("m_out", "float32", [1]), cells.data("v2", shape))
    cells.binary("ADD", i, one, i2)
    _while(cells, inner_cond, inner_body, [zero, m, v], [j_out, m_out, v2])
    b.inputs, b.outputs = [i, n, m, v], [i2, n, m, v2]
    b.select(0)
    counts = [b.tensor("count_outer", "float32", [1]), b.tensor("count_inner", "float32", [1])]
    zero = b.tensor("zero", "float32", [1], data=np.array([0], np.float32))
    outs = [b.tensor("i_out", "float32", [1]), b.tensor("n_out", "float32", [1]), b.tensor("m_out", "float32", [1]),
            cells.data("z", shape)]
    _while(cells, outer_cond, outer_body, [zero] + counts + [z], outs)
    return outs[3], counts


def test_fill_before_assign_shared_and_empty_subgraphs(tmp_path):
    model = read_model(special_model(), where="special.tflite", name="special")
    report = check_model(model, runs=8, seed=4)
    assert_exact(report)
    program = lower_model(model)
    assert [v.fill for v in program.variables] == [0xF9], "the int8 zero point -7 fills the resource"


def test_the_wheel_computes_these_models_as_the_pinned_tflm():
    """So CI without TFLM's sources judges them too (no KNOWN_WHEEL_DIFFERENCES entry): outputs and
    every main-graph op output, resource handles aside (the wheel crashes on reading one)."""
    from tinyml_build.verification.oracle import wheel
    from tinyml_build.verification.oracle.select import PINNED, select_oracle

    oracle = select_oracle()
    if oracle.kind != PINNED:
        pytest.skip(f"the pinned TFLM is not available ({oracle.name})")
    for data in (cells_model("int8", 0, cells=8), cells_model("float32", 1, cells=8), special_model()):
        model = read_model(data, where="m.tflite", name="m")
        inputs = cell_inputs(model, runs=4, seed=2)
        outputs, traces = wheel.run(model, inputs, intermediates=True)
        pinned_outputs, pinned_traces = oracle.run(model, inputs, intermediates=True)
        pinned_traces = {k: v for k, v in pinned_traces.items() if model.main.tensors[k[1]].dtype != "resource"}
        assert [[a.tobytes() for a in run] for run in outputs] == [[a.tobytes() for a in run] for run in pinned_outputs]
        assert traces == pinned_traces


def test_runtime_tflm_creates_the_resource_variables_var_handle_needs():
    """runtime=tflm: without MicroResourceVariables TFLM's VAR_HANDLE fails in Prepare (the image's
    set-up then failed in every arena); one per distinct shared name, only for models that use them."""
    from tinyml_build.runtimes.tflm.api import render_api

    stateful = render_api("cells", read_model(cells_model("int8", 0, cells=3), where="c.tflite", name="c"), "cells")
    assert "tflite::MicroResourceVariables::Create(allocator, 3)" in stateful
    assert "MicroInterpreter(model, ops, allocator, resources)" in stateful
    plain = render_api("plain", read_model(ModelBuilder().build(), where="p.tflite", name="p"), "plain")
    assert "MicroResourceVariables" not in plain


def test_exponentially_nested_calls_are_refused_not_laid_out():
    """Each subgraph's IF runs the next one as both branches: 2^40 calls to lay out."""
    cells = Cells("float32", 0)
    b = cells.b
    depth = 40
    first = None
    for level in range(depth):
        s = b.subgraph(f"level{level}")
        first = first or s
        x, y = b.tensor("x", "float32", [1]), b.tensor("y", "float32", [1])
        if level < depth - 1:
            flag = b.tensor("flag", "bool", [1], data=np.array([1], np.uint8))
            cells.if_op(flag, x, y, s + 1, s + 1)
        else:
            cells.binary("ADD", x, x, y)
        b.inputs, b.outputs = [x], [y]
    b.select(0)
    x, y, flag = b.tensor("x", "float32", [1]), b.tensor("y", "float32", [1]), b.tensor("flag", "bool", [1])
    cells.if_op(flag, x, y, first, first)
    b.inputs, b.outputs = [x, flag], [y]
    with pytest.raises(UnsupportedOpError, match="more than 200,000 op steps"):
        _lower(b.build())


def test_an_op_aot_lacks_inside_a_subgraph_is_named_with_its_subgraph():
    def custom_branch(cells):
        cells.b.select(2)  # the then branch: its ADD becomes a custom op nobody implements
        cells.b.operators[0].opcodeIndex = cells.b.opcode(fb.BuiltinOperator.CUSTOM, custom="NoSuchOp")
        cells.b.select(0)

    with pytest.raises(UnsupportedOpError, match="subgraph 2 op #0 NoSuchOp is not supported by runtime=aot"):
        _lower(one_cell(custom_branch))


def test_cells_and_special_structures_under_sanitizers():
    """ASan/UBSan: copies between graphs and resource buffers stay inside their arena regions."""
    for data in (cells_model("int8", 8, cells=12, dtypes=["int8", "float32"] * 6), special_model()):
        model = read_model(data, where="san.tflite", name="san")
        report = check_model(model, inputs=cell_inputs(model, runs=4, seed=8), sanitize=True)
        assert_exact(report)
