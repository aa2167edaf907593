"""Lower a parsed TFLite model to a Program: ordered kernel calls, constants, arena plan.

Each operator is handed to its lowering function (tinyml_build/runtimes/aot/ops/<op>.py) through an
`OpContext`, the only API op modules use: read tensors and options, emit constant arrays and
parameter structs, request scratch memory or in-place aliasing, and emit kernel calls.
Tensor pointers are emitted as macros (TML_T<index>, TML_S<op>_<n>) because arena offsets are
only known after every op has been lowered and the arena planned.
"""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinyml_build.errors import ModelError, UnsupportedOpError
from tinyml_build.model.flex_options import CustomOptions, read_custom_options
from tinyml_build.model.reader import Model, Operator, Subgraph, Tensor
from tinyml_build.runtimes.aot.arena import ArenaRequest, plan_arena
from tinyml_build.runtimes.aot.c_sources import KERNELS_DIR
from tinyml_build.runtimes.aot.ops import lowerings
from tinyml_build.runtimes.aot.program import (
    C_NUMPY_TYPES,
    C_TYPE_SIZES,
    C_TYPES,
    CArray,
    CStruct,
    IOTensor,
    Program,
    StateBuffer,
    Step,
    Trace,
    VariableTensor,
)
from tinyml_build.runtimes.aot.quantization import ActivationBoundError

TFLM_FIX = "build with runtime=tflm (the TFLM interpreter runs every op TFLM has a kernel for)"


# The NaNs the generated C can name: TML_NAN (aot_model.c.j2) is __builtin_nanf("") or math.h's NAN,
# the default quiet NaN.
NAN_LITERALS = {0x7FC00000: "TML_NAN", 0xFFC00000: "(-TML_NAN)"}


def float_bits(value) -> int:
    """The float32 bit pattern of `value` (a NaN keeps its sign and payload through float64)."""
    return int(np.float32(value).view(np.uint32))


