/* detection_postprocess.c -- TFLite_Detection_PostProcess (float32), TFLM's
 * kernels/detection_postprocess.cc semantics: decode SSD box encodings against the anchors, then
 * regular (per class) or fast (best classes per box) non-max suppression.
 *
 * Bit-exactness rests on three things TFLM fixes and this file repeats:
 *   - the decode in double with exp(), rounded to float once per coordinate;
 *   - the IoU in float with std::max / std::min's comparisons (NaN behaves as there);
 *   - the orders: the boxes above the score threshold in a STABLE descending sort (TFLM's merge
 *     sort: ties keep box order); the partial sorts by (score descending, position ascending),
 *     which is a total order on the values TFLM sorts (no NaN there: scores passed the threshold
 *     test, or -- fast NMS, one category per box -- the top-1 scan reproduces std::partial_sort's
 *     heap selection, which replaces the best only on a strictly greater score).
 * This file includes <math.h>: float32 code only (see the aot README).
 */
#include <math.h>
#include <string.h>

#include "tml_kernels.h"

#define TML_DPP_INSERTION_LIMIT 20 /* below it, insertion sort (any stable sort gives TFLM's order) */

typedef struct {
  float ymin, xmin, ymax, xmax;
} tml_dpp_box;

static float *tml_dpp_floats(char *scratch, uint32_t offset) {
  return (float *)(void *)(scratch + offset);
}

static int32_t *tml_dpp_ints(char *scratch, uint32_t offset) {
  return (int32_t *)(void *)(scratch + offset);
}

/* (double)x / (double)s, rounded as IEEE division rounds (to nearest, ties to even). Why: without a
 * double FPU (Cortex-M4F) libgcc's __divdf3 takes about 800 instructions, 45 % of the op; two
 * float operands have 24-bit significands, so the 53-bit quotient, its rounding bit and a sticky bit
 * come from seven 32-bit hardware divisions of 8 quotient bits each (the remainder stays below the
 * divisor, < 2^24). Zeros, subnormals, infinities and NaNs take the plain division. */
double tml_detection_divide(float x, float s) {
  uint32_t xb, sb, ex, es, mx, ms, r, shift, i;
  uint64_t q, bits;
  int32_t e, sticky;
  double out;
  memcpy(&xb, &x, sizeof(xb));
  memcpy(&sb, &s, sizeof(sb));
  ex = (xb >> 23) & 0xFFu;
  es = (sb >> 23) & 0xFFu;
  if (ex == 0u || ex == 0xFFu || es == 0u || es == 0xFFu) {
    return (double)x / (double)s;
  }
  mx = (xb & 0x7FFFFFu) | 0x800000u;
  ms = (sb & 0x7FFFFFu) | 0x800000u;
  q = mx / ms;
  r = mx - (uint32_t)q * ms;
  for (i = 0; i < 7u; ++i) {
    uint32_t digit;
    r <<= 8;
    digit = r / ms;
    r -= digit * ms;
    q = (q << 8) | digit;
  }
  /* q = floor(mx * 2^56 / ms), in [2^55, 2^57): keep 54 bits, the last one rounds */
  e = (int32_t)ex - (int32_t)es;
  shift = 3u;
  if (q < ((uint64_t)1 << 56)) {
    shift = 2u;
    e -= 1;
  }
  sticky = (r != 0u) || (q & ((1u << shift) - 1u)) != 0u;
  q >>= shift;
  bits = q >> 1;
  if ((q & 1u) && (sticky || (bits & 1u))) {
    ++bits;
    if (bits == ((uint64_t)1 << 53)) {
      bits >>= 1;
      e += 1;
    }
  }
  bits = ((uint64_t)((xb ^ sb) >> 31) << 63) | ((uint64_t)(e + 1023) << 52) | (bits & (((uint64_t)1 << 52) - 1u));
  memcpy(&out, &bits, sizeof(out));
  return out;
}

/* TFLM's DecodeCenterSizeBoxes, operation for operation; 1 when a box is empty or inverted
 * (ValidateBoxes: the invoke fails). */
