"""Build small .tflite flatbuffers in tests, without tensorflow.

Uses the schema's object API (from the tflite-micro wheel) to pack models with exactly the
property a test needs: a hybrid op, an op the inventory lacks, an absurd shape, ... The
models are tiny but real: the tflite-micro interpreter runs the valid ones.
"""

import flatbuffers
import numpy as np

from tinyml_build.model.schema import fb

TYPE_CODES = {"float32": 0, "float16": 1, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7, "int8": 9,
              "uint64": 12, "uint32": 15, "uint16": 16, "resource": 13}


def flex_map(options: dict) -> bytes:
    """`options` as a FlexBuffer map, the custom_options of TFLM's custom ops (keys sorted, as the
    flexbuffers builder stores them and TFLM's kernels read them by position)."""
    import flatbuffers.flexbuffers as flexbuffers

    return bytes(flexbuffers.Dumps(options))


class ModelBuilder:
    def __init__(self, description: str = "test model"):
        self.tensors: list = []
        self.buffers: list = [fb.BufferT()]  # buffer 0 is the empty sentinel
        self.opcodes: list = []
        self.operators: list = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.description = description
        self.subgraph_name = "main"
        self.metadata: list = []
        self.signature_defs: list = []

    def tensor(self, name, dtype, shape, data: np.ndarray | None = None, scale=None, zero_point=None, axis=0) -> int:
        t = fb.TensorT()
        t.name = name
        t.type = TYPE_CODES[dtype]
        t.shape = list(shape)
        t.buffer = 0
        if data is not None:
            buf = fb.BufferT()
            buf.data = list(np.asarray(data).tobytes())
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale = list(np.atleast_1d(scale).astype(float))
            q.zeroPoint = list(np.atleast_1d(zero_point if zero_point is not None else 0).astype(int))
            q.quantizedDimension = axis
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def opcode(self, builtin_code: int, version: int = 1, custom: str | None = None) -> int:
        code = fb.OperatorCodeT()
        code.builtinCode = builtin_code
        code.deprecatedBuiltinCode = min(builtin_code, 127)
        code.version = version
        code.customCode = custom
        self.opcodes.append(code)
        return len(self.opcodes) - 1

    def op(self, opcode_index: int, inputs, outputs, options_type: int = 0, options=None,
           custom_options: bytes | None = None) -> None:
        """custom_options: a custom op's option bytes (usually flex_map({...}))."""
        op = fb.OperatorT()
        op.opcodeIndex = opcode_index
        op.inputs = list(inputs)
        op.outputs = list(outputs)
        op.builtinOptionsType = options_type
        op.builtinOptions = options
        if custom_options is not None:
            op.customOptions = list(custom_options)
        self.operators.append(op)

    def metadata_entry(self, name, data: bytes = b"") -> None:
        """A model.metadata entry (name -> buffer), as converters write e.g. 'min_runtime_version'."""
        buf = fb.BufferT()
        buf.data = list(data) or None
        self.buffers.append(buf)
        entry = fb.MetadataT()
        entry.name = name
        entry.buffer = len(self.buffers) - 1
        self.metadata.append(entry)

    def signature(self, key, inputs: dict, outputs: dict) -> None:
        """A SignatureDef of subgraph 0: {name: tensor index} for its inputs and outputs."""
        def tensor_maps(names: dict) -> list:
            maps = []
            for name, index in names.items():
                tensor_map = fb.TensorMapT()
                tensor_map.name, tensor_map.tensorIndex = name, index
                maps.append(tensor_map)
            return maps

        signature = fb.SignatureDefT()
        signature.signatureKey = key
        signature.inputs, signature.outputs = tensor_maps(inputs), tensor_maps(outputs)
        self.signature_defs.append(signature)

    def subgraph(self, name: str) -> int:
        """Start another subgraph (for IF / WHILE / CALL_ONCE); tensor(), op(), inputs and outputs then
        refer to it until the next subgraph() or select(). Returns its index; 0 is the main graph."""
        self._save_current()
        self._subgraphs.append(([], [], [], [], name))
        return self.select(len(self._subgraphs) - 1)

    def select(self, index: int) -> int:
        """Make subgraph `index` the one tensor()/op() add to."""
        self._save_current()
        self.tensors, self.operators, self.inputs, self.outputs, self.subgraph_name = self._subgraphs[index]
        self._current = index
        return index

    def _save_current(self) -> None:
        if not hasattr(self, "_subgraphs"):
            self._subgraphs, self._current = [None], 0
        self._subgraphs[self._current] = (self.tensors, self.operators, self.inputs, self.outputs,
                                          self.subgraph_name)

    def build(self) -> bytes:
        """The .tflite bytes. Every string field (names, description, custom codes) may be a str or
        raw bytes (e.g. not UTF-8)."""
        self._save_current()
        subgraphs = []
        for tensors, operators, inputs, outputs, name in self._subgraphs:
            sg = fb.SubGraphT()
            sg.tensors, sg.operators, sg.inputs, sg.outputs, sg.name = tensors, operators, inputs, outputs, name
            subgraphs.append(sg)
        model = fb.ModelT()
        model.version = 3
        model.operatorCodes = self.opcodes
        model.subgraphs = subgraphs
        model.buffers = self.buffers
        model.description = self.description
        model.metadata = self.metadata or None
        model.signatureDefs = self.signature_defs or None
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def fully_connected_model(input_dtype="int8", weight_dtype="int8", units=4, features=8, seed=0) -> bytes:
    """x[1, features] -> FULLY_CONNECTED(units) -> y; int8 by default, hybrid when input is float32."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    quantized = input_dtype != "float32"
    x = b.tensor("input", input_dtype, [1, features], scale=0.05 if quantized else None,
                 zero_point=-3 if quantized else None)
    int8_weights = weight_dtype == "int8"
    w_data = (rng.integers(-127, 128, size=(units, features)).astype(np.int8) if int8_weights
              else rng.standard_normal((units, features)).astype(weight_dtype))
    w = b.tensor("weights", weight_dtype, [units, features], data=w_data, scale=0.02 if int8_weights else None,
                 zero_point=0 if int8_weights else None)
    bias_dtype = "int32" if quantized else "float32"
    bias_data = rng.integers(-100, 100, size=units).astype(np.int32) if quantized else np.zeros(units, np.float32)
    bias = b.tensor("bias", bias_dtype, [units], data=bias_data, scale=0.001 if quantized else None,
                    zero_point=0 if quantized else None)
    y = b.tensor("output", input_dtype, [1, units], scale=0.1 if quantized else None,
                 zero_point=2 if quantized else None)
    options = fb.FullyConnectedOptionsT()
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4 if quantized else 1), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def fully_connected_chain_model(widths, seed=12, description="int8 FULLY_CONNECTED chain") -> bytes:
    """x[1, widths[0]] -> FULLY_CONNECTED(widths[1]) -> ... -> y[1, widths[-1]], seeded int8: per-tensor
    weights, RELU on the hidden layers, scales that keep the activations spread over the int8 range
    (bench's anomaly_fc is the MLPerf Tiny anomaly-detection autoencoder's widths)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(description)
    code = b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4)
    scale, zp = 0.05, -10
    x = first = b.tensor("input", "int8", [1, widths[0]], scale=scale, zero_point=zp)
    for n, (depth, units) in enumerate(zip(widths, widths[1:])):
        w_scale = 0.01
        out_scale = scale * w_scale * 74.0 * np.sqrt(depth) / 60.0
        out_zp = -128 if n < len(widths) - 2 else 3
        w = b.tensor(f"w{n}", "int8", [units, depth], data=rng.integers(-127, 128, (units, depth)).astype(np.int8),
                     scale=w_scale, zero_point=0)
        bias = b.tensor(f"b{n}", "int32", [units], data=rng.integers(-2000, 2000, units).astype(np.int32),
                        scale=scale * w_scale, zero_point=0)
        y = b.tensor(f"y{n}", "int8", [1, units], scale=out_scale, zero_point=out_zp)
        options = fb.FullyConnectedOptionsT()
        options.fusedActivationFunction = 1 if n < len(widths) - 2 else 0  # RELU on hidden layers
        b.op(code, [x, w, bias], [y], fb.BuiltinOptions.FullyConnectedOptions, options)
        x, scale, zp = y, out_scale, out_zp
    b.inputs, b.outputs = [first], [x]
    return b.build()


