/* tml_rt_softfp.h -- the soft-float helpers' prototypes (internal to xtensa_rt).
 *
 * Why: float.c and double.c define them (the names and signatures LLVM calls; their arithmetic is
 * tml_rt_ieee_template.h at each width); float.c's comparisons and integer conversions call the
 * binary64 ones on the exact binary64 value of their float operands, and the Xtensa tests call
 * them by name. The same helpers exist at both widths, so the list is written once.
 */
#ifndef TML_RT_SOFTFP_H
#define TML_RT_SOFTFP_H

#include <stdint.h>

/* T __addsf3(T a, T b), ... with S = sf (T = float) or df (T = double) */
#define TML_RT_DECLARE_HELPERS(T, S) \
  T __add##S##3(T a, T b);           \
  T __sub##S##3(T a, T b);           \
  T __mul##S##3(T a, T b);           \
  T __div##S##3(T a, T b);           \
  T __neg##S##2(T a);                \
  int __eq##S##2(T a, T b);          \
  int __ne##S##2(T a, T b);          \
  int __lt##S##2(T a, T b);          \
  int __le##S##2(T a, T b);          \
  int __gt##S##2(T a, T b);          \
  int __ge##S##2(T a, T b);          \
  int __unord##S##2(T a, T b);       \
  int32_t __fix##S##si(T a);         \
  int64_t __fix##S##di(T a);         \
  uint32_t __fixuns##S##si(T a);     \
  uint64_t __fixuns##S##di(T a);     \
  T __floatsi##S(int32_t i);         \
  T __floatunsi##S(uint32_t i);      \
  T __floatdi##S(int64_t i);         \
  T __floatundi##S(uint64_t i);

TML_RT_DECLARE_HELPERS(float, sf)
TML_RT_DECLARE_HELPERS(double, df)
#undef TML_RT_DECLARE_HELPERS

double __extendsfdf2(float a);
float __truncdfsf2(double a);
float sqrtf(float a);

#endif /* TML_RT_SOFTFP_H */
