/* tml_arena_probe.c -- the arena probe: how many arena bytes each model needs on this target.
 *
 * Built by `arena=auto` with the same TFLM, kernel and wrapper objects as the final image, but a
 * large arena; run once in QEMU at build time. For each model it sets the model up in the whole
 * arena, reads TFLM's arena_used_bytes(), then searches (16-byte steps, TFLM's arena alignment)
 * for the smallest arena in which setup still succeeds: that is the size the final image
 * reserves (plus the headroom option). Setup is deterministic, so the same code and model need
 * exactly the same bytes in the final image.
 *
 * Report (parsed by tinyml_build.tflm.arena):
 *   TML-ARENA model=.. status=OK used=.. needed=.. capacity=..
 *   TML-ARENA model=.. status=FAIL capacity=..          (does not fit even the whole arena)
 *   TML-RESULT status=PASS|FAIL models=.. vectors=0 passed=0 failed=0   (always last)
 */
#include <stdint.h>

#include "tml_platform.h"
#include "tml_print.h"
#include "tml_tflm.h"

#define TML_ARENA_STEP 16u

static uint32_t tml_round_up(uint32_t bytes) { return (bytes + TML_ARENA_STEP - 1u) / TML_ARENA_STEP * TML_ARENA_STEP; }

/* The smallest multiple of 16 in (known_bad, known_good] for which setup succeeds. */
static uint32_t tml_smallest_arena(const tml_tflm_probe_model *m, uint32_t known_bad, uint32_t known_good) {
  while (known_good - known_bad > TML_ARENA_STEP) {
    const uint32_t mid = known_bad + (known_good - known_bad) / 2u / TML_ARENA_STEP * TML_ARENA_STEP;
    if (m->setup(mid) == TML_OK) {
      known_good = mid;
    } else {
      known_bad = mid;
    }
  }
  return known_good;
}

int main(void) {
  tml_platform_init();
  tml_printf("tinyml_build arena probe: %lu model(s)\n", (unsigned long)tml_tflm_probe_model_count);
  int ok = 1;
  for (uint32_t i = 0; i < tml_tflm_probe_model_count; ++i) {
    const tml_tflm_probe_model *m = &tml_tflm_probe_models[i];
    const uint32_t capacity = m->arena_capacity / TML_ARENA_STEP * TML_ARENA_STEP;
    if (m->setup(capacity) != TML_OK) {
      tml_printf("TML-ARENA model=%s status=FAIL capacity=%lu\n", m->name, (unsigned long)capacity);
      ok = 0;
      continue;
    }
    const uint32_t used = m->api_arena_used();
    tml_tflm_log_quiet = 1;
    /* TFLM reports `used` as the optimal size; check it, and step up if it is not enough. */
    uint32_t good = tml_round_up(used);
    uint32_t bad = 0u;
    while (good < capacity && m->setup(good) != TML_OK) {
      bad = good;
      good = tml_round_up(good + good / 8u + TML_ARENA_STEP);
    }
    if (good > capacity) {
      good = capacity;
    }
    const uint32_t needed = tml_smallest_arena(m, bad, good);
    tml_tflm_log_quiet = 0;
    tml_printf("TML-ARENA model=%s status=OK used=%lu needed=%lu capacity=%lu\n", m->name, (unsigned long)used,
               (unsigned long)needed, (unsigned long)capacity);
  }
  tml_printf("TML-RESULT status=%s models=%lu vectors=0 passed=0 failed=0\n", ok ? "PASS" : "FAIL",
             (unsigned long)tml_tflm_probe_model_count);
  return ok ? 0 : 2;
}
