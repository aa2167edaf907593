"""The Xtensa emulator twin: ESP32/ESP32-S3 objects on QEMU's `-M sim -cpu de233_fpu`.

Why: the twin is how Xtensa firmware is tested without hardware, so what it adds to the chip's
objects must be right -- window spills, the muluh/mulsh emulation (bit-exact on edge values), the
console and exit status, the CCOUNT rate, fault reports -- and the same model C must give the
same bytes as the host build.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import xtensa_testlib as xt

from tinyml_build.config.targets import load_target
from tinyml_build.errors import TargetError
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
from tinyml_build.platform import twin_xtensa
from tinyml_build.runtimes import API_INCLUDE_DIR

ALL_TOOLS = (*xt.COMPILE_TOOLS, *xt.LINK_TOOLS, *xt.RUN_TOOLS)
MUL_EDGES = [0, 1, 2, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x12345678,
             0xDEADBEEF, 0x0001FFFF, 0xFFFF0000]
LOOP_ITERATIONS = 1_000_000  # of 4 nops: 4M instructions


def test_linker_script_keeps_the_chip_addresses():
    esp32 = twin_xtensa.render_twin_linker_script(load_target("esp32"))
    assert esp32 == twin_xtensa.render_twin_linker_script(load_target("esp32"))
    assert "ORIGIN = 0xFE000000" in esp32 and "ENTRY(tml_twin_reset)" in esp32
    assert re.search(r"IRAM\s+\(rx\) : ORIGIN = 0x40080000, LENGTH = 0x00020000", esp32)
    assert re.search(r"RAM\s+\(rw\) : ORIGIN = 0x3FFB0000, LENGTH = 0x00030000", esp32)
    assert ".tml_twin_vectors : ALIGN(1024)" in esp32
    assert esp32.index("*(.literal .literal.* .*.literal)") < esp32.index("*(.text .text.*)")
    assert "__tml_stack_size = 0x2000;" in esp32 and "SIZING" not in esp32
    s3 = twin_xtensa.render_twin_linker_script(load_target("esp32s3"))
    assert re.search(r"IRAM\s+\(rx\) : ORIGIN = 0x40378000, LENGTH = 0x00020000", s3)
    relaxed = twin_xtensa.render_twin_linker_script(load_target("esp32"), relaxed=True)
    assert "SIZING VARIANT" in relaxed and "LENGTH = 0x40000000" in relaxed
    with pytest.raises(TargetError):
        twin_xtensa.render_twin_linker_script(load_target("qemu-m4"))


def test_sources_and_qemu_command():
    assert {p.name for p in twin_xtensa.twin_sources()} == {"twin_platform.c", "twin_vectors.c"}
    assert {p.name for p in twin_xtensa.runtime_support_sources()} >= {"mem.c", "int64.c", "float.c"}
    command = twin_xtensa.qemu_command(Path("fw.elf"))
    assert command[0] == "qemu-system-xtensa" and command[-2:] == ["-kernel", "fw.elf"]
    joined = " ".join(command)
    for part in ("-M sim", "-cpu de233_fpu", "-m 2G", "-semihosting", "-icount shift=0", "-monitor none"):
        assert part in joined


BEHAVIOUR = r"""
#include <stdint.h>

#include "tml_platform.h"
#include "tml_print.h"

float tml_select(int c);
void tml_profile_begin(void); /* tml_platform.h gets them from the lead's integration */
void tml_profile_end(void);
static const uint32_t xs[] = {@EDGES@};

__attribute__((noinline)) static uint64_t mul_u(uint32_t x, uint32_t y) {
  return (uint64_t)x * y;
}
__attribute__((noinline)) static int64_t mul_s(int32_t x, int32_t y) {
  return (int64_t)x * y;
}
__attribute__((noinline)) static int depth(int n) {
  volatile int keep = n;
  return n == 0 ? 0 : depth(n - 1) + keep;
}
static uint32_t ccount(void) {
  uint32_t v;
  __asm__ volatile("rsr %0, ccount" : "=r"(v));
  return v;
}
static uint32_t bits(float f) {
  union { float f; uint32_t u; } v;
  v.f = f;
  return v.u;
}

