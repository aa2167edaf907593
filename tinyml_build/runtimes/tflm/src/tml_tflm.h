/* tml_tflm.h -- the tflm runtime's extras beyond tml_model_api.h.
 *
 * Each model built with runtime=tflm gets a generated wrapper (<name>_tflm_api.cc, C++ over
 * tflite::MicroInterpreter) and a generated descriptor (<name>_model.c: the arena and the
 * tml_model_api). Applications use only tml_model_api.h; the arena probe (tml_arena_probe.c),
 * which finds at build time how many arena bytes each model needs, also uses what is below.
 */
#ifndef TML_TFLM_H
#define TML_TFLM_H

#include <stdint.h>

#include "tml_model_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Non-zero: TFLM's log messages are dropped (the probe sets it while it tries small arenas). */
extern volatile int tml_tflm_log_quiet;

/* One model of the probe image: set it up in the first `arena_bytes` bytes of its arena
 * (TML_OK, or TML_ARENA_TOO_SMALL when TFLM cannot allocate its tensors there). The probe
 * measures and searches with setup_checked (tml_tflm_checked_arena.h). */
typedef struct {
  const char *name;
  tml_status (*setup)(uint32_t arena_bytes);         /* TFLM's own allocator, as the final image */
  tml_status (*setup_checked)(uint32_t arena_bytes); /* the checked allocator (tml_tflm_checked_arena.h) */
  uint32_t (*api_arena_used)(void);                  /* TFLM's arena_used_bytes() after a successful setup */
  tml_status (*invoke)(void);                        /* one inference (the host probe: TML_ARENA_PROBE_INVOKE) */
  uint32_t arena_capacity;                           /* bytes of the arena this image has for the model */
} tml_tflm_probe_model;

/* From tml_tflm_checked_arena.h (C++): the checked allocator's high-water mark and refusals. */
extern uint32_t tml_tflm_high_water;
extern uint32_t tml_tflm_refused_crossings;

/* Generated for the probe image (tml_arena_probe_models.c, which also holds the shared arena). */
extern const tml_tflm_probe_model tml_tflm_probe_models[];
extern const uint32_t tml_tflm_probe_model_count;

#ifdef __cplusplus
}
#endif

#endif /* TML_TFLM_H */
