/* tml_tflm_checked_arena.h -- the arena probe's allocator: TFLM's, plus the checks and the
 * bookkeeping the probe needs to find the smallest arena safely.
 *
 * Why: TFLM's SingleArenaBufferAllocator checks a persistent (tail) allocation against the head
 * only, not against live temporary allocations, and computes the free space between temp and tail
 * as an unsigned difference. In an arena a little too small, setting a model up can therefore move
 * the tail over live temporaries and hand the memory planner a "free" size of almost 4 GB; and some
 * kernels' clean-up after a failed allocation dereferences the null pointer they got (the LSTM
 * kernel). Memory is overwritten instead of AllocateTensors() failing -- seen with
 * keyword_scrambled_8bit and trained_lstm_int8. So the probe never tries an arena below the
 * high-water mark measured here: the most bytes in use at once from both ends of the arena
 * during set-up, leaving out the memory planner's scratch (TFLM hands the planner all free memory
 * and the planner fails cleanly when that is too little). Every allocation of a set-up in an arena
 * at least that big fits, so only the planner can fail, cleanly.
 *
 * The allocator has no data of its own (the same object size as TFLM's) and makes the same
 * allocations in the same order, so the probe's arena layout is the final image's; the probe
 * verifies that TFLM's arena_used_bytes() is the same with both allocators.
 */
#ifndef TML_TFLM_CHECKED_ARENA_H
#define TML_TFLM_CHECKED_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "tensorflow/lite/micro/micro_allocator.h"

/* MicroAllocator::Create(arena, size) (greedy planner) over the checked allocator. */
tflite::MicroAllocator *tml_tflm_checked_allocator(uint8_t *arena, size_t size);

extern "C" {
/* Most arena bytes in use at once (head and tail, planner scratch left out) since the last reset. */
extern uint32_t tml_tflm_high_water;
/* Allocations refused because TFLM's allocator would have let tail and temporaries cross. */
extern uint32_t tml_tflm_refused_crossings;
}

#endif /* TML_TFLM_CHECKED_ARENA_H */
