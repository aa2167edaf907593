/* main.c -- the test firmware: run every model in the image on its embedded test vectors.
 *
 * A model built with no test vectors (test_vectors=0 and no samples: too large to carry them) runs
 * instead on one fixed input -- every input element at its tensor's zero point (real value 0; 0 for
 * float and unquantized tensors) -- and reports its time, stack and outputs, not checked.
 *
 * Report (human lines, plus `TML-` lines that tinyml_build.verification.qemu_runner parses):
 *   TML-MODEL name=.. runtime=.. operators=.. tensors=.. model_bytes=.. arena_used=..
 *             arena_reserved=.. arena_headroom=..
 *   TML-VECTOR model=.. index=.. status=PASS|FAIL [first_mismatch=output:byte]
 *   TML-VECTOR model=.. index=.. status=PASS|FAIL ready=no|yes   (a vector the oracle stopped: kTfLiteAbort;
 *             PASS when invoke() returned TML_NOT_READY too, then no TML-OUTPUT lines: nothing new to show)
 *   TML-VECTOR model=.. index=0 status=NOCHECK input=zero_point   (a model without test vectors)
 *   TML-OUTPUT model=.. vector=.. output=.. hex=..   (every output byte, for the host-side comparison)
 *   TML-TIME model=.. unit=cycles|qemu_instructions|none per_inference=.. runs=..
 *   TML-STACK model=.. used=.. size=..   (bytes: the deepest stack depth while this model ran)
 *   TML-STACK used=.. size=..   (bytes: the deepest stack depth since start-up, of the reserved size)
 *   TML-RESULT status=PASS|FAIL|NOCHECK models=.. vectors=.. passed=.. failed=.. unchecked=..
 *             (always the last line; NOCHECK: nothing failed, and some model ran with outputs unchecked)
 * Exit status: 0 all vectors pass, 1 a mismatch, 2 the model could not be set up, 3 a fault,
 * 4 every checked vector passed but some model's outputs were not checked.
 *
 * The timing loop runs after every vector was checked, so stateful models (variable tensors,
 * CIRCULAR_BUFFER windows) see exactly the sequence of inputs the golden run used. A streaming
 * model's invokes that return TML_NOT_READY count in its time per inference like the others.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "tml_board.h"
#include "tml_model_api.h"
#include "tml_platform.h"
#include "tml_print.h"
#include "tml_test_vectors.h"

#define TML_EXIT_PASS 0
#define TML_EXIT_MISMATCH 1
#define TML_EXIT_SETUP 2
#define TML_EXIT_NOCHECK 4

/* Repeat the inference until this many timer ticks passed (1 ms at the core clock), at most
 * TML_TIMING_MAX_RUNS times: averages away the SysTick resolution under QEMU. */
#ifndef TML_TIMING_MIN_TICKS
#define TML_TIMING_MIN_TICKS (TML_CLOCK_HZ / 1000u)
#endif
#ifndef TML_TIMING_MAX_RUNS
#define TML_TIMING_MAX_RUNS 1000u
#endif

typedef struct {
  uint32_t vectors;
  uint32_t passed;
  uint32_t failed;
  uint32_t unchecked; /* models that ran on the fixed input only */
  int setup_error;
} tml_tally;

static const char *tml_status_name(tml_status status) {
  switch (status) {
    case TML_OK: return "ok";
    case TML_ARENA_TOO_SMALL: return "arena too small";
    case TML_NOT_READY: return "not ready";
    default: return "error";
  }
}

static int tml_check_shapes(const tml_test_model *m) {
  const tml_model_api *api = m->api;
  if (api->num_inputs != m->num_inputs || api->num_outputs != m->num_outputs) {
    tml_printf("  ERROR: model has %" PRIu32 " inputs / %" PRIu32 " outputs, test data has %" PRIu32 " / %" PRIu32 "\n",
               api->num_inputs, api->num_outputs, m->num_inputs, m->num_outputs);
    return 0;
  }
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    const tml_tensor *t = api->input(i);
    if (t == 0 || t->bytes != m->input_bytes[i]) {
      tml_printf("  ERROR: input %" PRIu32 " is %" PRIu32 " bytes, test data has %" PRIu32 "\n", i,
                 t != 0 ? t->bytes : 0u, m->input_bytes[i]);
      return 0;
    }
  }
  for (uint32_t i = 0; i < m->num_outputs; ++i) {
    const tml_tensor *t = api->output(i);
    if (t == 0 || t->bytes != m->output_bytes[i]) {
      tml_printf("  ERROR: output %" PRIu32 " is %" PRIu32 " bytes, test data has %" PRIu32 "\n", i,
                 t != 0 ? t->bytes : 0u, m->output_bytes[i]);
      return 0;
    }
  }
  return 1;
}

