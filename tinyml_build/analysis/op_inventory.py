"""The op inventory: every operator the tflm runtime can build, in one table.

Why one table: the generated op resolver (which `MicroMutableOpResolver::Add*` calls to make),
the kernel sources to compile (and which optimized file replaces which reference file), and the
"unsupported op" error all come from `_TABLE` below, so they cannot disagree.

Op names are the ones users see in a model: the BuiltinOperator enum name for builtin ops
("CONV_2D"), the custom code for custom ops ("TFLite_Detection_PostProcess").

Facts were taken from TFLM at `TFLM_COMMIT`: registration methods from
tensorflow/lite/micro/micro_mutable_op_resolver.h, sources from tools/make/sources.inc and
kernels/BUILD. Each op's source list was checked by symbol-level link analysis (every undefined
symbol of the kernel's object resolved within the list or the framework core), which is how
non-obvious needs such as DEPTHWISE_CONV_2D -> conv_common.cc were found.
tests/test_op_inventory.py re-checks names and paths against that commit.

Paths are relative to the root of the source tree that ships them: TFLM for "reference" and
"cmsis-nn", espressif/esp-tflite-micro (same layout) for "esp-nn". The framework core
(tensorflow/lite/micro/*.cc, arena_allocator/, memory_planner/, tflite_bridge/, and the shared
tensorflow/lite/{core,kernels,...} files) is not listed here: every image needs all of it.

Type-specialized registrations (`OpInfo.typed`, e.g. Register_CONV_2D_INT8): TFLM's kernel headers
declare them, and a kernel library defines them with the generic kernel's Init and Prepare and an Eval
that handles one type combination only (no run-time type switch, no check: the wrong one computes
garbage). The linker then keeps only that combination's code -- with CMSIS-NN, none of the s4/s16
functions an int8 model never calls. Each entry lists the input/output types it covers, read from the
library's kernel: exactly the combinations for which the generic Eval takes the same path, so outputs
are bit-identical. Without the library (kernels=reference) the headers define the same name as an
inline call of the generic Register_*, so a resolver using it is right with every kernel set.
`select_registration` picks one only when every use of the op in the image matches it.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType

from tinyml_build.errors import TinyMLError, UnsupportedOpError

TFLM_COMMIT = "90b983c2b3f1480642e040bbd2ddb37b998f3424"
"""The tflite-micro commit this inventory was checked against."""

ESP_TFLITE_MICRO_COMMIT = "99f49e1498b0984f4db54d9bf3938aceb99ad422"
"""The espressif/esp-tflite-micro commit whose esp_nn/ kernels are listed here."""

REFERENCE = "reference"


@dataclass(frozen=True)
class KernelLibrary:
    """An optimized kernel set that replaces some reference kernel files one for one."""

    name: str
    directory: str  # where its kernels live, relative to the root of `source_tree`
    source_tree: str  # the upstream repository that ships `directory`
    requires: tuple[str, ...]  # external code its kernels call into (fetched separately)
    defines: tuple[str, ...]  # preprocessor defines every kernel file must be compiled with


KERNEL_LIBRARIES: Mapping[str, KernelLibrary] = MappingProxyType({
    "cmsis-nn": KernelLibrary(
        name="cmsis-nn",
        directory="tensorflow/lite/micro/kernels/cmsis_nn",
        source_tree="tensorflow/tflite-micro",
        requires=("ARM-software/CMSIS-NN",),
        defines=("CMSIS_NN",),  # without it kernels/*.h define the int8 registrations inline: clash
    ),
    "esp-nn": KernelLibrary(
        name="esp-nn",
        directory="tensorflow/lite/micro/kernels/esp_nn",
        source_tree="espressif/esp-tflite-micro",
        # their one ESP-IDF need, esp_timer_get_time(), is the project's shim (runtimes/tflm/src/esp_idf/)
        requires=("espressif/esp-nn",),
        defines=("ESP_NN=1",),  # without it the esp_nn kernels compile their reference fallback
    ),
})

KERNEL_CHOICES = (REFERENCE, *sorted(KERNEL_LIBRARIES))
"""Valid values of `kernel_sources(..., kernels=)`."""


ABSENT = "-"
"""An omitted optional input (tensor index -1) in an `OpUse` and in a `TypedRegistration` pattern."""


@dataclass(frozen=True, order=True)
class OpUse:
    """The tensor types of one use of an op in a model: per input and output position, the dtype
    name (tinyml_build.model.dtypes, e.g. "int8") or ABSENT."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.name}({', '.join(self.inputs)}) -> ({', '.join(self.outputs)})"


@dataclass(frozen=True)
class TypedRegistration:
    """A type-specialized registration, passed to the op's Add* method instead of its default.

    `inputs`/`outputs` hold one pattern per tensor position: the accepted dtypes separated by "|",
    ABSENT for an omitted optional input. A use matches when every position it has (and every
    position the pattern has) is accepted; positions missing from a use count as ABSENT.
    """

    function: str  # the Register_* function, namespace tflite, declared by a header of the resolver
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    covers: str  # the type combination in words, for the generated header
    libraries: tuple[str, ...] = ("cmsis-nn",)  # libraries defining it as its own kernel

    def matches(self, use: OpUse) -> bool:
        return _fits(self.inputs, use.inputs) and _fits(self.outputs, use.outputs)


