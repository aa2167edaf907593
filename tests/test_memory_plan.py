"""The static arena planner: no two live buffers overlap, alignment holds, reuse happens."""

import itertools
import random

import pytest

from tinyml_build.analysis.memory_plan import Buffer, live_peak, plan_memory


def _check_no_overlap(buffers, plan, alignment):
    for b in buffers:
        assert plan.offsets[b.key] % alignment == 0
        assert plan.offsets[b.key] + b.size <= plan.size
    for a, b in itertools.combinations(buffers, 2):
        if a.overlaps(b) and a.size and b.size:
            a0, b0 = plan.offsets[a.key], plan.offsets[b.key]
            assert a0 + a.size <= b0 or b0 + b.size <= a0, (a, b, a0, b0)


def test_chain_reuses_memory():
    # a -> b -> c -> d, each live for two steps: only two buffers ever coexist.
    buffers = [Buffer(i, 100, i, i + 1) for i in range(4)]
    plan = plan_memory(buffers)
    assert plan.size == 224  # 100 aligned to 112, twice
    assert plan.lower_bound == 200
    _check_no_overlap(buffers, plan, 16)


@pytest.mark.parametrize("seed", range(20))
def test_random_plans_are_valid(seed):
    rng = random.Random(seed)
    buffers = []
    for key in range(rng.randint(1, 30)):
        first = rng.randint(0, 20)
        buffers.append(Buffer(key, rng.randint(0, 5000), first, first + rng.randint(0, 6)))
    plan = plan_memory(buffers, alignment=8)
    _check_no_overlap(buffers, plan, 8)
    assert plan.size >= live_peak(buffers)


def test_invalid_buffer_rejected():
    with pytest.raises(ValueError):
        plan_memory([Buffer("x", 10, 3, 2)])


def test_empty():
    assert plan_memory([]).size == 0
