/* cortex_m_main.c -- the program of target_check.py and bench/aot_profile.py: run a generated aot
 * model on embedded inputs on a Cortex-M target, on the firmware's platform layer (startup, console,
 * exit status; tinyml_build/platform).
 *
 * Inputs come from a generated C file: tml_check_runs runs, each every input tensor's bytes in input
 * order. Report, one line each:
 *   TML-HASH run=.. op=.. tensor=.. fnv1a=..   after every op (only with TML_AOT_TRACE: the FNV-1a
 *                                             hash of each op output tensor, compared with TFLM's)
 *   TML-NOT-READY run=..                      the invoke returned TML_NOT_READY (CIRCULAR_BUFFER)
 *   TML-RESULT status=DONE runs=..            (status=FAIL step=init|invoke when the model fails)
 * Compile with -DTML_MODEL_API=<name>_model_api.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "tml_model_api.h"
#include "tml_platform.h"
#include "tml_print.h"

#ifndef TML_MODEL_API
#error "define TML_MODEL_API to the generated model's <name>_model_api symbol"
#endif

extern const tml_model_api TML_MODEL_API;
extern const uint8_t tml_check_inputs[];
extern const uint32_t tml_check_runs;

#ifdef TML_AOT_TRACE
static uint32_t tml_current_run;

void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes);

void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t hash = 2166136261u;
  for (uint32_t i = 0; i < bytes; ++i) {
    hash = (hash ^ p[i]) * 16777619u;
  }
  tml_printf("TML-HASH run=%" PRIu32 " op=%" PRIu32 " tensor=%" PRIu32 " fnv1a=%" PRIu32 "\n", tml_current_run,
             op_index, tensor_index, hash);
}
#endif

static int tml_fail(const char *step) {
  tml_printf("TML-RESULT status=FAIL step=%s\n", step);
  return 1;
}

int main(void) {
  const tml_model_api *api = &TML_MODEL_API;
  const uint8_t *in = tml_check_inputs;
  tml_platform_init();
  if (api->init() != TML_OK) {
    return tml_fail("init");
  }
  for (uint32_t run = 0; run < tml_check_runs; ++run) {
#ifdef TML_AOT_TRACE
    tml_current_run = run;
#endif
    for (uint32_t i = 0; i < api->num_inputs; ++i) {
      const tml_tensor *t = api->input(i);
      memcpy(t->data, in, t->bytes);
      in += t->bytes;
    }
    tml_status status = api->invoke();
    if (status == TML_NOT_READY) {
      tml_printf("TML-NOT-READY run=%" PRIu32 "\n", run);
    } else if (status != TML_OK) {
      return tml_fail("invoke");
    }
  }
  tml_printf("TML-RESULT status=DONE runs=%" PRIu32 "\n", tml_check_runs);
  return 0;
}
