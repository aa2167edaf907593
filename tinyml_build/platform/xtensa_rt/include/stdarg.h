/* stdarg.h -- variable arguments for Xtensa code built by clang 22 (part of xtensa_rt).
 *
 * Why our own: LLVM 22's Xtensa va_start and va_arg disagree with each other and with the
 * windowed ABI (checked by tests/test_xtensa_runtime_support.py): the first va_arg skips an
 * argument, and arguments passed on the stack are read from the wrong place. va_list keeps
 * clang's layout {stack base, register save area, byte index}, va_start keeps clang's register
 * spill, and the rest follows the ABI as GCC implements it: `index` counts argument bytes from
 * a2 (a2..a7 = 24 bytes in registers); 8-byte types start at a multiple of 8; an argument that
 * does not fit in the registers, and every one after it, is on the stack, the first at
 * stack base + 32 (the caller's stack pointer). clang's va_start points the save area at the
 * first unnamed register instead of at a2's slot, which va_start below corrects.
 */
#ifndef TML_XTENSA_RT_STDARG_H
#define TML_XTENSA_RT_STDARG_H

#if !defined(__clang__) || __clang_major__ != 22
#error "xtensa_rt's stdarg.h corrects LLVM 22's Xtensa va_start/va_arg: check it against this compiler"
#endif

typedef __builtin_va_list va_list;
typedef __builtin_va_list __gnuc_va_list;

typedef struct {
  char *stack;     /* caller's stack pointer - 32 */
  char *registers; /* where a2 would be saved: a2 + index is an argument register's copy */
  int index;       /* bytes of arguments consumed so far */
} tml_va_fields;

#define TML_VA_FIELDS(ap) ((tml_va_fields *)(void *)&(ap))

static inline void tml_va_fix_start(tml_va_fields *fields) {
  fields->registers -= fields->index;
}

static inline void *tml_va_next(tml_va_fields *fields, unsigned size, unsigned align) {
  const int bytes = (int)((size + 3u) & ~3u);
  int at = fields->index;
  if (align > 4u) {
    at = (at + 7) & ~7;
  }
  if (at + bytes <= 24) {
    fields->index = at + bytes;
    return fields->registers + at;
  }
  if (at <= 24) {
    at = 32; /* the first argument on the stack */
  }
  fields->index = at + bytes;
  return fields->stack + at;
}

#define va_start(ap, last) (__builtin_va_start(ap, last), tml_va_fix_start(TML_VA_FIELDS(ap)))
#define va_arg(ap, type) (*(type *)tml_va_next(TML_VA_FIELDS(ap), (unsigned)sizeof(type), (unsigned)__alignof__(type)))
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dest, src) __builtin_va_copy(dest, src)

#endif /* TML_XTENSA_RT_STDARG_H */
