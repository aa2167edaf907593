"""Subgraphs and resource variables in runtime=aot: IF, WHILE, CALL_ONCE, VAR_HANDLE, READ/ASSIGN_VARIABLE.

Why a module of its own: lower.py lowers one graph; a model whose main graph calls other subgraphs
needs three more things, all decided here at build time, as TFLM decides them at Prepare:
- which subgraphs run (reachable from the main graph through IF then/else, WHILE cond/body and
  CALL_ONCE init), each checked (index in range, no recursion) and lowered into its own C
  function `tml_subgraph<s>()` with its own tensor macros `TML_G<s>_T<i>`;
- one arena plan for all of them on one timeline, as TFLM's AllocationInfoBuilder nests a called
  subgraph's lifetimes inside the calling op's: a subgraph's tensors live only while it runs, so
  the then and else branches, or a WHILE's cond and body, share bytes (micro_allocation_info.cc);
- resource variables: VAR_HANDLE's (container, shared_name) names a resource (TFLM's
  MicroResourceVariables::FindId), the first ASSIGN_VARIABLE in prepare order (subgraph by
  subgraph, op by op) fixes its size and the byte it is filled with (the value's int8 zero point,
  else 0) when tensors are allocated; each becomes an arena buffer `TML_R<id>` kept for the whole
  run, filled by init() as AllocateTensors does. CALL_ONCE's "has run" flag is reset by init() too.
"""

from dataclasses import dataclass, field

from tinyml_build.analysis.analyze import Lifetime, activation_lifetimes
from tinyml_build.errors import ModelError, UnsupportedOpError
from tinyml_build.model.reader import Model, Operator, Subgraph, Tensor
from tinyml_build.runtimes.aot.arena import ArenaRequest, GraphArena, plan_graphs
from tinyml_build.runtimes.aot.program import SubgraphFunction, VariableTensor

# Builtin option fields naming the subgraphs an op runs.
CALLED_SUBGRAPHS = {
    "IF": ("then_subgraph_index", "else_subgraph_index"),
    "WHILE": ("cond_subgraph_index", "body_subgraph_index"),
    "CALL_ONCE": ("init_subgraph_index",),
}
RESOURCE_OPS = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"})
# Steps of the timeline: a subgraph called from n ops is laid out n times, so nested calls multiply;
# a model of a few dozen subgraphs each calling the next twice must be refused, not hang the build.
MAX_TIMELINE_STEPS = 200_000
TFLM_FIX = "build with runtime=tflm, or re-export the model"


def called(op: Operator) -> list[tuple[str, int]]:
    """(option field, subgraph index) of the subgraphs `op` runs (none for other ops)."""
    return [(name, int(op.options.get(name, 0))) for name in CALLED_SUBGRAPHS.get(op.name, ())]


def function_name(s: int) -> str:
    return f"tml_subgraph{s}"


def tensor_prefix(s: int) -> str:
    """Macro prefix of subgraph s's arena tensors (the main graph keeps TML_T<i>)."""
    return "TML_" if s == 0 else f"TML_G{s}_"


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@dataclass
class Resource:
    """One resource variable: its arena buffer TML_R<id>, fixed by the first ASSIGN_VARIABLE."""

    id: int
    container: str | None
    shared_name: str
    nbytes: int | None = None
    fill: int = 0
    dtype: str | None = None

    @property
    def macro(self) -> str:
        return f"TML_R{self.id}"


