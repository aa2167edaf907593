"""Constant tables the aot kernels need from the pinned TFLM itself, read from its resolved sources.

Why read instead of compute: TFLM's int16 sigmoid/tanh interpolate in `sigmoid_table_uint16`
(tensorflow/lite/kernels/internal/common.h), 256 values tuned by hand: 44 of them differ from
round(65536 * sigmoid(i / 24)), so no formula reproduces them, and the project does not copy
upstream data into the repository. The table is read at build time from the same pinned tree the
oracle and runtime=tflm compile (tinyml_build.third_party.resolve), so it is TFLM's by
construction; without that tree the op is refused with the ways to provide it.
"""

import functools
import re

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.third_party.errors import ThirdPartyError
from tinyml_build.third_party.lock import load_lock
from tinyml_build.third_party.resolve import provide_fix, resolve

COMMON_H = "tensorflow/lite/kernels/internal/common.h"
_SIGMOID_TABLE = re.compile(r"sigmoid_table_uint16\s*\[\s*256\s*\]\s*=\s*\{([^}]*)\}")


@functools.cache
def sigmoid_table_uint16() -> tuple[int, ...]:
    """TFLM's 256-entry sigmoid(i / 24) table in 0.16 format (int16 LOGISTIC/TANH, LSTM gates)."""
    dep = load_lock().get("tflite-micro")
    try:
        path = resolve(dep) / COMMON_H
    except ThirdPartyError as err:
        raise UnsupportedOpError(
            f"int16 sigmoid/tanh need TFLM's interpolation table from the pinned sources: {err.what}",
            where=COMMON_H, fix=f"{provide_fix(dep)}; or build with runtime=tflm") from None
    match = _SIGMOID_TABLE.search(path.read_text(encoding="utf-8", errors="replace")) if path.is_file() else None
    values = tuple(int(v, 0) for v in re.findall(r"0x[0-9a-fA-F]+|\d+", match.group(1))) if match else ()
    if len(values) != 256 or not all(0 <= v <= 0xFFFF for v in values):
        raise UnsupportedOpError("TFLM's sigmoid_table_uint16 was not found as 256 uint16 values", where=str(path),
                                 fix="check the TFLM tree named by the lock (tinyml-build deps status --verify)")
    return values
