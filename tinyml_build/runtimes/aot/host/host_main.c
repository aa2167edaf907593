/* host_main.c -- runs a generated aot model on the build machine for host_check.py.
 *
 * Why: bit-exactness against the tflite-micro interpreter is checked on the host, through the
 * same tml_model_api the firmware uses. Usage:
 *   model_check <inputs.bin> <runs> <outputs.bin> [<trace.bin>]
 * inputs.bin holds, for each run, every input tensor's bytes in input order; outputs.bin gets,
 * for each run, a u32 status (0 ran, 1 TML_NOT_READY: a CIRCULAR_BUFFER stopped the invoke, as
 * TFLM's kTfLiteAbort) and every output tensor's bytes (meaningless when not ready). With
 * TML_AOT_TRACE defined (and a trace file given) each op's output tensors are recorded as
 * (u32 op, u32 tensor, u32 bytes, data).
 * Compile with -DTML_MODEL_API=<name>_model_api.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tml_model_api.h"

#ifndef TML_MODEL_API
#error "define TML_MODEL_API to the generated model's <name>_model_api symbol"
#endif

extern const tml_model_api TML_MODEL_API;

static FILE *trace_file = NULL;

static void write_u32(FILE *f, uint32_t v) {
  unsigned char b[4];
  b[0] = (unsigned char)(v & 0xFFu);
  b[1] = (unsigned char)((v >> 8) & 0xFFu);
  b[2] = (unsigned char)((v >> 16) & 0xFFu);
  b[3] = (unsigned char)((v >> 24) & 0xFFu);
  fwrite(b, 1, 4, f);
}

void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes);

void tml_aot_trace(uint32_t op_index, uint32_t tensor_index, const void *data, uint32_t bytes) {
  if (trace_file == NULL) {
    return;
  }
  write_u32(trace_file, op_index);
  write_u32(trace_file, tensor_index);
  write_u32(trace_file, bytes);
  fwrite(data, 1, bytes, trace_file);
}

static int fail(const char *what) {
  fprintf(stderr, "model_check: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  const tml_model_api *api = &TML_MODEL_API;
  FILE *in;
  FILE *out;
  long runs;
  long r;
  uint32_t i;
  tml_status status;

  if (argc < 4) {
    return fail("usage: model_check <inputs.bin> <runs> <outputs.bin> [<trace.bin>]");
  }
  runs = strtol(argv[2], NULL, 10);
  in = fopen(argv[1], "rb");
  out = fopen(argv[3], "wb");
  if (in == NULL || out == NULL) {
    return fail("cannot open the input or output file");
  }
  if (argc > 4) {
    trace_file = fopen(argv[4], "wb");
    if (trace_file == NULL) {
      return fail("cannot open the trace file");
    }
  }
  if (api->init() != TML_OK) {
    return fail("init failed");
  }
  if (api->input(api->num_inputs) != NULL || api->output(api->num_outputs) != NULL) {
    return fail("input()/output() accept an out-of-range index");
  }
  if (api->arena_used() > api->arena_reserved) {
    return fail("arena_used() exceeds arena_reserved");
  }
  for (r = 0; r < runs; ++r) {
    for (i = 0; i < api->num_inputs; ++i) {
      const tml_tensor *t = api->input(i);
      if (fread(t->data, 1, t->bytes, in) != t->bytes) {
        return fail("short read from the input file");
      }
    }
    if (trace_file != NULL) {
      write_u32(trace_file, 0xFFFFFFFFu); /* run marker */
      write_u32(trace_file, (uint32_t)r);
      write_u32(trace_file, 0u);
    }
    status = api->invoke();
    if (status != TML_OK && status != TML_NOT_READY) {
      return fail("invoke failed");
    }
    write_u32(out, status == TML_NOT_READY ? 1u : 0u);
    for (i = 0; i < api->num_outputs; ++i) {
      const tml_tensor *t = api->output(i);
      fwrite(t->data, 1, t->bytes, out);
    }
  }
  fclose(in);
  if (fclose(out) != 0) {
    return fail("cannot write the output file");
  }
  if (trace_file != NULL && fclose(trace_file) != 0) {
    return fail("cannot write the trace file");
  }
  return 0;
}
