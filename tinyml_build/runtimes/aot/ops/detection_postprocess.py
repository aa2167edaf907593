"""TFLite_Detection_PostProcess (custom op of SSD detectors): box decoding + non-max suppression,
TFLM's kernels/detection_postprocess.cc, in kernels/detection_postprocess.c.

TFLM reads the options by name (flexbuffers' Map::operator[]), takes float32 tensors only and checks
most of them at Eval, failing every invoke; aot checks them all here, so a model TFLM could never run
-- or could only run by writing past its outputs or its scratch buffers -- is refused with the reason.
Only run-time data can still fail an invoke (a decoded box that is empty or inverted: the kernel
returns an error as TFLM's ValidateBoxes does).
"""

import math

from tinyml_build.runtimes.aot.ops import register

KERNEL = "detection_postprocess"
DEFAULT_DETECTIONS_PER_CLASS = 100  # TFLM's kNumDetectionsPerClass, when the option is absent
FIX = "re-export the model with the SSD post-processing options of the TF Object Detection API"


def _options(ctx, num_boxes: int, classes_with_background: int) -> dict:
    """The options as TFLM's Init reads them, each checked against what its Eval requires."""
    options = ctx.custom_options
    got = {
        "max_detections": options.named_int("max_detections"),
        "max_classes_per_detection": options.named_int("max_classes_per_detection"),
        "detections_per_class": options.named_int("detections_per_class", DEFAULT_DETECTIONS_PER_CLASS),
        "use_regular_nms": options.named_bool("use_regular_nms", False),
        "nms_score_threshold": options.named_float("nms_score_threshold"),
        "nms_iou_threshold": options.named_float("nms_iou_threshold"),
        "num_classes": options.named_int("num_classes"),
        **{f"{axis}_scale": options.named_float(f"{axis}_scale") for axis in "yxhw"},
    }

    def refuse(what: str):
        return ctx.unsupported(what, fix=FIX)

    if got["max_detections"] < 1:
        raise refuse(f"max_detections = {got['max_detections']}; it must be at least 1")
    if got["use_regular_nms"] and got["detections_per_class"] < 1:
        raise refuse(f"detections_per_class = {got['detections_per_class']}; TFLM's regular NMS requires > 0")
    if not got["use_regular_nms"] and got["max_classes_per_detection"] < 1:
        raise refuse(f"max_classes_per_detection = {got['max_classes_per_detection']}; TFLM's fast NMS requires > 0")
    if math.isnan(got["nms_score_threshold"]):
        raise refuse("nms_score_threshold is NaN: no score would pass it")
    if not 0.0 < got["nms_iou_threshold"] <= 1.0:
        raise refuse(f"nms_iou_threshold = {got['nms_iou_threshold']!r}; TFLM requires 0 < it <= 1")
    for axis in "yxhw":
        scale = got[f"{axis}_scale"]
        if scale == 0.0 or math.isnan(scale):
            raise refuse(f"{axis}_scale = {scale!r}: the box decode divides by it")
    num_classes = got["num_classes"]
    if not 1 <= num_classes <= classes_with_background <= num_classes + 1:
        raise refuse(f"num_classes = {num_classes} with {classes_with_background} class scores per box; TFLM "
                     "requires the scores to hold num_classes classes plus at most one background class")
    return got


def _tensors(ctx):
    """(boxes, scores, anchors, outputs) after TFLM's type, rank and shape checks."""
    if len(ctx.op.inputs) != 3 or len(ctx.op.outputs) != 4:
        raise ctx.unsupported(f"{len(ctx.op.inputs)} inputs and {len(ctx.op.outputs)} outputs; TFLM's kernel "
                              "takes 3 (box encodings, class predictions, anchors) and gives 4")
    roles = ("box encodings", "class predictions", "anchors")
    boxes, scores, anchors = (ctx.require_dtype(ctx.input(i), ("float32",), roles[i]) for i in range(3))
    names = ("detection boxes", "detection classes", "detection scores", "number of detections")
    outputs = [ctx.require_dtype(ctx.output(i), ("float32",), names[i]) for i in range(4)]
    ctx.require_constant(anchors, "anchors")
    if len(boxes.shape) != 3 or boxes.shape[0] != 1 or boxes.shape[2] < 4:
        raise ctx.unsupported(f"box encodings have shape {list(boxes.shape)}; TFLM needs [1, boxes, >= 4]")
    num_boxes = boxes.shape[1]
    if num_boxes < 1 or len(scores.shape) != 3 or tuple(scores.shape[:2]) != (1, num_boxes):
        raise ctx.unsupported(f"class predictions have shape {list(scores.shape)}; TFLM needs [1, {num_boxes}, "
                              "classes] for box encodings of shape " + str(list(boxes.shape)))
    if len(anchors.shape) != 2 or anchors.elements < 4 * num_boxes:
        raise ctx.unsupported(f"anchors have shape {list(anchors.shape)}; TFLM reads {num_boxes} anchors of "
                              "4 values (y, x, h, w) from a 2-D tensor")
    sizes = anchors.array().reshape(-1)[:4 * num_boxes].reshape(num_boxes, 4)[:, 2:]
    if not (sizes > 0).all():
        raise ctx.unsupported("an anchor's height or width is not positive, so every decoded box would be "
                              "empty and every invoke would fail (TFLM's ValidateBoxes)")
    return boxes, scores, anchors, outputs


