"""TFLM's DECODE format (its compression tool's output), decoded in Python at build time.

Why here: a TFLM_DECODE op turns (encoded, ancillary) pairs of constant tensors into the tensors
later ops read; runtime=aot needs those values as constants in flash, so it decodes them while it
builds. The format is the pinned TFLM's kernels/decode_state{,_lut,_prune,_huffman}.cc: a 16-byte
Decode Common Metadata (DCM) header -- byte 0 the decode type, byte 1 the DCM version, bytes 4..15
the type's own fields -- then the type's tables. The results are what those kernels write, byte for
byte, including where they read across channel tables. Unlike TFLM, which reads the ancillary data
unchecked, every size and offset is checked before use: a malformed tensor is one ModelError, and
what TFLM refuses (another version, a custom type, a type its Eval rejects) is refused here too.
"""

from __future__ import annotations

import numpy as np

from tinyml_build.errors import ModelError
from tinyml_build.model.reader import Tensor

DCM_BYTES = 16
LUT, HUFFMAN, PRUNE = 0, 1, 2  # DecodeState::kDcmType*; 127 (custom) and the rest are refused
TYPE_NAMES = {LUT: "LUT", HUFFMAN: "Huffman", PRUNE: "prune"}
LUT_MAX_BIT_WIDTH = 7  # DecodeStateLut::kMaxBitWidth
# The output types each decoder's Decode() writes (any other is a kTfLiteError at invoke).
LUT_TYPES = ("bool", "float32", "int8", "int16", "int32", "int64")
PRUNE_TYPES = LUT_TYPES
HUFFMAN_TYPES = ("int8", "int16")
# Huffman table entries (DecodeStateHuffman::kTable{16,32}Bit*): found flag, bit count, value.
_HUFFMAN_ENTRY = {2: (0x8000, 11, 0x7FF), 4: (0x80000000, 27, 0x7FFFFFF)}

FIX = ("re-run TFLM's compression tool (tensorflow/lite/micro/compression) on the uncompressed model, "
       "or build the uncompressed .tflite")


def decode(encoded: Tensor, ancillary: Tensor, output: Tensor, where: str, what: str) -> bytes:
    """The bytes TFLM's DECODE writes into `output` from the `encoded` and `ancillary` constants;
    ModelError (naming `what`, e.g. "op #3 TFLM_DECODE output 0") when the data are malformed or
    TFLM would refuse them."""

    def fail(problem: str) -> ModelError:
        return ModelError(f"{what}: {problem}", where=where, fix=FIX)

    for role, tensor in (("encoded", encoded), ("ancillary", ancillary)):
        if not tensor.is_constant:
            raise fail(f"the {role} input #{tensor.index} is not a constant tensor (TFLM requires both)")
    dcm = ancillary.data
    if len(dcm) < DCM_BYTES:
        raise fail(f"the ancillary tensor has {len(dcm)} bytes, fewer than its {DCM_BYTES}-byte DCM header")
    kind, version = dcm[0], dcm[1]
    if version != 1:
        raise fail(f"DCM version {version} (TFLM decodes version 1 only)")
    if kind not in TYPE_NAMES:
        named = "the custom decode type (127)" if kind == 127 else f"decode type {kind}"
        raise fail(f"{named}: TFLM decodes only LUT (0), Huffman (1) and prune (2)")
    if dcm[4] != 1:
        raise fail(f"{TYPE_NAMES[kind]} version {dcm[4]} (TFLM decodes version 1 only)")
    allowed = {LUT: LUT_TYPES, PRUNE: PRUNE_TYPES, HUFFMAN: HUFFMAN_TYPES}[kind]
    if output.dtype not in allowed:
        raise fail(f"{TYPE_NAMES[kind]} decoding writes {' / '.join(allowed)}, not {output.dtype} "
                   f"(output #{output.index})")
    if kind == LUT:
        return _lut(encoded.data, dcm, output, fail)
    if kind == PRUNE:
        return _prune(encoded.data, dcm, output, fail)
    return _huffman(encoded.data, dcm, output, fail)


def _channels(output: Tensor, fail) -> tuple[int, bool]:
    """(channels, whether the channel axis is the last one) as LUT and prune Setup() read them from
    the output's quantization; TFLM refuses any other axis than the first or the last."""
    q = output.quantization
    if q is None:
        return 1, False
    channels = len(q.scale)
    if q.axis == len(output.shape) - 1 and channels > 1:
        return channels, True
    if q.axis != 0:
        raise fail(f"output #{output.index} is quantized along axis {q.axis}; TFLM decodes per-channel "
                   "tensors along the first or the last axis only")
    return channels, False


def _channel_of_each(count: int, channels: int, last_axis: bool) -> np.ndarray:
    if last_axis:
        return np.arange(count) % channels
    return np.arange(count) // max(count // channels, 1)


def _element_type(dtype: str) -> np.dtype:
    return np.dtype("u1") if dtype == "bool" else np.dtype(f"<{np.dtype(dtype).str[1:]}")


