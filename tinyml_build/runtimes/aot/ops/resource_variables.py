"""VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE: resource variables as arena buffers TML_R<id>.

subgraphs.py resolves every handle at build time (TFLM's ids, sizes and fill bytes, decided at
Prepare), so VAR_HANDLE emits nothing and the other two are byte copies, as TFLM's
MicroResourceVariables::Read / Assign are.
"""

from tinyml_build.escape import c_comment
from tinyml_build.runtimes.aot.ops import register


def _resource(ctx):
    if ctx.nested is None:
        raise ctx.unsupported("resource variable op outside a model prepared for resource variables")
    handle = ctx.input(0)
    if handle is None or handle.dtype not in ("resource", "int32") or handle.elements != 1:
        raise ctx.unsupported("the resource handle input is missing or not one resource id")
    resource = ctx.nested.resource(ctx, handle)
    if not resource.nbytes:
        raise ctx.unsupported(f"resource '{resource.shared_name}' is never assigned, so TFLM gives it no "
                              "buffer (a read copies nothing)")
    return resource


@register("VAR_HANDLE")
def lower_var_handle(ctx) -> None:
    resource = ctx.nested.resources[ctx.nested.handles[(ctx.nested.current, ctx.op.outputs[0])]]
    ctx.step.statements.append(f"/* resource '{c_comment(resource.shared_name)}' is {resource.macro}: "
                               "resolved at build time */")


@register("READ_VARIABLE")
def lower_read_variable(ctx) -> None:
    resource = _resource(ctx)
    out = ctx.output(0)
    if out.nbytes != resource.nbytes:
        raise ctx.unsupported(f"reads {out.nbytes} bytes from resource '{resource.shared_name}' of "
                              f"{resource.nbytes} bytes")
    ctx.call("tml_copy", ctx.output_ptr(0), f"((const void *){resource.macro})", f"{out.nbytes}u",
             kernel="copy")


@register("ASSIGN_VARIABLE")
def lower_assign_variable(ctx) -> None:
    resource = _resource(ctx)  # sizes were checked by subgraphs._resources
    value = ctx.input(1)
    ctx.call("tml_copy", f"((void *){resource.macro})", ctx.input_ptr(1), f"{value.nbytes}u",
             kernel="copy")