def _fits(patterns: tuple[str, ...], dtypes: tuple[str, ...]) -> bool:
    if len(dtypes) > len(patterns):
        return False
    padded = tuple(dtypes) + (ABSENT,) * (len(patterns) - len(dtypes))
    return all(dtype in pattern.split("|") for pattern, dtype in zip(patterns, padded))


@dataclass(frozen=True)
class OpInfo:
    """What the tflm runtime needs for one operator.

    `sources` are the reference kernel files plus the shared kernel helpers they link against.
    `optimized` maps a kernel library to the files that replace their same-named reference
    twin in `sources` (as TFLM's OPTIMIZED_KERNEL_DIR does); the twin's helpers stay.
    """

    name: str
    registration: str  # MicroMutableOpResolver method; every one is callable without arguments
    sources: tuple[str, ...]
    optimized: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    custom: bool = False  # registered by custom code rather than BuiltinOperator
    third_party: tuple[str, ...] = ()  # external code beyond flatbuffers/gemmlowp/ruy
    note: str = ""
    typed: tuple[TypedRegistration, ...] = ()  # type-specialized registrations, checked in this order

    def __post_init__(self):
        object.__setattr__(self, "optimized", MappingProxyType(dict(self.optimized)))


# --- the table -----------------------------------------------------------------------------

_K = "tensorflow/lite/micro/kernels/"
_SIGNAL_K = "signal/micro/kernels/"
_SIGNAL_SRC = "signal/src/"
_KERNELS_DIR = PurePosixPath(_K)
KERNEL_UTIL = _K + "kernel_util.cc"  # GetEvalInput & co.: every kernel but the Ethos-U stub links it

_KISS_FFT_WRAPPERS = tuple(f"{_SIGNAL_SRC}kiss_fft_wrappers/kiss_fft_{t}.cc" for t in ("float", "int16", "int32"))


def _kernels(*files: str) -> tuple[str, ...]:
    return tuple(_K + f for f in files) + (KERNEL_UTIL,)


def _signal(kernel_files: Iterable[str], src_files: Iterable[str] = (), extra: Iterable[str] = ()) -> tuple[str, ...]:
    return (tuple(_SIGNAL_K + f for f in kernel_files) + tuple(_SIGNAL_SRC + f for f in src_files)
            + tuple(extra) + (KERNEL_UTIL,))


def _opt(cmsis_nn: str | None = None, esp_nn: str | None = None) -> dict[str, tuple[str, ...]]:
    """Optimized twins by file name, e.g. _opt(cmsis_nn="conv.cc")."""
    chosen = {"cmsis-nn": cmsis_nn, "esp-nn": esp_nn}
    return {lib: (f"{KERNEL_LIBRARIES[lib].directory}/{f}",) for lib, f in chosen.items() if f}


def _typed(function: str, inputs: tuple[str, ...], outputs: tuple[str, ...], covers: str) -> TypedRegistration:
    return TypedRegistration(f"Register_{function}", inputs, outputs, covers)


# Type-specialized registrations, each read from TFLM's kernels/cmsis_nn/<op>.cc at TFLM_COMMIT: the
# patterns are the combinations for which that file's generic Eval calls the very function the
# specialized Eval calls (e.g. CONV_2D 16x8: bias int32 -> int32 accumulator, int64 -> int64, in both;
# without a bias the two may differ, so no-bias 16x8 keeps the generic registration).
_BIAS32 = "int32|-"
_BIAS16X8 = "int32|int64"
_CONV_TYPED = (
    _typed("CONV_2D_INT8", ("int8", "int8", _BIAS32), ("int8",), "int8 activations, int8 weights"),
    _typed("CONV_2D_INT16", ("int16", "int8", _BIAS16X8), ("int16",), "int16 activations, int8 weights, with bias"),
    _typed("CONV_2D_INT4", ("int8", "int4", _BIAS32), ("int8",), "int8 activations, packed int4 weights"),
)
_DEPTHWISE_TYPED = (
    _typed("DEPTHWISE_CONV_2D_INT8", ("int8", "int8", _BIAS32), ("int8",), "int8 activations, int8 weights"),
    _typed("DEPTHWISE_CONV_2D_INT16", ("int16", "int8", _BIAS16X8 + "|-"), ("int16",),
           "int16 activations, int8 weights"),
    _typed("DEPTHWISE_CONV_2D_INT4", ("int8", "int4", _BIAS32), ("int8",), "int8 activations, packed int4 weights"),
)
_FULLY_CONNECTED_TYPED = (
    _typed("FULLY_CONNECTED_INT8", ("int8", "int8", _BIAS32), ("int8",), "int8 activations, int8 weights"),
    _typed("FULLY_CONNECTED_INT16", ("int16", "int8", _BIAS16X8 + "|-"), ("int16",),
           "int16 activations, int8 weights"),
    _typed("FULLY_CONNECTED_INT4", ("int8", "int4", _BIAS32), ("int8",), "int8 activations, packed int4 weights"),
)
_SOFTMAX_TYPED = (
    _typed("SOFTMAX_INT8", ("int8",), ("int8",), "int8 in, int8 out"),
    _typed("SOFTMAX_INT8_INT16", ("int8",), ("int16",), "int8 in, int16 out"),
    _typed("SOFTMAX_INT16", ("int16",), ("int16",), "int16 in, int16 out"),
)


