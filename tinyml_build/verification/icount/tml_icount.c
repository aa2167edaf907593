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
 * Arguments (hexadecimal with 0x, or decimal): begin=ADDR,end=ADDR[,report=ADDR][,skip_start=ADDR,skip_end=ADDR]
 * [,mix=FILE[,op=ADDR][,data_start=ADDR,data_end=ADDR]].
 * Each time the guest executes the first instruction at `report` (tml_profile_report(), called once
 * after each model's timed inferences) it prints the windows closed since the previous report:
 *   TML-ICOUNT-REPORT windows=<closed windows> instructions=<counted inside them>
 * At exit it prints one line through QEMU's log (QEMU 7.2 needs `-d plugin`; stderr, or the -D file):
 *   TML-ICOUNT windows=<closed windows> instructions=<counted inside them> total=<all executed>
 * A window still open at exit is not reported; a begin inside an open window and an end outside one
 * are ignored.
 *
 * Mix mode (mix=FILE): the instructions counted in windows are also counted per guest address, for the
 * executed-instruction mix (tinyml_build/reports/instruction_mix.py classifies each address). With op=ADDR
 * (tml_profile_op(), which per-op profiling builds call before each op) the counts are split by op: the
 * plugin numbers the calls within a window 0, 1, 2... (QEMU 7.2 lets a plugin read no guest register, so
 * the firmware's argument is not read; the aot program calls it once per op, in order). Counts before the
 * first call go to op -1. Models are numbered by tml_profile_report() calls, from 0. With data_start/
 * data_end the loads from that range (the image's flash: constants, weights) are counted too, for the
 * flash wait states data reads pay. At exit FILE holds:
 *   S <model> <op> <windows that reached it> <loads from [data_start, data_end)>
 *   C <model> <op> <address, hex> <executions>
 * One counter per instruction address (an inline add, like the total); at each marker the counters are
 * moved into the current op's table, so the cost is one pass over the executed code per op call.
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

/* Mix mode: one slot per executed guest address; slots never move (inline counters point into them). */
enum { SLOTS_PER_CHUNK = 4096 };
struct slot {
  uint64_t vaddr;
  uint64_t live;         /* executions since the last move into the segment tables */
  uint64_t range_loads;  /* its loads from [data_start, data_end) since then */
  uint64_t *per_segment; /* executions per segment, grown on demand */
  size_t n_segments;
};
struct chunk {
  struct slot slots[SLOTS_PER_CHUNK];
  struct chunk *next;
};
struct segment {
  int64_t model, op;
  uint64_t entries;
  uint64_t range_loads;
};
static const char *mix_path; /* NULL: mix mode off */
static uint64_t op_addr;
static uint64_t data_start, data_end; /* data_start == data_end: no load counting */
static struct chunk *first_chunk, *last_chunk;
static size_t last_used = SLOTS_PER_CHUNK; /* slots used in last_chunk */
static struct slot **table;                /* open addressing: vaddr -> slot */
static size_t table_size, n_slots;
static struct segment *segments;
static size_t n_segment_ids, segments_cap;
static size_t current_segment;
static int64_t current_model, current_op;
static bool mix_failed;

static void *grow(void *old, size_t count, size_t size) {
  void *p = realloc(old, count * size);
  if (p == NULL) {
    fprintf(stderr, "tml_icount: out of memory for the instruction mix\n");
    exit(1);
  }
  return p;
}

static struct slot *slot_for(uint64_t vaddr) {
  if (2 * (n_slots + 1) > table_size) {
    size_t size = table_size ? 2 * table_size : 1u << 14;
    struct slot **bigger = grow(NULL, size, sizeof *bigger);
    memset(bigger, 0, size * sizeof *bigger);
    for (size_t i = 0; i < table_size; i++) {
      if (table[i] == NULL) continue;
      size_t h = (size_t)(table[i]->vaddr * 0x9E3779B97F4A7C15ull) & (size - 1);
      while (bigger[h] != NULL) h = (h + 1) & (size - 1);
      bigger[h] = table[i];
    }
    free(table);
    table = bigger;
    table_size = size;
  }
  size_t h = (size_t)(vaddr * 0x9E3779B97F4A7C15ull) & (table_size - 1);
  while (table[h] != NULL) {
    if (table[h]->vaddr == vaddr) return table[h];
    h = (h + 1) & (table_size - 1);
  }
  if (last_used == SLOTS_PER_CHUNK) {
    struct chunk *c = grow(NULL, 1, sizeof *c);
    memset(c, 0, sizeof *c);
    if (last_chunk)
      last_chunk->next = c;
    else
      first_chunk = c;
    last_chunk = c;
    last_used = 0;
  }
  struct slot *s = &last_chunk->slots[last_used++];
  s->vaddr = vaddr;
  table[h] = s;
  n_slots++;
  return s;
}

/* Moves every slot's live count into `segment` (or drops it when `keep` is false). */
static void move_live(size_t segment, bool keep) {
  for (struct chunk *c = first_chunk; c != NULL; c = c->next) {
    size_t used = c == last_chunk ? last_used : SLOTS_PER_CHUNK;
    for (size_t i = 0; i < used; i++) {
      struct slot *s = &c->slots[i];
      if (s->live == 0 && s->range_loads == 0) continue;
      if (keep) {
        segments[segment].range_loads += s->range_loads;
        if (s->n_segments <= segment) {
          s->per_segment = grow(s->per_segment, segment + 1, sizeof *s->per_segment);
          memset(s->per_segment + s->n_segments, 0, (segment + 1 - s->n_segments) * sizeof *s->per_segment);
          s->n_segments = segment + 1;
        }
        s->per_segment[segment] += s->live;
      }
      s->live = 0;
      s->range_loads = 0;
    }
  }
}

static void enter_segment(int64_t model, int64_t op) {
  size_t id = 0;
  while (id < n_segment_ids && !(segments[id].model == model && segments[id].op == op)) id++;
  if (id == n_segment_ids) {
    if (n_segment_ids == segments_cap) {
      segments_cap = segments_cap ? 2 * segments_cap : 64;
      segments = grow(segments, segments_cap, sizeof *segments);
    }
    segments[n_segment_ids++] = (struct segment){model, op, 0, 0};
  }
  segments[id].entries += 1;
  current_segment = id;
  current_op = op;
}

static void on_op(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  if (!window_open) return;
  move_live(current_segment, true);
  enter_segment(current_model, current_op + 1);
  ((struct slot *)userdata)->live += 1; /* the marker instruction itself counts for the op it opens */
}

static void on_load(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu_index;
  if (!qemu_plugin_mem_is_store(info) && vaddr >= data_start && vaddr < data_end) {
    ((struct slot *)userdata)->range_loads += 1;
  }
}

static void write_mix(void) {
  FILE *out = fopen(mix_path, "w");
  if (out == NULL) {
    fprintf(stderr, "tml_icount: cannot write the instruction mix to %s\n", mix_path);
    mix_failed = true;
    return;
  }
  for (size_t id = 0; id < n_segment_ids; id++) {
    fprintf(out, "S %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 "\n", segments[id].model, segments[id].op,
            segments[id].entries, segments[id].range_loads);
  }
  for (struct chunk *c = first_chunk; c != NULL; c = c->next) {
    size_t used = c == last_chunk ? last_used : SLOTS_PER_CHUNK;
    for (size_t i = 0; i < used; i++) {
      const struct slot *s = &c->slots[i];
      for (size_t id = 0; id < s->n_segments; id++) {
        if (s->per_segment[id] == 0) continue;
        fprintf(out, "C %" PRId64 " %" PRId64 " %" PRIx64 " %" PRIu64 "\n", segments[id].model, segments[id].op,
                s->vaddr, s->per_segment[id]);
      }
    }
  }
  if (fclose(out) != 0) {
    fprintf(stderr, "tml_icount: cannot write the instruction mix to %s\n", mix_path);
    mix_failed = true;
  }
}

static void on_begin(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  executed += 1; /* the marker instruction itself: it has no inline counter */
  if (!window_open) {
    window_open = true;
    opened_at = executed;
    if (mix_path != NULL) {
      move_live(0, false); /* what ran outside windows does not count */
      enter_segment(current_model, -1);
    }
  }
}

static void on_end(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  if (window_open) {
    window_open = false;
    inside += executed - opened_at;
    windows += 1;
    if (mix_path != NULL) move_live(current_segment, true);
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
  current_model += 1;
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
      bool skip = pc >= skip_start && pc < skip_end;
      qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, skip ? &skipped : &executed, 1);
      if (mix_path != NULL && !skip) {
        struct slot *slot = slot_for(pc);
        if (data_start != data_end) {
          /* every access, stores filtered in on_load: QEMU 7.2 does not apply the QEMU_PLUGIN_MEM_R filter as
             documented (measured: it reported the stores) */
          qemu_plugin_register_vcpu_mem_cb(insn, on_load, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, slot);
        }
        if (op_addr != 0 && pc == op_addr) {
          qemu_plugin_register_vcpu_insn_exec_cb(insn, on_op, QEMU_PLUGIN_CB_NO_REGS, slot);
        } else {
          qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &slot->live, 1);
        }
      }
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
  if (mix_path != NULL) write_mix();
}

/* The plugin's arguments: name=address. */
static struct {
  const char *name;
  uint64_t *value;
  bool given;
} options[] = {{"begin", &begin_addr, false},      {"end", &end_addr, false},      {"report", &report_addr, false},
               {"skip_start", &skip_start, false}, {"skip_end", &skip_end, false}, {"op", &op_addr, false},
               {"data_start", &data_start, false}, {"data_end", &data_end, false}};

/* Sets the option `arg` names ("name=value"); false when it names none or its value is not a number. */
static bool parse_option(const char *arg) {
  if (strncmp(arg, "mix=", 4) == 0) {
    mix_path = arg + 4; /* QEMU keeps argv for the plugin's lifetime */
    return *mix_path != '\0';
  }
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
              "tml_icount: bad argument '%s' (expected begin=, end=, report=, skip_start=, skip_end=, op=, "
              "data_start=, data_end= addresses "
              "or mix=FILE)\n",
              argv[i]);
      return -1;
    }
  }
  bool markers = options[0].given && options[1].given && begin_addr != end_addr;
  bool skip_ok = options[3].given == options[4].given && skip_start <= skip_end;
  if ((options[5].given || options[6].given || options[7].given) && mix_path == NULL) {
    fprintf(stderr, "tml_icount: op=ADDR needs mix=FILE (op markers split the instruction mix), as do data_start= "
                    "and data_end=\n");
    return -1;
  }
  if (options[6].given != options[7].given || data_start > data_end) {
    fprintf(stderr, "tml_icount: data_start=ADDR and data_end=ADDR go together, start <= end\n");
    return -1;
  }
  if (!markers || !skip_ok) {
    fprintf(stderr, "tml_icount: needs begin=ADDR,end=ADDR (distinct) and optionally skip_start=ADDR,skip_end=ADDR "
                    "(both, start <= end)\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, report, NULL);
  return 0;
}
