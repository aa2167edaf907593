"""runtime=aot on an emulated Cortex-M4F (QEMU mps2-an386): the Armv7E-M SIMD kernel paths, which
host builds never execute, are bit-exact with tflite-micro too. Skipped without the Arm
toolchain or QEMU."""

import shutil

import aot_op_models as m
import pytest
from aot_op_cases import assert_exact
from conftest import shared_model
from test_aot_fc_stack import FC_PATHS_WIDTHS
from test_aot_lstm import _model as lstm_model
from test_aot_lstm import needs_tflm_table
from test_aot_svdf import _model as svdf_model
from tflite_builder import fully_connected_chain_model, fully_connected_model

from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.verification.target_check import check_on_cortex_m

pytestmark = [pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                 reason="arm-none-eabi-gcc or qemu-system-arm not installed"), pytest.mark.qemu]


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "hello_world_float.tflite",
                                  "micro_speech_quantized.tflite", "person_detect.tflite",
                                  "keyword_scrambled_8bit.tflite", "trained_lstm_int8.tflite"])
def test_reference_model_on_cortex_m4(name):
    if name == "trained_lstm_int8.tflite":
        needs_tflm_table()
    report = check_on_cortex_m(shared_model(name), runs=2)
    assert_exact(report)


SIMD_TAILS = {
    # dot products whose length is not a multiple of 4, odd channel counts, odd pixel counts
    "conv_3x3_k27_odd_oc": lambda: m.conv_model(in_shape=(1, 7, 5, 3), out_channels=5, kernel=(3, 3)),
    "conv_1x1_k37_odd_pixels": lambda: m.conv_model(in_shape=(1, 5, 5, 37), out_channels=7, kernel=(1, 1)),
    "conv_grouped": lambda: m.conv_model(in_shape=(1, 6, 6, 6), out_channels=6, kernel=(3, 3), groups=3),
    "depthwise_m1_tail": lambda: m.depthwise_model(in_shape=(1, 7, 7, 7), multiplier=1, stride=(2, 2)),
    "depthwise_one_channel_m8": lambda: m.depthwise_model(in_shape=(1, 11, 9, 1), multiplier=8, kernel=(5, 3),
                                                          stride=(2, 2)),
    "depthwise_m3": lambda: m.depthwise_model(in_shape=(1, 6, 6, 3), multiplier=3),
    "fully_connected_13x7": lambda: fully_connected_model(units=7, features=13, seed=3),
    # int8 FC buffers in the arena and on each stack wrapper's frame (test_aot_fc_stack.py)
    "fully_connected_paths": lambda: fully_connected_chain_model(FC_PATHS_WIDTHS, seed=5),
    "softmax": lambda: m.softmax_model(shape=(3, 11), in_scale=0.3),
    "avg_pool": lambda: m.pool_model("AVERAGE_POOL_2D", in_shape=(1, 7, 7, 5)),
    "quantize_float": lambda: m.quantize_model(),
    # state carried across the runs; int8 time and gate dot products of odd lengths on SMLAD
    "svdf_int8_state": lambda: svdf_model("int8", seed=3, cases=8),
    # the state shift moves unaligned words on Cortex-M (memmove on the host): 2- and 4-byte elements
    "svdf_int16_state": lambda: svdf_model("int16", seed=3, cases=6),
    "svdf_float32": lambda: svdf_model("float32", seed=3, cases=6),
    # seed 4: four LSTMs on the one-rounding loop (input size 1, recurrent depth 3, batch 2-3, time-major,
    # depth tails 1-3) and two on the loop that tests each shift
    "lstm_int8": lambda: needs_tflm_table() or lstm_model("int8", seed=4, cases=6),
    # the host suite's first int8 model: 34 LSTMs, 13 on the one-rounding loop (about 3 s)
    "lstm_int8_suite": lambda: needs_tflm_table() or lstm_model("int8", seed=0),
    # 16x8: int64 gate sums; its sigmoid/tanh are include/tml_sigmoid16.h, shared with int16 LOGISTIC/TANH
    "lstm_int16": lambda: needs_tflm_table() or lstm_model("int16", seed=3, cases=6),
}


@pytest.mark.parametrize("case", sorted(SIMD_TAILS))
def test_single_op_on_cortex_m4(case):
    model = read_model(SIMD_TAILS[case](), where=f"{case}.tflite", name=case)
    report = check_on_cortex_m(model, runs=3)
    assert_exact(report)


def test_cortex_m_check_reports_the_first_wrong_op():
    model = read_model(m.conv_model(in_shape=(1, 5, 5, 3), out_channels=4), where="bad.tflite", name="bad")
    program = lower_model(model)
    bias = [a for a in program.arrays if "bias" in a.comment][0]
    bias.values[0] += 50000
    report = check_on_cortex_m(model, runs=2, program=program)
    assert not report.ok and "op #0 CONV_2D" in str(report)
