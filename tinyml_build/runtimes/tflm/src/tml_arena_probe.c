/* tml_arena_probe.c -- the arena probe: how many arena bytes each model needs on this target.
 *
 * Built by `arena=auto` with the same TFLM, kernel and wrapper objects as the final image, but a
 * large arena; run once in QEMU at build time. For each model:
 *   1. set it up in the whole arena with TFLM's own allocator: TFLM's arena_used_bytes();
 *   2. again with the checked allocator (tml_tflm_checked_arena.h): the same arena_used_bytes()
 *      (else the probe would not measure the final image), and the high-water mark -- the most
 *      bytes in use at once during set-up, from both ends of the arena;
 *   3. search (16-byte steps: TFLM's arena alignment) the smallest arena, never below the
 *      high-water mark, in which the checked set-up succeeds -- below it TFLM's allocator can
 *      overwrite memory instead of failing; above it only the memory planner can fail, cleanly;
 *   4. set the model up once in exactly that arena with TFLM's own allocator, as the final image
 *      will (TFLM's messages on: with tflm_log=on they say why, should it fail).
 *   5. only with TML_ARENA_PROBE_INVOKE (the host target's probe, runtimes/tflm/host_probe.py, after
 *      which no image test runs the model): one inference in that arena on the inputs set-up leaves
 *      (the zeroed arena: deterministic), and TFLM's arena_used_bytes() after it.
 * TFLM's arena_used_bytes() is no upper bound: with keyword_scrambled_8bit it reports 8,052 bytes
 * where set-up needs 10,400 (the planner and temporaries need room that is free again afterwards).
 *
 * Report (parsed by tinyml_build.runtimes.tflm.arena):
 *   TML-ARENA model=.. status=OK used=.. needed=.. high_water=.. capacity=..
 *   TML-ARENA model=.. status=FAIL reason=setup|checked_allocator_differs|own_allocator_fails_at_needed|
 *                                         invoke_fails_at_needed capacity=..
 *   TML-RESULT status=PASS|FAIL models=.. vectors=0 passed=0 failed=0   (always last)
 */
#include <stdint.h>

#include "tml_platform.h"
#include "tml_print.h"
#include "tml_tflm.h"

#define TML_ARENA_STEP 16u

static uint32_t tml_round_up(uint32_t bytes) {
  return (bytes + TML_ARENA_STEP - 1u) / TML_ARENA_STEP * TML_ARENA_STEP;
}

/* The smallest multiple of 16 in (known_bad, known_good] for which the checked setup succeeds. */
static uint32_t tml_smallest_arena(const tml_tflm_probe_model *m, uint32_t known_bad, uint32_t known_good) {
  while (known_good - known_bad > TML_ARENA_STEP) {
    const uint32_t mid = known_bad + (known_good - known_bad) / 2u / TML_ARENA_STEP * TML_ARENA_STEP;
    if (m->setup_checked(mid) == TML_OK) {
      known_good = mid;
    } else {
      known_bad = mid;
    }
  }
  return known_good;
}

static void tml_fail(const tml_tflm_probe_model *m, const char *why, uint32_t capacity) {
  tml_printf("TML-ARENA model=%s status=FAIL reason=%s capacity=%lu\n", m->name, why, (unsigned long)capacity);
}

/* Returns 1 when the model was measured. */
static int tml_probe(const tml_tflm_probe_model *m) {
  const uint32_t capacity = m->arena_capacity / TML_ARENA_STEP * TML_ARENA_STEP;
  if (m->setup(capacity) != TML_OK) {
    tml_fail(m, "setup", capacity);
    return 0;
  }
  uint32_t used = m->api_arena_used();
  tml_tflm_high_water = 0u;
  if (m->setup_checked(capacity) != TML_OK || m->api_arena_used() != used) {
    tml_fail(m, "checked_allocator_differs", capacity);
    return 0;
  }
  const uint32_t high_water = tml_round_up(tml_tflm_high_water);
  tml_tflm_log_quiet = 1; /* the attempts that are too small for the planner are expected to fail */
  uint32_t good = high_water;
  uint32_t bad = high_water - TML_ARENA_STEP;
  while (good < capacity && m->setup_checked(good) != TML_OK) {
    bad = good;
    good = tml_round_up(good + good / 8u + TML_ARENA_STEP);
  }
  if (good > capacity) {
    good = capacity;
  }
  const uint32_t needed = tml_smallest_arena(m, bad, good);
  tml_tflm_log_quiet = 0;
  const tml_status final_setup = m->setup(needed);
  if (final_setup != TML_OK) {
    tml_printf("  TFLM's own allocator: setup in %lu bytes returned %d\n", (unsigned long)needed, (int)final_setup);
    tml_fail(m, "own_allocator_fails_at_needed", capacity);
    return 0;
  }
#ifdef TML_ARENA_PROBE_INVOKE
  if (m->invoke() != TML_OK) {
    tml_fail(m, "invoke_fails_at_needed", capacity);
    return 0;
  }
  if (m->api_arena_used() > used) {
    used = m->api_arena_used(); /* TFLM allocates nothing in Invoke; should a kernel, report the larger */
  }
#endif
  tml_printf("TML-ARENA model=%s status=OK used=%lu needed=%lu high_water=%lu capacity=%lu\n", m->name,
             (unsigned long)used, (unsigned long)needed, (unsigned long)tml_tflm_high_water, (unsigned long)capacity);
  return 1;
}

int main(void) {
  tml_platform_init();
  tml_printf("tinyml_build arena probe: %lu model(s)\n", (unsigned long)tml_tflm_probe_model_count);
  int ok = 1;
  for (uint32_t i = 0; i < tml_tflm_probe_model_count; ++i) {
    ok &= tml_probe(&tml_tflm_probe_models[i]);
  }
  tml_printf("TML-RESULT status=%s models=%lu vectors=0 passed=0 failed=0\n", ok ? "PASS" : "FAIL",
             (unsigned long)tml_tflm_probe_model_count);
  return ok ? 0 : 2;
}
