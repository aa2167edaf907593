"""tinyml_build: turn a TensorFlow Lite model into microcontroller firmware.

The logic lives here as plain Python (importable and testable without SCons);
`site_scons/` only wires it into SCons.
"""

__version__ = "0.1.0"
