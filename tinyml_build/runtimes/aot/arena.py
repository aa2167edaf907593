"""The aot arena: every activation tensor and op scratch buffer at a fixed offset.

Builds on the shared greedy planner (tinyml_build.analysis.memory_plan) and the shared tensor
lifetimes (tinyml_build.analysis.analyze), adding what only generated code can exploit:
- aliasing: a RESHAPE-like op's output is the same bytes as its input, so the two tensors
  form one buffer whose lifetime is the union of theirs (no copy, no extra memory);
- scratch: an op may need private working memory that lives only while it runs.
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
    scratches: list[tuple[str, int, int]] = field(default_factory=list)  # (macro, bytes, op index)

    def alias(self, tensor: int, shares_with: int) -> None:
        if tensor == shares_with:
            return
        self.aliases[tensor] = shares_with

    def scratch(self, macro: str, nbytes: int, op_index: int) -> None:
        self.scratches.append((macro, nbytes, op_index))

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


def plan_arena(sg: Subgraph, request: ArenaRequest) -> ArenaPlan:
    lifetimes = activation_lifetimes(sg)
    groups: dict[int, list[int]] = {}
    for index in lifetimes:
        groups.setdefault(request.root(index), []).append(index)
    buffers = []
    for root, members in sorted(groups.items()):
        first = min(lifetimes[m].first for m in members)
        last = max(lifetimes[m].last for m in members)
        size = max(sg.tensors[m].nbytes for m in members)
        buffers.append(Buffer(("tensor", root), size, first, last))
    for macro, nbytes, op_index in request.scratches:
        buffers.append(Buffer(("scratch", macro), nbytes, op_index, op_index))
    plan = plan_memory(buffers, alignment=ARENA_ALIGNMENT)

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
    for macro, nbytes, op_index in request.scratches:
        placements.append(Placement(macro=macro, offset=plan.offset(("scratch", macro)), nbytes=nbytes,
                                    comment=f"scratch of op #{op_index}"))
    return ArenaPlan(size=plan.size, lower_bound=plan.lower_bound, placements=placements, tensor_offsets=offsets)