def _pool_typed(op: str) -> tuple[TypedRegistration, ...]:
    return (_typed(f"{op}_INT8", ("int8",), ("int8",), "int8"), _typed(f"{op}_INT16", ("int16",), ("int16",), "int16"))


_ADD_TYPED = (
    _typed("ADD_INT8", ("int8", "int8"), ("int8",), "int8"),
    _typed("ADD_INT16", ("int16", "int16"), ("int16",), "int16"),
)
# SVDF_INT8: int8 input and feature weights; the integer path takes int8 or int16 time weights and state.
_SVDF_TYPED = (
    _typed("SVDF_INT8", ("int8", "int8", "int8|int16", _BIAS32, "int8|int16"), ("int8",), "int8 activations"),
)


def _builtin(name, registration, sources, optimized=None, **extra) -> OpInfo:
    return OpInfo(name, registration, sources, optimized or {}, custom=False, **extra)


def _custom(name, registration, sources, **extra) -> OpInfo:
    return OpInfo(name, registration, sources, custom=True, **extra)


_TABLE: tuple[OpInfo, ...] = (
    # builtin operators (BuiltinOperator enum name)
    _builtin("ABS", "AddAbs", _kernels("elementwise.cc")),
    _builtin("ADD", "AddAdd", _kernels("add.cc", "add_common.cc"), _opt(cmsis_nn="add.cc", esp_nn="add.cc"),
             typed=_ADD_TYPED),
    _builtin("ADD_N", "AddAddN", _kernels("add_n.cc")),
    _builtin("ARG_MAX", "AddArgMax", _kernels("arg_min_max.cc")),
    _builtin("ARG_MIN", "AddArgMin", _kernels("arg_min_max.cc")),
    _builtin("ASSIGN_VARIABLE", "AddAssignVariable", _kernels("assign_variable.cc")),
    _builtin("AVERAGE_POOL_2D", "AddAveragePool2D", _kernels("pooling.cc", "pooling_common.cc"),
             _opt(cmsis_nn="pooling.cc", esp_nn="pooling.cc"), typed=_pool_typed("AVERAGE_POOL_2D")),
    _builtin("BATCH_MATMUL", "AddBatchMatMul", _kernels("batch_matmul.cc", "batch_matmul_common.cc"),
             _opt(cmsis_nn="batch_matmul.cc")),
    _builtin("BATCH_TO_SPACE_ND", "AddBatchToSpaceNd", _kernels("batch_to_space_nd.cc")),
    _builtin("BROADCAST_ARGS", "AddBroadcastArgs", _kernels("broadcast_args.cc")),
    _builtin("BROADCAST_TO", "AddBroadcastTo", _kernels("broadcast_to.cc")),
    _builtin("CALL_ONCE", "AddCallOnce", _kernels("call_once.cc")),
    _builtin("CAST", "AddCast", _kernels("cast.cc")),
    _builtin("CEIL", "AddCeil", _kernels("ceil.cc")),
    _builtin("CONCATENATION", "AddConcatenation", _kernels("concatenation.cc")),
    _builtin("CONV_2D", "AddConv2D", _kernels("conv.cc", "conv_common.cc"), _opt(cmsis_nn="conv.cc", esp_nn="conv.cc"),
             typed=_CONV_TYPED),
    _builtin("COS", "AddCos", _kernels("elementwise.cc")),
    _builtin("CUMSUM", "AddCumSum", _kernels("cumsum.cc")),
    _builtin("DEPTH_TO_SPACE", "AddDepthToSpace", _kernels("depth_to_space.cc")),
    _builtin("DEPTHWISE_CONV_2D", "AddDepthwiseConv2D",
             _kernels("depthwise_conv.cc", "depthwise_conv_common.cc", "conv_common.cc"),
             _opt(cmsis_nn="depthwise_conv.cc", esp_nn="depthwise_conv.cc"), typed=_DEPTHWISE_TYPED),
    _builtin("DEQUANTIZE", "AddDequantize", _kernels("dequantize.cc", "dequantize_common.cc")),
    _builtin("DIV", "AddDiv", _kernels("div.cc")),
    _builtin("DYNAMIC_UPDATE_SLICE", "AddDynamicUpdateSlice", _kernels("dynamic_update_slice.cc")),
    _builtin("ELU", "AddElu", _kernels("elu.cc")),
    _builtin("EMBEDDING_LOOKUP", "AddEmbeddingLookup", _kernels("embedding_lookup.cc")),
    _builtin("EQUAL", "AddEqual", _kernels("comparisons.cc")),
    _builtin("EXP", "AddExp", _kernels("exp.cc")),
    _builtin("EXPAND_DIMS", "AddExpandDims", _kernels("expand_dims.cc")),
    _builtin("FILL", "AddFill", _kernels("fill.cc")),
    _builtin("FLOOR", "AddFloor", _kernels("floor.cc")),
    _builtin("FLOOR_DIV", "AddFloorDiv", _kernels("floor_div.cc")),
    _builtin("FLOOR_MOD", "AddFloorMod", _kernels("floor_mod.cc")),
    _builtin("FULLY_CONNECTED", "AddFullyConnected", _kernels("fully_connected.cc", "fully_connected_common.cc"),
             _opt(cmsis_nn="fully_connected.cc", esp_nn="fully_connected.cc"), typed=_FULLY_CONNECTED_TYPED),
    _builtin("GATHER", "AddGather", _kernels("gather.cc")),
    _builtin("GATHER_ND", "AddGatherNd", _kernels("gather_nd.cc")),
    _builtin("GREATER", "AddGreater", _kernels("comparisons.cc")),
    _builtin("GREATER_EQUAL", "AddGreaterEqual", _kernels("comparisons.cc")),
    _builtin("HARD_SWISH", "AddHardSwish", _kernels("hard_swish.cc", "hard_swish_common.cc")),
    _builtin("IF", "AddIf", _kernels("if.cc")),
    _builtin("L2_NORMALIZATION", "AddL2Normalization", _kernels("l2norm.cc")),
    _builtin("L2_POOL_2D", "AddL2Pool2D", _kernels("l2_pool_2d.cc")),
    _builtin("LEAKY_RELU", "AddLeakyRelu", _kernels("leaky_relu.cc", "leaky_relu_common.cc")),
    _builtin("LESS", "AddLess", _kernels("comparisons.cc")),
    _builtin("LESS_EQUAL", "AddLessEqual", _kernels("comparisons.cc")),
    _builtin("LOG", "AddLog", _kernels("elementwise.cc")),
    _builtin("LOG_SOFTMAX", "AddLogSoftmax", _kernels("log_softmax.cc")),
    _builtin("LOGICAL_AND", "AddLogicalAnd", _kernels("logical.cc", "logical_common.cc")),
    _builtin("LOGICAL_NOT", "AddLogicalNot", _kernels("elementwise.cc")),
    _builtin("LOGICAL_OR", "AddLogicalOr", _kernels("logical.cc", "logical_common.cc")),
    _builtin("LOGISTIC", "AddLogistic", _kernels("logistic.cc", "logistic_common.cc")),
    _builtin("MAX_POOL_2D", "AddMaxPool2D", _kernels("pooling.cc", "pooling_common.cc"),
             _opt(cmsis_nn="pooling.cc", esp_nn="pooling.cc"), typed=_pool_typed("MAX_POOL_2D")),
    _builtin("MAXIMUM", "AddMaximum", _kernels("maximum_minimum.cc"), _opt(cmsis_nn="maximum_minimum.cc")),
    _builtin("MEAN", "AddMean", _kernels("reduce.cc", "reduce_common.cc")),
    _builtin("MINIMUM", "AddMinimum", _kernels("maximum_minimum.cc"), _opt(cmsis_nn="maximum_minimum.cc")),
    _builtin("MIRROR_PAD", "AddMirrorPad", _kernels("mirror_pad.cc")),
    _builtin("MUL", "AddMul", _kernels("mul.cc", "mul_common.cc"), _opt(cmsis_nn="mul.cc", esp_nn="mul.cc")),
    _builtin("NEG", "AddNeg", _kernels("neg.cc")),
    _builtin("NOT_EQUAL", "AddNotEqual", _kernels("comparisons.cc")),
    _builtin("PACK", "AddPack", _kernels("pack.cc")),
    _builtin("PAD", "AddPad", _kernels("pad.cc", "pad_common.cc"), _opt(cmsis_nn="pad.cc")),
    _builtin("PADV2", "AddPadV2", _kernels("pad.cc", "pad_common.cc"), _opt(cmsis_nn="pad.cc")),
    _builtin("PRELU", "AddPrelu", _kernels("prelu.cc", "prelu_common.cc")),
    _builtin("QUANTIZE", "AddQuantize", _kernels("quantize.cc", "quantize_common.cc")),
    _builtin("READ_VARIABLE", "AddReadVariable", _kernels("read_variable.cc")),
    _builtin("REDUCE_ALL", "AddReduceAll", _kernels("reduce.cc", "reduce_common.cc")),
    _builtin("REDUCE_MAX", "AddReduceMax", _kernels("reduce.cc", "reduce_common.cc")),
    _builtin("REDUCE_MIN", "AddReduceMin", _kernels("reduce.cc", "reduce_common.cc")),
    _builtin("RELU", "AddRelu", _kernels("activations.cc", "activations_common.cc")),
    _builtin("RELU6", "AddRelu6", _kernels("activations.cc", "activations_common.cc")),
    _builtin("RESHAPE", "AddReshape", _kernels("reshape.cc", "reshape_common.cc")),
    _builtin("RESIZE_BILINEAR", "AddResizeBilinear", _kernels("resize_bilinear.cc")),
    _builtin("RESIZE_NEAREST_NEIGHBOR", "AddResizeNearestNeighbor", _kernels("resize_nearest_neighbor.cc")),
    _builtin("REVERSE_V2", "AddReverseV2", _kernels("reverse.cc")),
    _builtin("ROUND", "AddRound", _kernels("round.cc")),
    _builtin("RSQRT", "AddRsqrt", _kernels("elementwise.cc")),
    _builtin("SELECT_V2", "AddSelectV2", _kernels("select.cc")),
    _builtin("SHAPE", "AddShape", _kernels("shape.cc")),
    _builtin("SIN", "AddSin", _kernels("elementwise.cc")),
    _builtin("SLICE", "AddSlice", _kernels("slice.cc")),
    _builtin("SOFTMAX", "AddSoftmax", _kernels("softmax.cc", "softmax_common.cc"),
             _opt(cmsis_nn="softmax.cc", esp_nn="softmax.cc"), typed=_SOFTMAX_TYPED),
    _builtin("SPACE_TO_BATCH_ND", "AddSpaceToBatchNd", _kernels("space_to_batch_nd.cc")),
    _builtin("SPACE_TO_DEPTH", "AddSpaceToDepth", _kernels("space_to_depth.cc")),
    _builtin("SPLIT", "AddSplit", _kernels("split.cc")),
    _builtin("SPLIT_V", "AddSplitV", _kernels("split_v.cc")),
    _builtin("SQRT", "AddSqrt", _kernels("elementwise.cc")),
    _builtin("SQUARE", "AddSquare", _kernels("elementwise.cc")),
    _builtin("SQUARED_DIFFERENCE", "AddSquaredDifference", _kernels("squared_difference.cc")),
    _builtin("SQUEEZE", "AddSqueeze", _kernels("squeeze.cc")),
    _builtin("STRIDED_SLICE", "AddStridedSlice", _kernels("strided_slice.cc", "strided_slice_common.cc")),
    _builtin("SUB", "AddSub", _kernels("sub.cc", "sub_common.cc")),
    _builtin("SUM", "AddSum", _kernels("reduce.cc", "reduce_common.cc")),
    _builtin("SVDF", "AddSvdf", _kernels("svdf.cc", "svdf_common.cc"), _opt(cmsis_nn="svdf.cc"), typed=_SVDF_TYPED),
    _builtin("TANH", "AddTanh", _kernels("tanh.cc")),
    _builtin("TRANSPOSE", "AddTranspose", _kernels("transpose.cc", "transpose_common.cc"),
             _opt(cmsis_nn="transpose.cc")),
    _builtin("TRANSPOSE_CONV", "AddTransposeConv", _kernels("transpose_conv.cc"), _opt(cmsis_nn="transpose_conv.cc")),
    _builtin("UNIDIRECTIONAL_SEQUENCE_LSTM", "AddUnidirectionalSequenceLSTM",
             _kernels("unidirectional_sequence_lstm.cc", "lstm_eval.cc", "lstm_eval_common.cc",
                      "fully_connected_common.cc"),
             _opt(cmsis_nn="unidirectional_sequence_lstm.cc")),
    _builtin("UNPACK", "AddUnpack", _kernels("unpack.cc")),
    _builtin("VAR_HANDLE", "AddVarHandle", _kernels("var_handle.cc")),
    _builtin("WHILE", "AddWhile", _kernels("while.cc")),
    _builtin("ZEROS_LIKE", "AddZerosLike", _kernels("zeros_like.cc")),
    # custom operators (custom code as written in the model)
    _custom("CIRCULAR_BUFFER", "AddCircularBuffer", _kernels("circular_buffer.cc", "circular_buffer_common.cc")),
    _custom("TFLM_DECODE", "AddDecode",
            _kernels("decode.cc", "decode_state.cc", "decode_state_huffman.cc", "decode_state_lut.cc",
                     "decode_state_prune.cc")),
    _custom("TFLite_Detection_PostProcess", "AddDetectionPostprocess", _kernels("detection_postprocess.cc")),
    _custom("ethos-u", "AddEthosU", (_K + "ethosu.cc",),
            note="kernels/ethosu.cc is TFLM's stub: AddEthosU then registers nothing and the op fails at "
                 "run time; a real Ethos-U build needs TFLM's CO_PROCESSOR=ethos_u kernel "
                 "(kernels/ethos_u/ethosu.cc) and Arm's Ethos-U core driver"),
    _custom("SignalDelay", "AddDelay", _signal(["delay.cc"], ["circular_buffer.cc"])),
    _custom("SignalEnergy", "AddEnergy", _signal(["energy.cc"], ["energy.cc"])),
    _custom("SignalFftAutoScale", "AddFftAutoScale",
            _signal(["fft_auto_scale_kernel.cc", "fft_auto_scale_common.cc"],
                    ["fft_auto_scale.cc", "max_abs.cc", "msb_32.cc"])),
    _custom("SignalFilterBank", "AddFilterBank", _signal(["filter_bank.cc"], ["filter_bank.cc"])),
    _custom("SignalFilterBankLog", "AddFilterBankLog",
            _signal(["filter_bank_log.cc"], ["filter_bank_log.cc", "log.cc", "msb_32.cc"])),
    _custom("SignalFilterBankSpectralSubtraction", "AddFilterBankSpectralSubtraction",
            _signal(["filter_bank_spectral_subtraction.cc"], ["filter_bank_spectral_subtraction.cc"])),
    _custom("SignalFilterBankSquareRoot", "AddFilterBankSquareRoot",
            _signal(["filter_bank_square_root.cc", "filter_bank_square_root_common.cc"],
                    ["filter_bank_square_root.cc", "msb_32.cc", "msb_64.cc", "square_root_32.cc",
                     "square_root_64.cc"])),
    _custom("SignalFramer", "AddFramer", _signal(["framer.cc"], ["circular_buffer.cc"])),
    _custom("SignalIrfft", "AddIrfft",
            _signal(["irfft.cc"], ["irfft_float.cc", "irfft_int16.cc", "irfft_int32.cc"], _KISS_FFT_WRAPPERS),
            third_party=("kissfft",)),
    _custom("SignalOverlapAdd", "AddOverlapAdd", _signal(["overlap_add.cc"], ["overlap_add.cc"])),
    _custom("SignalPCAN", "AddPCAN", _signal(["pcan.cc"], ["pcan_argc_fixed.cc", "msb_32.cc"])),
    _custom("SignalRfft", "AddRfft",
            _signal(["rfft.cc"], ["rfft_float.cc", "rfft_int16.cc", "rfft_int32.cc"], _KISS_FFT_WRAPPERS),
            third_party=("kissfft",)),
    _custom("SignalStacker", "AddStacker", _signal(["stacker.cc"], ["circular_buffer.cc"])),
    _custom("SignalWindow", "AddWindow", _signal(["window.cc"], ["window.cc"])),
)

