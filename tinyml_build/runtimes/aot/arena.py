"""The aot arena: every activation tensor and op scratch buffer at a fixed offset.

Builds on the shared greedy planner (tinyml_build.analysis.memory_plan) and the shared tensor
lifetimes (tinyml_build.analysis.analyze), adding what only generated code can exploit:
- aliasing: a RESHAPE-like op's output is the same bytes as its input, so the two tensors
  form one buffer whose lifetime is the union of theirs (no copy, no extra memory);
- scratch: an op may need private working memory that lives only while it runs. A scratch
  an op can do without (its kernel has a slower or stack-bound fallback for NULL) is
  optional: it is placed only where it does not grow the arena, so op scratch never makes the
  arena larger than the activations need (TFLM's reference kernels use none);
- in place: an elementwise op whose kernel reads each input element before writing the same
  output element may write over an input that dies at that op (same size): output and input
  become one buffer, as with aliasing. Never over a graph input (the caller's data survives
  invoke) nor a variable. TFLM does not do this, so its arena is an upper bound.
"""

from dataclasses import dataclass, field, replace

from tinyml_build.analysis.analyze import activation_lifetimes
from tinyml_build.analysis.memory_plan import Buffer, live_peak, plan_memory
from tinyml_build.model.reader import Subgraph
from tinyml_build.runtimes.aot.program import Placement

ARENA_ALIGNMENT = 16


@dataclass
class ArenaRequest:
    """What lowering asked of the arena beyond one buffer per activation tensor."""

    aliases: dict[int, int] = field(default_factory=dict)  # tensor -> tensor whose memory it shares
    scratches: list[tuple[str, int, int, bool]] = field(default_factory=list)  # (macro, bytes, op, optional)
    in_place: list[tuple[int, int, int]] = field(default_factory=list)  # (output, input, op index)

    def alias(self, tensor: int, shares_with: int) -> None:
        if tensor == shares_with:
            return
        self.aliases[tensor] = shares_with

    def scratch(self, macro: str, nbytes: int, op_index: int, optional: bool = False) -> None:
        self.scratches.append((macro, nbytes, op_index, optional))

    def allow_in_place(self, output: int, input: int, op_index: int) -> None:
        self.in_place.append((output, input, op_index))

    def root(self, tensor: int) -> int:
        seen = set()
        while tensor in self.aliases:
            if tensor in seen:
                raise ValueError(f"alias cycle through tensor {tensor}")
            seen.add(tensor)
            tensor = self.aliases[tensor]
        return tensor


@dataclass(frozen=True)
class ArenaPlan:
    size: int
    lower_bound: int
    placements: list[Placement]  # one per tensor and scratch buffer, by macro name
    tensor_offsets: dict[int, int]


def _share_in_place(sg: Subgraph, request: ArenaRequest, lifetimes, op_last=lambda index: index) -> None:
    """Alias each in-place candidate's output to its input when the input's buffer dies at the op
    (`op_last(op index)`: the op's last step on the lifetimes' timeline)."""
    fixed = set(sg.inputs) | {t.index for t in sg.tensors if t.is_variable}
    for output, input, op_index in sorted(request.in_place, key=lambda c: c[2]):
        root = request.root(input)
        members = [t for t in lifetimes if request.root(t) == root]
        dies_here = max(lifetimes[m].last for m in members) == op_last(op_index)
        usable = (output in lifetimes and output not in request.aliases and request.root(output) != root
                  and not any(m in fixed for m in members) and dies_here
                  and sg.tensors[output].nbytes == sg.tensors[input].nbytes)
        if not usable:
            continue
        request.alias(output, input)


@dataclass(frozen=True)
class GraphArena:
    """One subgraph's share of the arena: its tensors (macro prefix `prefix`), with lifetimes on the
    model's one timeline (`lifetimes`; `op_span(op index) -> (first, last)` for its scratch)."""

    sg: Subgraph
    request: ArenaRequest
    lifetimes: dict
    prefix: str = "TML_"
    op_span: object = None


def plan_arena(sg: Subgraph, request: ArenaRequest, extra=()) -> ArenaPlan:
    """The arena of a one-subgraph model (subgraphs.py plans nested subgraphs with plan_graphs)."""
    return plan_graphs([GraphArena(sg, request, activation_lifetimes(sg))], extra)


