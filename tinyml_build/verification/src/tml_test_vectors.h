/* tml_test_vectors.h -- the shape of the generated test data (<model>_test_vectors.c).
 *
 * Each model in the image comes with test vectors: inputs and the golden outputs the
 * tflite-micro host interpreter produced for them at build time. The test application runs
 * every vector through the model's tml_model_api and compares every output byte (or, for a vector
 * the oracle stopped, checks that invoke() returns TML_NOT_READY).
 */
#ifndef TML_TEST_VECTORS_H
#define TML_TEST_VECTORS_H

#include <stdint.h>

#include "tml_model_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *label;              /* e.g. "random seed=1234 #0" or "sample yes.npy (yes)" */
  const uint8_t *const *inputs;   /* one pointer per model input, tensor bytes */
  const uint8_t *const *expected; /* one pointer per model output: golden bytes */
  const uint8_t *const *care;     /* 0 (every byte compared) or one pointer per output: 0, or a mask whose
                                     0 bytes the model leaves unspecified (fast NMS's unwritten slots, a
                                     CIRCULAR_BUFFER's window slots no frame has reached) */
  uint32_t stopped;               /* 1: the oracle stopped this invoke (kTfLiteAbort): invoke() must return
                                     TML_NOT_READY; expected and care are 0, no output is compared */
} tml_test_vector;

typedef struct {
  const tml_model_api *api;
  uint32_t num_inputs;
  uint32_t num_outputs;
  const uint32_t *input_bytes;  /* per input */
  const uint32_t *output_bytes; /* per output */
  uint32_t vector_count;
  const tml_test_vector *vectors; /* run in this order: stateful models see the same history as the golden run */
} tml_test_model;

/* Generated (tml_test_models.c): every model in the image. */
extern const tml_test_model *const tml_test_models[];
extern const uint32_t tml_test_model_count;

#ifdef __cplusplus
}
#endif

#endif /* TML_TEST_VECTORS_H */