OPS: Mapping[str, OpInfo] = MappingProxyType({op.name: op for op in _TABLE})
if len(OPS) != len(_TABLE):
    raise AssertionError("op_inventory: an op name appears twice in _TABLE")


# --- optimized kernels that are not bit-exact with the reference ------------------------------
# Why data: golden outputs come from TFLM's reference kernels, so an image whose optimized kernel
# computes other (equally valid) bytes by design would fail `test` although nothing is wrong. Where
# an entry matches a model's use, golden data comes from the pinned TFLM built WITH that kernel
# library (tinyml_build.verification.oracle.select.oracle_for); everywhere else the reference judges.
# Each entry was found by running generated models through both host builds (tests/test_kernel_oracle.py
# re-checks every entry and the absence of others for the ops it generates) and read in the sources.


@dataclass(frozen=True)
class NotBitExact:
    """An op whose optimized kernel in `library` computes other bytes than TFLM's reference kernel
    for the activation types `activations` (its first input's dtype), and why."""

    library: str
    op: str
    activations: tuple[str, ...]
    cause: str
    upstream: str = ""  # where TFLM itself says so (a kernel test's #if), when it does

    def matches(self, use: OpUse) -> bool:
        return use.name == self.op and bool(use.inputs) and use.inputs[0] in self.activations

    def describe(self) -> str:
        return f"{self.op} ({'/'.join(self.activations)}) with {self.library} kernels"


