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

from dataclasses import dataclass, field

from tinyml_build.analysis.analyze import activation_lifetimes
from tinyml_build.analysis.memory_plan import Buffer, plan_memory
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


def _share_in_place(sg: Subgraph, request: ArenaRequest, lifetimes) -> None:
    """Alias each in-place candidate's output to its input when the input's buffer dies at the op."""
    fixed = set(sg.inputs) | {t.index for t in sg.tensors if t.is_variable}
    for output, input, op_index in sorted(request.in_place, key=lambda c: c[2]):
        root = request.root(input)
        members = [t for t in lifetimes if request.root(t) == root]
        usable = (output in lifetimes and output not in request.aliases and request.root(output) != root
                  and not any(m in fixed for m in members) and max(lifetimes[m].last for m in members) == op_index
                  and sg.tensors[output].nbytes == sg.tensors[input].nbytes)
        if not usable:
            continue
        request.alias(output, input)


def plan_arena(sg: Subgraph, request: ArenaRequest) -> ArenaPlan:
    lifetimes = activation_lifetimes(sg)
    _share_in_place(sg, request, lifetimes)
    groups: dict[int, list[int]] = {}
    for index in lifetimes:
        groups.setdefault(request.root(index), []).append(index)
    buffers = []
    for root, members in sorted(groups.items()):
        first = min(lifetimes[m].first for m in members)
        last = max(lifetimes[m].last for m in members)
        size = max(sg.tensors[m].nbytes for m in members)
        buffers.append(Buffer(("tensor", root), size, first, last))
    for macro, nbytes, op_index, optional in request.scratches:
        if not optional:
            buffers.append(Buffer(("scratch", macro), nbytes, op_index, op_index))
    plan = plan_memory(buffers, alignment=ARENA_ALIGNMENT)
    for macro, nbytes, op_index, optional in request.scratches:  # in op order: deterministic
        if optional:
            trial = plan_memory(buffers + [Buffer(("scratch", macro), nbytes, op_index, op_index)],
                                alignment=ARENA_ALIGNMENT)
            if trial.size <= plan.size:
                buffers.append(Buffer(("scratch", macro), nbytes, op_index, op_index))
                plan = trial

    placements = []
    offsets = {}
    for root, members in sorted(groups.items()):
        offset = plan.offset(("tensor", root))
        for m in sorted(members):
            offsets[m] = offset
            tensor = sg.tensors[m]
            shared = f", shares #{root}" if m != root else ""
            placements.append(Placement(macro=f"TML_T{m}", offset=offset, nbytes=tensor.nbytes,
                                        comment=f"#{m} '{tensor.name}' {tensor.dtype}{list(tensor.shape)}{shared}"))
    for macro, nbytes, op_index, _ in request.scratches:
        placed = ("scratch", macro) in plan.offsets
        placements.append(Placement(macro=macro, offset=plan.offset(("scratch", macro)) if placed else None,
                                    nbytes=nbytes, comment=f"scratch of op #{op_index}" + (
                                        "" if placed else ", not placed (it would grow the arena): NULL")))
    return ArenaPlan(size=plan.size, lower_bound=plan.lower_bound, placements=placements, tensor_offsets=offsets)
