"""Which invokes of a CIRCULAR_BUFFER model TFLM stops, and which bytes it leaves unspecified, run by run.

Why: a device `test` runs its vectors in order with the windows' state carried over, so golden data
must say per vector whether the invoke stops (kTfLiteAbort / TML_NOT_READY) and which output bytes
both runtimes define. Both follow from the ops' options alone (TFLM's circular_buffer.cc: every
invoke shifts the frame in, counts down from cycles_max and stops the invoke unless the count hit
zero; the ops after a stopped one neither shift nor count). golden.py checks this prediction against
the oracle's own per-run statuses, so state handled differently (vectors not run in order, one
interpreter per vector, a cycles_max TFLM guesses) is a build error rather than a wrong test.
TFLM's window is its output tensor. A variable tensor (what streaming models use) sits in TFLM's
persistent memory and starts at its zero point; any other starts with Prepare's leftover arena
bytes (on a device not the oracle's), and once another tensor may share its bytes (the memory
planner sees nothing after the op's last reader) TFLM loses the window between invokes: such a
model is refused. aot starts from zeros: a slot no frame has reached is unspecified, and so is
every tensor computed from it within that invoke.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyml_build.errors import ModelError
from tinyml_build.model.flex_options import read_custom_options

CIRCULAR_BUFFER = "CIRCULAR_BUFFER"
# Ops that keep what they read for later invokes: a value computed from unspecified window bytes
# would stay unspecified in them for a number of invokes this module does not model.
_STATEFUL_OPS = frozenset({"ASSIGN_VARIABLE", "IF", "WHILE", "CALL_ONCE", "SignalDelay", "SignalFramer",
                           "SignalStacker", "SignalOverlapAdd", "SignalFilterBankSpectralSubtraction"})


@dataclass(frozen=True)
class Window:
    """One CIRCULAR_BUFFER of the main subgraph: its op, output tensor and options."""

    op_index: int
    input: int
    output: int
    slots: int
    frame_bytes: int
    cycles_max: int


@dataclass(frozen=True)
class Run:
    """One invoke: stopped (kTfLiteAbort), else {tensor index: its leading bytes TFLM leaves
    unspecified} (a window's unreached slots; the whole tensor for what is computed from them)."""

    stopped: bool
    unspecified: dict[int, int]


def windows(model, stops_seen: bool = True, plain_windows: bool = False) -> list[Window]:
    """The model's CIRCULAR_BUFFERs. `stops_seen`: the oracle stopped some invoke; when it stopped
    none, every op ran every invoke, so a window without cycles_max (TFLM guesses one from a count
    of Prepare calls) has 1 and one in a called subgraph is left out, as before stops were judged.
    Otherwise those are a ModelError: which vectors stop cannot be known. `plain_windows`: a
    non-variable window TFLM may lose is taken as kept rather than refused (the host check, which
    compares what TFLM did: a lost window shows there as a difference in the slots frames reached)."""
    found = []
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.name != CIRCULAR_BUFFER:
                continue
            where = f"op #{op.index} {CIRCULAR_BUFFER}"
            if sg.index != 0 and stops_seen:
                raise ModelError(f"{where} runs in called subgraph {sg.index}: its stops cannot be predicted for "
                                 "the test vectors", where=model.path, fix="build it without test")
            if sg.index != 0:
                continue
            options = read_custom_options(op.custom_options, where, str(model.path)) if op.custom_options else None
            cycles = options.int("cycles_max", 0) if options is not None and "cycles_max" in options.keys else 0
            if cycles <= 0 and stops_seen:
                raise ModelError(f"{where} has no positive cycles_max: TFLM guesses one from a count of Prepare calls "
                                 "kept across the process, so which test vectors stop cannot be known",
                                 where=model.path, fix="set the custom option cycles_max in the model")
            y = sg.tensors[op.outputs[0]]
            if not y.is_variable and not _window_kept(sg, op) and not plain_windows:
                raise ModelError(f"{where}'s output '{y.name}' is not a variable tensor and TFLM's memory planner may "
                                 "give its bytes to other tensors between invokes: TFLM then loses the window (aot "
                                 "keeps it), so the test vectors cannot say what the model computes",
                                 where=model.path, fix="make the op's output a variable tensor (TFLM keeps those in "
                                                       "persistent memory), or build it without test")
            found.append(Window(op.index, op.inputs[0], y.index, y.shape[1], y.nbytes // max(y.shape[1], 1),
                                max(cycles, 1)))
    return found


def _window_kept(sg, op) -> bool:
    """A non-variable window keeps its bytes only if no tensor's lifetime misses it: the op runs
    first and the window is read until the end of the invoke (a graph output or the last op's input)."""
    last = sg.operators[-1]
    return op.index == sg.operators[0].index and (op.outputs[0] in sg.outputs or op.outputs[0] in last.inputs)


def predict_runs(model, runs: int, stops_seen: bool = True, plain_windows: bool = False) -> list[Run] | None:
    """Per invoke, in order from init(): whether it stops and what it leaves unspecified; None for a
    model without CIRCULAR_BUFFER (`stops_seen`, `plain_windows`: see windows). ModelError when
    unspecified bytes reach an op that keeps state."""
    by_op = {w.op_index: w for w in windows(model, stops_seen, plain_windows)}
    if not by_op:
        return None
    sg = model.main
    window_outputs = {w.output for w in by_op.values()}  # variable, but only their own op writes them
    filled = {k: 0 for k in by_op}  # the newest frames of each window that are defined
    left = {k: w.cycles_max for k, w in by_op.items()}  # invokes until the op runs
    predicted = []
    for _ in range(runs):
        unspecified: dict[int, int] = {}
        stopped = False
        for op in sg.operators:
            window = by_op.get(op.index)
            if window is not None:
                filled[op.index] = 0 if window.input in unspecified else min(filled[op.index] + 1, window.slots)
                left[op.index] -= 1
                if left[op.index] != 0:
                    stopped = True
                    break
                left[op.index] = window.cycles_max
                if filled[op.index] < window.slots:
                    unspecified[window.output] = (window.slots - filled[op.index]) * window.frame_bytes
                continue
            if not any(i in unspecified for i in op.inputs if i >= 0):
                continue
            keeps_state = any(sg.tensors[i].is_variable and i not in window_outputs for i in op.inputs if i >= 0)
            if op.name in _STATEFUL_OPS or keeps_state:
                raise ModelError(f"op #{op.index} {op.name} keeps state and reads values computed from a "
                                 f"CIRCULAR_BUFFER window slot no frame has reached (TFLM leaves it unspecified): "
                                 "the test vectors cannot tell which later outputs are defined",
                                 where=model.path, fix="make cycles_max at least the window's slots, or build "
                                                       "it without test")
            unspecified.update({o: sg.tensors[o].nbytes for o in op.outputs if o >= 0})
        predicted.append(Run(stopped, {} if stopped else unspecified))
    return predicted
