"""Custom op options: the reader keeps them, flex_options reads them as TFLM does, and malformed
bytes (a .tflite is untrusted) become one ModelError naming the op and option, never a traceback."""

import flatbuffers.flexbuffers as flexbuffers
import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.errors import ModelError, UnsupportedOpError
from tinyml_build.escape import terminal
from tinyml_build.model.flex_options import read_custom_options
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot import lower
from tinyml_build.runtimes.aot.lower import lower_model

OPTIONS = {"shift": 12, "neg": -5, "flag": True, "ratio": 1.5, "sizes": [1, 2, 3], "name": "x"}


def _read(data: bytes):
    return read_custom_options(data, "op #3 SignalTest", "m.tflite")


def test_getters_read_by_tflm_position():
    options = _read(flex_map(OPTIONS))
    assert options.keys == ("flag", "name", "neg", "ratio", "shift", "sizes")  # sorted, as TFLM indexes them
    assert options.int("shift", 4) == 12
    assert options.int("neg", 2) == -5
    assert options.bool("flag", 0) is True
    assert options.int_vector("sizes", 5) == (1, 2, 3)


@pytest.mark.parametrize("key,position,getter,message", [
    ("shift", 0, "int", "entry 4 of the options map, but TFLM reads it as entry 0"),
    ("missing", 0, "int", "custom option 'missing' is missing"),
    ("ratio", 3, "int", "'ratio' is a float, expected an integer"),
    ("name", 1, "int", "'name' is a string, expected an integer"),
    ("sizes", 5, "bool", "'sizes' is a vector, expected a boolean"),
    ("shift", 4, "int_vector", "'shift' is a int, expected a vector"),
])
def test_wrong_key_type_or_position_is_refused(key, position, getter, message):
    with pytest.raises(ModelError) as info:
        getattr(_read(flex_map(OPTIONS)), getter)(key, position)
    assert "op #3 SignalTest" in str(info.value) and message in str(info.value)


def test_values_tflm_reads_differently_are_refused():
    with pytest.raises(ModelError, match="does not fit int32"):
        _read(flex_map({"big": 1 << 40})).int("big", 0)
    builder = flexbuffers.Builder()
    with builder.Map():
        builder.UInt("u", 200)  # one byte: TFLM's ReadInt64 of width 1 sees -56
    with pytest.raises(ModelError, match="reads as the signed 1-byte integer -56"):
        _read(bytes(builder.Finish())).int("u", 0)
    builder = flexbuffers.Builder()
    with builder.Map():
        builder.IndirectInt("i", 7)  # TFLM would read the offset, not 7
    with pytest.raises(ModelError, match="'i' is a indirect_int"):
        _read(bytes(builder.Finish())).int("i", 0)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff" * 10, bytes(range(40)), flex_map([1, 2, 3]),
                                  flex_map(OPTIONS)[5:], flex_map(OPTIONS)[:-3], flex_map(7)])
def test_malformed_options_are_one_model_error(data):
    with pytest.raises(ModelError) as info:
        _read(data)
    assert "op #3 SignalTest" in str(info.value)


def test_corrupted_options_never_raise_anything_else():
    """Seeded byte corruption of a valid map: parsing and every getter raise ModelError or succeed."""
    valid = flex_map(OPTIONS)
    rng = np.random.default_rng(5)
    refused = 0
    for _ in range(400):
        data = bytearray(valid)
        for at in rng.integers(0, len(data), int(rng.integers(1, 5))):
            data[int(at)] = int(rng.integers(0, 256))
        try:
            options = _read(bytes(data))
            for key in options.keys:
                for position in range(len(options.keys)):
                    for getter in (options.int, options.bool, options.int_vector):
                        try:
                            getter(key, position)
                        except ModelError:
                            refused += 1
        except ModelError:
            refused += 1
    assert refused > 0


def _custom_model(name, custom_options: bytes | None) -> bytes:
    b = ModelBuilder()
    x, y = b.tensor("x", "int16", [8]), b.tensor("y", "int16", [8])
    weights = b.tensor("w", "int16", [8], data=np.ones(8, np.int16))
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=name), [x, weights], [y], custom_options=custom_options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def test_reader_keeps_custom_options_bytes():
    data = flex_map({"shift": 3})
    model = read_model(_custom_model("SignalWindow", data), where="m.tflite")
    op = model.main.operators[0]
    assert op.name == "SignalWindow" and op.custom_options == data and not op.large_custom_options
    assert read_model(_custom_model("SignalWindow", None)).main.operators[0].custom_options == b""


@pytest.fixture
def custom_lowering(monkeypatch):
    """A lowering registered for the custom op "TmlTestOp" that reads its option "shift" (position
    0) through OpContext.custom_options, as the Signal lowerings do; the shift values seen."""
    seen = []
    table = lower.lowerings()

    def lower_test_op(ctx):
        seen.append(ctx.custom_options.int("shift", 0))
        ctx.call("tml_copy", ctx.output_ptr(0), ctx.input_ptr(0), "16u", kernel="copy")

    monkeypatch.setattr(lower, "lowerings", lambda: {**table, "TmlTestOp": lower_test_op})
    return seen


def test_aot_lowering_reads_custom_options_of_a_custom_op(custom_lowering):
    lower_model(read_model(_custom_model("TmlTestOp", flex_map({"shift": 9})), where="m.tflite"))
    assert custom_lowering == [9]
    with pytest.raises(ModelError) as info:
        lower_model(read_model(_custom_model("TmlTestOp", b"\x01\x02\x03\x04"), where="m.tflite"))
    assert "op #0 TmlTestOp: malformed custom options" in str(info.value)
    with pytest.raises(ModelError, match="op #0 TmlTestOp: the op has no custom options"):
        lower_model(read_model(_custom_model("TmlTestOp", None), where="m.tflite"))


def test_large_custom_options_are_refused_as_tflm_ignores_them():
    with pytest.raises(ModelError, match="large_custom_options"):
        read_custom_options(flex_map({"shift": 1}), "op #0 SignalWindow", "m.tflite", large=True)


def test_unsupported_custom_op_is_listed_by_its_name_escaped():
    name = "Signal\x1b[31mEvil"
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(_custom_model(name, flex_map({"shift": 1})), where="m.tflite"))
    assert "is not supported by runtime=aot" in str(info.value)
    shown = terminal(str(info.value))
    assert "\x1b" not in shown and "Signal" in shown and "Evil" in shown