NOT_BIT_EXACT: tuple[NotBitExact, ...] = (
    NotBitExact(
        "cmsis-nn", "UNIDIRECTIONAL_SEQUENCE_LSTM", ("int8", "int16"),
        cause="kernels/cmsis_nn/unidirectional_sequence_lstm.cc calls arm_lstm_unidirectional_s8/s16, which "
              "update the cell state with arm_elementwise_mul_s16 / arm_elementwise_mul_acc_s16 (a requantizing "
              "multiplier and one clip) where the reference (lstm_eval.cc) multiplies by rounding shifts and "
              "saturates the sum to int16 before clipping; the cell state, and through it the hidden state and "
              "output, differ by a few LSB",
        upstream="tensorflow/lite/micro/kernels/unidirectional_sequence_lstm_test.cc: "
                 "#if !defined(CMSIS_NN) around the hidden and cell state checks"),
)


@dataclass(frozen=True)
class ObservedDifference:
    """A difference between a library's kernel and the reference seen on generated models whose cause
    is not established (or that no host build can judge): recorded, but the reference keeps judging
    (such an image fails `test`, as it should until the cause says "by design")."""

    library: str
    op: str
    types: str  # the types (and shapes) of the uses that differed
    observed: str  # reference vs library host builds, and the library's host C vs Cortex-M4 DSP paths


