"""runtime=tflm with TFLM_DECODE on qemu-m4: TFLM's own decoders (LUT, prune, Huffman) in the image,
bit-exact with the pinned host oracle's golden data (one image of 21 decoded cases; the TFLM core
objects are shared with the other runtime=tflm tests of the session)."""

import json

import pytest
from test_aot_ops_decode import mixed_model
from tflm_testlib import needs_qemu, needs_sources, needs_toolchain, scons, shared_build_root

pytestmark = [needs_toolchain, needs_qemu, needs_sources, pytest.mark.qemu, pytest.mark.tflm_sources, pytest.mark.slow]


def test_decode_model_is_bit_exact_on_qemu_m4(tmp_path, tmp_path_factory):
    model = tmp_path / "decode_mix.tflite"
    model.write_bytes(mixed_model(seed=5))
    root = shared_build_root(tmp_path_factory)
    result = scons("target=qemu-m4", f"model={model}", "runtime=tflm", f"build_dir={root}", "test")
    verdict = root / "qemu-m4" / "decode_mix" / "test.json"
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    report = json.loads(verdict.read_text())
    assert report["result"]["status"] == "PASS", report["problems"]
    assert report["models"]["decode_mix"]["passed"] == report["models"]["decode_mix"]["vectors"] == 24
