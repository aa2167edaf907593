/* The part of QEMU's TCG plugin interface (API version 1, as in QEMU 7.2) that tml_icount.c uses.
 *
 * Why our own declarations: Debian's QEMU packages ship neither plugins nor the plugin header, so the
 * project declares the handful of entry points it calls itself. The names, argument types and enum
 * values are facts of QEMU's ABI, learned from the documentation of QEMU's public plugin header
 * (include/qemu/qemu-plugin.h, tag v7.2.0) and checked against the symbols qemu-system-* exports;
 * everything else here is written for this project. QEMU resolves these functions in its own binary
 * when it loads the plugin, so nothing is linked against.
 */
#ifndef TML_QEMU_PLUGIN_API_H
#define TML_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Symbols QEMU looks up in the plugin must be visible; the plugin is built with -fvisibility=hidden. */
#define TML_PLUGIN_EXPORT __attribute__((visibility("default")))

/* QEMU refuses a plugin that does not export `int qemu_plugin_version` or whose value is outside the
   range it supports; QEMU 7.2 supports exactly version 1. */
#define TML_PLUGIN_API_VERSION 1

typedef uint64_t qemu_plugin_id_t; /* opaque handle of one loaded plugin */

/* What QEMU tells the plugin at install time (only valid during qemu_plugin_install). */
typedef struct qemu_info_t {
  const char *target_name; /* guest architecture, e.g. "arm" */
  struct {
    int min; /* oldest plugin API version this QEMU accepts */
    int cur; /* newest */
  } version;
  bool system_emulation; /* true for qemu-system-*, false for linux-user */
  union {                /* an anonymous union in QEMU's header; named here to stay C99 (same layout) */
    struct {
      int smp_vcpus; /* vCPUs at start */
      int max_vcpus;
    } system;
  } machine;
} qemu_info_t;

struct qemu_plugin_tb;   /* a translation block being translated (opaque) */
struct qemu_plugin_insn; /* one guest instruction of such a block (opaque) */

/* Whether a callback reads or writes guest registers; ours touch none. */
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0, QEMU_PLUGIN_CB_R_REGS = 1, QEMU_PLUGIN_CB_RW_REGS = 2 };

/* Operation of an inline (no call) instrumentation: *ptr += imm on a uint64_t. */
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

/* Which memory accesses a memory callback sees; the access's description (load or store, size). */
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef uint32_t qemu_plugin_meminfo_t;

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);

/* Provided by the plugin. */
extern TML_PLUGIN_EXPORT int qemu_plugin_version;
TML_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

/* Provided by QEMU. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#endif