# Seen with tests/test_kernel_oracle.py's sweep (every op with a CMSIS-NN kernel, the generated-case
# suites' draws: 2 models x 30 ops per type, 6 vectors each); every other (op, type) pair gave the
# reference's bytes: ADD, MUL, SOFTMAX, AVERAGE/MAX_POOL_2D, FULLY_CONNECTED float32,
# DEPTHWISE_CONV_2D int8, TRANSPOSE int16/float32, SVDF int16 state / float32.
OBSERVED_DIFFERENCES: tuple[ObservedDifference, ...] = (
    ObservedDifference("cmsis-nn", "CONV_2D", "int16 activations",
                       "149 of 276 outputs of a generated 12-conv model differ; the Cortex-M4 image gives "
                       "the CMSIS-NN host build's bytes in all 276"),
    ObservedDifference("cmsis-nn", "SVDF", "int8 activations with int8 state",
                       "132 of 288 outputs of a generated 12-SVDF model differ; the Cortex-M4 image gives "
                       "the CMSIS-NN host build's bytes in all 288 (int16 state: bit-exact). Mostly where the "
                       "state's zero point is not 0 (40 SVDFs: 213 of 280 outputs differ, 41 with every "
                       "state zero point set to 0)"),
    ObservedDifference("cmsis-nn", "TRANSPOSE_CONV", "int8",
                       "the Cortex-M4 image of a generated 12-op model differs from the reference in 166 of "
                       "288 outputs and from the CMSIS-NN host build in 24 -- all of one op (input 1x1x2x3, "
                       "22 filters 4x4, stride 2, SAME, bias: 21 of 176 elements, by up to 47), so the host C "
                       "and M4 DSP paths differ there and no host build judges it"),
    ObservedDifference("cmsis-nn", "TRANSPOSE", "int8, rank 5",
                       "kernels/cmsis_nn/transpose.cc's int8 Eval ensures size <= 4 (rank-5 perms fail at "
                       "run time); the reference transposes up to rank 6"),
    ObservedDifference("cmsis-nn", "CONV_2D, FULLY_CONNECTED", "int8, some generated geometries",
                       "the CMSIS-NN host build crashes (CONV_2D: SIGSEGV) or aborts (FULLY_CONNECTED, in "
                       "cmsis_nn/fully_connected.cc's EvalQuantizedInt8) where the reference runs; not traced"),
)


