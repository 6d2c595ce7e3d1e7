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

extern bool pl_numeric_is_integral(Numeric n);
extern bool pl_numeric_to_int64(Numeric n, int64 *out);
extern int	pl_numeric_cmp(Numeric a, Numeric b);
extern int	pl_number_cmp(Numeric value, const PlNumber *bound);
extern bool pl_number_is_multiple(Numeric value, const PlNumber *divisor);
extern void pl_number_init(PlNumber *pn, Numeric n);
extern bool pl_numeric_eq(Numeric a, Numeric b);
extern uint32 pl_numeric_hash(Numeric n);

#endif
