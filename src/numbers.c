/*-------------------------------------------------------------------------
 *
 * numbers.c
 *	  Exact comparisons and divisibility of JSON numbers.
 *
 * jsonb keeps numbers as Numeric, so bounds and multipleOf are decided in
 * exact decimal arithmetic: 0.3 is a multiple of 0.1, and 1.0 is an integer.
 * The common case, integers that fit in int64, is read straight from the
 * Numeric's stored digits (its on-disk format, which pg_upgrade guarantees
 * stable) without calling into numeric.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "numbers.h"
#include "pg_compat.h"

/* The stored layout of a Numeric (src/backend/utils/adt/numeric.c). */
typedef int16 PlNumericDigit;

#define PL_NBASE				10000
#define PL_SIGN_MASK			0xC000
#define PL_NEG					0x4000
#define PL_SHORT				0x8000
#define PL_SPECIAL				0xC000
#define PL_SHORT_SIGN_MASK		0x2000
#define PL_SHORT_WEIGHT_SIGN	0x0040
#define PL_SHORT_WEIGHT_MASK	0x003F

/* The decoded header of a finite Numeric. */
typedef struct PlDecoded
{
	bool		negative;
	int			weight;			/* NBASE exponent of the first digit */
	int			ndigits;
	const PlNumericDigit *digits;
} PlDecoded;

/* Decode n's header; false for NaN and infinities. */
static bool
pl_numeric_decode(Numeric n, PlDecoded *d)
{
	const char *p = VARDATA(n);
	uint16		header = *(const uint16 *) p;

	if ((header & PL_SIGN_MASK) == PL_SPECIAL)
		return false;
	if ((header & PL_SIGN_MASK) == PL_SHORT)
	{
		d->negative = (header & PL_SHORT_SIGN_MASK) != 0;
		d->weight = ((header & PL_SHORT_WEIGHT_SIGN) ? ~PL_SHORT_WEIGHT_MASK : 0) |
			(header & PL_SHORT_WEIGHT_MASK);
		d->digits = (const PlNumericDigit *) (p + sizeof(uint16));
	}
	else
	{
		d->negative = (header & PL_SIGN_MASK) == PL_NEG;
		d->weight = *(const int16 *) (p + sizeof(uint16));
		d->digits = (const PlNumericDigit *) (p + 2 * sizeof(uint16));
	}
	d->ndigits = (VARSIZE(n) - ((const char *) d->digits - (const char *) n)) / sizeof(PlNumericDigit);
	return true;
}

/* Is n an integer (1.0 included)?  Stored digits carry no trailing zeros. */
bool
pl_numeric_is_integral(Numeric n)
{
	PlDecoded	d;

	if (!pl_numeric_decode(n, &d))
		return false;
	return d.ndigits == 0 || d.weight >= d.ndigits - 1;
}

/* Read an integral n that fits int64 into *out; false otherwise. */
bool
pl_numeric_to_int64(Numeric n, int64 *out)
{
	PlDecoded	d;
	uint64		acc = 0;
	int			i;

	if (!pl_numeric_decode(n, &d) || (d.ndigits > 0 && d.weight < d.ndigits - 1))
		return false;
	if (d.weight > 4)			/* >= 10^20: beyond int64 */
		return false;
	for (i = 0; i <= d.weight; i++)
	{
		uint64		digit = i < d.ndigits ? (uint64) d.digits[i] : 0;

		if (acc > (PG_UINT64_MAX - digit) / PL_NBASE)
			return false;
		acc = acc * PL_NBASE + digit;
	}
	if (d.negative ? acc > (uint64) PG_INT64_MAX + 1 : acc > (uint64) PG_INT64_MAX)
		return false;
	*out = d.negative ? (int64) (0 - acc) : (int64) acc;
	return true;
}

/* The sign of a decoded value: -1, 0 or 1. */
static inline int
decoded_sign(const PlDecoded *d)
{
	return d->ndigits == 0 ? 0 : (d->negative ? -1 : 1);
}

/*
 * Compare the magnitudes of two decoded values.  Stored digits carry no
 * leading or trailing zeros, so the weight orders magnitudes first.
 */
static int
decoded_cmp_abs(const PlDecoded *x, const PlDecoded *y)
{
	int			n = Max(x->ndigits, y->ndigits);

	if (x->weight != y->weight)
		return x->weight > y->weight ? 1 : -1;
	for (int i = 0; i < n; i++)
	{
		int			dx = i < x->ndigits ? x->digits[i] : 0;
		int			dy = i < y->ndigits ? y->digits[i] : 0;

		if (dx != dy)
			return dx > dy ? 1 : -1;
	}
	return 0;
}

/*
 * Three-way comparison of two Numerics by value, on their stored digits
 * (numeric_cmp through fmgr only for NaN and infinities).
 */
int
pl_numeric_cmp(Numeric a, Numeric b)
{
	PlDecoded	x;
	PlDecoded	y;
	int			sx;
	int			sy;

	if (!pl_numeric_decode(a, &x) || !pl_numeric_decode(b, &y))
		return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												 NumericGetDatum(a),
												 NumericGetDatum(b)));
	sx = decoded_sign(&x);
	sy = decoded_sign(&y);
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return sx * decoded_cmp_abs(&x, &y);
}

/* Are a and b the same number (1 = 1.0)? */
bool
pl_numeric_eq(Numeric a, Numeric b)
{
	return pl_numeric_cmp(a, b) == 0;
}

/* A hash equal for equal numbers whatever their scale. */
uint32
pl_numeric_hash(Numeric n)
{
	return DatumGetUInt32(DirectFunctionCall1(hash_numeric, NumericGetDatum(n)));
}

/* Prepare a schema bound: keep the Numeric and its int64 form if it has one. */
void
pl_number_init(PlNumber *pn, Numeric n)
{
	pn->num = n;
	pn->is_int64 = pl_numeric_to_int64(n, &pn->i64);
}

/* Compare an instance number with a bound, on int64 when both fit. */
int
pl_number_cmp(Numeric value, const PlNumber *bound)
{
	int64		v;

	if (bound->is_int64 && pl_numeric_to_int64(value, &v))
		return v < bound->i64 ? -1 : (v > bound->i64 ? 1 : 0);
	return pl_numeric_cmp(value, bound->num);
}

/* Is value an exact multiple of divisor (exact decimal, no float error)? */
bool
pl_number_is_multiple(Numeric value, const PlNumber *divisor)
{
	int64		v;
	bool		have_error = false;
	Numeric		rem;
	PlDecoded	d;

	if (divisor->is_int64 && pl_numeric_to_int64(value, &v))
		return divisor->i64 == -1 || v % divisor->i64 == 0;
	if (divisor->is_int64 && !pl_numeric_is_integral(value))
		return false;
	rem = numeric_mod_opt_error(value, divisor->num, &have_error);
	if (have_error || !pl_numeric_decode(rem, &d))
		return false;
	return d.ndigits == 0;
}
