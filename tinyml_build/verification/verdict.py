"""What a `test` run concluded, and the exit status `scons ... test` ends with for it.

Why one table: CI needs to tell a wrong output from a crash, a hang or a broken build without
reading logs. The QEMU test (qemu_runner) and the host check (host_check) both conclude one of
these verdicts; the SCons tools write it into test.json and test.xml and end the build with its
status. SCons itself ends with BUILD_ERROR (2) for any other failed step -- a bad option, a
compile error, a model that does not fit, a missing toolchain or QEMU -- so the statuses of the
verdicts start above it.

UNCHECKED is not a pass: an image built without test vectors (test_vectors=0, no samples) ran its
models on a fixed input and measured time and stack, but proved nothing about its outputs. It has
its own status so CI never counts it as a correct model, and ranks below every failure.
"""

PASS = "pass"  # every output byte equals tflite-micro's
UNCHECKED = "unchecked"  # ran to its end without a failure, but some model's outputs were not checked
MISMATCH = "mismatch"  # the program ran to its end and some output differs (or a model could not be set up)
CRASH = "crash"  # a fault (HardFault, ...), or the program stopped without its final report
HANG = "hang"  # no final report within the time limit, or runaway console output

BUILD_ERROR = 2  # SCons's status for a failed build step, and tinyml_build's clean errors
EXIT_STATUS = {PASS: 0, MISMATCH: 3, CRASH: 4, HANG: 5, UNCHECKED: 6}
_SEVERITY = (PASS, UNCHECKED, MISMATCH, CRASH, HANG)  # worst last


def worst(verdicts) -> str:
    """The verdict of several runs: the most severe one (PASS for none)."""
    return max(verdicts, key=_SEVERITY.index, default=PASS)
