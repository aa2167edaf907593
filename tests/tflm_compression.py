"""The test suite's own encoders of TFLM's DECODE format (LUT, prune, Huffman), written from the
pinned kernels/decode_state_*.cc (the compression tool of the pinned tree implements LUT only), and
a helper that routes a constant through a TFLM_DECODE op as the compression tool does.

Each encoder returns (encoded bytes, ancillary bytes) decoding to exactly `values`; `values` must
already be representable (at most 2**bit_width distinct values per LUT channel, pruned elements
equal to their zero point).
"""

import heapq

import numpy as np

from tinyml_build.model.schema import fb

LUT, HUFFMAN, PRUNE = 0, 1, 2


def dcm(kind: int, fields: bytes = b"\x01", version: int = 1) -> bytes:
    """The 16-byte header: type, DCM version, two reserved bytes, the type's fields (bytes 4..15)."""
    return bytes([kind, version, 0, 0]) + fields.ljust(12, b"\0")


def _raw(values: np.ndarray) -> np.ndarray:
    """Little-endian elements as TFLM stores them (bool as one byte)."""
    return values.astype(values.dtype.newbyteorder("<")) if values.dtype != bool else values.astype(np.uint8)


def channel_of_each(count: int, channels: int, last_axis: bool) -> np.ndarray:
    return np.arange(count) % channels if last_axis else np.arange(count) // max(count // channels, 1)


def lut_encode(values: np.ndarray, bit_width: int, channels: int = 1, last_axis: bool = False,
               stride: int | None = None, rng=None) -> tuple[bytes, bytes]:
    """Per-channel value tables `stride` elements apart (default 2**bit_width; entries in random
    order when `rng` is given), indices packed most significant bit first in one bit stream."""
    flat = _raw(values.reshape(-1))
    channel = channel_of_each(flat.size, channels, last_axis)
    stride = 1 << bit_width if stride is None else stride
    tables = np.zeros((channels, stride), flat.dtype)
    indices = np.zeros(flat.size, np.int64)
    for c in range(channels):
        mine = channel == c
        distinct = np.unique(flat[mine])
        if rng is not None:
            distinct = distinct[rng.permutation(distinct.size)]
        if distinct.size > min(stride, 1 << bit_width):
            raise ValueError(f"channel {c} has {distinct.size} values, more than the table holds")
        tables[c, :distinct.size] = distinct
        indices[mine] = [int(np.flatnonzero(distinct == v)[0]) for v in flat[mine]]
    bits = ((indices[:, None] >> np.arange(bit_width - 1, -1, -1)) & 1).astype(np.uint8)
    encoded = np.packbits(bits.reshape(-1)).tobytes()
    return encoded, dcm(LUT, bytes([1, bit_width, stride])) + tables.tobytes()


def prune_encode(values: np.ndarray, zero_points, channels: int = 1, last_axis: bool = False) -> tuple[bytes, bytes]:
    """A bit per element (set: the next stored value; clear: the element's zero point)."""
    flat = _raw(values.reshape(-1))
    zp = np.asarray(zero_points)[channel_of_each(flat.size, channels, last_axis)] if len(zero_points) > 1 \
        else np.full(flat.size, zero_points[0])
    kept = flat.view(np.uint32) != 0 if flat.dtype.kind == "f" else flat != zp.astype(flat.dtype)
    encoded = np.packbits(kept.astype(np.uint8)).tobytes() or b"\0"
    return encoded, dcm(PRUNE) + flat[kept].tobytes()


def _code_lengths(symbols, counts, limit: int) -> dict:
    """Huffman code lengths of `symbols`, flattened until no code is longer than `limit`."""
    counts = np.asarray(counts, np.int64)
    while True:
        heap = [(int(c), i, (i,)) for i, c in enumerate(counts)]
        heapq.heapify(heap)
        depth = [0] * len(symbols)
        if len(heap) == 1:
            depth[0] = 1
        while len(heap) > 1:
            c1, i1, s1 = heapq.heappop(heap)
            c2, i2, s2 = heapq.heappop(heap)
            for s in s1 + s2:
                depth[s] += 1
            heapq.heappush(heap, (c1 + c2, min(i1, i2), s1 + s2))
        if max(depth) <= limit:
            return dict(zip(symbols, depth))
        counts = counts + counts.max()