@dataclass
class Nested:
    """What a model with subgraphs or resource variables adds to the lowering (see module doc)."""

    model: Model
    live: dict[int, Subgraph]  # reachable subgraph -> its live ops (index 0: the main graph)
    order: list[int]  # reachable subgraphs other than main, sorted
    spans: dict[tuple[int, int], tuple[int, int]]  # (subgraph, op) -> steps on the one timeline
    windows: dict[int, tuple[int, int]]  # subgraph -> steps while it runs
    steps: int  # length of the timeline
    resources: list[Resource]
    handles: dict[tuple[int, int], int]  # (subgraph, VAR_HANDLE output tensor) -> resource id
    requests: dict[int, ArenaRequest] = field(default_factory=dict)
    current: int = 0  # the subgraph being lowered
    once_flags: list[str] = field(default_factory=list)

    # --- lowering ------------------------------------------------------------------------------

    def missing_ops(self, table) -> list[tuple[int, Operator]]:
        """(subgraph, op) of every op of a called subgraph that aot has no lowering for."""
        return [(s, op) for s in self.order for op in self.live[s].operators if op.name not in table]

    def lower_subgraphs(self, lowering, table) -> list[SubgraphFunction]:
        """Lower every called subgraph into its own function; `lowering` is left on the main graph."""
        from tinyml_build.runtimes.aot.lower import lower_ops

        main = (lowering.sg, lowering.request)
        functions = []
        for s in self.order:
            sg = self.live[s]
            lowering.sg, lowering.request = sg, ArenaRequest()
            lowering.prefix, lowering.struct_prefix = tensor_prefix(s), f"g{s}_"
            self.current = lowering.subgraph = s
            steps = lower_ops(lowering, sg, table, traced=False)
            self.requests[s] = lowering.request
            functions.append(SubgraphFunction(name=function_name(s), subgraph=s, steps=steps))
        lowering.sg, lowering.request = main
        lowering.prefix, lowering.struct_prefix = "TML_", ""
        self.current = lowering.subgraph = 0
        return functions

    def pointer(self, ctx, s: int, index: int, const: bool) -> str:
        """C expression of tensor `index` of subgraph `s` (flash for a constant)."""
        tensor = self.model.subgraphs[s].tensors[index]
        if tensor.is_constant:
            if not const:
                raise ctx.unsupported(f"subgraph {s} tensor #{index} '{tensor.name}' is a constant but is written")
            return ctx.ptr(tensor) if s == self.current else ctx.array(tensor.array(), _ctype(ctx, tensor),
                                                                       f"subgraph {s} tensor #{index}")
        return f"(({'const ' if const else ''}void *){tensor_prefix(s)}T{index})"

    def resource(self, ctx, tensor: Tensor) -> Resource:
        """The resource a READ/ASSIGN_VARIABLE's handle input names."""
        rid = self.handles.get((self.current, tensor.index))
        if rid is None:
            raise ctx.unsupported(f"resource tensor #{tensor.index} '{tensor.name}' does not come from a VAR_HANDLE of "
                                  "the same subgraph (runtime=aot resolves resource handles at build time)")
        return self.resources[rid]

    def call_once_flag(self, ctx) -> str:
        name = f"tml_once_{'' if self.current == 0 else f'g{self.current}_'}op{ctx.index}"
        self.once_flags.append(name)
        return name

    # --- what the Program gets ----------------------------------------------------------------

    def plan(self, main: Subgraph, main_request: ArenaRequest):
        graphs = [GraphArena(sg, main_request if s == 0 else self.requests[s], self._lifetimes(s),
                             tensor_prefix(s), lambda op, s=s: self._span(s, op))
                  for s, sg in [(0, main)] + [(s, self.live[s]) for s in self.order]]
        extra = [(r.macro, r.nbytes, 0, self.steps - 1,
                  f"resource variable {r.id} '{r.shared_name}' {r.dtype}, kept for the whole run")
                 for r in self.resources if r.nbytes]
        return plan_graphs(graphs, extra)

    def resource_buffers(self) -> list[VariableTensor]:
        """init() fills each resource as TFLM's MicroResourceVariables::Allocate does."""
        return [VariableTensor(pointer=r.macro, nbytes=r.nbytes, fill=r.fill,
                               comment=f"resource '{r.shared_name}' {r.dtype}")
                for r in self.resources if r.nbytes]

    def state_declarations(self) -> list[str]:
        return [f"static uint8_t {name};" for name in self.once_flags]

    def init_statements(self) -> list[str]:
        return [f"{name} = 0u; /* CALL_ONCE runs its subgraph again after init */" for name in self.once_flags]

    # --- timeline ------------------------------------------------------------------------------

    def _span(self, s: int, op_index: int) -> tuple[int, int]:
        return self.spans.get((s, op_index), self.windows[s])

    def _lifetimes(self, s: int) -> dict[int, Lifetime]:
        """The subgraph's activation lifetimes (op indices) moved onto the one timeline."""
        sg = self.live[s]
        return {i: Lifetime(self._span(s, lt.first)[0], self._span(s, lt.last)[1])
                for i, lt in activation_lifetimes(sg).items() if sg.tensors[i].dtype != "resource"}


def _ctype(ctx, tensor: Tensor) -> str:
    from tinyml_build.runtimes.aot.program import C_TYPES

    if tensor.dtype not in C_TYPES:
        raise ctx.unsupported(f"tensor #{tensor.index} '{tensor.name}' has type {tensor.dtype}")
    return C_TYPES[tensor.dtype][0]