def not_bit_exact(uses: Iterable[OpUse], kernels: str) -> list[NotBitExact]:
    """The entries of NOT_BIT_EXACT for `kernels` that some of `uses` (op_uses of a model) hit."""
    _check_kernels(kernels)
    uses = list(uses)
    return [entry for entry in NOT_BIT_EXACT
            if entry.library == kernels and any(entry.matches(use) for use in uses)]


# --- queries -------------------------------------------------------------------------------

def supported_ops() -> list[str]:
    """Every op name the tflm runtime can build, sorted."""
    return sorted(OPS)


def lookup(op_name: str, where: str | None = None) -> OpInfo:
    """The inventory entry for `op_name`; UnsupportedOpError (with the supported list) if none."""
    try:
        return OPS[op_name]
    except KeyError:
        raise unsupported_op_error([op_name], where) from None


def lookup_all(op_names: Iterable[str], where: str | None = None) -> list[OpInfo]:
    """Entries for the distinct `op_names`, sorted by name; one error naming every unknown op."""
    names = sorted(set(op_names))
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise unsupported_op_error(unknown, where)
    return [OPS[n] for n in names]


def kernel_sources(op_names: Iterable[str], kernels: str = REFERENCE) -> list[str]:
    """Kernel source files for these ops, sorted, with `kernels`' optimized files in place of
    their reference twins (file-level, like TFLM's OPTIMIZED_KERNEL_DIR)."""
    _check_kernels(kernels)
    ops = lookup_all(op_names)
    reference = {path for op in ops for path in op.sources}
    optimized = {path for op in ops for path in op.optimized.get(kernels, ())}
    return sorted(_replace_twins(reference, optimized))


def op_uses(model) -> list[OpUse]:
    """The distinct (op, tensor types) uses in every subgraph of a parsed model, sorted."""
    uses = set()
    for subgraph in model.subgraphs:
        def dtype(index: int, tensors=subgraph.tensors) -> str:
            return ABSENT if index < 0 else tensors[index].dtype
        for op in subgraph.operators:
            uses.add(OpUse(op.name, tuple(map(dtype, op.inputs)), tuple(map(dtype, op.outputs))))
    return sorted(uses)