static int32_t tml_dpp_decode(const tml_detection_postprocess_params *p, const float *boxes, tml_dpp_box *out) {
  const float *anchor = p->anchors;
  int32_t invalid = 0;
  int32_t i;
  for (i = 0; i < p->num_boxes; ++i, boxes += p->box_stride, anchor += 4) {
    const float ycenter = (float)(tml_detection_divide(boxes[0], p->y_scale) * (double)anchor[2] + (double)anchor[0]);
    const float xcenter = (float)(tml_detection_divide(boxes[1], p->x_scale) * (double)anchor[3] + (double)anchor[1]);
    const float half_h = (float)(0.5 * exp(tml_detection_divide(boxes[2], p->h_scale)) * (double)anchor[2]);
    const float half_w = (float)(0.5 * exp(tml_detection_divide(boxes[3], p->w_scale)) * (double)anchor[3]);
    out[i].ymin = ycenter - half_h;
    out[i].xmin = xcenter - half_w;
    out[i].ymax = ycenter + half_h;
    out[i].xmax = xcenter + half_w;
    invalid |= (out[i].ymin >= out[i].ymax || out[i].xmin >= out[i].xmax);
  }
  return invalid;
}

/* std::max<float>(a, b) and std::min<float>(a, b): which operand a NaN yields matters. */
static float tml_dpp_max(float a, float b) {
  return (a < b) ? b : a;
}

static float tml_dpp_min(float a, float b) {
  return (b < a) ? b : a;
}

/* TFLM's ComputeIntersectionOverUnion. */
static float tml_dpp_iou(const tml_dpp_box *a, const tml_dpp_box *b) {
  const float area_a = (a->ymax - a->ymin) * (a->xmax - a->xmin);
  const float area_b = (b->ymax - b->ymin) * (b->xmax - b->xmin);
  float height, width, intersection;
  if (area_a <= 0 || area_b <= 0) {
    return 0.0f;
  }
  height = tml_dpp_max(tml_dpp_min(a->ymax, b->ymax) - tml_dpp_max(a->ymin, b->ymin), 0.0f);
  width = tml_dpp_max(tml_dpp_min(a->xmax, b->xmax) - tml_dpp_max(a->xmin, b->xmin), 0.0f);
  intersection = height * width;
  return intersection / (area_a + area_b - intersection);
}

/* Stable sort of indices by values[index] descending (TFLM's DecreasingArgSort). */
static void tml_dpp_stable_sort(const float *values, int32_t *index, int32_t *tmp, int32_t n) {
  int32_t half, left, right, k;
  if (n < TML_DPP_INSERTION_LIMIT) {
    for (k = 1; k < n; ++k) {
      const int32_t moving = index[k];
      const float value = values[moving];
      int32_t j = k;
      while (j > 0 && value > values[index[j - 1]]) {
        index[j] = index[j - 1];
        --j;
      }
      index[j] = moving;
    }
    return;
  }
  half = n / 2;
  tml_dpp_stable_sort(values, index, tmp, half);
  tml_dpp_stable_sort(values, index + half, tmp, n - half);
  left = 0;
  right = half;
  for (k = 0; k < n; ++k) {
    if (left >= half || (right < n && values[index[right]] > values[index[left]])) {
      tmp[k] = index[right++];
    } else {
      tmp[k] = index[left++];
    }
  }
  memcpy(index, tmp, (size_t)n * sizeof(int32_t));
}

/* The first k positions of values[0..n) in TFLM's DecreasingPartialArgSort order: score descending,
 * then position ascending (its comparator, written with its `<` tests). Each position is inserted
 * after every kept one it does not beat: a later position beats an earlier one only by a strictly
 * greater score. */
