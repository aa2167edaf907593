/* tml_tflm_checked_arena.cc -- see tml_tflm_checked_arena.h. Used by the arena probe only. */
#include "tml_tflm_checked_arena.h"

#include <new>

#include "tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.h"
#include "tensorflow/lite/micro/memory_helpers.h"
#include "tensorflow/lite/micro/memory_planner/greedy_memory_planner.h"
#include "tensorflow/lite/micro/micro_arena_constants.h"

extern "C" {
uint32_t tml_tflm_high_water = 0;
uint32_t tml_tflm_refused_crossings = 0;
}

namespace {

// True while the memory planner's scratch (all free memory, as one temporary) is allocated.
bool planner_scratch_live = false;

// No data members of its own: the object is exactly as big as TFLM's, so the arena layout is the same.
class CheckedArenaAllocator : public tflite::SingleArenaBufferAllocator {
 public:
  CheckedArenaAllocator(uint8_t *buffer, size_t size) : tflite::SingleArenaBufferAllocator(buffer, size) {}

  uint8_t *AllocatePersistentBuffer(size_t size, size_t alignment) override {
    uint8_t *const temp = Temp();
    if (size > static_cast<size_t>(tail() - temp) || tflite::AlignPointerDown(tail() - size, alignment) < temp) {
      return Refuse();
    }
    return Record(SingleArenaBufferAllocator::AllocatePersistentBuffer(size, alignment));
  }

  uint8_t *AllocateTemp(size_t size, size_t alignment) override {
    uint8_t *const start = tflite::AlignPointerUp(Temp(), alignment);
    if (start > tail() || size > static_cast<size_t>(tail() - start)) {
      return Refuse();
    }
    // MicroAllocator gives the planner exactly what GetAvailableMemory reports: that is not a need.
    const bool takes_all = size == GetAvailableMemory(alignment);
    uint8_t *const result = SingleArenaBufferAllocator::AllocateTemp(size, alignment);
    if (takes_all && result != nullptr) {
      planner_scratch_live = true;
      return result;
    }
    return Record(result);
  }

  TfLiteStatus ResetTempAllocations() override {
    const TfLiteStatus status = SingleArenaBufferAllocator::ResetTempAllocations();
    if (status == kTfLiteOk) {
      planner_scratch_live = false;
    }
    return status;
  }

  TfLiteStatus ResizeBuffer(uint8_t *resizable_buf, size_t size, size_t alignment) override {
    if (resizable_buf > tail() || size > static_cast<size_t>(tail() - resizable_buf)) {
      Refuse();
      return kTfLiteError;
    }
    const TfLiteStatus status = SingleArenaBufferAllocator::ResizeBuffer(resizable_buf, size, alignment);
    if (status == kTfLiteOk) {
      Record(resizable_buf);
    }
    return status;
  }

 private:
  // temp_ is private in TFLM's class; the free space it reports is tail_ - temp_, never negative here.
  uint8_t *Temp() const { return tail() - GetAvailableMemory(1); }

  uint8_t *Record(uint8_t *result) {
    if (result != nullptr && !planner_scratch_live) {
      const size_t used = GetUsedBytes();
      if (used > tml_tflm_high_water) {
        tml_tflm_high_water = static_cast<uint32_t>(used);
      }
    }
    return result;
  }

  static uint8_t *Refuse() {
    ++tml_tflm_refused_crossings;
    return nullptr;
  }
};

}  // namespace

// The same steps, in the same order, as MicroAllocator::Create(arena, size, kGreedy).
tflite::MicroAllocator *tml_tflm_checked_allocator(uint8_t *arena, size_t size) {
  planner_scratch_live = false;
  uint8_t *const aligned = tflite::AlignPointerUp(arena, tflite::MicroArenaBufferAlignment());
  const size_t aligned_size = static_cast<size_t>(arena + size - aligned);
  CheckedArenaAllocator first(aligned, aligned_size);
  uint8_t *const self = first.AllocatePersistentBuffer(sizeof(CheckedArenaAllocator), alignof(CheckedArenaAllocator));
  if (self == nullptr) {
    return nullptr;
  }
  CheckedArenaAllocator *const allocator = new (self) CheckedArenaAllocator(first);
  uint8_t *const planner_memory =
      allocator->AllocatePersistentBuffer(sizeof(tflite::GreedyMemoryPlanner), alignof(tflite::GreedyMemoryPlanner));
  if (planner_memory == nullptr) {
    return nullptr;
  }
  tflite::GreedyMemoryPlanner *const planner = new (planner_memory) tflite::GreedyMemoryPlanner();
  // MicroAllocator::Create does not check its own allocation before constructing in it.
  if (allocator->GetAvailableMemory(1) < sizeof(tflite::MicroAllocator) + alignof(tflite::MicroAllocator)) {
    return nullptr;
  }
  return tflite::MicroAllocator::Create(allocator, planner);
}

static_assert(sizeof(CheckedArenaAllocator) == sizeof(tflite::SingleArenaBufferAllocator),
              "the checked allocator must take exactly the arena bytes TFLM's takes");
