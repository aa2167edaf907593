/* tml_oracle_runner.cc -- the golden-data oracle: TFLM's reference MicroInterpreter on the build machine.
 *
 * Why: golden outputs must come from the TFLM commit the project pins, not from whatever TFLM a
 * Python wheel was built from. tinyml_build.verification.oracle.pinned compiles this file with the
 * pinned TFLM core and every reference kernel, once per source digest.
 *
 *   tml_oracle_runner MODEL INPUTS RUNS OUTPUTS [INTERMEDIATES]
 *
 * INPUTS holds RUNS records, each every graph input's bytes in order. The runs go through ONE
 * interpreter in order (variable tensors keep their state, as on the device). OUTPUTS receives,
 * per run, a little-endian uint32 status -- 0 the invoke ran, 1 it returned kTfLiteAbort (a
 * CIRCULAR_BUFFER waiting for frames stopped it: not a failure, the outputs hold nothing new) --
 * and every graph output's bytes in order. INTERMEDIATES (optional; the arena then keeps every
 * tensor) receives per run a record (0xFFFFFFFF, run, status) and then, when it ran, per operator
 * of the main subgraph and per output tensor, (operator index, tensor index, byte count) as
 * little-endian uint32 followed by the tensor's bytes -- the layout of the aot host check's trace.
 * Exit status: 0 ok, 2 usage or file error, 3 an operator this build does not register,
 * 4 the model does not set up, 5 an inference failed. The message goes to stderr.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "tensorflow/lite/micro/memory_helpers.h"
#include "tensorflow/lite/micro/micro_allocator.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
#include "tensorflow/lite/micro/micro_resource_variable.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tensorflow/lite/schema/schema_utils.h"
#include "tml_oracle_ops.h" /* generated from tinyml_build.analysis.op_inventory: TML_ORACLE_OPS(X) */

namespace {

/* The host build's 64 MB; a build for a core in QEMU passes what fits its board (oracle/target.py). */
#ifndef TML_ORACLE_ARENA_BYTES
#define TML_ORACLE_ARENA_BYTES (static_cast<size_t>(64) << 20) /* golden.HOST_ARENA_BYTES */
#endif
constexpr size_t kArenaBytes = TML_ORACLE_ARENA_BYTES;
constexpr uint32_t kRunMarker = 0xFFFFFFFFu;

int Fail(int status, const std::string& what) {
  std::fprintf(stderr, "tml_oracle_runner: %s\n", what.c_str());
  return status;
}

bool ReadFile(const char* path, std::vector<uint8_t>* data) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) data->insert(data->end(), chunk, chunk + n);
  bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

bool WriteU32(FILE* f, uint32_t value) {
  uint8_t b[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value >> 16),
                  static_cast<uint8_t>(value >> 24)};
  return std::fwrite(b, 1, 4, f) == 4;
}

using Resolver = tflite::MicroMutableOpResolver<TML_ORACLE_OP_COUNT>;

void RegisterAll(Resolver* resolver) {
#define TML_ORACLE_ADD(method) resolver->method();
  TML_ORACLE_OPS(TML_ORACLE_ADD)
#undef TML_ORACLE_ADD
}

/* Every operator code an operator of the model uses (TFLM looks up only those) that this build does
 * not register, by name; empty when all are. */
std::string MissingOps(const tflite::Model* model, const Resolver& resolver) {
  std::set<uint32_t> used;
  const auto* subgraphs = model->subgraphs();
  for (flatbuffers::uoffset_t s = 0; subgraphs != nullptr && s < subgraphs->size(); ++s) {
    const auto* ops = subgraphs->Get(s)->operators();
    for (flatbuffers::uoffset_t i = 0; ops != nullptr && i < ops->size(); ++i) used.insert(ops->Get(i)->opcode_index());
  }
  std::set<std::string> missing;
  const auto* codes = model->operator_codes();
  for (uint32_t index : used) {
    if (codes == nullptr || index >= codes->size()) {
      missing.insert("opcode index " + std::to_string(index));
      continue;
    }
    const tflite::OperatorCode* code = codes->Get(index);
    tflite::BuiltinOperator op = tflite::GetBuiltinCode(code);
    if (op == tflite::BuiltinOperator_CUSTOM) {
      const char* name = code->custom_code() != nullptr ? code->custom_code()->c_str() : "";
      if (resolver.FindOp(name) == nullptr) missing.insert(std::string("custom ") + name);
    } else if (resolver.FindOp(op) == nullptr) {
      missing.insert(tflite::EnumNameBuiltinOperator(op));
    }
  }
  std::string text;
  for (const std::string& name : missing) text += (text.empty() ? "" : ", ") + name;
  return text;
}

/* Distinct VAR_HANDLE shared names, as TFLM's Python interpreter counts resource variables. */
int CountResourceVariables(const tflite::Model* model) {
  std::set<std::string> names;
  const auto* subgraphs = model->subgraphs();
  for (flatbuffers::uoffset_t s = 0; subgraphs != nullptr && s < subgraphs->size(); ++s) {
    const auto* ops = subgraphs->Get(s)->operators();
    for (flatbuffers::uoffset_t i = 0; ops != nullptr && i < ops->size(); ++i) {
      const tflite::Operator* op = ops->Get(i);
      const tflite::OperatorCode* code = model->operator_codes()->Get(op->opcode_index());
      if (tflite::GetBuiltinCode(code) != tflite::BuiltinOperator_VAR_HANDLE) continue;
      const auto* options = op->builtin_options_as_VarHandleOptions();
      names.insert(options != nullptr && options->shared_name() != nullptr ? options->shared_name()->str() : "");
    }
  }
  return static_cast<int>(names.size());
}