static void tml_dpp_top(const float *values, int32_t n, int32_t k, int32_t *top) {
  int32_t count = 0;
  int32_t i;
  if (k <= 0) {
    return;
  }
  for (i = 0; i < n; ++i) {
    const float value = values[i];
    int32_t j = count;
    if (count == k && !(values[top[k - 1]] < value)) {
      continue;
    }
    if (count < k) {
      ++count;
    }
    while (j > 0 && values[top[j - 1]] < value) {
      if (j < k) {
        top[j] = top[j - 1];
      }
      --j;
    }
    if (j < k) {
      top[j] = i;
    }
  }
}

/* TFLM's NonMaxSuppressionSingleClassHelper: up to `limit` box indices into `selected`, best first;
 * returns how many. */
static int32_t tml_dpp_nms(const tml_detection_postprocess_params *p, char *scratch, const float *box_scores,
                           int32_t limit) {
  const tml_dpp_box *decoded = (const tml_dpp_box *)(void *)(scratch + p->decoded);
  float *keep_scores = tml_dpp_floats(scratch, p->keep_scores);
  int32_t *keep = tml_dpp_ints(scratch, p->keep_indices);
  int32_t *sorted = tml_dpp_ints(scratch, p->sorted);
  int32_t *selected = tml_dpp_ints(scratch, p->selected);
  char *active = scratch + p->active;
  const float threshold = p->score_threshold;
  int32_t kept = 0, chosen = 0, candidates, output_size, i, j;
  for (i = 0; i < p->num_boxes; ++i) {
    if (box_scores[i] >= threshold) {
      keep_scores[kept] = box_scores[i];
      keep[kept++] = i;
    }
  }
  for (i = 0; i < kept; ++i) {
    sorted[i] = i;
  }
  tml_dpp_stable_sort(keep_scores, sorted, keep, kept); /* keep[] is the merge buffer, as in TFLM */
  for (i = 0, j = 0; i < p->num_boxes; ++i) {
    if (box_scores[i] >= threshold) {
      keep[j++] = i;
    }
  }
  output_size = kept < limit ? kept : limit;
  candidates = kept;
  memset(active, 1, (size_t)kept);
  for (i = 0; i < kept; ++i) {
    const tml_dpp_box *best;
    if (candidates == 0 || chosen >= output_size) {
      break;
    }
    if (!active[i]) {
      continue;
    }
    selected[chosen++] = keep[sorted[i]];
    active[i] = 0;
    --candidates;
    best = &decoded[keep[sorted[i]]];
    for (j = i + 1; j < kept; ++j) {
      if (active[j] && tml_dpp_iou(best, &decoded[keep[sorted[j]]]) > p->iou_threshold) {
        active[j] = 0;
        --candidates;
      }
    }
  }
  return chosen;
}

static void tml_dpp_write(float *boxes, const tml_dpp_box *box, int32_t slot) {
  memcpy(boxes + 4 * slot, box, sizeof(*box));
}

/* TFLM's NonMaxSuppressionMultiClassRegularHelper. */
static void tml_dpp_regular(const tml_detection_postprocess_params *p, const float *scores, char *scratch, float *boxes,
                            float *classes, float *out_scores, float *count) {
  const tml_dpp_box *decoded = (const tml_dpp_box *)(void *)(scratch + p->decoded);
  const int32_t stride = p->classes_with_background;
  const int32_t label_offset = stride - p->num_classes;
  float *class_scores = tml_dpp_floats(scratch, p->box_scores);
  int32_t *candidate = tml_dpp_ints(scratch, p->candidate_indices);
  float *candidate_scores = tml_dpp_floats(scratch, p->candidate_scores);
  const int32_t *selected = tml_dpp_ints(scratch, p->selected);
  int32_t *top = tml_dpp_ints(scratch, p->top);
  int32_t *top_indices = tml_dpp_ints(scratch, p->top_indices);
  float *top_scores = tml_dpp_floats(scratch, p->top_scores);
  int32_t kept = 0, col, i;
  for (col = 0; col < p->num_classes; ++col) {
    const float *column = scores + col + label_offset;
    int32_t chosen, n;
    for (i = 0; i < p->num_boxes; ++i) {
      class_scores[i] = column[i * stride];
    }
    chosen = tml_dpp_nms(p, scratch, class_scores, p->detections_per_class);
    n = kept;
    for (i = 0; i < chosen; ++i, ++n) {
      candidate[n] = selected[i] * stride + col + label_offset;
      candidate_scores[n] = class_scores[selected[i]];
    }
    kept = n < p->max_detections ? n : p->max_detections;
    tml_dpp_top(candidate_scores, n, kept, top);
    for (i = 0; i < kept; ++i) {
      top_indices[i] = candidate[top[i]];
      top_scores[i] = candidate_scores[top[i]];
    }
    memcpy(candidate, top_indices, (size_t)kept * sizeof(int32_t));
    memcpy(candidate_scores, top_scores, (size_t)kept * sizeof(float));
  }
  for (i = 0; i < p->max_detections; ++i) {
    if (i < kept) {
      const int32_t anchor = candidate[i] / stride;
      tml_dpp_write(boxes, &decoded[anchor], i);
      classes[i] = (float)(candidate[i] - anchor * stride - label_offset);
      out_scores[i] = candidate_scores[i];
    } else {
      memset(boxes + 4 * i, 0, 4 * sizeof(float));
      classes[i] = 0.0f;
      out_scores[i] = 0.0f;
    }
  }
  *count = (float)kept;
}