/* Every output byte of the invoke just run, for the host-side comparison (TML-OUTPUT lines). */
static void tml_report_outputs(const tml_test_model *m, uint32_t index) {
  const tml_model_api *api = m->api;
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    tml_printf("TML-OUTPUT model=%s vector=%" PRIu32 " output=%" PRIu32 " hex=", api->name, index, o);
    tml_print_hex_bytes((const uint8_t *)api->output(o)->data, m->output_bytes[o]);
    tml_printf("\n");
  }
}

/* A vector whose invoke the oracle stopped (kTfLiteAbort: a CIRCULAR_BUFFER collecting frames): it
 * passes when invoke() returns TML_NOT_READY too; its outputs hold nothing new and are not compared. */
static int tml_check_stopped(const tml_test_model *m, const tml_test_vector *v, uint32_t index, tml_status status) {
  const tml_model_api *api = m->api;
  if (status == TML_NOT_READY) {
    tml_printf("  vector %" PRIu32 " (%s): PASS: not ready, as in the oracle\n", index, v->label);
    tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=PASS ready=no\n", api->name, index);
    return 1;
  }
  if (status == TML_OK) {
    tml_printf("  vector %" PRIu32 " (%s): FAIL: invoke() ran the model, the oracle stopped it (not ready)\n", index,
               v->label);
    tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=FAIL ready=yes\n", api->name, index);
    tml_report_outputs(m, index);
    return 0;
  }
  tml_printf("  vector %" PRIu32 " (%s): FAIL: invoke() returned %s\n", index, v->label, tml_status_name(status));
  tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=FAIL invoke=%" PRIu32 "\n", api->name, index,
             (uint32_t)status);
  return 0;
}

static int tml_run_vector(const tml_test_model *m, uint32_t index) {
  const tml_model_api *api = m->api;
  const tml_test_vector *v = &m->vectors[index];
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    memcpy(api->input(i)->data, v->inputs[i], m->input_bytes[i]);
  }
  const tml_status status = api->invoke();
  if (v->stopped) {
    return tml_check_stopped(m, v, index, status);
  }
  if (status != TML_OK) {
    tml_printf("  vector %" PRIu32 " (%s): FAIL: invoke() returned %s\n", index, v->label, tml_status_name(status));
    tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=FAIL invoke=%" PRIu32 "\n", api->name, index,
               (uint32_t)status);
    return 0;
  }
  int pass = 1;
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    const uint8_t *got = (const uint8_t *)api->output(o)->data;
    const uint8_t *want = v->expected[o];
    const uint8_t *care = v->care != 0 ? v->care[o] : 0;
    for (uint32_t b = 0; b < m->output_bytes[o]; ++b) {
      if (got[b] != want[b] && (care == 0 || care[b] != 0)) {
        if (pass) {
          tml_printf("  vector %" PRIu32 " (%s): FAIL: output %" PRIu32 " byte %" PRIu32 " is 0x%02x, golden 0x%02x\n",
                     index, v->label, o, b, got[b], want[b]);
          tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=FAIL first_mismatch=%" PRIu32 ":%" PRIu32 "\n",
                     api->name, index, o, b);
        }
        pass = 0;
        break;
      }
    }
  }
  if (pass) {
    tml_printf("  vector %" PRIu32 " (%s): PASS\n", index, v->label);
    tml_printf("TML-VECTOR model=%s index=%" PRIu32 " status=PASS\n", api->name, index);
  }
  tml_report_outputs(m, index);
  return pass;
}

/* The fixed input of a model without test vectors: every element at its tensor's zero point. */
static void tml_fill_fixed_input(const tml_tensor *t) {
  const int32_t zero_point = t->scale != 0.0f ? t->zero_point : 0;
  uint8_t *bytes = (uint8_t *)t->data;
  switch (t->dtype) {
    case TML_INT8:
    case TML_UINT8: memset(bytes, (int)(uint8_t)zero_point, t->bytes); break;
    case TML_INT16:
      for (uint32_t i = 0; i + 1u < t->bytes; i += 2u) {
        const int16_t value = (int16_t)zero_point;
        memcpy(bytes + i, &value, sizeof value);
      }
      break;
    case TML_INT32:
      for (uint32_t i = 0; i + 3u < t->bytes; i += 4u) {
        memcpy(bytes + i, &zero_point, sizeof zero_point);
      }
      break;
    default: /* float, int64, bool: all-zero bytes are 0 */ memset(bytes, 0, t->bytes); break;
  }
}

