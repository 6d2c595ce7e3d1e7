/*
 * numbers.h: exact JSON number tests on jsonb's Numeric values.
 */
#ifndef PIPELINE_NUMBERS_H
#define PIPELINE_NUMBERS_H

#include "utils/numeric.h"

/* A bound from a schema (minimum, multipleOf, ...), prepared at compile time. */
typedef struct PlNumber
{
	Numeric		num;
	bool		is_int64;		/* value is integral and fits int64 */
	int64		i64;
} PlNumber;

/* Decimals read by pl_numeric_scaled: |units| < PL_SCALED_LIMIT, small dscale */
#define PL_SCALED_LIMIT			INT64CONST(1000000000000000000)
#define PL_SCALED_MAX_DSCALE	15

/* the largest k of pl_pow10: 10^18 is the largest power of ten in an int64 */
#define PL_POW10_MAX			18

/*
 * The largest exponent a number written as text may have (coerce), and the
 * most digits round may keep or drop: numeric itself reaches 10^131072, but a
 * record's value beyond 10^1000 is a typo or an attack, never an amount.
 */
#define PL_MAX_EXPONENT			1000

/* numeric.c's limits: digits before the point, and dscale */
#define PL_NUMERIC_MAX_INT_DIGITS	131072
#define PL_NUMERIC_MAX_DSCALE		16383

/* 10^k for 0 <= k <= PL_POW10_MAX (inline: the int64 paths of transform steps use it) */
static inline int64
pl_pow10(int k)
{
	static const int64 p[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000, 1000000000, INT64CONST(10000000000), INT64CONST(100000000000),
		INT64CONST(1000000000000), INT64CONST(10000000000000), INT64CONST(100000000000000),
		INT64CONST(1000000000000000), INT64CONST(10000000000000000),
	INT64CONST(100000000000000000), INT64CONST(1000000000000000000)};

	Assert(k >= 0 && k <= PL_POW10_MAX);
	return p[k];
}

extern bool pl_numeric_is_integral(Numeric n);
extern bool pl_numeric_to_int64(Numeric n, int64 *out);
extern int	pl_numeric_cmp(Numeric a, Numeric b);
extern int	pl_numeric_sign(Numeric n);
extern int	pl_number_cmp(Numeric value, const PlNumber *bound);
extern bool pl_number_is_multiple(Numeric value, const PlNumber *divisor);
extern void pl_number_init(PlNumber *pn, Numeric n);
extern bool pl_numeric_eq(Numeric a, Numeric b);
extern uint32 pl_numeric_hash(Numeric n);
extern char *pl_number_text(Numeric n);
extern int	pl_numeric_dscale(Numeric n);
extern bool pl_numeric_scaled(Numeric n, int64 *units, int *dscale);
extern Numeric pl_numeric_from_scaled(int64 units, int dscale);
extern Numeric pl_numeric_from_scaled_into(int64 units, int dscale, void *out);

/* The most bytes pl_numeric_from_scaled's result takes: 10 base-10000 digits. */
#define PL_SCALED_NUMERIC_SIZE	(VARHDRSZ + sizeof(uint16) + 10 * sizeof(int16))

/* |x| (PostgreSQL 16 dropped its Abs macro). */
static inline int64
pl_abs64(int64 x)
{
	return x < 0 ? -x : x;
}

#endif