/* TFLM's NonMaxSuppressionMultiClassFastHelper, including where it writes a box's categories:
 * slot categories * written + col, `written` counting every category written so far. */
static void tml_dpp_fast(const tml_detection_postprocess_params *p, const float *scores, char *scratch, float *boxes,
                         float *classes, float *out_scores, float *count) {
  const tml_dpp_box *decoded = (const tml_dpp_box *)(void *)(scratch + p->decoded);
  const int32_t stride = p->classes_with_background;
  const int32_t label_offset = stride - p->num_classes;
  const int32_t categories = p->categories_per_anchor;
  float *max_scores = tml_dpp_floats(scratch, p->box_scores);
  int32_t *class_top = tml_dpp_ints(scratch, p->class_top);
  const int32_t *selected = tml_dpp_ints(scratch, p->selected);
  int32_t written = 0, chosen, row, i, col;
  memset(boxes, 0, 4 * sizeof(float) * (size_t)p->slots);
  memset(classes, 0, sizeof(float) * (size_t)p->slots);
  memset(out_scores, 0, sizeof(float) * (size_t)p->slots);
  for (row = 0; row < p->num_boxes; ++row) {
    const float *box_scores = scores + row * stride + label_offset;
    int32_t *top = class_top + row * categories;
    tml_dpp_top(box_scores, p->num_classes, categories, top);
    max_scores[row] = box_scores[top[0]];
  }
  chosen = tml_dpp_nms(p, scratch, max_scores, p->max_detections);
  for (i = 0; i < chosen; ++i) {
    const int32_t box = selected[i];
    const float *box_scores = scores + box * stride + label_offset;
    const int32_t *top = class_top + box * categories;
    for (col = 0; col < categories; ++col, ++written) {
      const int32_t slot = categories * written + col;
      tml_dpp_write(boxes, &decoded[box], slot);
      classes[slot] = (float)top[col];
      out_scores[slot] = box_scores[top[col]];
    }
  }
  *count = (float)written;
}

int32_t tml_detection_postprocess(const tml_detection_postprocess_params *p, const float *boxes, const float *scores,
                                  void *scratch_bytes, float *detection_boxes, float *detection_classes,
                                  float *detection_scores, float *num_detections) {
  char *scratch = (char *)scratch_bytes;
  if (tml_dpp_decode(p, boxes, (tml_dpp_box *)(void *)(scratch + p->decoded)) != 0) {
    return 1;
  }
  if (p->use_regular_nms) {
    tml_dpp_regular(p, scores, scratch, detection_boxes, detection_classes, detection_scores, num_detections);
  } else {
    tml_dpp_fast(p, scores, scratch, detection_boxes, detection_classes, detection_scores, num_detections);
  }
  return 0;
}