/* Run a model without test vectors once on the fixed input; its outputs are reported, not checked. */
static int tml_run_fixed_input(const tml_test_model *m) {
  const tml_model_api *api = m->api;
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    tml_fill_fixed_input(api->input(i));
  }
  const tml_status status = api->invoke();
  if (status != TML_OK && status != TML_NOT_READY) { /* not ready: a streaming op took the frame, by design */
    tml_printf("  fixed input (zero points): FAIL: invoke() returned %s\n", tml_status_name(status));
    tml_printf("TML-VECTOR model=%s index=0 status=FAIL invoke=%" PRIu32 "\n", api->name, (uint32_t)status);
    return 0;
  }
  tml_printf("  fixed input (zero points): %s; outputs not checked (no test vectors in this image)\n",
             status == TML_NOT_READY ? "not ready (the model collects frames)" : "ran");
  tml_printf("TML-VECTOR model=%s index=0 status=NOCHECK input=zero_point\n", api->name);
  tml_report_outputs(m, 0u);
  return 1;
}

static void tml_time_model(const tml_test_model *m) {
  const tml_model_api *api = m->api;
  const tml_timer_kind kind = tml_timer_kind_in_use();
  if (kind == TML_TIMER_NONE) {
    tml_printf("  time per inference: not measured (no timer on this target)\n");
    tml_printf("TML-TIME model=%s unit=none\n", api->name);
    return;
  }
  /* One timed run sizes the loop; the loop then reads the timer only twice, so its own cost
   * (a call and a branch per run) is all that is added to the model's. */
  uint64_t start = tml_timer_read();
  tml_profile_begin();
  (void)api->invoke();
  tml_profile_end();
  uint64_t elapsed = tml_timer_read() - start;
  uint32_t runs = 1u;
  if (elapsed < TML_TIMING_MIN_TICKS) {
    const uint64_t wanted = elapsed == 0u ? TML_TIMING_MAX_RUNS : (TML_TIMING_MIN_TICKS + elapsed - 1u) / elapsed;
    runs = wanted > TML_TIMING_MAX_RUNS ? TML_TIMING_MAX_RUNS : (uint32_t)wanted;
    start = tml_timer_read();
    for (uint32_t r = 0; r < runs; ++r) {
      tml_profile_begin();
      (void)api->invoke();
      tml_profile_end();
    }
    elapsed = tml_timer_read() - start;
  }
  tml_profile_report();
  const uint64_t total = tml_timer_to_report_units(elapsed);
  const uint64_t per_run = (total + runs / 2u) / runs;
  if (kind == TML_TIMER_CYCLES) {
    const uint64_t micros = (per_run * 1000000ull + TML_CLOCK_HZ / 2u) / TML_CLOCK_HZ;
    tml_printf("  time per inference: %llu cycles (%llu us at %" PRIu32 " MHz; DWT, mean of %" PRIu32 " runs)\n",
               per_run, micros, (uint32_t)(TML_CLOCK_HZ / 1000000u), runs);
    tml_printf("TML-TIME model=%s unit=cycles per_inference=%llu runs=%" PRIu32 "\n", api->name, per_run, runs);
  } else {
    tml_printf("  time per inference: %llu instructions (QEMU -icount shift=0, mean of %" PRIu32 " runs)\n", per_run,
               runs);
    tml_printf("TML-TIME model=%s unit=qemu_instructions per_inference=%llu runs=%" PRIu32 "\n", api->name, per_run,
               runs);
  }
}

static void tml_run_model(const tml_test_model *m, tml_tally *tally) {
  const tml_model_api *api = m->api;
  tml_printf("\nmodel %s (runtime %s, sha256 %s)\n", api->name, api->runtime, api->sha256);
  const tml_status status = api->init();
  if (status != TML_OK) {
    tml_printf("  ERROR: init() returned %s\n", tml_status_name(status));
    tml_printf("TML-MODEL name=%s init=FAIL\n", api->name);
    tally->setup_error = 1;
    tally->failed += m->vector_count;
    tally->vectors += m->vector_count;
    return;
  }
  const uint32_t used = api->arena_used();
  const uint32_t reserved = api->arena_reserved;
  const uint32_t headroom = reserved >= used ? reserved - used : 0u;
  tml_printf("  %" PRIu32 " operators, %" PRIu32 " tensors, %" PRIu32 " bytes of model data in " TML_MODEL_MEMORY "\n",
             api->operator_count, api->tensor_count, api->model_bytes);
  tml_printf("  arena: %" PRIu32 " bytes used of %" PRIu32 " reserved (headroom %" PRIu32 ")\n", used, reserved,
             headroom);
  tml_printf("TML-MODEL name=%s runtime=%s operators=%" PRIu32 " tensors=%" PRIu32 " model_bytes=%" PRIu32
             " arena_used=%" PRIu32 " arena_reserved=%" PRIu32 " "
             "arena_headroom=%" PRIu32 "\n",
             api->name, api->runtime, api->operator_count, api->tensor_count, api->model_bytes, used, reserved,
             headroom);
  if (!tml_check_shapes(m)) {
    tally->setup_error = 1;
    tally->failed += m->vector_count;
    tally->vectors += m->vector_count;
    return;
  }
  if (m->vector_count == 0u) {
    if (tml_run_fixed_input(m)) {
      tally->unchecked++;
    } else {
      tally->failed++;
      tally->vectors++;
    }
  }
  for (uint32_t v = 0; v < m->vector_count; ++v) {
    if (tml_run_vector(m, v)) {
      tally->passed++;
    } else {
      tally->failed++;
    }
    tally->vectors++;
  }
  tml_time_model(m);
}

