"""runtime=aot memory goals (issue 12, section 4), on every model aot builds and on generated ones.

Flash: the model data an image carries (Program.model_bytes: every constant array) is at most
the model's weight and bias bytes + 2 %, plus an allowance computed from the model alone for
data the weights do not hold and the kernels need:
  - per-channel requantization: 8 B per output channel (int32 multiplier + int32 shift) of a
    layer whose weight scales differ by channel. TFLM computes the same pairs at init into its
    arena (RAM); the .tflite itself spends 12 B per channel on them (float32 scale, int64 zero point).
    Per-tensor layers get no table (one pair in the kernel's parameters).
  - lookup tables: SOFTMAX int8 keeps exp() of the 256 possible differences (1,024 B, int32);
    elementwise 8-bit ops lowered to a byte table keep 256 outputs (256 B per output byte).
  - a bias the model omits: 4 B per output channel (the input zero point folded into it).
  - an integer UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's 256-entry uint16 sigmoid table (512 B, once a
    model: arrays are shared by content). TFLM's own binary carries the same table in its flash.
    int8 activations also: 4 B per recurrent weight row (16 B per cell): the recurrent FCs have no
    bias in the model, and the kernel folds what their rows carry (minus the hidden zero point times
    the row sum, the SMLAD layout's weight term) into one int32 per row, as for FULLY_CONNECTED's
    omitted bias below.
SVDF needs none: its kernel subtracts the zero points in its dot products (no per-filter tables).
What stays inside the 2 %: CONV_2D's 0..3 zero bytes after its weight rows, DEPTHWISE_CONV_2D's
row of input zero points read by padded taps (in_c bytes, shared by layers with the same one).

RAM: the arena is never larger than TFLM's tensor arena (its recording allocator's head: the
same activations TFLM plans, without its structs, plus the variable tensors -- SVDF/LSTM state --
that TFLM's AllocateVariables puts in the persistent tail and aot keeps in its arena), and never
smaller than the lower bound (the most bytes live at once) the plan reports.
"""

import shutil

import numpy as np
import pytest
from aot_op_cases import assert_exact
from conftest import PROJECT_DIR, shared_model_paths
from tflite_builder import ModelBuilder

from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import live_subgraph, lower_model
from tinyml_build.verification.host_check import check_model

