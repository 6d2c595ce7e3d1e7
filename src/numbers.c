/*-------------------------------------------------------------------------
 *
 * numbers.c
 *	  Exact comparisons and divisibility of JSON numbers.
 *
 * jsonb keeps numbers as Numeric, so bounds and multipleOf are decided in
 * exact decimal arithmetic: 0.3 is a multiple of 0.1, and 1.0 is an integer.
 * The common case, integers that fit in int64, is read straight from the
 * Numeric's stored digits (its on-disk format, which pg_upgrade guarantees
 * stable) without calling into numeric.c; so are the decimals transform
 * steps compute on (pl_numeric_scaled and pl_numeric_from_scaled: a value as
 * an int64 count of 10^-dscale units), whose results are byte for byte what
 * numeric.c would have built.
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
#define PL_DEC_DIGITS			4
#define PL_SIGN_MASK			0xC000
#define PL_NEG					0x4000
#define PL_SHORT				0x8000
#define PL_SPECIAL				0xC000
#define PL_SHORT_SIGN_MASK		0x2000
#define PL_SHORT_WEIGHT_SIGN	0x0040
#define PL_SHORT_WEIGHT_MASK	0x003F
#define PL_SHORT_DSCALE_SHIFT	7
#define PL_SHORT_DSCALE_MASK	0x1F80
#define PL_DSCALE_MASK			0x3FFF

/* The decoded header of a finite Numeric. */
typedef struct PlDecoded
{
	bool		negative;
	int			weight;			/* NBASE exponent of the first digit */
	int			dscale;			/* decimal digits shown after the point */
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
		d->dscale = (header & PL_SHORT_DSCALE_MASK) >> PL_SHORT_DSCALE_SHIFT;
		d->digits = (const PlNumericDigit *) (p + sizeof(uint16));
	}
	else
	{
		d->negative = (header & PL_SIGN_MASK) == PL_NEG;
		d->dscale = header & PL_DSCALE_MASK;
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

/* The sign of n: -1, 0 or 1 (0 for NaN). */
int
pl_numeric_sign(Numeric n)
{
	PlDecoded	d;

	return pl_numeric_decode(n, &d) ? decoded_sign(&d) : 0;
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

/*
 * The one text of a number in messages and in coerce-to-string: plain
 * decimal notation, no exponent, no trailing fractional zeros ("1.5" for
 * 1.50, "1000" for 1e3, "0" for 0.00), as Python's reference writes it.
 */
char *
pl_number_text(Numeric n)
{
	return numeric_normalize(n);
}

/* The display scale of n: decimal digits after the point (0 for NaN/Inf). */
int
pl_numeric_dscale(Numeric n)
{
	PlDecoded	d;

	return pl_numeric_decode(n, &d) ? d.dscale : 0;
}

/*
 * Read n as *units / 10^*dscale with its own dscale, if that is at most
 * PL_SCALED_MAX_DSCALE and |units| < 10^18 (so sums of two fit int64).
 */
bool
pl_numeric_scaled(Numeric n, int64 *units, int *dscale)
{
	PlDecoded	d;
	uint64		acc = 0;
	int			frac;			/* decimal fraction digits acc carries */

	if (!pl_numeric_decode(n, &d) || d.dscale > PL_SCALED_MAX_DSCALE)
		return false;
	for (int i = 0; i < d.ndigits; i++)
	{
		if (acc >= (uint64) PL_SCALED_LIMIT / PL_NBASE)
			return false;
		acc = acc * PL_NBASE + (uint64) d.digits[i];
	}
	frac = (d.ndigits - 1 - d.weight) * PL_DEC_DIGITS;
	if (d.ndigits == 0)
		frac = 0;
	if (acc >= (uint64) PL_SCALED_LIMIT)
		return false;
	if (frac > d.dscale)
	{
		int64		div = pl_pow10(frac - d.dscale);

		if (acc % div != 0)
			return false;
		acc /= div;
	}
	else
	{
		int			k = d.dscale - frac;

		if (k > 18 || acc >= (uint64) PL_SCALED_LIMIT / pl_pow10(k))
			return false;
		acc *= pl_pow10(k);
	}
	*units = d.negative ? -(int64) acc : (int64) acc;
	*dscale = d.dscale;
	return true;
}

/*
 * The Numeric units / 10^dscale (|units| < 10^18, 0 <= dscale <=
 * PL_SCALED_MAX_DSCALE), laid out as numeric.c's make_result lays it out:
 * short format, no leading or trailing zero digits, zero positive.
 */
Numeric
pl_numeric_from_scaled(int64 units, int dscale)
{
	return pl_numeric_from_scaled_into(units, dscale, palloc(PL_SCALED_NUMERIC_SIZE));
}

/* pl_numeric_from_scaled into out (PL_SCALED_NUMERIC_SIZE bytes, int-aligned). */
Numeric
pl_numeric_from_scaled_into(int64 units, int dscale, void *out)
{
	uint64		a = units < 0 ? -(uint64) units : (uint64) units;
	int			pad;
	uint64		ip;
	uint64		fp;
	int			nfrac;
	PlNumericDigit buf[10];
	int			nint = 0;
	int			first = 0;
	int			n;
	int			weight;
	Numeric		result = out;

	Assert(a < (uint64) PL_SCALED_LIMIT && dscale >= 0 && dscale <= PL_SCALED_MAX_DSCALE);
	if (dscale == 0 && a < PL_NBASE)
	{
		/* an integer below 10000 (a quantity, a flag): one digit or none */
		SET_VARSIZE(result, VARHDRSZ + sizeof(uint16) + (a != 0) * sizeof(PlNumericDigit));
		*(uint16 *) VARDATA(result) = PL_SHORT | (units < 0 ? PL_SHORT_SIGN_MASK : 0);
		if (a != 0)
			*(PlNumericDigit *) (VARDATA(result) + sizeof(uint16)) = (PlNumericDigit) a;
		return result;
	}
	pad = (PL_DEC_DIGITS - dscale % PL_DEC_DIGITS) % PL_DEC_DIGITS;
	ip = a / (uint64) pl_pow10(dscale);
	fp = (a % (uint64) pl_pow10(dscale)) * (uint64) pl_pow10(pad);
	nfrac = (dscale + pad) / PL_DEC_DIGITS;
	for (uint64 t = ip; t > 0; t /= PL_NBASE)
		nint++;
	for (int i = nint - 1; i >= 0; i--, ip /= PL_NBASE)
		buf[i] = ip % PL_NBASE;
	for (int i = nfrac - 1; i >= 0; i--, fp /= PL_NBASE)
		buf[nint + i] = fp % PL_NBASE;
	n = nint + nfrac;
	weight = nint - 1;
	while (first < n && buf[first] == 0)
	{
		first++;
		weight--;
	}
	while (n > first && buf[n - 1] == 0)
		n--;
	if (n == first)
		weight = 0;
	SET_VARSIZE(result, VARHDRSZ + sizeof(uint16) + (n - first) * sizeof(PlNumericDigit));
	*(uint16 *) VARDATA(result) = PL_SHORT | (units < 0 && n > first ? PL_SHORT_SIGN_MASK : 0) |
		(dscale << PL_SHORT_DSCALE_SHIFT) | (weight < 0 ? PL_SHORT_WEIGHT_SIGN : 0) |
		(weight & PL_SHORT_WEIGHT_MASK);
	memcpy(VARDATA(result) + sizeof(uint16), buf + first, (n - first) * sizeof(PlNumericDigit));
	return result;
}
