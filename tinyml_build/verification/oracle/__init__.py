"""The oracle: which TFLM reference interpreter computes golden outputs and the host check's tensors.

    oracle = select_oracle()            # pinned TFLM host build when its sources resolve, else the wheel
    oracle.name                         # "tflite-micro 90b983c2 (pinned sources, host build)"
    outputs, tensors = oracle.run(model, inputs, intermediates=True)

Modules, one concern each: pinned (host build of the pinned TFLM + our runner, cached per digest),
wheel (the tflite-micro wheel, the fallback), select (the choice and its name), differences (the
(op, type) pairs the wheel computes differently, checked by a test).
"""

from tinyml_build.verification.oracle.select import (
    PINNED,
    TARGET,
    WHEEL,
    Oracle,
    pinned_oracle,
    select_oracle,
    wheel_oracle,
)

__all__ = ["PINNED", "TARGET", "WHEEL", "Oracle", "pinned_oracle", "select_oracle", "wheel_oracle"]