def huffman_encode(values: np.ndarray, initial_bits: int, wide_table: bool, rng, sign_extend: bool = False
                   ) -> tuple[bytes, bytes]:
    """Canonical Huffman codes (at most 15 bits) in TFLM's two-level tables: a first table of
    2**initial_bits entries, and for codes longer than that a sub-table per prefix. An entry is a
    found flag, a bit count (the codeword's bits of this lookup, or the sub-table's bits - 1) and a
    value (the symbol's low bits, or the sub-table's offset from the entry). Codewords in a stream
    of big-endian 32-bit words, padded so the last lookup stays inside it."""
    flat = values.reshape(-1).astype(np.int64)
    symbols, counts = np.unique(flat, return_counts=True)
    counts = counts * rng.integers(1, 50, counts.size)
    lengths = _code_lengths(list(symbols.tolist()), counts, 15)
    order = sorted(lengths, key=lambda s: (lengths[s], s))
    codes, code, previous = {}, 0, lengths[order[0]]
    for s in order:
        code <<= lengths[s] - previous
        codes[s], previous = code, lengths[s]
        code += 1
    found, shift, value_mask = (0x80000000, 27, 0x7FFFFFF) if wide_table else (0x8000, 11, 0x7FF)
    low_bits = 0xFF if values.dtype == np.int8 else 0xFFFF

    def symbol_entry(symbol: int, used: int) -> int:
        stored = (symbol & value_mask) if sign_extend else (symbol & low_bits)
        return found | (used << shift) | stored

    table = [0] * (1 << initial_bits)
    long_codes: dict[int, list] = {}
    for s in order:
        length, c = lengths[s], codes[s]
        if length <= initial_bits:
            first = c << (initial_bits - length)
            for k in range(1 << (initial_bits - length)):
                table[first + k] = symbol_entry(s, length)
        else:
            long_codes.setdefault(c >> (length - initial_bits), []).append(s)
    for prefix, group in sorted(long_codes.items()):
        sub_bits = max(lengths[s] - initial_bits for s in group)
        start = len(table)
        if start - prefix > value_mask:
            raise ValueError("sub-table too far for the entry's offset field")
        table[prefix] = ((sub_bits - 1) << shift) | (start - prefix)
        table += [0] * (1 << sub_bits)
        for s in group:
            rest = lengths[s] - initial_bits
            suffix = codes[s] & ((1 << rest) - 1)
            for k in range(1 << (sub_bits - rest)):
                table[start + (suffix << (sub_bits - rest)) + k] = symbol_entry(s, rest)
    bits = "".join(format(codes[int(v)], f"0{lengths[int(v)]}b") for v in flat)
    bits += "0" * (-(len(bits) + 16) % 32 + 16)
    encoded = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    header = dcm(HUFFMAN, bytes([1, ((initial_bits - 1) << 4) | int(wide_table)]))
    return encoded, header + np.array(table, "<u4" if wide_table else "<u2").tobytes()


def decode_op(b, pairs) -> list[int]:
    """One TFLM_DECODE op (as the compression tool inserts it before a consumer): `pairs` of
    (name, dtype, shape, quantization kwargs, encoded, ancillary); the decoded tensors' indices."""
    inputs, outputs = [], []
    for name, dtype, shape, quant, encoded, ancillary in pairs:
        inputs.append(b.tensor(f"{name}_encoded", "uint8", [len(encoded)], data=np.frombuffer(encoded, np.uint8)))
        inputs.append(b.tensor(f"{name}_ancillary", "uint8", [len(ancillary)],
                               data=np.frombuffer(ancillary, np.uint8)))
        outputs.append(b.tensor(name, dtype, shape, **quant))
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="TFLM_DECODE"), inputs, outputs)
    return outputs