/* The deepest stack depth seen so far: each model's run repaints the stack below (tml_stack.c), so
 * its own mark can be read; this keeps the image's. */
static uint32_t tml_stack_deepest;

static uint32_t tml_stack_checkpoint(void) {
  const uint32_t used = tml_stack_used();
  if (used > tml_stack_deepest) {
    tml_stack_deepest = used;
  }
  return used;
}

/* Run one model and report the deepest stack it needed: main()'s frames above it included. */
static void tml_run_model_measured(const tml_test_model *m, tml_tally *tally) {
  (void)tml_stack_checkpoint();
  tml_stack_paint();
  tml_run_model(m, tally);
  const uint32_t used = tml_stack_checkpoint();
  tml_printf("  stack: %" PRIu32 " bytes used while this model ran\n", used);
  tml_printf("TML-STACK model=%s used=%" PRIu32 " size=%" PRIu32 "\n", m->api->name, used, tml_stack_size());
}

int main(void) {
  tml_platform_init();
  tml_printf("tinyml_build test firmware: target %s, %" PRIu32 " model(s)\n", TML_TARGET_NAME, tml_test_model_count);
  tml_tally tally = {0u, 0u, 0u, 0u, 0};
  for (uint32_t i = 0; i < tml_test_model_count; ++i) {
    tml_run_model_measured(tml_test_models[i], &tally);
  }
  (void)tml_stack_checkpoint();
  const uint32_t stack_used = tml_stack_deepest;
  const uint32_t stack_size = tml_stack_size();
  tml_printf("\nstack: %" PRIu32 " bytes used of %" PRIu32 " (high-water mark since start-up)\n", stack_used,
             stack_size);
  tml_printf("TML-STACK used=%" PRIu32 " size=%" PRIu32 "\n", stack_used, stack_size);
  const int ok = tally.failed == 0u && !tally.setup_error && tally.vectors + tally.unchecked > 0u;
  const int pass = ok && tally.unchecked == 0u;
  const char *status = pass ? "PASS" : ok ? "NOCHECK" : "FAIL";
  if (ok && !pass) {
    tml_printf("NOCHECK: %" PRIu32 " of %" PRIu32 " test vectors match the golden outputs; %" PRIu32
               " model(s) ran on a fixed input, outputs not checked\n",
               tally.passed, tally.vectors, tally.unchecked);
  } else {
    tml_printf("%s: %" PRIu32 " of %" PRIu32 " test vectors match the golden outputs\n", status, tally.passed,
               tally.vectors);
  }
  tml_printf("TML-RESULT status=%s models=%" PRIu32 " vectors=%" PRIu32 " passed=%" PRIu32 " failed=%" PRIu32
             " unchecked=%" PRIu32 "\n",
             status, tml_test_model_count, tally.vectors, tally.passed, tally.failed, tally.unchecked);
  if (pass) {
    return TML_EXIT_PASS;
  }
  if (ok) {
    return TML_EXIT_NOCHECK;
  }
  return tally.setup_error ? TML_EXIT_SETUP : TML_EXIT_MISMATCH;
}

#ifdef TML_PROFILE_OPS
/* Per-op profiling builds (profile_ops=on): the aot program calls this before each op. A real function
 * with its own address: the QEMU instruction-mix plugin splits its per-address counts at its first
 * instruction. The store keeps it distinct from the other markers and shows the op in a debugger.
 * (At the end of the file so that default builds keep every line number, and so their debug info.) */
volatile uint32_t tml_profiled_op;
__attribute__((noinline, used)) void tml_profile_op(uint32_t op_index) {
  tml_profiled_op = op_index;
}
#endif