def single_op_model(builtin_code: int, dtype="int8", shape=(1, 4), custom: str | None = None) -> bytes:
    """One op with one input and one output of the same shape (options left at defaults)."""
    b = ModelBuilder()
    x = b.tensor("input", dtype, shape, scale=0.1, zero_point=0)
    y = b.tensor("output", dtype, shape, scale=0.1, zero_point=0)
    b.op(b.opcode(builtin_code, custom=custom), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


# Unary float32 ops TFLM runs: a model with one of them tests what happens when runtime=aot lacks an op.
_UNARY_FLOAT_OPS = ("FLOOR", "CEIL", "ROUND", "SQUARE", "SIN", "COS", "EXP", "LOG", "SQRT", "RSQRT")


def op_aot_lacks_model() -> tuple[str, bytes]:
    """(op name, model) for a one-op float32 model of an op runtime=aot does not implement (yet):
    picked at run time, so the test keeps meaning something while aot gains ops."""
    import pytest

    from tinyml_build.runtimes.aot.ops import supported_ops

    for name in _UNARY_FLOAT_OPS:
        if name not in supported_ops():
            return name, single_op_model(getattr(fb.BuiltinOperator, name), "float32")
    pytest.skip(f"runtime=aot implements every op of {', '.join(_UNARY_FLOAT_OPS)}")


def libm_float_model(shape=(4, 32)) -> bytes:
    """x -> TANH -> LOGISTIC -> SOFTMAX -> y, float32: each calls a libm function that is not correctly
    rounded (tanhf, expf), so glibc and newlib give other last bits (oracle/target.py)."""
    b = ModelBuilder("libm float ops")
    x = b.tensor("input", "float32", shape)
    t = b.tensor("tanh", "float32", shape)
    s = b.tensor("logistic", "float32", shape)
    y = b.tensor("softmax", "float32", shape)
    b.op(b.opcode(fb.BuiltinOperator.TANH), [x], [t])
    b.op(b.opcode(fb.BuiltinOperator.LOGISTIC), [t], [s])
    options = fb.SoftmaxOptionsT()
    options.beta = 1.0
    b.op(b.opcode(fb.BuiltinOperator.SOFTMAX), [s], [y], fb.BuiltinOptions.SoftmaxOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def exp_log_float_model(shape=(4, 32)) -> bytes:
    """x -> EXP -> LOG -> y, float32: expf and logf, neither correctly rounded (oracle/target.py)."""
    b = ModelBuilder("exp log float ops")
    x = b.tensor("input", "float32", shape)
    e = b.tensor("exp", "float32", shape)
    y = b.tensor("log", "float32", shape)
    b.op(b.opcode(fb.BuiltinOperator.EXP), [x], [e])
    b.op(b.opcode(fb.BuiltinOperator.LOG), [e], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()
