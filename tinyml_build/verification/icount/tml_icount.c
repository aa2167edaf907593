/* tml_icount: a QEMU TCG plugin that counts the guest instructions of each timed inference exactly.
 *
 * Why: on the emulator twins the firmware's cycle counter does not tick once per instruction (the
 * Xtensa CCOUNT follows a model clock), so the per-inference cost is measured here instead. The
 * firmware calls tml_profile_begin() right before and tml_profile_end() right after each timed
 * inference; a "window" opens when the guest executes the first instruction of tml_profile_begin and
 * closes when it executes the first instruction of tml_profile_end. Counted inside a window: every
 * instruction executed after the one that opened it and before the one that closes it (the rest of
 * tml_profile_begin, the timed code, the call to tml_profile_end), except those whose address is in
 * the optional skip range [skip_start, skip_end) (the Xtensa twin's handler that emulates muluh/mulsh).
 *
 * Arguments (hexadecimal with 0x, or decimal): begin=ADDR,end=ADDR[,report=ADDR][,skip_start=ADDR,skip_end=ADDR].
 * Each time the guest executes the first instruction at `report` (tml_profile_report(), called once
 * after each model's timed inferences) it prints the windows closed since the previous report:
 *   TML-ICOUNT-REPORT windows=<closed windows> instructions=<counted inside them>
 * At exit it prints one line through QEMU's log (QEMU 7.2 needs `-d plugin`; stderr, or the -D file):
 *   TML-ICOUNT windows=<closed windows> instructions=<counted inside them> total=<all executed>
 * A window still open at exit is not reported; a begin inside an open window and an end outside one
 * are ignored.
 *
 * How, and why it is exact: every instruction gets an inline "add 1" on a counter (no call), which
 * QEMU emits before the instruction itself, so a translation block left half-way (a faulting load,
 * a window overflow, the muluh trap) counts exactly the instructions that started. A per-block counter
 * would count the rest of such a block twice (tests/test_icount_plugin.py has such faults). Only the
 * two marker instructions get a call, which takes a snapshot of the counter. Measured cost: within
 * the noise on a tight loop, about 7% on the kws firmware (mostly plugin load and translation).
 * Single vCPU only: the counters are plain memory, so the plugin refuses to load with -smp > 1.
 */
#include "tml_qemu_plugin_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TML_PLUGIN_EXPORT int qemu_plugin_version = TML_PLUGIN_API_VERSION;

static uint64_t begin_addr, end_addr, report_addr, skip_start, skip_end; /* guest virtual addresses */
static uint64_t reported_inside, reported_windows;                       /* totals at the previous report */

static uint64_t executed;  /* instructions executed outside the skip range, markers included */
static uint64_t skipped;   /* instructions executed inside the skip range */
static uint64_t opened_at; /* value of `executed` when the open window opened */
static uint64_t inside;    /* instructions counted in closed windows */
static uint64_t windows;   /* closed windows */
static bool window_open;

static void on_begin(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  executed += 1; /* the marker instruction itself: it has no inline counter */
  if (!window_open) {
    window_open = true;
    opened_at = executed;
  }
}

static void on_end(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  if (window_open) {
    window_open = false;
    inside += executed - opened_at;
    windows += 1;
  }
  executed += 1;
}

static void on_report(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  executed += 1;
  char line[160];
  snprintf(line, sizeof line, "TML-ICOUNT-REPORT windows=%" PRIu64 " instructions=%" PRIu64 "\n",
           windows - reported_windows, inside - reported_inside);
  qemu_plugin_outs(line);
  reported_windows = windows;
  reported_inside = inside;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    if (pc == begin_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else if (pc == end_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else if (report_addr != 0 && pc == report_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_report, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else {
      uint64_t *counter = (pc >= skip_start && pc < skip_end) ? &skipped : &executed;
      qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, counter, 1);
    }
  }
}

static void report(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  char line[160];
  snprintf(line, sizeof line, "TML-ICOUNT windows=%" PRIu64 " instructions=%" PRIu64 " total=%" PRIu64 "\n", windows,
           inside, executed + skipped);
  qemu_plugin_outs(line);
}

/* The plugin's arguments: name=address. */
static struct {
  const char *name;
  uint64_t *value;
  bool given;
} options[] = {{"begin", &begin_addr, false},
               {"end", &end_addr, false},
               {"report", &report_addr, false},
               {"skip_start", &skip_start, false},
               {"skip_end", &skip_end, false}};

/* Sets the option `arg` names ("name=value"); false when it names none or its value is not a number. */
static bool parse_option(const char *arg) {
  for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
    size_t len = strlen(options[k].name);
    if (strncmp(arg, options[k].name, len) != 0 || arg[len] != '=') continue;
    const char *text = arg + len + 1;
    char *stop = NULL;
    *options[k].value = strtoull(text, &stop, 0);
    options[k].given = true;
    return *text != '\0' && *stop == '\0';
  }
  return false;
}

TML_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  if (info->system_emulation && info->machine.system.smp_vcpus > 1) {
    fprintf(stderr, "tml_icount: counts one vCPU only, this machine has %d\n", info->machine.system.smp_vcpus);
    return -1;
  }
  for (int i = 0; i < argc; i++) {
    if (!parse_option(argv[i])) {
      fprintf(stderr,
              "tml_icount: bad argument '%s' (expected begin=, end=, report=, skip_start=, skip_end= addresses)\n",
              argv[i]);
      return -1;
    }
  }
  bool markers = options[0].given && options[1].given && begin_addr != end_addr;
  bool skip_ok = options[3].given == options[4].given && skip_start <= skip_end;
  if (!markers || !skip_ok) {
    fprintf(stderr, "tml_icount: needs begin=ADDR,end=ADDR (distinct) and optionally skip_start=ADDR,skip_end=ADDR "
                    "(both, start <= end)\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, report, NULL);
  return 0;
}
