"""Output bytes TFLM leaves unspecified, so that golden data compares only what a model defines.

TFLite_Detection_PostProcess with fast NMS writes only the detections it found: the other entries of
its box, class and score outputs keep whatever the arena held (a TFLM image's own history, the
oracle's another), while aot writes zeros there. Comparing them would judge arena garbage. Here
each such graph output gets a byte mask (1: compared) from the oracle's own number of detections,
and the test application and the host comparison skip the 0 bytes. A CIRCULAR_BUFFER's window
slots no frame has reached yet, and what is computed from them, are masked the same way
(circular_buffer_runs.py says which). Every other output is compared whole (mask None).
"""

import numpy as np

from tinyml_build.model.flex_options import read_custom_options

DETECTION_POSTPROCESS = "TFLite_Detection_PostProcess"
_ENTRY_WIDTH = (4, 1, 1)  # floats per slot of the box, class and score outputs


def fast_nms_slots(op, num_detections: int, where: str = "") -> list[int] | None:
    """The output slots fast NMS wrote for `num_detections` detections (TFLM's slot formula: category
    c of its w-th detection goes to categories * w + c, and it writes c = w % categories), or None for
    regular NMS, which writes every slot."""
    options = read_custom_options(op.custom_options, f"op #{op.index} {op.name}", where)
    if options.named_bool("use_regular_nms", False):
        return None
    categories = min(options.named_int("max_classes_per_detection"), options.named_int("num_classes"))
    return [categories * w + w % categories for w in range(num_detections)]


def op_output_care(op, k: int, num_detections: bytes | None, nbytes: int, where: str = "") -> bytes | None:
    """The byte mask of output `k` of `op` (nbytes long), or None when every byte is defined.
    num_detections: the bytes of the op's count output as the oracle computed them (None: unknown,
    then no slot of the box, class and score outputs is known to be written)."""
    if op.name != DETECTION_POSTPROCESS or k >= len(_ENTRY_WIDTH) or len(op.outputs) < 4:
        return None
    found = None if num_detections is None else int(np.frombuffer(num_detections[:4], "<f4")[0])
    slots = fast_nms_slots(op, found or 0, where)
    if slots is None:
        return None
    width = _ENTRY_WIDTH[k]
    care = np.zeros(nbytes // 4, bool)  # float32 entries
    for slot in slots if found is not None else ():
        care[width * slot:width * (slot + 1)] = True
    return np.repeat(care, 4).astype(np.uint8).tobytes()


def care_masks(model, results, unspecified: dict[int, int] | None = None) -> tuple[bytes | None, ...]:
    """Per graph output of one vector (`results`: the oracle's arrays in graph-output order), the
    byte mask of what the model defines, or None where every byte is defined. `unspecified`:
    {tensor index: its leading bytes the invoke leaves unspecified} (circular_buffer_runs.Run)."""
    sg = model.main
    masks: list[bytes | None] = [None] * len(sg.outputs)
    if not unspecified and not any(op.name == DETECTION_POSTPROCESS for op in sg.operators):
        return tuple(masks)
    position = {index: k for k, index in enumerate(sg.outputs)}
    data = [np.ascontiguousarray(r).astype(np.asarray(r).dtype.newbyteorder("<")).tobytes() for r in results]
    for op in sg.operators:
        if op.name != DETECTION_POSTPROCESS or len(op.outputs) < 4:
            continue
        count_at = position.get(op.outputs[3])
        for k, index in enumerate(op.outputs):
            if index in position:
                at = position[index]
                masks[at] = op_output_care(op, k, None if count_at is None else data[count_at], len(data[at]),
                                           str(model.path))
    for at, index in enumerate(sg.outputs):
        masks[at] = without_leading(masks[at], (unspecified or {}).get(index, 0), len(data[at]))
    return tuple(masks)


def without_leading(care: bytes | None, leading: int, size: int) -> bytes | None:
    """`care` (None: every one of `size` bytes compared) with its first `leading` bytes left out."""
    leading = min(leading, size)
    if not leading:
        return care
    mask = bytearray(care if care is not None else b"\x01" * size)
    mask[:leading] = bytes(leading)
    return bytes(mask)


def differing_bytes(got: bytes, expected: bytes, care: bytes | None) -> list[int]:
    """Positions where `got` differs from `expected`, among the bytes `care` marks (all when None)."""
    return [i for i in range(len(got)) if got[i] != expected[i] and (care is None or care[i])]