def plan_graphs(graphs: list[GraphArena], extra=()) -> ArenaPlan:
    """One plan for every graph's tensors and scratch, plus `extra` (macro, bytes, first, last, comment)
    buffers (resource variables). tensor_offsets holds the first graph's (the main graph's) tensors."""
    buffers, groups_of = [], []
    for g, graph in enumerate(graphs):
        lifetimes = graph.lifetimes
        _share_in_place(graph.sg, graph.request, lifetimes, lambda index, graph=graph: _span(graph, index)[1])
        groups: dict[int, list[int]] = {}
        for index in lifetimes:
            groups.setdefault(graph.request.root(index), []).append(index)
        groups_of.append(groups)
        for root, members in sorted(groups.items()):
            first = min(lifetimes[m].first for m in members)
            last = max(lifetimes[m].last for m in members)
            size = max(graph.sg.tensors[m].nbytes for m in members)
            buffers.append(Buffer(("tensor", g, root), size, first, last))
        for macro, nbytes, op_index, optional in graph.request.scratches:
            if not optional:
                buffers.append(Buffer(("scratch", macro), nbytes, *_span(graph, op_index)))
    for macro, nbytes, first, last, _ in extra:
        buffers.append(Buffer(("extra", macro), nbytes, first, last))
    planner = plan_memory
    plan = planner(buffers, alignment=ARENA_ALIGNMENT)
    if len(graphs) > 1 or extra:
        # Many small tensors of several subgraphs: ranking them by their aligned sizes (as they are
        # placed) ties more of them, which the planner then orders by first use; keep the smaller plan.
        trial = _plan_aligned(buffers, alignment=ARENA_ALIGNMENT)
        if trial.size < plan.size:
            planner, plan = _plan_aligned, trial
    for graph in graphs:
        for macro, nbytes, op_index, optional in graph.request.scratches:  # in op order: deterministic
            if optional:
                candidate = Buffer(("scratch", macro), nbytes, *_span(graph, op_index))
                trial = planner(buffers + [candidate], alignment=ARENA_ALIGNMENT)
                if trial.size <= plan.size:
                    buffers.append(candidate)
                    plan = trial

    placements = []
    offsets = {}
    for g, (graph, groups) in enumerate(zip(graphs, groups_of)):
        for root, members in sorted(groups.items()):
            offset = plan.offset(("tensor", g, root))
            for m in sorted(members):
                if g == 0:
                    offsets[m] = offset
                tensor = graph.sg.tensors[m]
                shared = f", shares #{root}" if m != root else ""
                where = f"subgraph {graph.sg.index} " if g else ""
                placements.append(Placement(macro=f"{graph.prefix}T{m}", offset=offset, nbytes=tensor.nbytes,
                                            comment=f"{where}#{m} '{tensor.name}' {tensor.dtype}{list(tensor.shape)}"
                                            f"{shared}"))
        for macro, nbytes, op_index, _ in graph.request.scratches:
            placed = ("scratch", macro) in plan.offsets
            where = f"subgraph {graph.sg.index} " if g else ""
            placements.append(Placement(macro=macro, offset=plan.offset(("scratch", macro)) if placed else None,
                                        nbytes=nbytes, comment=f"scratch of {where}op #{op_index}" + (
                                            "" if placed else ", not placed (it would grow the arena): NULL")))
    for macro, nbytes, _, _, comment in extra:
        placements.append(Placement(macro=macro, offset=plan.offset(("extra", macro)), nbytes=nbytes, comment=comment))
    return ArenaPlan(size=plan.size, lower_bound=plan.lower_bound, placements=placements, tensor_offsets=offsets)


def _plan_aligned(buffers: list[Buffer], alignment: int):
    """plan_memory with every size rounded up to `alignment` (the lower bound stays the exact one)."""
    plan = plan_memory([replace(b, size=-(-b.size // alignment) * alignment) for b in buffers], alignment)
    return replace(plan, lower_bound=live_peak(buffers))


def _span(graph: GraphArena, op_index: int) -> tuple[int, int]:
    return graph.op_span(op_index) if graph.op_span is not None else (op_index, op_index)