def prepare(model: Model, main: Subgraph) -> Nested | None:
    """The Nested state of a model whose (live) main graph calls subgraphs or uses resource
    variables; None for a plain one-graph model. Refuses malformed subgraph references."""

    uses = any(op.name in CALLED_SUBGRAPHS or op.name in RESOURCE_OPS for op in main.operators)
    if not uses:
        return None
    live = {0: main}
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    windows: dict[int, tuple[int, int]] = {}
    clock = [0]

    def widen(table, key, span):
        old = table.get(key)
        table[key] = span if old is None else (min(old[0], span[0]), max(old[1], span[1]))

    def layout(s: int, path: list[int]) -> None:
        sg = live[s]
        start = clock[0]
        for op in sg.operators:
            op_start = clock[0]
            clock[0] += 1
            if clock[0] > MAX_TIMELINE_STEPS:
                raise UnsupportedOpError(f"subgraph {s} op #{op.index} {op.name}: the subgraphs call each other "
                                         f"more than {MAX_TIMELINE_STEPS:,} op steps deep (nested calls multiply)",
                                         where=model.path, fix=TFLM_FIX)
            for option, callee in called(op):
                where = f"subgraph {s} op #{op.index} {op.name}"
                if not 0 <= callee < len(model.subgraphs):
                    raise ModelError(f"{where}: {option} {callee} is out of range (the model has "
                                     f"{len(model.subgraphs)} subgraphs)", where=model.path, fix=TFLM_FIX)
                if callee in path or callee == s:
                    chain = " -> ".join(str(i) for i in path + [s, callee])
                    raise ModelError(f"{where}: {option} {callee} calls a subgraph that is already running "
                                     f"(recursion through subgraphs {chain}); neither TFLM nor runtime=aot can "
                                     "run recursive subgraphs", where=model.path, fix=TFLM_FIX)
                if callee not in live:
                    live[callee] = _checked_subgraph(model, callee, where)
                layout(callee, path + [s])
            widen(spans, (s, op.index), (op_start, clock[0]))
            clock[0] += 1
        if not sg.operators:
            clock[0] += 1
        widen(windows, s, (start, clock[0] - 1))

    layout(0, [])
    resources, handles = _resources(model, set(live))
    return Nested(model=model, live=live, order=sorted(s for s in live if s != 0), spans=spans, windows=windows,
                  steps=clock[0], resources=resources, handles=handles)


def _checked_subgraph(model: Model, s: int, where: str) -> Subgraph:
    """Subgraph s, live ops only; refused when aot cannot give its tensors fixed places."""
    from tinyml_build.runtimes.aot.lower import live_subgraph

    sg = model.subgraphs[s]
    for tensor in sg.tensors:
        if tensor.is_variable:
            raise UnsupportedOpError(f"{where}: subgraph {s} holds variable tensor #{tensor.index} "
                                     f"'{tensor.name}' (runtime=aot keeps variable tensors of the main graph only)",
                                     where=model.path, fix=TFLM_FIX)
    for index in sg.inputs:
        tensor = sg.tensors[index]
        if tensor.is_constant or tensor.dtype == "resource":
            what = "a constant" if tensor.is_constant else "a resource handle"
            raise UnsupportedOpError(f"{where}: input #{index} '{tensor.name}' of subgraph {s} is {what}",
                                     where=model.path, fix=TFLM_FIX)
    return live_subgraph(sg)[0]


def _resources(model: Model, reachable: set[int]) -> tuple[list[Resource], dict[tuple[int, int], int]]:
    """Resource variables in TFLM's prepare order (every subgraph, in index order, op by op: TFLM
    prepares subgraphs that never run too, so their ASSIGN_VARIABLEs size resources as well)."""
    resources: list[Resource] = []
    handles: dict[tuple[int, int], int] = {}
    for sg in model.subgraphs:
        for op in sg.operators:
            where = f"subgraph {sg.index} op #{op.index} {op.name}"
            if op.name == "VAR_HANDLE":
                container, name = _text(op.options.get("container")), _text(op.options.get("shared_name"))
                if not name:
                    raise ModelError(f"{where} has no shared_name (TFLM would dereference NULL)",
                                     where=model.path, fix="re-export the model")
                match = [r for r in resources if r.shared_name == name and (container is None
                                                                            or container == r.container)]
                resource = match[0] if match else Resource(id=len(resources), container=container, shared_name=name)
                if not match:
                    resources.append(resource)
                handles[(sg.index, op.outputs[0])] = resource.id
            elif op.name == "ASSIGN_VARIABLE":
                if sg.index not in reachable:  # never runs, but TFLM's Prepare may size the resource
                    rid = handles.get((sg.index, op.inputs[0])) if len(op.inputs) == 2 else None
                    if rid is not None and resources[rid].nbytes is None:
                        _size(resources[rid], sg.tensors[op.inputs[1]])
                    continue
                if len(op.inputs) != 2 or op.outputs:
                    raise ModelError(f"{where} has {len(op.inputs)} inputs and {len(op.outputs)} outputs "
                                     "(TFLM needs 2 and 0)", where=model.path, fix="re-export the model")
                rid = handles.get((sg.index, op.inputs[0]))
                if rid is None:
                    raise UnsupportedOpError(f"{where}: its resource input #{op.inputs[0]} does not come from a "
                                             "VAR_HANDLE of the same subgraph", where=model.path, fix=TFLM_FIX)
                value = sg.tensors[op.inputs[1]]
                resource = resources[rid]
                if resource.nbytes is None:
                    _size(resource, value)
                elif value.nbytes != resource.nbytes:
                    raise UnsupportedOpError(
                        f"{where} assigns {value.nbytes} bytes ({value.dtype}{list(value.shape)}) to resource "
                        f"'{resource.shared_name}' of {resource.nbytes} bytes (TFLM copies the first size)",
                        where=model.path, fix=TFLM_FIX)
    return resources, handles


def _size(resource: Resource, value: Tensor) -> None:
    """TFLM's first Allocate: the buffer takes the value's bytes and is filled with its zero point."""
    q = value.quantization
    resource.nbytes, resource.dtype = value.nbytes, value.dtype
    resource.fill = (q.zero_point[0] & 0xFF) if q is not None else 0