def select_registration(op_name: str, uses: Iterable[OpUse]) -> TypedRegistration | None:
    """The type-specialized registration of `op_name` that covers EVERY one of its `uses` (all models
    of the image), else None: the generic registration. Uses of other ops are ignored."""
    info = lookup(op_name)
    mine = [use for use in uses if use.name == op_name]
    if not mine:
        return None
    for typed in info.typed:
        if all(typed.matches(use) for use in mine):
            return typed
    return None


def libraries_with_optimized(op_name: str) -> list[str]:
    """Kernel libraries that ship an optimized kernel for `op_name`, sorted."""
    return sorted(lookup(op_name).optimized)


def third_party_needs(op_names: Iterable[str], kernels: str = REFERENCE) -> list[str]:
    """External code (beyond TFLM's own flatbuffers/gemmlowp/ruy) these ops and kernels need."""
    _check_kernels(kernels)
    needs = {dep for op in lookup_all(op_names) for dep in op.third_party}
    if kernels != REFERENCE:
        needs.update(KERNEL_LIBRARIES[kernels].requires)
    return sorted(needs)


# --- helpers -------------------------------------------------------------------------------

def _replace_twins(reference: Iterable[str], optimized: Iterable[str]) -> set[str]:
    """Swap each reference file for the optimized file of the same name, if there is one."""
    by_name = {PurePosixPath(path).name: path for path in optimized}
    result = set()
    for path in reference:
        ref = PurePosixPath(path)
        twin = by_name.get(ref.name) if ref.parent == _KERNELS_DIR else None
        result.add(twin or path)
    return result


def _check_kernels(kernels: str) -> None:
    if kernels not in KERNEL_CHOICES:
        raise TinyMLError(
            f"unknown kernel library '{kernels}'",
            where="kernels=",
            fix=f"use one of: {', '.join(KERNEL_CHOICES)}",
        )


def _wrapped(names: Iterable[str]) -> list[str]:
    return textwrap.wrap(", ".join(names), width=96, initial_indent="    ", subsequent_indent="    ",
                         break_on_hyphens=False)


# Ops TFLM has no kernel for that converters write for common layers, with the export that avoids
# them (measured with TensorFlow 2.21 / Keras 3): the user's way out, not ours.
EXPORT_ALTERNATIVES = {
    "TILE": ("Keras 3's UpSampling2D(interpolation='nearest') exports RESHAPE + TILE; "
             "keras.layers.Resizing(height, width, interpolation='nearest') exports RESIZE_NEAREST_NEIGHBOR; "
             "RepeatVector(n) exports TILE too: tf.broadcast_to(tf.expand_dims(x, 1), [batch, n, features]) "
             "exports RESHAPE + BROADCAST_TO"),
    "GELU": ("tf.nn.gelu / activation='gelu' exports GELU; write the tanh form "
             "0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x**3))) to export TANH, MUL and ADD"),
    "SELECT": ("Keras 3's Embedding exports LESS, ADD, SELECT (it wraps negative ids) before its GATHER, and "
               "tf.where on operands of one shape exports SELECT; look the ids up with tf.gather(table, ids) "
               "(GATHER only), and tf.where with a broadcast operand exports SELECT_V2"),
}


def unsupported_op_error(op_names: list[str], where: str | None = None) -> UnsupportedOpError:
    """The error for ops missing from the inventory: names them, lists what is supported, and
    says how to fix it."""
    quoted = ", ".join(f"'{n}'" for n in op_names)
    plural = "s" if len(op_names) > 1 else ""
    them = "them" if len(op_names) > 1 else "it"
    hints = []
    for name in op_names:
        folded = [known for known in OPS if known.lower() == name.lower()]
        close = folded or difflib.get_close_matches(name, sorted(OPS), n=3, cutoff=0.8)
        if close and name not in EXPORT_ALTERNATIVES:  # a real op is no misspelling: no "did you mean"
            hints.append(f"'{name}': did you mean {' or '.join(close)}?")
    # The way out for a Keras layer exported as an op TFLM lacks goes in the fix, which `inspect`
    # prints too (the details are the build error's alone)
    exports = [f"{name}: {EXPORT_ALTERNATIVES[name]}" for name in op_names if name in EXPORT_ALTERNATIVES]
    builtin = sorted(n for n, op in OPS.items() if not op.custom)
    custom = sorted(n for n, op in OPS.items() if op.custom)
    # Both runtimes: tflm needs a TFLM kernel, and aot is judged against TFLM (the oracle)
    what = f"operator{plural} {quoted} not in the op inventory: no TFLM kernel, so neither runtime builds {them}"
    details = ([f"  {h}" for h in hints]  # one line per hint: a name from the model cannot add lines
               + [f"  supported builtin ops ({len(builtin)}):", *_wrapped(builtin),
                  f"  supported custom ops ({len(custom)}):", *_wrapped(custom)])
    replace_with = "; ".join(exports) if exports else f"replace {them} with supported ops"
    fix = (f"re-export the model without {quoted} ({replace_with}), or add {them} to "
           "tinyml_build/analysis/op_inventory.py with the MicroMutableOpResolver method and kernel sources")
    return UnsupportedOpError(what, where=where, fix=fix, details=details)