def _require_room(ctx, outputs, slots: int) -> None:
    """TFLM writes up to `slots` detections without checking the outputs' sizes: refuse smaller ones."""
    need = (4 * slots, slots, slots, 1)
    for tensor, count in zip(outputs, need):
        if tensor.elements < count:
            raise ctx.unsupported(f"output tensor #{tensor.index} '{tensor.name}' holds {tensor.elements} values; "
                                  f"TFLM's kernel may write {count} there (past its end)")


def regular_candidates(num_boxes: int, got: dict) -> int:
    """Most candidates regular NMS holds at once: the best so far (at most max_detections, and at most
    what the earlier classes kept) plus one class's boxes."""
    per_class = min(num_boxes, got["detections_per_class"])
    return min(got["max_detections"], (got["num_classes"] - 1) * per_class) + per_class


def fast_slots(num_boxes: int, got: dict) -> int:
    """Output entries fast NMS may write: TFLM puts category c of its w-th written value at
    categories * w + c (w counts every category written), for at most min(boxes, max_detections)
    boxes -- past max_detections * categories entries when categories > 1."""
    categories = min(got["max_classes_per_detection"], got["num_classes"])
    return categories * categories * min(num_boxes, got["max_detections"])


class _Layout:
    """Byte offsets of the kernel's scratch buffers (4-byte aligned), in order."""

    def __init__(self):
        self.size = 0
        self.offsets = {}

    def take(self, name: str, nbytes: int) -> None:
        self.offsets[name] = self.size
        self.size += (nbytes + 3) // 4 * 4


def _scratch(num_boxes: int, got: dict, categories: int) -> _Layout:
    """Scratch from the shapes: decoded boxes, the NMS buffers, and the mode's own."""
    layout = _Layout()
    regular = got["use_regular_nms"]
    limit = got["detections_per_class"] if regular else got["max_detections"]
    for name, nbytes in (("decoded", 16 * num_boxes), ("box_scores", 4 * num_boxes), ("keep_scores", 4 * num_boxes),
                         ("keep_indices", 4 * num_boxes), ("sorted", 4 * num_boxes),
                         ("selected", 4 * min(num_boxes, limit)), ("active", num_boxes)):
        layout.take(name, nbytes)
    if regular:
        candidates = regular_candidates(num_boxes, got)
        for name, nbytes in (("candidate_indices", 4 * candidates), ("candidate_scores", 4 * candidates),
                             ("top", 4 * got["max_detections"]), ("top_indices", 4 * got["max_detections"]),
                             ("top_scores", 4 * got["max_detections"])):
            layout.take(name, nbytes)
    else:
        layout.take("class_top", 4 * num_boxes * categories)
    return layout


@register("TFLite_Detection_PostProcess")
def lower(ctx) -> None:
    boxes, scores, anchors, outputs = _tensors(ctx)
    num_boxes, classes_with_background = boxes.shape[1], scores.shape[2]
    got = _options(ctx, num_boxes, classes_with_background)
    max_detections, regular = got["max_detections"], got["use_regular_nms"]
    categories = min(got["max_classes_per_detection"], got["num_classes"])
    slots = max_detections if regular else fast_slots(num_boxes, got)
    if regular:
        candidates = regular_candidates(num_boxes, got)
        if candidates > max_detections * num_boxes:
            raise ctx.unsupported(f"max_detections = {max_detections} and detections_per_class = "
                                  f"{got['detections_per_class']} with {num_boxes} boxes and {got['num_classes']} "
                                  f"classes: TFLM's regular NMS would gather up to {candidates} candidates in "
                                  f"scratch buffers sized {max_detections * num_boxes} (past their end)", fix=FIX)
    _require_room(ctx, outputs, slots)
    layout = _scratch(num_boxes, got, categories)
    offsets = {name: layout.offsets.get(name, 0) for name in (
        "decoded", "box_scores", "keep_scores", "keep_indices", "sorted", "active", "selected", "candidate_indices",
        "candidate_scores", "top", "top_indices", "top_scores", "class_top")}
    params = ctx.params("tml_detection_postprocess_params", {
        "num_boxes": num_boxes, "box_stride": boxes.shape[2], "num_classes": got["num_classes"],
        "classes_with_background": classes_with_background, "max_detections": max_detections,
        "use_regular_nms": int(regular), "detections_per_class": got["detections_per_class"],
        "categories_per_anchor": categories, "slots": slots,
        "score_threshold": got["nms_score_threshold"], "iou_threshold": got["nms_iou_threshold"],
        **{f"{axis}_scale": got[f"{axis}_scale"] for axis in "yxhw"},
        "anchors": ctx.ptr(anchors), **offsets,
    })
    ctx.call("tml_detection_postprocess", params, ctx.input_ptr(0), ctx.input_ptr(1), ctx.scratch(layout.size),
             *(ctx.ptr(t, const=False) for t in outputs), kernel=KERNEL, checked=True)