def c_literal(value, ctype: str = "int32_t") -> str:
    """A C99 literal for a Python/numpy scalar, exact for floats (hex, TML_INFINITY, TML_NAN) and INT32_MIN.

    Why infinities and NaNs: a float model's constants may hold them (TFLM reads them as bytes), and
    the generated C must compute what TFLM computes with them."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)) or ctype == "float":
        v = float(value)
        if math.isinf(v):
            return "TML_INFINITY" if v > 0 else "(-TML_INFINITY)"
        if math.isnan(v):
            bits = float_bits(value)
            if bits not in NAN_LITERALS:
                raise ModelError(f"a float constant is a NaN with payload 0x{bits:08x}, which C99 cannot write",
                                 fix="only the default quiet NaN (0x7fc00000, or with the sign bit) is supported")
            return NAN_LITERALS[bits]
        if v != float(np.float32(v)):
            raise ValueError(f"constant {v!r} is not representable as float32")
        return f"{v.hex()}f" if v != 0 else ("-0.0f" if math.copysign(1.0, v) < 0 else "0.0f")
    v = int(value)
    if ctype == "int64_t":
        return f"({v + 1}LL - 1)" if v == -(1 << 63) else f"{v}LL"
    if ctype == "uint64_t":
        return f"{v}ULL"
    if v == -(1 << 31):
        return "(-2147483647 - 1)"
    if ctype in ("uint32_t",) and v > 0x7FFFFFFF:
        return f"{v}u"
    return str(v)


class _Lowering:
    """State shared by all OpContexts of one model."""

    def __init__(self, model: Model):
        self.model = model
        self.sg = model.main
        self.arrays: list[CArray] = []
        self._array_by_content: dict[tuple[str, bytes], str] = {}
        self.structs: list[CStruct] = []
        self.steps: list[Step] = []
        self.kernels: set[str] = set()
        self.request = ArenaRequest()
        self.states: list[StateBuffer] = []
        self.init_statements: list[str] = []
        # Which subgraph is being lowered: its tensor/scratch macros are <prefix>T<i> / <prefix>S<op>_<n>,
        # its parameter structs tml_<struct_prefix>op<i> (subgraphs.py switches these for nested subgraphs).
        self.subgraph = 0
        self.prefix = "TML_"
        self.struct_prefix = ""
        self.nested = None  # subgraphs.Nested when the model calls subgraphs (IF, WHILE, CALL_ONCE, variables)

    def array(self, values, ctype: str, comment: str) -> str:
        if ctype not in C_TYPE_SIZES:
            raise ValueError(f"unsupported C array type {ctype}")
        raw = np.asarray(values).reshape(-1)
        if raw.size == 0:
            raise ValueError(f"empty constant array ({comment})")
        numpy_type = np.dtype(C_NUMPY_TYPES[ctype])
        if numpy_type.kind in "iu" and raw.dtype.kind in "iub":
            info = np.iinfo(numpy_type)
            if raw.min() < info.min or raw.max() > info.max:
                raise ValueError(f"constant array ({comment}) has values outside {ctype}")
        flat = np.ascontiguousarray(raw.astype(numpy_type))
        if ctype == "float":
            odd = sorted({b for b in flat.view(np.uint32)[np.isnan(flat)].tolist() if b not in NAN_LITERALS})
            if odd:
                raise UnsupportedOpError(f"{comment}: a NaN with payload 0x{odd[0]:08x} has no C99 literal "
                                         "(only the default quiet NaN does)", fix=TFLM_FIX)
        key = (ctype, flat.tobytes())
        name = self._array_by_content.get(key)
        if name is None:
            name = f"tml_c{len(self.arrays)}"
            self._array_by_content[key] = name
            self.arrays.append(CArray(name=name, ctype=ctype, values=flat.copy(), comment=comment))
        return name


class OpContext:
    """What an op lowering module sees of the model and may emit for its operator."""

    def __init__(self, lowering: _Lowering, op: Operator):
        self._lowering = lowering
        self.op = op
        self.sg = lowering.sg
        self.step = Step(op_index=op.index, op_name=op.name)
        self.nested = lowering.nested
        self._structs = 0
        self._scratch = 0
        self._states = 0
        self._custom_options: CustomOptions | None = None

    # --- reading the operator -------------------------------------------------------------

    @property
    def index(self) -> int:
        return self.op.index

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def model_path(self) -> str:
        """The model's path as the user gave it, for errors the lowering raises itself."""
        return self._lowering.model.path

    @property
    def subgraph(self) -> int:
        """The index of the subgraph being lowered (0: the main one, which invoke() runs)."""
        return self._lowering.subgraph

    @property
    def options(self) -> dict:
        return self.op.options

    @property
    def custom_options(self) -> CustomOptions:
        """A custom op's FlexBuffer options (ModelError when missing or malformed); read them with
        the position TFLM's kernel reads each at, e.g. `ctx.custom_options.int("shift", 0)`."""
        if self._custom_options is None:
            self._custom_options = read_custom_options(self.op.custom_options, f"op #{self.op.index} {self.op.name}",
                                                       self._lowering.model.path, self.op.large_custom_options)
        return self._custom_options

    def input(self, n: int) -> Tensor | None:
        """The n-th input tensor, or None when it is absent or omitted (-1)."""
        if n >= len(self.op.inputs) or self.op.inputs[n] < 0:
            return None
        return self.sg.tensors[self.op.inputs[n]]

    def output(self, n: int = 0) -> Tensor:
        return self.sg.tensors[self.op.outputs[n]]

    def quantization(self, tensor: Tensor) -> tuple[float, int]:
        """Per-tensor (scale, zero_point); a clear build error when the tensor is not quantized."""
        q = tensor.quantization
        if q is None:
            raise self.unsupported(f"tensor #{tensor.index} '{tensor.name}' ({tensor.dtype}) "
                                   "has no quantization parameters")
        if q.per_channel:
            raise self.unsupported(f"tensor #{tensor.index} '{tensor.name}' is quantized per channel; "
                                   "this op needs one scale")
        return q.scale[0], q.zero_point[0]

    def require_dtype(self, tensor: Tensor | None, allowed, role: str) -> Tensor:
        """The tensor, after checking it exists and has one of the `allowed` dtypes."""
        if tensor is None:
            raise self.unsupported(f"{role} tensor is missing")
        if tensor.dtype not in allowed:
            raise self.unsupported(
                f"{role} tensor #{tensor.index} '{tensor.name}' is {tensor.dtype}; runtime=aot supports "
                f"{' / '.join(allowed)} here")
        return tensor

    def lower_by_input_type(self, elsewhere: dict, here: tuple[str, ...]) -> bool:
        """Input 0's type picks the lowering: a type of `elsewhere` (type -> lowering in another module)
        is lowered by it (True); a type of `here` is the caller's to lower (False); any other is refused
        naming every type the op has, not only the caller's."""
        x = self.require_dtype(self.input(0), (*here, *elsewhere), "input")
        lowering = elsewhere.get(x.dtype)
        if lowering is not None:
            lowering(self)
        return lowering is not None

    def require_constant(self, tensor: Tensor, what: str = "") -> Tensor:
        """`tensor`, which the kernel takes from flash (weights, bias, axes...); refused when the
        graph computes it at run time."""
        if not tensor.is_constant:
            named = f"{what} tensor" if what else "tensor"
            raise self.unsupported(f"{named} #{tensor.index} '{tensor.name}' is not constant")
        return tensor

    def unsupported(self, what: str, fix: str | None = None) -> UnsupportedOpError:
        """An error to raise: names the op, where, and the tflm alternative."""
        graph = f"subgraph {self._lowering.subgraph} " if self._lowering.subgraph else ""
        return UnsupportedOpError(
            f"{graph}op #{self.op.index} {self.op.name}: {what}",
            where=self._lowering.model.path,
            fix=fix or TFLM_FIX,
        )

    # --- emitting -------------------------------------------------------------------------

    def ptr(self, tensor: Tensor, const: bool = True) -> str:
        """C expression of a typed pointer to the tensor's data (arena, or flash for constants)."""
        ctype = C_TYPES.get(tensor.dtype, (None,))[0]
        if ctype is None:
            raise self.unsupported(f"tensor #{tensor.index} '{tensor.name}' has type {tensor.dtype}")
        if tensor.is_constant:
            if not const:
                raise ValueError(f"op #{self.op.index}: writing to constant tensor #{tensor.index}")
            return self.array(tensor.array(), ctype, f"tensor #{tensor.index} '{tensor.name}'")
        qualifier = "const " if const else ""
        return f"(({qualifier}{ctype} *){self._lowering.prefix}T{tensor.index})"

    def input_ptr(self, n: int) -> str:
        tensor = self.input(n)
        if tensor is None:
            raise self.unsupported(f"input {n} is missing")
        return self.ptr(tensor, const=True)

    def output_ptr(self, n: int = 0) -> str:
        return self.ptr(self.output(n), const=False)

    def array(self, values, ctype: str, what: str) -> str:
        """Name of a `static const ctype[]` holding `values` (identical arrays are shared)."""
        return self._lowering.array(values, ctype, f"op #{self.op.index} {self.op.name}: {what}")

    def params(self, ctype: str, fields: dict, what: str = "parameters") -> str:
        """`&name` of a static const parameter struct; values are ints, floats, None, C expressions,
        lists (arrays) or dicts (nested structs)."""
        base = f"tml_{self._lowering.struct_prefix}op{self.op.index}"
        name = f"{base}_p{self._structs}" if self._structs else base
        self._structs += 1
        rendered = []
        for key, value in fields.items():
            rendered.append((key, self._initializer(value)))
        self._lowering.structs.append(CStruct(name=name, ctype=ctype, fields=tuple(rendered),
                                              comment=f"op #{self.op.index} {self.op.name}: {what}"))
        return f"&{name}"

    @staticmethod
    def _initializer(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple, np.ndarray)):
            return "{" + ", ".join(OpContext._initializer(v) for v in value) + "}"
        if isinstance(value, dict):  # a nested struct
            return "{" + ", ".join(f".{k} = {OpContext._initializer(v)}" for k, v in value.items()) + "}"
        return c_literal(value, "float" if isinstance(value, (float, np.floating)) else "int32_t")

    def scratch(self, nbytes: int, optional: bool = False) -> str:
        """`uint8_t *` expression of arena memory private to this op while it runs (16-aligned).

        optional: the kernel also works when it is NULL (a fallback); it is then placed only
        where it does not make the arena larger, and is NULL otherwise.
        """
        macro = f"{self._lowering.prefix}S{self.op.index}_{self._scratch}"
        self._scratch += 1
        self._lowering.request.scratch(macro, int(nbytes), self.op.index, optional)
        return f"((uint8_t *){macro})"

    def state(self, ctype: str, count: int, what: str) -> str:
        """Name of a static `ctype` array of `count` elements this op keeps from one invoke() to the
        next (Program.states: outside the arena). Its contents are what the op's reset call leaves
        (on_init): init() runs that call, as TFLM's Init/Prepare set up a stateful op's buffers."""
        if ctype not in C_TYPE_SIZES or count <= 0:
            raise ValueError(f"op #{self.op.index}: state of {count} {ctype}")
        name = f"tml_{self._lowering.struct_prefix}op{self.op.index}_state{self._states}"  # unique per subgraph
        self._states += 1
        self._lowering.states.append(StateBuffer(name=name, ctype=ctype, count=int(count),
                                                 comment=f"op #{self.op.index} {self.op.name}: {what}"))
        return name

    def on_init(self, function: str, *args: str, kernel: str) -> None:
        """Emit `function(args...)` into init(): the reset of this op's state (see state())."""
        if not (KERNELS_DIR / f"{kernel}.c").is_file():
            raise RuntimeError(f"aot op {self.op.name}: kernel file {kernel}.c does not exist in {KERNELS_DIR}")
        self._lowering.kernels.add(kernel)
        self._lowering.init_statements.append(f"{function}({', '.join(args)}); /* op #{self.op.index} */")

    def alias(self, output: Tensor, input: Tensor) -> None:
        """Let `output` share `input`'s memory (a pure reinterpretation, e.g. RESHAPE)."""
        if input.is_constant or output.is_constant:
            raise ValueError("aliasing needs two activation tensors")
        self._lowering.request.alias(output.index, input.index)

    def allow_in_place(self, output: Tensor, input: Tensor) -> None:
        """The kernel may write `output` over `input` (same size): it reads every input element
        before it writes the output element at the same place, and no other. The planner then
        shares their bytes when `input` dies at this op (arena.py)."""
        if input.is_constant or output.is_constant or input.nbytes != output.nbytes:
            return
        self._lowering.request.allow_in_place(output.index, input.index, self.op.index)

    def call(self, function: str, *args: str, kernel: str, checked: bool = False, not_ready: bool = False) -> None:
        """Emit `function(args...)`; `kernel` names the C file runtime/aot/kernels/<kernel>.c.

        checked: the function returns an int32_t status (0: ok) that only run-time data can make
        non-zero (e.g. GATHER's indices from a model input); invoke() then returns TML_ERROR.
        not_ready: the function returns non-zero when a streaming op has not collected the frames it
        runs on (CIRCULAR_BUFFER); invoke() then stops there with TML_NOT_READY (TFLM's kTfLiteAbort).
        """
        if not (KERNELS_DIR / f"{kernel}.c").is_file():
            raise RuntimeError(f"aot op {self.op.name}: kernel file {kernel}.c does not exist in {KERNELS_DIR}")
        self._lowering.kernels.add(kernel)
        call = f"{function}({', '.join(args)})"
        status = "TML_NOT_READY" if not_ready else "TML_ERROR" if checked else None
        self.step.statements.append(f"if ({call} != 0) return {status};" if status else f"{call};")


