"""Constant tables of TFLM's kernels that no formula reproduces, read from the pinned TFLM tree.

Why: TFLM's int16 LOGISTIC and TANH (and the integer LSTM's gates) interpolate in
`sigmoid_table_uint16` (kernels/internal/common.h), 256 values near 65536 * sigmoid(i / 24) but
not equal to any rounding of it (44 entries differ from round(); the table looks fitted for
interpolation), so bit-exactness needs those very numbers. The
project never copies upstream code or data into its repository: the table is read at generation
time from the TFLM tree the build resolves (third_party: TINYML_TFLITE_MICRO_PATH or the verified
cache), checked, and emitted into the generated model C like any other constant.
"""

import functools
import re
from pathlib import Path

from tinyml_build.errors import UnsupportedOpError

TFLM = "tflite-micro"
COMMON_H = "tensorflow/lite/kernels/internal/common.h"
_ARRAY = r"static\s+const\s+uint16_t\s+{name}\s*\[\s*256\s*\]\s*=\s*\{{([^}}]*)\}}"
# kernel files whose generated parameters hold a table read here
TABLE_KERNELS = ("sigmoid16", "unidirectional_sequence_lstm")


def upstream_inputs(kernels=None) -> list[Path]:
    """The upstream files a model's generated C was made from, given the kernels it calls (None: any
    kernel; empty when it needs none, or when the tree does not resolve: generation then refuses the
    op anyway). SCons makes the generated C depend on them (site_scons/site_tools/aot.py)."""
    if kernels is not None and not set(kernels) & set(TABLE_KERNELS):
        return []
    from tinyml_build.third_party.errors import ThirdPartyError
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        return [resolve(load_lock().get(TFLM)) / COMMON_H]
    except ThirdPartyError:
        return []


def sigmoid_table_uint16(op_where: str) -> tuple[int, ...]:
    """TFLM's 256-entry sigmoid table (uint16, sigmoid(i/24) in 0.16) of the pinned tree.

    `op_where` names the op that needs it, for the error when TFLM's sources are not available."""
    from tinyml_build.third_party.errors import ThirdPartyError
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import provide_fix, resolve

    dep = load_lock().get(TFLM)
    try:
        tree = resolve(dep)
    except ThirdPartyError as error:
        raise UnsupportedOpError(
            f"{op_where}: TFLM's int16 sigmoid/tanh interpolate in its sigmoid table, which is read from the "
            f"pinned TFLM sources at generation time, and those are not available ({error.what})",
            fix=f"{provide_fix(dep)}; or build with runtime=tflm") from None
    return _read_table(tree / COMMON_H, "sigmoid_table_uint16")


@functools.cache
def _read_table(path: Path, name: str) -> tuple[int, ...]:
    """The uint16[256] array `name` in `path`, checked (256 values in 0..65535, non-decreasing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UnsupportedOpError(f"cannot read TFLM's {name} from {path.name}: {error.strerror}",
                                 fix="check the TFLM source tree (tinyml-build deps status --verify)") from None
    match = re.search(_ARRAY.format(name=re.escape(name)), text)
    values = [int(v) for v in re.findall(r"\d+", match.group(1))] if match else []
    if len(values) != 256 or any(v > 0xFFFF for v in values) or values != sorted(values):
        raise UnsupportedOpError(f"TFLM's {COMMON_H} has no 256-entry non-decreasing uint16 {name}",
                                 fix="build against the pinned TFLM (tinyml-build deps status --verify)")
    return tuple(values)
