"""runtime=tflm: TFLM's MicroInterpreter behind the project's model API (see README.md here)."""