def _lut(encoded: bytes, dcm: bytes, output: Tensor, fail) -> bytes:
    """DecodeStateLut: `bit_width`-bit indices packed most significant bit first, one continuous
    bit stream; element i of channel c is value_table[c * stride + index] (the tables follow the
    header, `stride` elements apart)."""
    bit_width, stride = dcm[5] & 0x07, dcm[6]
    if bit_width == 0:
        raise fail("LUT bit width 0 (the format has 1 to 7)")
    channels, last_axis = _channels(output, fail)
    count = output.elements
    needed = (count * bit_width + 7) // 8
    if len(encoded) < needed:
        raise fail(f"the encoded tensor has {len(encoded)} bytes; {count} indices of {bit_width} bits need {needed}")
    bits = np.unpackbits(np.frombuffer(encoded, np.uint8))[:count * bit_width].reshape(count, bit_width)
    indices = bits.astype(np.int64) @ (1 << np.arange(bit_width - 1, -1, -1, dtype=np.int64))
    positions = _channel_of_each(count, channels, last_axis) * stride + indices
    element = _element_type(output.dtype)
    table = np.frombuffer(dcm, element, count=(len(dcm) - DCM_BYTES) // element.itemsize, offset=DCM_BYTES)
    if count and int(positions.max()) >= table.size:
        raise fail(f"a LUT index reads value {int(positions.max())} of a value table of {table.size} "
                   f"{output.dtype} values (past the end of the ancillary tensor)")
    return table[positions].tobytes()


def _prune(encoded: bytes, dcm: bytes, output: Tensor, fail) -> bytes:
    """DecodeStatePrune: one bit per element, most significant first; a set bit takes the next
    value of the table after the header, a clear one the zero point (per channel for int8)."""
    channels, last_axis = _channels(output, fail)
    zero_points = np.zeros(1, np.int64)
    q = output.quantization
    if q is not None:
        zero_points = np.array(q.zero_point[:channels], np.int64)
        if output.dtype != "int8" and zero_points.any():
            raise fail(f"output #{output.index} ({output.dtype}) has a non-zero zero point; TFLM prunes "
                       "only tensors whose zero points are all zero, except int8")
        if not (channels > 1 and zero_points.any()):
            zero_points = zero_points[:1].astype(np.int8).astype(np.int64)  # TFLM keeps one int8_t
    count = output.elements
    if len(encoded) < (count + 7) // 8:
        raise fail(f"the encoded tensor has {len(encoded)} bytes; a mask of {count} elements needs {(count + 7) // 8}")
    kept = np.unpackbits(np.frombuffer(encoded, np.uint8))[:count].astype(bool)
    element = _element_type("int32" if output.dtype == "float32" else output.dtype)
    values_needed = int(kept.sum())
    if DCM_BYTES + values_needed * element.itemsize > len(dcm):
        raise fail(f"the mask keeps {values_needed} values but the ancillary tensor holds "
                   f"{(len(dcm) - DCM_BYTES) // element.itemsize}")
    result = np.empty(count, element)
    if zero_points.size > 1:
        result[:] = zero_points[_channel_of_each(count, channels, last_axis)]
    else:
        result[:] = zero_points[0]
    result[kept] = np.frombuffer(dcm, element, count=values_needed, offset=DCM_BYTES)
    return result.tobytes()


def _huffman(encoded: bytes, dcm: bytes, output: Tensor, fail) -> bytes:
    """DecodeStateHuffman: codewords in a bit stream read as big-endian 32-bit words; each symbol
    starts with a lookup of (initial size + 1) bits in the table after the header; an entry without
    the found flag names a sub-table (offset from that entry, bits to read - 1), a found one holds
    the value (its low bits are the output) and how many of the last lookup's bits the codeword
    used (the others are put back)."""
    entry_bytes = 4 if dcm[5] & 0x01 else 2
    if entry_bytes == 2 and output.dtype != "int8":
        raise fail(f"a 16-bit Huffman table decodes int8 only, not {output.dtype} (output #{output.index})")
    found_flag, count_shift, value_mask = _HUFFMAN_ENTRY[entry_bytes]
    table = np.frombuffer(dcm, f"<u{entry_bytes}", count=(len(dcm) - DCM_BYTES) // entry_bytes,
                          offset=DCM_BYTES).tolist()
    initial_bits = (dcm[5] >> 4) + 1
    count = output.elements
    stream_bits = len(encoded) // 4 * 32  # TFLM loads whole words
    if count and stream_bits == 0:
        raise fail(f"the encoded tensor has {len(encoded)} bytes, less than one 32-bit word of codewords")
    position = 0

    def read(width: int) -> int:
        nonlocal position
        end = position + width
        if end > stream_bits:
            raise fail(f"the codewords end before value {len(values)} of {count} "
                       f"(a read of bits {position}..{end - 1} of {stream_bits})")
        first, last = position // 8, (end + 7) // 8
        chunk = int.from_bytes(encoded[first:last], "big")
        position = end
        return (chunk >> (last * 8 - end)) & ((1 << width) - 1)

    def entry(offset: int) -> int:
        if offset >= len(table):
            raise fail(f"a codeword reads entry {offset} of a Huffman table of {len(table)} entries "
                       "(past the end of the ancillary tensor)")
        return table[offset]

    values: list[int] = []
    for _ in range(count):
        used = initial_bits
        offset = read(used)
        value = entry(offset)
        while not value & found_flag:
            used = ((value >> count_shift) & 0xF) + 1
            offset += (value & value_mask) + read(used)
            value = entry(offset)
        values.append(value)
        residual = (value >> count_shift) & 0xF
        if used > residual:
            position -= used - residual
    element = _element_type(output.dtype)
    return np.array(values, np.uint32).astype(f"<u{element.itemsize}").view(element).tobytes()  # the low bits