SLACK = 0.02
CHANNEL_QUANT_BYTES = 8
SOFTMAX_TABLE_BYTES = 256 * 4
LSTM_SIGMOID_TABLE_BYTES = 256 * 2
LSTM_RECURRENT_ROW_BYTES = 4  # int32 per recurrent weight row of an int8 LSTM
LSTM_FORGET_INPUT_WEIGHTS = 2  # input index: [cells, input_size]
BYTE_TABLE_OPS = {"LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "ABS", "QUANTIZE", "RELU", "RELU6", "ELU"}
WEIGHTED_OPS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "TRANSPOSE_CONV": 0, "DEPTHWISE_CONV_2D": 3}  # channel axis
BIAS_INPUT = {"FULLY_CONNECTED": 2, "CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "TRANSPOSE_CONV": 3}


def _aot_models() -> list:
    models = []
    for path in sorted((PROJECT_DIR / "models").glob("*/*.tflite")) + shared_model_paths():
        model = load_model(path)
        try:
            models.append((path.name, model, lower_model(model)))
        except TinyMLError:
            continue  # an op aot lacks: tests/test_aot_models.py checks the error
    return models


AOT_MODELS = _aot_models()


def weight_bytes(model) -> int:
    """Bytes of the constant tensors the model's (live) ops read: its weights, biases, constants."""
    sg, _ = live_subgraph(model.main)
    used = {i for op in sg.operators for i in op.inputs if i >= 0}
    return sum(sg.tensors[i].nbytes for i in used if sg.tensors[i].is_constant)


def allowance(model) -> tuple[int, list[str]]:
    """Bytes of model data beyond the weights the module docstring allows, and why, op by op."""
    sg, _ = live_subgraph(model.main)
    total, reasons = 0, []
    lstm = [op for op in sg.operators if op.name == "UNIDIRECTIONAL_SEQUENCE_LSTM"
            and sg.tensors[op.inputs[0]].dtype in ("int8", "int16")]
    if lstm:
        total += LSTM_SIGMOID_TABLE_BYTES
        reasons.append(f"op #{lstm[0].index} UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's sigmoid table (once a model)")
    for op in lstm:
        if sg.tensors[op.inputs[0]].dtype == "int8":
            cells = sg.tensors[op.inputs[LSTM_FORGET_INPUT_WEIGHTS]].shape[0]
            total += LSTM_RECURRENT_ROW_BYTES * 4 * cells
            reasons.append(f"op #{op.index} UNIDIRECTIONAL_SEQUENCE_LSTM: recurrent row constants ({cells} cells)")
    for op in sg.operators:
        out = sg.tensors[op.outputs[0]] if op.outputs else None
        if op.name in WEIGHTED_OPS and len(op.inputs) > 1:
            w = sg.tensors[op.inputs[1]]
            channels = w.shape[WEIGHTED_OPS[op.name]] if w.shape else 0
            q = w.quantization
            if q is not None and len(set(q.scale)) > 1:
                total += CHANNEL_QUANT_BYTES * channels
                reasons.append(f"op #{op.index} {op.name}: per-channel pairs for {channels} channels")
            bias = BIAS_INPUT[op.name]
            if w.dtype == "int8" and (len(op.inputs) <= bias or op.inputs[bias] < 0):
                total += 4 * channels
                reasons.append(f"op #{op.index} {op.name}: folded bias the model omits")
        elif op.name == "SOFTMAX" and sg.tensors[op.inputs[0]].dtype == "int8":
            total += SOFTMAX_TABLE_BYTES
            reasons.append(f"op #{op.index} SOFTMAX: exp table")
        elif op.name in BYTE_TABLE_OPS and sg.tensors[op.inputs[0]].dtype in ("int8", "uint8") and out is not None:
            total += 256 * np.dtype(out.dtype if out.dtype != "bool" else "uint8").itemsize
            reasons.append(f"op #{op.index} {op.name}: byte table")
    return total, reasons


@pytest.mark.parametrize("name,model,program", AOT_MODELS, ids=[m[0] for m in AOT_MODELS])
def test_model_data_is_the_weights(name, model, program):
    weights = weight_bytes(model)
    extra, reasons = allowance(model)
    limit = int(weights * (1 + SLACK)) + extra
    detail = "\n  ".join(f"{a.nbytes:8,} B {a.comment}" for a in program.arrays)
    assert program.model_bytes <= limit, (
        f"{name}: model data {program.model_bytes:,} B > {weights:,} B of weights + 2 % + {extra:,} B "
        f"({'; '.join(reasons) or 'no allowance'}):\n  {detail}")


# --- generated per-tensor models: no allowance at all ---------------------------------------

class _Layers:
    """A chain of int8 per-tensor layers built with ModelBuilder (one opcode per op type)."""

    def __init__(self, shape, seed: int):
        self.b = ModelBuilder()
        self.rng = np.random.default_rng(seed)
        self.codes: dict = {}
        self.x = self.b.tensor("x", "int8", shape, scale=0.05, zero_point=-3)
        self.b.inputs = [self.x]
        self.shape = list(shape)
        self.n = 0

    def _code(self, builtin, version):
        if builtin not in self.codes:
            self.codes[builtin] = self.b.opcode(builtin, version=version)
        return self.codes[builtin]

    def _constants(self, w_shape, channels):
        self.n += 1
        w = self.b.tensor(f"w{self.n}", "int8", w_shape, data=self.rng.integers(-127, 128, w_shape).astype(np.int8),
                          scale=[0.01], zero_point=[0])
        bias = self.b.tensor(f"b{self.n}", "int32", [channels],
                             data=self.rng.integers(-2000, 2000, channels).astype(np.int32),
                             scale=[0.0005], zero_point=[0])
        return w, bias

    def _output(self, shape):
        y = self.b.tensor(f"y{self.n}", "int8", shape, scale=0.06, zero_point=2)
        self.x, self.shape = y, list(shape)
        return y

    def fc(self, units):
        w, bias = self._constants([units, self.shape[-1]], units)
        x = self.x
        y = self._output([1, units])
        options = fb.FullyConnectedOptionsT()
        options.fusedActivationFunction = fb.ActivationFunctionType.RELU
        self.b.op(self._code(fb.BuiltinOperator.FULLY_CONNECTED, 4), [x, w, bias], [y],
                  fb.BuiltinOptions.FullyConnectedOptions, options)

    def conv(self, channels, k):
        n, h, wd, c = self.shape
        w, bias = self._constants([channels, k, k, c], channels)
        x = self.x
        y = self._output([n, h, wd, channels])
        options = fb.Conv2DOptionsT()
        options.padding, options.strideH, options.strideW = fb.Padding.SAME, 1, 1
        options.dilationHFactor = options.dilationWFactor = 1
        options.fusedActivationFunction = fb.ActivationFunctionType.RELU
        self.b.op(self._code(fb.BuiltinOperator.CONV_2D, 3), [x, w, bias], [y], fb.BuiltinOptions.Conv2DOptions,
                  options)

    def depthwise(self, k):
        n, h, wd, c = self.shape
        w, bias = self._constants([1, k, k, c], c)
        x = self.x
        y = self._output([n, h, wd, c])
        options = fb.DepthwiseConv2DOptionsT()
        options.padding, options.strideH, options.strideW, options.depthMultiplier = fb.Padding.VALID, 1, 1, 1
        options.dilationHFactor = options.dilationWFactor = 1
        self.b.op(self._code(fb.BuiltinOperator.DEPTHWISE_CONV_2D, 3), [x, w, bias], [y],
                  fb.BuiltinOptions.DepthwiseConv2DOptions, options)
        self.shape = [n, h, wd, c]

    def flatten_fc(self, units):
        self.shape = [1, int(np.prod(self.shape))]
        self.fc(units)

    def build(self) -> bytes:
        self.b.outputs = [self.x]
        return self.b.build()


def _fc_stack() -> bytes:
    """The MLPerf anomaly-detection shape, narrower: 128-wide per-tensor FC layers."""
    layers = _Layers([1, 64], seed=1)
    for units in (128, 128, 8, 128, 64):
        layers.fc(units)
    return layers.build()


def _conv_stack() -> bytes:
    """CONV_2D 3x3 over 1 and 3 channels (rows of 9 and 27 bytes), depthwise, pointwise, FC."""
    layers = _Layers([1, 8, 8, 1], seed=2)
    layers.conv(16, 3)
    layers.conv(3, 1)
    layers.conv(32, 3)
    layers.depthwise(1)  # 1x1 taps: VALID keeps the shape
    layers.conv(32, 1)
    layers.flatten_fc(10)
    return layers.build()


@pytest.mark.parametrize("build", [_fc_stack, _conv_stack], ids=["fc_stack", "conv_stack"])
def test_per_tensor_models_carry_only_their_weights(build, tmp_path):
    model = read_model(build(), where=f"{build.__name__}.tflite", name="m")
    program = lower_model(model)
    weights = weight_bytes(model)
    assert allowance(model)[0] == 0
    assert program.model_bytes <= weights * (1 + SLACK), "\n".join(f"{a.nbytes} {a.comment}" for a in program.arrays)
    report = check_model(model, runs=4)
    assert_exact(report)


# --- arena ---------------------------------------------------------------------------------

def _tflm_head(path):
    from tinyml_build.runtimes.aot.memory_report import tflm_arena

    try:
        return tflm_arena(path)["head"]
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro's recording allocator is not available: {exc.what}")


TFLM_BUFFER_ALIGNMENT = 16  # kBufferAlignment: each persistent buffer starts on it


def tflm_variable_bytes(model) -> int:
    """Bytes TFLM's persistent tail spends on the variable tensors the live ops use (aot: arena)."""
    sg, _ = live_subgraph(model.main)
    used = {i for op in sg.operators for i in op.inputs if i >= 0}
    align = TFLM_BUFFER_ALIGNMENT
    return sum(-(-sg.tensors[i].nbytes // align) * align for i in sorted(used) if sg.tensors[i].is_variable)


@pytest.mark.parametrize("name,model,program", AOT_MODELS, ids=[m[0] for m in AOT_MODELS])
def test_arena_is_no_larger_than_tflms(name, model, program):
    assert program.arena_lower_bound <= program.arena_size
    head = _tflm_head(model.path)
    variables = tflm_variable_bytes(model)
    assert program.arena_size <= head + variables, (
        f"{name}: aot arena {program.arena_size:,} B > TFLM's tensors {head:,} B + variable tensors {variables:,} B")


def _in_place_chain() -> bytes:
    """x -> FC -> LOGISTIC -> ADD(., FC(x)) -> QUANTIZE: each elementwise op's input dies there."""
    layers = _Layers([1, 48], seed=3)
    x = layers.x
    layers.fc(48)
    h = layers.x
    b = layers.b
    sig = b.tensor("sigmoid", "int8", [1, 48], scale=1 / 256, zero_point=-128)
    b.op(layers._code(fb.BuiltinOperator.LOGISTIC, 2), [h], [sig])
    layers.x, layers.shape = x, [1, 48]
    layers.fc(48)
    other = layers.x
    total = b.tensor("sum", "int8", [1, 48], scale=0.03, zero_point=-5)
    options = fb.AddOptionsT()
    b.op(layers._code(fb.BuiltinOperator.ADD, 2), [sig, other], [total], fb.BuiltinOptions.AddOptions, options)
    out = b.tensor("out", "int8", [1, 48], scale=0.07, zero_point=9)
    b.op(layers._code(fb.BuiltinOperator.QUANTIZE, 2), [total], [out])
    layers.x = out
    return layers.build()


def test_elementwise_ops_run_in_place():
    model = read_model(_in_place_chain(), where="chain.tflite", name="chain")
    program = lower_model(model)
    names = {t.name: t.index for t in model.main.tensors}
    offset = program.tensor_offsets
    assert offset[names["sigmoid"]] == offset[names["y1"]], "LOGISTIC writes over the FC output it consumes"
    assert offset[names["sum"]] in (offset[names["sigmoid"]], offset[names["y2"]]), "ADD writes over an input"
    assert offset[names["out"]] == offset[names["sum"]], "QUANTIZE writes over its input"
    overwritten = {offset[names[n]] for n in ("y1", "sigmoid", "sum", "out")}
    assert offset[names["x"]] not in overwritten, "the graph input survives"
    assert program.arena_lower_bound <= program.arena_size <= 48 * 3 + 32  # x, and two 48-byte values, aligned
    report = check_model(model, runs=6)
    assert_exact(report)


# --- arena_share=on: several models, one arena ------------------------------------------------

HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None and shutil.which("qemu-system-arm") is not None

ALTERNATE_MAIN = r"""
#include <stdint.h>
#include <string.h>
#include "tml_model_api.h"
#include "tml_platform.h"
#include "tml_print.h"
extern const tml_model_api a_model_api, b_model_api, a_solo_model_api, b_solo_model_api;
static uint32_t seed = 12345u;
static void fill(const tml_model_api *x, const tml_model_api *y) {
  for (uint32_t i = 0; i < x->num_inputs; ++i) {
    uint8_t *p = (uint8_t *)x->input(i)->data, *q = (uint8_t *)y->input(i)->data;
    for (uint32_t b = 0; b < x->input(i)->bytes; ++b) {
      seed = seed * 1664525u + 1013904223u;
      p[b] = q[b] = (uint8_t)(seed >> 24);
    }
  }
}
/* invoke the shared-arena model and its own-arena twin on the same input; 1 when outputs agree */
static int run(const tml_model_api *shared, const tml_model_api *solo) {
  fill(shared, solo);
  if (shared->invoke() != TML_OK || solo->invoke() != TML_OK) return 0;
  for (uint32_t o = 0; o < shared->num_outputs; ++o) {
    if (memcmp(shared->output(o)->data, solo->output(o)->data, shared->output(o)->bytes) != 0) return 0;
  }
  return 1;
}
int main(void) {
  tml_platform_init();
  uint32_t ok = 0;
  if (a_model_api.init() != TML_OK || b_model_api.init() != TML_OK || a_solo_model_api.init() != TML_OK ||
      b_solo_model_api.init() != TML_OK) {
    tml_printf("init failed\n");
    return 1;
  }
  for (uint32_t r = 0; r < 8u; ++r) { /* a, b, a, b, ...: each overwrites the other's tensors */
    ok += (uint32_t)run(&a_model_api, &a_solo_model_api);
    ok += (uint32_t)run(&b_model_api, &b_solo_model_api);
  }
  tml_printf("alternate ok=%lu of 16\n", (unsigned long)ok);
  return 0;
}
"""


def test_shared_arena_is_the_largest_need():
    from tinyml_build.runtimes.aot.shared_arena import render_shared_arena

    models = [load_model(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite"),
              read_model(_conv_stack(), where="conv.tflite", name="conv")]
    need = max(lower_model(m).arena_size for m in models)
    assert f"tml_aot_shared_arena[{need}u]" in render_shared_arena(models)
    code = render(lower_model(models[0]), shared_arena=True)["hello_world_model.c"]
    assert "static uint8_t tml_arena" not in code and "#define tml_arena tml_aot_shared_arena" in code


@pytest.mark.qemu
@pytest.mark.skipif(not HAVE_ARM, reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_shared_arena_models_run_alternately_on_cortex_m4(tmp_path):
    """Two models on one arena, invoked alternately on qemu-m4, give the bytes their own-arena
    twins give (which the other tests hold bit-exact with TFLM)."""
    from tinyml_build.config.targets import load_target
    from tinyml_build.runtimes.aot.emit import AOT_INCLUDE_DIR, kernel_sources
    from tinyml_build.runtimes.aot.shared_arena import generate_shared_arena
    from tinyml_build.verification.cortex_m_program import ProgramBuilder

    models = {"a": load_model(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite"),
              "b": read_model(_conv_stack(), where="conv.tflite", name="conv")}
    gen = tmp_path / "gen"
    gen.mkdir()
    sources, kernels = [generate_shared_arena(list(models.values()), gen)], set()
    for name, model in models.items():
        for variant, shared in ((name, True), (f"{name}_solo", False)):
            program = lower_model(model, name=variant)
            for filename, text in render(program, shared_arena=shared).items():
                (gen / filename).write_text(text)
            sources.append(gen / f"{variant}_model.c")
            kernels.update(kernel_sources(program))
    (tmp_path / "main.c").write_text(ALTERNATE_MAIN)
    builder = ProgramBuilder(load_target("qemu-m4"), tmp_path / "build")
    settings = {"include_dirs": [gen, AOT_INCLUDE_DIR], "extra_flags": ["-Werror"]}
    objects = builder.compile(sources + sorted(kernels), "obj", fast=True, **settings)
    objects += builder.compile([tmp_path / "main.c"], "app", **settings)
    run = builder.run(builder.link(objects, tmp_path / "alternate.elf"), timeout=120)
    assert run.exit_code == 0, run.output + run.stderr
    assert "alternate ok=16 of 16" in run.output, run.output
