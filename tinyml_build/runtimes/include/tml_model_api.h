/* tml_model_api.h -- the thin C API every runtime exposes to firmware.
 *
 * Why: the firmware application (test runner, user code) must not care whether the model
 * runs on the project's interpreter-free runtime (runtime=aot) or on TFLM's MicroInterpreter
 * (runtime=tflm). Each generated model provides one `const tml_model_api <name>_model_api`
 * describing itself; applications only use this struct.
 *
 * Several models in one image (model=a,b) each have their own arena, except with runtime=aot
 * and arena_share=on: then all models use one arena, sized to the largest model's need, and
 * invoking one model invalidates the other models' tensors (inputs included). Run them one at a
 * time and, before each invoke(), write that model's inputs again; read its outputs before
 * invoking another model.
 *
 * Plain C99; usable from C++ (extern "C").
 */
#ifndef TML_MODEL_API_H
#define TML_MODEL_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TML_OK = 0,
  TML_ERROR = 1,           /* generic failure inside the runtime */
  TML_ARENA_TOO_SMALL = 2, /* the reserved arena cannot hold the model's tensors */
  TML_NOT_READY = 3        /* invoke() stopped early by design, not a failure: see below */
} tml_status;

/* TML_NOT_READY: a streaming op (CIRCULAR_BUFFER) took this invoke's input into its state but has
 * not yet collected the frames it runs on, so the rest of the model did not run (TFLM's kTfLiteAbort
 * from MicroInterpreter::Invoke). The outputs hold nothing new: do not read them. Write the next
 * inputs and invoke again; the invoke that returns TML_OK has outputs as usual. */

/* Element types, numbered as TFLite's TensorType so tools can share tables. */
typedef enum {
  TML_FLOAT32 = 0,
  TML_INT32 = 2,
  TML_UINT8 = 3,
  TML_INT64 = 4,
  TML_BOOL = 6,
  TML_INT16 = 7,
  TML_INT8 = 9,
  TML_UINT64 = 12,
  TML_UINT32 = 15
} tml_dtype;

#define TML_MAX_RANK 6

/* An input or output tensor as the application sees it. `data` points into the arena and is
 * valid after init(). Quantized tensors carry their per-tensor scale and zero point
 * (real = scale * (q - zero_point)); float tensors have scale 0. */
typedef struct {
  void *data;
  uint32_t bytes;
  tml_dtype dtype;
  uint32_t rank;
  int32_t dims[TML_MAX_RANK];
  float scale;
  int32_t zero_point;
} tml_tensor;

typedef struct {
  const char *name;     /* model name, e.g. "kws" */
  const char *sha256;   /* sha256 of the .tflite the image was built from */
  const char *runtime;  /* "aot" or "tflm" */
  uint32_t model_bytes; /* bytes of model data in flash (weights, or the flatbuffer) */
  uint32_t operator_count;
  uint32_t tensor_count;
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t arena_reserved; /* bytes reserved for the tensor arena */

  tml_status (*init)(void);                    /* must be called once before anything else */
  tml_status (*invoke)(void);                  /* run one inference (TML_NOT_READY: see above) */
  const tml_tensor *(*input)(uint32_t index);  /* NULL when index is out of range */
  const tml_tensor *(*output)(uint32_t index); /* NULL when index is out of range */
  uint32_t (*arena_used)(void);                /* bytes of the arena actually used after init() */
} tml_model_api;

#ifdef __cplusplus
}
#endif

#endif /* TML_MODEL_API_H */