# Ops run for their effect, not only their outputs: never eliminated (subgraphs may assign variables).
# CIRCULAR_BUFFER: its countdown decides whether invoke() returns TML_NOT_READY.
SIDE_EFFECT_OPS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE", "CIRCULAR_BUFFER", "IF", "WHILE"})

# Inputs that only carry a shape: the lowering uses the output tensor's static shape instead.
SHAPE_ONLY_INPUTS = {"RESHAPE": (1,), "EXPAND_DIMS": (1,)}


def live_subgraph(sg: Subgraph) -> tuple[Subgraph, list[Operator]]:
    """The ops whose results are needed, and the ones that are not (resolved at build time).

    Static shapes make shape arithmetic dead code: e.g. Keras' Flatten exports
    SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, and only RESHAPE's data input matters. An op is
    live when it has no outputs (a side effect), produces a graph output, or feeds a live op
    through an input that is not shape-only. Live ops lose their shape-only inputs, so the
    arena plan does not keep those tensors alive either.
    """
    needed = set(sg.outputs)
    live: list[Operator] = []
    dead: list[Operator] = []
    for op in reversed(sg.operators):
        if op.outputs and op.name not in SIDE_EFFECT_OPS and not any(index in needed for index in op.outputs):
            dead.append(op)
            continue
        shape_only = SHAPE_ONLY_INPUTS.get(op.name, ())
        inputs = tuple(-1 if n in shape_only else index for n, index in enumerate(op.inputs))
        needed.update(index for index in inputs if index >= 0)
        live.append(replace(op, inputs=inputs) if inputs != op.inputs else op)
    return replace(sg, operators=tuple(reversed(live))), list(reversed(dead))


