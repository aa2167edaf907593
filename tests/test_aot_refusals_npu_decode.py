"""Ops TFLM knows that runtime=aot refuses with their cause, not a bare "not supported": an Ethos-U
NPU op (Vela's output, which no CPU kernel runs -- refused for runtime=tflm too, whose TFLM links the
Ethos-U stub). TFLM_DECODE (TFLM's compression), once refused here, is decoded at build time now
(tests/test_aot_ops_decode.py); a malformed one is refused with what is wrong in it."""

import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.analysis.analyze import analyze, check_buildable
from tinyml_build.errors import ModelError, TinyMLError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model


def _ethos_u_model() -> bytes:
    """What Vela writes: the NPU's command stream and weights as constant inputs of one custom op."""
    b = ModelBuilder()
    stream = b.tensor("command_stream", "uint8", [16], data=np.arange(16, dtype=np.uint8))
    x = b.tensor("x", "int8", [1, 8], scale=0.1, zero_point=0)
    y = b.tensor("y", "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="ethos-u"), [stream, x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _decode_model() -> bytes:
    b = ModelBuilder()
    encoded = b.tensor("encoded", "uint8", [4], data=np.zeros(4, np.uint8))
    ancillary = b.tensor("ancillary", "uint8", [16], data=np.zeros(16, np.uint8))
    w = b.tensor("w", "int8", [2, 4])
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="TFLM_DECODE"), [encoded, ancillary], [w],
         custom_options=flex_map({}))
    b.inputs, b.outputs = [], [w]
    return b.build()


def test_ethos_u_is_refused_at_build_time_for_both_runtimes():
    model = read_model(_ethos_u_model(), where="vela.tflite", name="vela")
    with pytest.raises(TinyMLError) as info:
        check_buildable(analyze(model))  # what every build checks first, runtime=tflm included
    text = str(info.value)
    assert "compiled for an Arm Ethos-U NPU by Vela" in text
    assert "runtime=aot runs on the CPU only" in text and "Ethos-U stub" in text
    assert "before Vela" in text
    with pytest.raises(TinyMLError) as info:
        lower_model(model)
    assert "Vela" in str(info.value)


def test_tflm_decode_with_a_malformed_header_says_what_is_wrong():
    with pytest.raises(ModelError) as info:
        lower_model(read_model(_decode_model(), where="compressed.tflite", name="compressed"))
    text = str(info.value)
    assert "op #0 TFLM_DECODE output 0 (tensor #2 'w'): DCM version 0 (TFLM decodes version 1 only)" in text
    assert "is not supported by runtime=aot" not in text