int main(void) {
  tml_platform_init();
  const uint32_t n = sizeof(xs) / sizeof(xs[0]);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      const uint64_t u = mul_u(xs[i], xs[j]);
      const int64_t s = mul_s((int32_t)xs[i], (int32_t)xs[j]);
      tml_printf("MUL %08" "x %08" "x %08" "x %08" "x %08" "x\n", (unsigned)xs[i], (unsigned)xs[j],
                 (unsigned)(u >> 32), (unsigned)((uint64_t)s >> 32), (unsigned)u);
    }
  tml_printf("SELECT %08x %08x %08x\n", (unsigned)bits(tml_select(0)), (unsigned)bits(tml_select(1)),
             (unsigned)bits(tml_select(-7)));
  tml_printf("DEPTH %d\n", depth(150));
  const uint32_t iterations = @ITERATIONS@u;
  const uint32_t t0 = ccount();
  __asm__ volatile("loop %0, 1f\n nop\n nop\n nop\n nop\n1:\n" : : "r"(iterations));
  const uint32_t t1 = ccount();
  tml_printf("CCOUNT %u\n", (unsigned)(t1 - t0));
  tml_printf("TIMER %u %u\n", (unsigned)tml_timer_kind_in_use(), (unsigned)tml_timer_to_report_units(4u));
  tml_profile_begin();
  tml_profile_end();
  return 5;
}
"""


@pytest.fixture(scope="module")
def behaviour(tmp_path_factory):
    xt.require(*ALL_TOOLS)
    work = tmp_path_factory.mktemp("twin_behaviour")
    main = work / "behaviour.c"
    main.write_text(BEHAVIOUR.replace("@EDGES@", ", ".join(f"{v:#x}u" for v in MUL_EDGES))
                    .replace("@ITERATIONS@", str(LOOP_ITERATIONS)))
    select = work / "select.c"
    select.write_text("float tml_select(int c);\nfloat tml_select(int c) {\n  return c ? 1.0f : 0.0f;\n}\n")
    elf = xt.build_twin(work, [main, select], flags=["-Wno-shadow"])
    return elf, xt.run_twin(elf)


def test_console_and_exit_status(behaviour):
    _, result = behaviour
    assert result.returncode == 5, result.stdout[-1000:] + result.stderr[-1000:]
    assert "TML-FAULT" not in result.stdout
    assert f"DEPTH {150 * 151 // 2}" in result.stdout  # 150 frames (4.8 KB of stack): window spills


def test_muluh_mulsh_emulation_is_bit_exact(behaviour):
    elf, result = behaviour
    lines = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("MUL ")]
    assert len(lines) == len(MUL_EDGES) ** 2
    for x_hex, y_hex, high_u, high_s, low in lines:
        x, y = int(x_hex, 16), int(y_hex, 16)
        sx, sy = x - (x >> 31 << 32), y - (y >> 31 << 32)
        assert int(high_u, 16) == (x * y) >> 32, f"muluh {x_hex} {y_hex}"
        assert int(high_s, 16) == ((sx * sy) >> 32) & 0xFFFFFFFF, f"mulsh {x_hex} {y_hex}"
        assert int(low, 16) == (x * y) & 0xFFFFFFFF
    objdump = shutil.which("llvm-objdump-22")
    if objdump:  # the products above really went through the emulated instructions
        text = subprocess.run([objdump, "-d", "--mcpu=esp32", str(elf)], capture_output=True, text=True).stdout
        assert re.search(r"\bmuluh\b", text) and re.search(r"\bmulsh\b", text)


def test_float_select_workaround_gives_the_right_values(behaviour):
    _, result = behaviour
    assert "SELECT 00000000 3f800000 3f800000" in result.stdout


def test_ccount_counts_one_tick_per_25_instructions(behaviour):
    _, result = behaviour
    ticks = int(re.search(r"CCOUNT (\d+)", result.stdout).group(1))
    instructions = 4 * LOOP_ITERATIONS
    assert instructions <= ticks * twin_xtensa.INSTRUCTIONS_PER_CCOUNT <= instructions + 200
    assert "TIMER 1 100" in result.stdout  # TML_TIMER_QEMU_ICOUNT, 4 ticks = 100 instructions


def test_exported_symbols(behaviour):
    elf, _ = behaviour
    nm = shutil.which("xtensa-lx106-elf-nm")
    if nm is None:
        pytest.skip("needs xtensa-lx106-elf-nm")
    symbols = {}
    for line in subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols[parts[2]] = int(parts[0], 16)
    vectors = symbols["tml_twin_vectors"]
    assert vectors % 1024 == 0 and 0x40080000 <= vectors < 0x400A0000
    assert symbols[twin_xtensa.EMULATION_START_SYMBOL] == vectors + 0x340
    assert symbols[twin_xtensa.EMULATION_START_SYMBOL] < symbols[twin_xtensa.EMULATION_END_SYMBOL] < vectors + 0x800
    begin, end = (symbols[s] for s in twin_xtensa.PROFILE_SYMBOLS)
    assert begin != end
    assert symbols["tml_twin_reset"] == twin_xtensa.RESET_VECTOR
    assert symbols["__tml_stack_top"] % 16 == 0


FAULT = r"""
#include <stdint.h>

#include "tml_platform.h"
#include "tml_print.h"

static uint32_t words[4];

