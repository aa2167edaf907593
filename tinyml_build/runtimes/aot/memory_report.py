"""RAM of runtime=aot next to TFLM's: the planned arena vs TFLM's recording allocator.

Why: choosing a runtime for a board is mostly a RAM question. The aot arena holds only
activation tensors and op scratch (everything else is const, in flash, but the state of
stateful ops such as the Signal library's: static RAM next to the arena, "aot state", counted in
the ratio); TFLM's arena also holds its tensor structs, node structs and per-op persistent data
("tail"). TFLM prints its numbers from C++ to stderr, so they are read in a child process.

    python -m tinyml_build.runtimes.aot.memory_report model.tflite [...]
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.errors import TinyMLError
from tinyml_build.escape import terminal
from tinyml_build.model.reader import Model, load_model
from tinyml_build.runtimes.aot.lower import lower_model

_TFLM_SCRIPT = """
import sys
from tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
interpreter = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
interpreter.invoke()
interpreter.print_allocations()
"""

_PATTERN = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


@dataclass(frozen=True)
class ArenaComparison:
    model: str
    aot_arena: int  # bytes of the planned aot arena (activations + scratch)
    aot_lower_bound: int  # most activation bytes live at one time
    tflm_total: int | None  # TFLM arena bytes used (head + tail), None when unavailable
    tflm_head: int | None  # TFLM non-persistent part: tensors and scratch buffers
    tflm_tail: int | None  # TFLM persistent part: structs and per-op data
    aot_state: int = 0  # bytes of op state aot keeps outside the arena (Program.state_bytes)

    def row(self) -> str:
        def fmt(v):
            return "-" if v is None else f"{v:,}"
        ratio = f"{(self.aot_arena + self.aot_state) / self.tflm_total:.2f}" if self.tflm_total else "-"
        return (f"{terminal(self.model):<28} {self.aot_arena:>10,} {self.aot_lower_bound:>10,} {self.aot_state:>10,} "
                f"{fmt(self.tflm_head):>10} {fmt(self.tflm_tail):>10} {fmt(self.tflm_total):>10} {ratio:>6}")


HEADER = (f"{'model':<28} {'aot arena':>10} {'aot bound':>10} {'aot state':>10} {'tflm head':>10} {'tflm tail':>10} "
          f"{'tflm total':>10} {'ratio':>6}")


def tflm_arena(path: str | Path, arena_size: int | None = None) -> dict[str, int]:
    """{'total', 'head', 'tail'} bytes as TFLM's RecordingMicroAllocator reports them."""
    path = Path(path)
    size = arena_size or max(path.stat().st_size * 10, 256 << 10)
    proc = subprocess.run([sys.executable, "-c", _TFLM_SCRIPT, str(path), str(size)], capture_output=True, text=True)
    found = {kind: int(value) for kind, value in _PATTERN.findall(proc.stderr + proc.stdout)}
    if proc.returncode != 0 or len(found) != 3:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TinyMLError(f"tflite-micro could not report its arena: {detail}", where=str(path),
                          fix="check that the tflite-micro package is installed and runs this model")
    return found


def compare(model: Model | str | Path) -> ArenaComparison:
    if not isinstance(model, Model):
        model = load_model(model)
    program = lower_model(model)
    try:
        tflm = tflm_arena(model.path)
    except TinyMLError:
        tflm = {}
    return ArenaComparison(model=model.name, aot_arena=program.arena_size, aot_lower_bound=program.arena_lower_bound,
                           tflm_total=tflm.get("total"), tflm_head=tflm.get("head"), tflm_tail=tflm.get("tail"),
                           aot_state=program.state_bytes)


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    if not paths:
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    print(HEADER)
    status = 0
    for path in paths:
        try:
            print(compare(path).row())
        except TinyMLError as exc:
            print(f"{terminal(Path(path).stem):<28} error: {terminal(exc.what)}")
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
