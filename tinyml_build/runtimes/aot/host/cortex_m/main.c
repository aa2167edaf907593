/* main.c -- target_check.py's program: run a generated aot model on embedded inputs and print an
 * FNV-1a hash of every op output tensor ("h <run> <op> <tensor> <hash>") over semihosting.
 * Inputs come from the generated tml_check_inputs.c (tml_check_runs runs of all inputs). */
#include <stdint.h>
#include <string.h>

#include "tml_model_api.h"

extern const tml_model_api TML_MODEL_API;
extern const uint8_t tml_check_inputs[];
extern const uint32_t tml_check_runs;
void tml_sh_write0(const char *text);
void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes);

static uint32_t current_run;

static char *put_u32(char *out, uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0u);
  while (n > 0) {
    *out++ = digits[--n];
  }
  return out;
}

void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t hash = 2166136261u;
  uint32_t i;
  char line[64];
  char *out = line;
  for (i = 0; i < bytes; ++i) {
    hash = (hash ^ p[i]) * 16777619u;
  }
  *out++ = 'h';
  *out++ = ' ';
  out = put_u32(out, current_run);
  *out++ = ' ';
  out = put_u32(out, op_index);
  *out++ = ' ';
  out = put_u32(out, tensor_index);
  *out++ = ' ';
  out = put_u32(out, hash);
  *out++ = '\n';
  *out = '\0';
  tml_sh_write0(line);
}

int main(void) {
  const tml_model_api *api = &TML_MODEL_API;
  const uint8_t *in = tml_check_inputs;
  uint32_t i;
  if (api->init() != TML_OK) {
    tml_sh_write0("init failed\n");
    return 1;
  }
  for (current_run = 0; current_run < tml_check_runs; ++current_run) {
    for (i = 0; i < api->num_inputs; ++i) {
      const tml_tensor *t = api->input(i);
      memcpy(t->data, in, t->bytes);
      in += t->bytes;
    }
    if (api->invoke() != TML_OK) {
      tml_sh_write0("invoke failed\n");
      return 1;
    }
  }
  tml_sh_write0("done\n");
  return 0;
}