def _no_lowering_fix(names: list[str]) -> str:
    """runtime=tflm is the fix only when TFLM has a kernel for every op aot lacks: for a Keras layer
    exported as an op TFLM lacks (TILE, GELU, SELECT) it sent users to a build that refuses too."""
    from tinyml_build.analysis.op_inventory import EXPORT_ALTERNATIVES, OPS

    no_kernel = [name for name in names if name not in OPS]
    if not no_kernel:
        return TFLM_FIX
    hints = [f"{name}: {EXPORT_ALTERNATIVES[name]}" for name in no_kernel if name in EXPORT_ALTERNATIVES]
    return (f"runtime=tflm refuses it too (TFLM has no kernel for {', '.join(no_kernel)}): re-export the model "
            f"without {'them' if len(no_kernel) > 1 else 'it'}" + (f" ({'; '.join(hints)})" if hints else ""))


def _unless_tflm_refuses(err: UnsupportedOpError, model: Model) -> UnsupportedOpError:
    """`err`, whose fix sends the user to runtime=tflm only when TFLM's reference kernels take the
    model: an int16 RESIZE_BILINEAR sent them to a build that refuses it too (analysis/reference_limits.py)."""
    from tinyml_build.analysis.reference_limits import reference_refusals, refusal

    refused = [reason for _op, reason in reference_refusals(model)]
    if err.fix != TFLM_FIX or not refused:
        return err
    return UnsupportedOpError(err.what, where=err.where, details=err.details,
                              fix=f"runtime=tflm refuses it too ({refused[0]}): " + refusal(refused, False)[1])


