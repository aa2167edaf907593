"""The oracle: which TFLM reference interpreter computes golden outputs and the host check's tensors.

    oracle = select_oracle()            # pinned TFLM host build when its sources resolve, else the wheel
    oracle.name                         # "tflite-micro 90b983c2 (pinned sources, host build)"
    oracle_for(model, "cmsis-nn")       # the same, built with CMSIS-NN, when the model uses an op whose
                                        # CMSIS-NN kernel is not bit-exact with the reference
    oracle_for(model, "reference", target=qemu_m4)  # the pinned TFLM built for cortex-m4 with newlib, in
                                        # QEMU, when the model's float kernels call libm (target.py)
    outputs, tensors = oracle.run(model, inputs, intermediates=True)

Modules, one concern each: pinned (host build of the pinned TFLM + our runner, cached per digest),
target (the pinned runner cross-compiled for a Cortex-M core, run in QEMU), wheel (the tflite-micro
wheel, the fallback), select (the choice and its name), differences (the
(op, type) pairs the wheel computes differently, checked by a test).
"""

from tinyml_build.verification.oracle.select import (
    PINNED,
    TARGET,
    WHEEL,
    Oracle,
    oracle_for,
    pinned_oracle,
    select_oracle,
    wheel_oracle,
)

__all__ = ["PINNED", "TARGET", "WHEEL", "Oracle", "oracle_for", "pinned_oracle", "select_oracle", "wheel_oracle"]
