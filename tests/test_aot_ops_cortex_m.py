"""Part-B ops on an emulated Cortex-M4F (QEMU mps2-an386): the paths host builds never run --
SMMULR rescaling in ADD/SUB, SMLAD 16x8 convolutions and int8 TRANSPOSE_CONV dot products --
are bit-exact with tflite-micro, including the all-minimum / all-maximum input runs. Skipped
without the Arm toolchain or QEMU."""

import shutil

import aot_op_cases
import pytest
import test_aot_ops_gen_binary
import test_aot_ops_gen_shape
import test_aot_ops_gen_unary
import test_aot_ops_reduce
from conftest import PROJECT_DIR, shared_model
from test_aot_ops_conv16 import _conv16_model, _transpose_conv_model
from test_aot_ops_elementwise import _binary_model

from tinyml_build.analysis.op_inventory import REFERENCE
from tinyml_build.config.targets import load_target
from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.tflm.sources import missing_reason
from tinyml_build.verification.oracle import TARGET, oracle_for
from tinyml_build.verification.oracle.target import LIBM_CALLS
from tinyml_build.verification.target_check import check_on_cortex_m

pytestmark = [pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                 reason="arm-none-eabi-gcc or qemu-system-arm not installed"), pytest.mark.qemu]


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["add0.tflite", "sub0.tflite", "simple_add_model.tflite", "conv0.tflite",
                                  "transpose_conv4.tflite", "leaky_relu0.tflite"])
def test_reference_model_on_cortex_m4(name):
    report = check_on_cortex_m(shared_model(name), runs=3)
    aot_op_cases.assert_exact(report)


CASES = {
    # equal input scales: the ADD/SUB operands reach the +-2^30 bound of the SMMULR shortcut
    "add_int16_equal_scales": lambda: _binary_model("ADD", (1, 40, 40), (1, 40, 40), (1, 40, 40), "int16",
                                                    scales=(0.05, 0.05, 0.01)),
    "sub_int16_6d": lambda: _binary_model("SUB", (2, 1, 3, 1, 2, 3), (1, 2, 1, 4, 2, 1), (2, 2, 3, 4, 2, 3), "int16"),
    "sub_int8_tables": lambda: _binary_model("SUB", (1, 16, 12, 8), (1, 16, 1, 8), (1, 16, 12, 8),
                                             scales=(0.11, 0.03, 0.09)),
    "conv16_groups": lambda: _conv16_model(filter_in_c=2, out_c=6),
    "conv16_window_over_256": lambda: _conv16_model(in_shape=(1, 5, 5, 40), out_c=9),
    "conv16_int32_bias_run_300": lambda: _conv16_model(in_shape=(1, 4, 4, 300), out_c=4, kernel=(1, 1), bias="int32"),
    "transpose_conv_int8_odd": lambda: _transpose_conv_model("int8", in_shape=(1, 3, 4, 7), out_c=5, stride=(2, 3),
                                                             out_hw=(6, 12), kernel=(2, 4)),
    "transpose_conv_16x8_int16_bias": lambda: _transpose_conv_model("int16", bias="int16", in_shape=(1, 4, 5, 9)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_op_on_cortex_m4(case):
    model = read_model(CASES[case](), where=f"{case}.tflite", name=case)
    report = check_on_cortex_m(model, runs=3)
    aot_op_cases.assert_exact(report)


# Generated-case suites whose kernels use the Arm DSP/SAT paths of tml_fixedpoint.h / tml_requant.h
# (SMMULR, SSAT): their ops in every type, several random instances each, in one image per seed.
_SUITES = (test_aot_ops_gen_unary, test_aot_ops_gen_binary, test_aot_ops_gen_shape, test_aot_ops_reduce)
_ADDERS = {op: add for suite in _SUITES for op, add in suite.ADDERS.items()}
_TYPES = {op: types for suite in _SUITES for op, types in suite.TYPES.items()}
# float32 ops that call libm's expf / tanhf (LOGISTIC, TANH, SOFTMAX) are judged by the target oracle
# (oracle/target.py: the pinned TFLM built for this core with newlib, in QEMU), which target_check
# selects for a model using them. They get an image of their own (test_libm_float_cases_on_cortex_m4)
# whose op set is test_oracle_target.py's model's, so both share one cached runner; the suites' images
# leave them out and keep the host oracle (a runner with all 18 ops of the suites would cost minutes).
FLOAT_ELEMENTWISE_OPS = ("ADD", "SUB", "MUL", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "MEAN")
LIBM_FLOAT_OPS = tuple(sorted(op for op, types in _TYPES.items()
                             if "float32" in types and (op, "float32") in LIBM_CALLS))


def _target_types(op):
    return [t for t in aot_op_cases.judged_types(_TYPES)(op) if not (op in LIBM_FLOAT_OPS and t == "float32")]


@pytest.mark.parametrize("seed", range(2))
def test_generated_cases_on_cortex_m4(seed):
    data = aot_op_cases.all_ops_model(_ADDERS, _target_types, per_type=4, seed=100 + seed)
    model = read_model(data, where=f"generated{seed}.tflite", name=f"generated{seed}")
    report = check_on_cortex_m(model, runs=4)
    aot_op_cases.assert_exact(report)


@pytest.mark.tflm_sources
def test_libm_float_cases_on_cortex_m4():
    """float32 LOGISTIC, TANH and SOFTMAX on qemu-m4, judged by the target oracle: newlib's expf/tanhf
    in TFLM's reference kernels on the same core, which aot reproduces bit for bit (the host oracle's
    glibc bytes differ in the last bits of some elements)."""
    why = missing_reason(LIBM_FLOAT_OPS, REFERENCE)
    if why is not None:
        pytest.skip(f"pinned TFLM sources not resolved (the target oracle is built from them): {why}")
    assert LIBM_FLOAT_OPS == ("LOGISTIC", "SOFTMAX", "TANH")
    data = aot_op_cases.all_ops_model({op: _ADDERS[op] for op in LIBM_FLOAT_OPS}, lambda op: ["float32"], per_type=6,
                                      seed=400)
    model = read_model(data, where="libm_float_cases.tflite", name="libm_float_cases")
    assert oracle_for(model, REFERENCE, target=load_target("qemu-m4", PROJECT_DIR / "targets")).kind == TARGET
    report = check_on_cortex_m(model, runs=4)
    aot_op_cases.assert_exact(report)


def test_float32_special_values_on_cortex_m4():
    """The float32 elementwise kernels (ADD, SUB, MUL, RELU, RELU6, LEAKY_RELU, HARD_SWISH, MEAN) on the
    finite special values of aot_op_cases.float_inputs -- denormals, FLT_MAX (the fused activations'
    clamp of an overflow to inf), signed zeros, the activation edges -- with the hard-float ABI. No NaN
    or infinity as input: Arm's default NaN is positive, x86's negative (aot README)."""
    float_ops = [op for op, types in _TYPES.items() if "float32" in types and op in FLOAT_ELEMENTWISE_OPS]
    data = aot_op_cases.all_ops_model({op: _ADDERS[op] for op in float_ops}, lambda op: ["float32"], per_type=8,
                                      seed=300)
    model = read_model(data, where="float32_specials.tflite", name="float32_specials")
    report = check_on_cortex_m(model, inputs=aot_op_cases.float_inputs(model, runs=4, seed=0, finite=True))
    aot_op_cases.assert_exact(report)