int main(void) {
  tml_platform_init();
  volatile uint32_t *misaligned = (volatile uint32_t *)(void *)((char *)words + 1);
  tml_printf("ADDRESS %08x\n", (unsigned)(uintptr_t)misaligned);
  return (int)*misaligned;
}
"""


def test_fault_report_on_esp32s3(tmp_path):
    xt.require(*ALL_TOOLS)
    source = tmp_path / "fault.c"
    source.write_text(FAULT)
    result = xt.run_twin(xt.build_twin(tmp_path, [source], cpu="esp32s3"))
    assert result.returncode == 3, result.stdout
    address = re.search(r"ADDRESS ([0-9a-f]{8})", result.stdout).group(1)
    fault = re.search(r"TML-FAULT cause=(\d+) pc=0x([0-9a-f]{8}) vaddr=0x([0-9a-f]{8})", result.stdout)
    assert fault, result.stdout
    assert fault.group(1) == "9"  # LoadStoreAlignmentCause
    assert fault.group(3) == address
    assert 0x40378000 <= int(fault.group(2), 16) < 0x403E0000  # in the S3's IRAM


KWS_MAIN = r"""
#include <stdint.h>
#include <string.h>

#include "tml_model_api.h"
#include "tml_platform.h"
#include "tml_print.h"

extern const tml_model_api kws_model_api;
extern const uint8_t kws_inputs[][@BYTES@];

int main(void) {
  const tml_model_api *api = &kws_model_api;
  tml_platform_init();
  if (api->init() != TML_OK) return 2;
  for (uint32_t s = 0; s < @SAMPLES@u; ++s) {
    memcpy(api->input(0)->data, kws_inputs[s], @BYTES@u);
    if (api->invoke() != TML_OK) return 2;
    tml_printf("KWS %u ", (unsigned)s);
    tml_print_hex_bytes((const uint8_t *)api->output(0)->data, api->output(0)->bytes);
    tml_printf("\n");
  }
  return 0;
}
"""

HOST_SHIM = """#include <stdio.h>
#include <stdint.h>
#include "tml_platform.h"
void tml_console_write(const char *text, uint32_t n) { fwrite(text, 1, n, stdout); }
void tml_console_flush(void) { fflush(stdout); }
void tml_platform_init(void) {}
"""


def test_kws_aot_matches_the_host_byte_for_byte(tmp_path):
    xt.require(*ALL_TOOLS, "gcc")
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot import generate
    from tinyml_build.runtimes.aot.plan import AOT_INCLUDE_DIR, KERNELS_DIR, aot_kernels

    model_dir = Path(__file__).resolve().parent.parent / "models" / "kws"
    if not (model_dir / "kws.tflite").is_file():
        pytest.skip("models/kws/kws.tflite is not in this checkout")
    model = load_model(str(model_dir / "kws.tflite"), name="kws")
    gen = tmp_path / "gen"
    generate(model, gen, name="kws")
    samples = sorted((model_dir / "samples").glob("*.int8"))
    # A fixed pattern besides the recorded samples, so the check does not hinge on their content.
    inputs = [p.read_bytes() for p in samples] + [bytes(random.Random(7).getrandbits(8) for _ in range(490))]
    size = len(inputs[0])
    assert all(len(i) == size for i in inputs)
    rows = ",\n".join("{" + ",".join(str(b) for b in data) + "}" for data in inputs)
    (tmp_path / "kws_inputs.c").write_text(f"#include <stdint.h>\nextern const uint8_t kws_inputs[][{size}];\n"
                                           f"const uint8_t kws_inputs[][{size}] = {{\n{rows}}};\n")
    (tmp_path / "kws_main.c").write_text(KWS_MAIN.replace("@BYTES@", str(size))
                                         .replace("@SAMPLES@", str(len(inputs))))
    sources = [gen / "kws_model.c", tmp_path / "kws_main.c", tmp_path / "kws_inputs.c"]
    sources += [KERNELS_DIR / f"{k}.c" for k in aot_kernels(model, "kws")]
    includes = [f"-I{AOT_INCLUDE_DIR}", f"-I{API_INCLUDE_DIR}", f"-I{gen}"]
    twin = xt.run_twin(xt.build_twin(tmp_path / "twin", sources, flags=includes))
    assert twin.returncode == 0, twin.stdout[-1000:] + twin.stderr[-1000:]

    (tmp_path / "host_shim.c").write_text(HOST_SHIM)
    host_exe = tmp_path / "kws_host"
    subprocess.run(["gcc", "-O2", "-std=c99", f"-I{PLATFORM_SOURCE_DIR}", *includes, "-o", str(host_exe),
                    *map(str, sources), str(tmp_path / "host_shim.c"), str(PLATFORM_SOURCE_DIR / "tml_print.c")],
                   check=True, capture_output=True)
    host = subprocess.run([str(host_exe)], capture_output=True, text=True, timeout=60, check=True)

    def outputs(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("KWS ")]

    assert len(outputs(host.stdout)) == len(inputs) == len(samples) + 1
    assert outputs(twin.stdout) == outputs(host.stdout)
    assert len({line.split()[2] for line in outputs(host.stdout)}) > 1  # the inputs give different outputs
