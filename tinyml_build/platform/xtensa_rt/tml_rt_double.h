/* tml_rt_double.h -- the binary64 helpers' prototypes (internal to xtensa_rt).
 *
 * Why: double.c defines them (the names and signatures LLVM calls); float.c's comparisons and
 * integer conversions call them on the exact binary64 value of their float operands.
 */
#ifndef TML_RT_DOUBLE_H
#define TML_RT_DOUBLE_H

#include <stdint.h>

double __adddf3(double a, double b);
double __subdf3(double a, double b);
double __muldf3(double a, double b);
double __divdf3(double a, double b);
double __negdf2(double a);
int __eqdf2(double a, double b);
int __nedf2(double a, double b);
int __ltdf2(double a, double b);
int __ledf2(double a, double b);
int __gtdf2(double a, double b);
int __gedf2(double a, double b);
int __unorddf2(double a, double b);
double __extendsfdf2(float a);
float __truncdfsf2(double a);
int32_t __fixdfsi(double a);
int64_t __fixdfdi(double a);
uint32_t __fixunsdfsi(double a);
uint64_t __fixunsdfdi(double a);
double __floatsidf(int32_t i);
double __floatunsidf(uint32_t i);
double __floatdidf(int64_t i);
double __floatundidf(uint64_t i);

#endif /* TML_RT_DOUBLE_H */