def lower_model(model: Model, name: str | None = None) -> Program:
    """The whole model as a Program, or a ModelError/UnsupportedOpError naming the first problem."""
    from tinyml_build.analysis.analyze import analyze, check_buildable
    from tinyml_build.runtimes.aot import not_lowered, subgraphs
    from tinyml_build.runtimes.aot.decode_fold import fold_decodes

    check_buildable(analyze(model))
    operator_count = len(model.main.operators)
    model = fold_decodes(model)  # TFLM_DECODE's outputs become constants (decoded at build time)
    sg, eliminated = live_subgraph(model.main)
    table = lowerings()
    nested = subgraphs.prepare(model, sg)  # None for a one-subgraph model
    missing = [(0, op) for op in sg.operators if op.name not in table] + (nested.missing_ops(table) if nested else [])
    if missing:
        names = sorted({op.name for _, op in missing})
        graph, first = missing[0]
        why = not_lowered.reason(first.name)
        raise UnsupportedOpError(
            f"{f'subgraph {graph} ' if graph else ''}op #{first.index} {first.name} is not supported by runtime=aot"
            + (f" (unsupported ops in this model: {', '.join(names)})" if len(names) > 1 else "")
            + (f": {why[0]}" if why else ""),
            where=model.path,
            fix=why[1] if why else f"{_no_lowering_fix(names)}; runtime=aot supports {', '.join(table)}",
        )
    lowering = _Lowering(model)
    lowering.nested = nested
    try:
        lowering.steps = lower_ops(lowering, sg, table, traced=True)
    except UnsupportedOpError as err:
        raise _unless_tflm_refuses(err, model) from None
    functions = nested.lower_subgraphs(lowering, table) if nested else []

    for index in list(sg.inputs) + list(sg.outputs):
        tensor = sg.tensors[index]
        if tensor.is_constant:
            raise ModelError(f"graph input/output tensor #{index} '{tensor.name}' is a constant", where=model.path,
                             fix="re-export the model; a constant graph output cannot be produced by the runtime")

    plan = nested.plan(sg, lowering.request) if nested else plan_arena(sg, lowering.request)
    return Program(
        name=name or model.name,
        source=Path(model.path).name,
        sha256=model.sha256,
        operator_count=operator_count,
        tensor_count=len(sg.tensors),
        arena_size=plan.size,
        arena_lower_bound=plan.lower_bound,
        placements=plan.placements,
        arrays=lowering.arrays,
        structs=lowering.structs,
        steps=lowering.steps,
        inputs=[_io_tensor(sg.tensors[i], model) for i in sg.inputs],
        outputs=[_io_tensor(sg.tensors[i], model) for i in sg.outputs],
        kernels=sorted(lowering.kernels),
        tensor_offsets=plan.tensor_offsets,
        eliminated=[(op.index, op.name) for op in eliminated],
        variables=_variables(sg, plan.tensor_offsets) + (nested.resource_buffers() if nested else []),
        states=lowering.states,
        functions=functions,
        state=nested.state_declarations() if nested else [],
        init_statements=(nested.init_statements() if nested else []) + lowering.init_statements,
    )