/* A stopped run (kTfLiteAbort) records only its marker: the ops after the stop did not run. */
bool DumpIntermediates(FILE* f, const tflite::Model* model, tflite::MicroInterpreter* interpreter, uint32_t run,
                       uint32_t stopped) {
  if (!WriteU32(f, kRunMarker) || !WriteU32(f, run) || !WriteU32(f, stopped)) return false;
  if (stopped != 0) return true;
  const auto* ops = model->subgraphs()->Get(0)->operators();
  for (flatbuffers::uoffset_t i = 0; ops != nullptr && i < ops->size(); ++i) {
    const auto* outputs = ops->Get(i)->outputs();
    for (flatbuffers::uoffset_t k = 0; outputs != nullptr && k < outputs->size(); ++k) {
      int index = outputs->Get(k);
      if (index < 0) continue;
      TfLiteEvalTensor* tensor = interpreter->GetTensor(index, 0);
      size_t bytes = 0;
      if (tensor == nullptr || tflite::TfLiteEvalTensorByteLength(tensor, &bytes) != kTfLiteOk) return false;
      if (!WriteU32(f, static_cast<uint32_t>(i)) || !WriteU32(f, static_cast<uint32_t>(index)) ||
          !WriteU32(f, static_cast<uint32_t>(bytes))) {
        return false;
      }
      if (bytes > 0 && std::fwrite(tensor->data.raw, 1, bytes, f) != bytes) return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    return Fail(2, "usage: tml_oracle_runner MODEL INPUTS RUNS OUTPUTS [INTERMEDIATES]");
  }
  const bool intermediates = argc == 6;
  std::vector<uint8_t> model_data, inputs;
  if (!ReadFile(argv[1], &model_data)) return Fail(2, std::string("cannot read the model ") + argv[1]);
  if (!ReadFile(argv[2], &inputs)) return Fail(2, std::string("cannot read the inputs ") + argv[2]);
  char* end = nullptr;
  long runs = std::strtol(argv[3], &end, 10);
  if (end == argv[3] || *end != '\0' || runs < 0) return Fail(2, std::string("bad run count ") + argv[3]);

  flatbuffers::Verifier verifier(model_data.data(), model_data.size());
  if (!tflite::VerifyModelBuffer(verifier)) return Fail(4, "the model is not a valid TFLite flatbuffer");
  const tflite::Model* model = tflite::GetModel(model_data.data());

  static Resolver resolver;
  RegisterAll(&resolver);
  std::string missing = MissingOps(model, resolver);
  if (!missing.empty()) return Fail(3, "operators not registered in this TFLM build: " + missing);

  std::vector<uint8_t> arena(kArenaBytes + 16);
  uint8_t* aligned = arena.data() + ((16 - reinterpret_cast<uintptr_t>(arena.data()) % 16) % 16);
  tflite::MicroAllocator* allocator = tflite::MicroAllocator::Create(
      aligned, kArenaBytes, intermediates ? tflite::MemoryPlannerType::kLinear : tflite::MemoryPlannerType::kGreedy);
  if (allocator == nullptr) return Fail(4, "cannot create the allocator");
  int variables = CountResourceVariables(model);
  tflite::MicroResourceVariables* resources =
      variables > 0 ? tflite::MicroResourceVariables::Create(allocator, variables) : nullptr;
  tflite::MicroInterpreter interpreter(model, resolver, allocator, resources);
  if (interpreter.AllocateTensors() != kTfLiteOk) return Fail(4, "AllocateTensors failed (see the TFLM message above)");

  size_t record = 0;
  for (size_t i = 0; i < interpreter.inputs_size(); ++i) record += interpreter.input(i)->bytes;
  if (inputs.size() != record * static_cast<size_t>(runs)) {
    return Fail(2, "the inputs file holds " + std::to_string(inputs.size()) + " bytes, expected " +
                       std::to_string(record) + " x " + std::to_string(runs));
  }
  FILE* out = std::fopen(argv[4], "wb");
  if (out == nullptr) return Fail(2, std::string("cannot write ") + argv[4]);
  FILE* trace = intermediates ? std::fopen(argv[5], "wb") : nullptr;
  if (intermediates && trace == nullptr) return Fail(2, std::string("cannot write ") + argv[5]);

  const uint8_t* next = inputs.data();
  int status = 0;
  for (long run = 0; run < runs && status == 0; ++run) {
    for (size_t i = 0; i < interpreter.inputs_size(); ++i) {
      TfLiteTensor* input = interpreter.input(i);
      std::memcpy(input->data.raw, next, input->bytes);
      next += input->bytes;
    }
    const TfLiteStatus invoked = interpreter.Invoke();
    if (invoked != kTfLiteOk && invoked != tflite::kTfLiteAbort) {
      status = Fail(5, "Invoke failed in run " + std::to_string(run));
      break;
    }
    const uint32_t stopped = invoked == tflite::kTfLiteAbort ? 1u : 0u;
    if (!WriteU32(out, stopped)) status = Fail(2, "write failed");
    for (size_t i = 0; i < interpreter.outputs_size(); ++i) {
      TfLiteTensor* output = interpreter.output(i);
      if (std::fwrite(output->data.raw, 1, output->bytes, out) != output->bytes) status = Fail(2, "write failed");
    }
    if (trace != nullptr && !DumpIntermediates(trace, model, &interpreter, static_cast<uint32_t>(run), stopped)) {
      status = Fail(2, "cannot dump the intermediate tensors of run " + std::to_string(run));
    }
  }
  if (std::fclose(out) != 0 && status == 0) status = Fail(2, "write failed");
  if (trace != nullptr && std::fclose(trace) != 0 && status == 0) status = Fail(2, "write failed");
  return status;
}
