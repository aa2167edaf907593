/* select.c -- SELECT_V2 (int8, int16, float32) with broadcasting of condition, x and y,
 * bit-exact with TFLM's reference (reference_ops::Select / BroadcastSelect5DSlow): each output
 * element is x where the condition byte is true, else y, copied as stored.
 *
 * The lowering collapsed the three-way broadcast into at most TML_BCAST_MAX_LOOPS loops; the
 * innermost runs as a row (steps 0 or 1), the outer ones move the three input pointers.
 */
#include "tml_kernels.h"

#define TML_SELECT_V2(fn, type)                                                                       \
  void fn(const tml_select_params *p, const uint8_t *cond, const type *x, const type *y, type *out) { \
    int32_t index[TML_BCAST_MAX_LOOPS] = {0};                                                         \
    const int32_t last = p->loops - 1;                                                                \
    const int32_t n = p->count[last];                                                                 \
    const int32_t sc = p->step_c[last], sx = p->step_x[last], sy = p->step_y[last];                   \
    int32_t d;                                                                                        \
    for (;;) {                                                                                        \
      const uint8_t *c = cond;                                                                        \
      const type *a = x, *b = y;                                                                      \
      int32_t i;                                                                                      \
      for (i = 0; i < n; ++i, c += sc, a += sx, b += sy) {                                            \
        *out++ = *c ? *a : *b;                                                                        \
      }                                                                                               \
      for (d = last - 1; d >= 0; --d) {                                                               \
        if (++index[d] < p->count[d]) {                                                               \
          cond += p->step_c[d];                                                                       \
          x += p->step_x[d];                                                                          \
          y += p->step_y[d];                                                                          \
          break;                                                                                      \
        }                                                                                             \
        index[d] = 0;                                                                                 \
        cond -= p->step_c[d] * (p->count[d] - 1);                                                     \
        x -= p->step_x[d] * (p->count[d] - 1);                                                        \
        y -= p->step_y[d] * (p->count[d] - 1);                                                        \
      }                                                                                               \
      if (d < 0) {                                                                                    \
        return;                                                                                       \
      }                                                                                               \
    }                                                                                                 \
  }

TML_SELECT_V2(tml_select_v2_s8, int8_t)
TML_SELECT_V2(tml_select_v2_s16, int16_t)
TML_SELECT_V2(tml_select_v2_f32, float)