def lower_ops(lowering: _Lowering, sg: Subgraph, table, traced: bool) -> list[Step]:
    """Each op of `sg` (already live_subgraph'ed) through its lowering function, as Steps in order.

    traced: every output tensor is traced (main graph: the host check compares them with TFLM's);
    resource handles are TFLM-internal ids, never traced."""
    steps = []
    for op in sg.operators:
        ctx = OpContext(lowering, op)
        try:
            table[op.name](ctx)
        except ActivationBoundError as err:  # raised below the op's lowering, which knows no op
            raise ctx.unsupported(err.what, fix=err.fix) from None
        for index in op.outputs if traced else ():
            tensor = sg.tensors[index]
            if tensor.dtype != "resource":
                ctx.step.traces.append(Trace(tensor=index, pointer=f"TML_T{index}", nbytes=tensor.nbytes))
        steps.append(ctx.step)
    return steps


def _variables(sg: Subgraph, placed: dict[int, int]) -> list[VariableTensor]:
    """The variable tensors the arena holds, with the byte TFLM's ResetVariableTensors fills them with.

    The arena plan gives variables the whole run as lifetime, so nothing else overwrites them and
    they keep their contents from one invoke() to the next, as TFLM's persistent variables do.
    """
    variables = []
    for index in sorted(placed):
        tensor = sg.tensors[index]
        if not tensor.is_variable:
            continue
        q = tensor.quantization
        fill = q.zero_point[0] if tensor.dtype == "int8" and q is not None and q.zero_point else 0
        variables.append(VariableTensor(pointer=f"TML_T{index}", nbytes=tensor.nbytes, fill=int(fill) & 0xFF,
                                        comment=f"#{index} '{tensor.name}' {tensor.dtype}{list(tensor.shape)}"))
    return variables


def _io_tensor(tensor: Tensor, model: Model) -> IOTensor:
    if tensor.dtype not in C_TYPES:
        raise UnsupportedOpError(f"graph input/output tensor #{tensor.index} '{tensor.name}' has type {tensor.dtype}",
                                 where=model.path, fix=TFLM_FIX)
    if len(tensor.shape) > 6:
        raise UnsupportedOpError(f"graph input/output tensor #{tensor.index} '{tensor.name}' "
                                 f"has rank {len(tensor.shape)} (max 6)",
                                 where=model.path, fix=TFLM_FIX)
    q = tensor.quantization
    scale, zero_point = (q.scale[0], q.zero_point[0]) if q is not None and not q.per_channel else (0.0, 0)
    return IOTensor(index=tensor.index, name=tensor.name, pointer=f"TML_T{tensor.index}", nbytes=tensor.nbytes,
                    dtype_enum=C_TYPES[tensor.dtype][1], dims=tensor.shape, scale=float(np.float32(scale)),
                    zero_point=zero_point)
