/*-------------------------------------------------------------------------
 *
 * transform_ops.c
 *	  The value ops of transform steps, and the checking of every step's
 *	  arguments at define time.
 *
 * Each op maps one JSON value to another and leaves values of other kinds
 * as they are.  The semantics are those of bench/reference.py (documented in
 * docs/transforms.md), which the differential test holds us to:
 *
 * - Strings are UTF-8 and counted in code points.  Whitespace is the set
 *   Python's str.isspace() knows; case mapping is Python's str.lower() and
 *   str.upper() (Unicode's full mapping, ß -> SS, final sigma) from the
 *   generated tables of case_tables.h, the same on every server, with an
 *   ASCII fast path.
 * - Numbers stay exact decimals (jsonb numerics): round is half away from
 *   zero, scale multiplies exactly, and an integral result is written
 *   without a fractional part.
 * - replace uses the spec's ECMA-262 pattern (translated by ecma_regex.c)
 *   and ECMA replacement syntax ($&, $1..$9, $$), and walks matches the way
 *   Python's re.sub does (an empty match right after a match is kept).
 *
 * A conversion that fails returns false with a message; the caller turns it
 * into a violation of the step.  No input makes an op raise an error: what
 * the PostgreSQL functions called would refuse (numbers beyond numeric's
 * range, strings beyond jsonb's) is checked before calling them.  Arguments are checked and prepared by
 * transform_compile.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "case_tables.h"
#include "transform.h"

/* ----------------------------------------------------------------
 * Strings
 * ----------------------------------------------------------------
 */

/* Is ASCII byte c whitespace (str.isspace)? */
static inline bool
ascii_space(unsigned char c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

/* Byte length of the whitespace character (str.isspace) at s (len > 0 bytes), or 0. */
int
pl_space_len(const char *str, int len)
{
	const unsigned char *s = (const unsigned char *) str;
	unsigned char c = s[0];

	if (c < 0x80)
		return ascii_space(c) ? 1 : 0;
	if (c == 0xC2 && len >= 2)
		return (s[1] == 0x85 || s[1] == 0xA0) ? 2 : 0;
	if (c == 0xE1 && len >= 3)
		return (s[1] == 0x9A && s[2] == 0x80) ? 3 : 0;	/* U+1680 */
	if (c == 0xE2 && len >= 3)
	{
		if (s[1] == 0x80)		/* U+2000..200A, 2028, 2029, 202F */
			return (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) ? 3 : 0;
		if (s[1] == 0x81)		/* U+205F */
			return s[2] == 0x9F ? 3 : 0;
		return 0;
	}
	if (c == 0xE3 && len >= 3)
		return (s[1] == 0x80 && s[2] == 0x80) ? 3 : 0;	/* U+3000 */
	return 0;
}

/* Byte length of a whitespace character ending at s + end, or 0. */
static int
space_len_before(const char *s, int end)
{
	for (int n = 1; n <= 3 && n <= end; n++)
		if ((s[end - n] & 0xC0) != 0x80)
			return pl_space_len(s + end - n, n) == n ? n : 0;
	return 0;
}

/* pl_trim_bytes where an end is not printable ASCII: walk the whitespace (ASCII inline). */
void
pl_trim_ends(const char **s, int *len)
{
	const unsigned char *u = (const unsigned char *) *s;
	int			start = 0;
	int			end = *len;
	int			n;

	while (start < end && (u[start] < 0x80 ? (n = ascii_space(u[start])) :
						   (n = pl_space_len(*s + start, end - start))) > 0)
		start += n;
	while (end > start && (u[end - 1] < 0x80 ? (n = ascii_space(u[end - 1])) :
						   (n = space_len_before(*s, end))) > 0)
		end -= n;
	*s += start;
	*len = end - start;
}

/* Set *v to the string of len bytes at s. */
static inline void
set_string(JsonbValue *v, const char *s, int len)
{
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
}

/* Set *v to a string result of len bytes, or say why it cannot be one. */
static bool
set_result(JsonbValue *v, const char *s, int64 len, char **err)
{
	if (len > PL_MAX_STRING)
	{
		*err = psprintf("result of %lld bytes exceeds the maximum string length of %d bytes",
						(long long) len, PL_MAX_STRING);
		return false;
	}
	set_string(v, s, (int) len);
	return true;
}

/* collapse_whitespace: trim, and every inner run of whitespace becomes one space. */
static pg_noinline bool
op_collapse(JsonbValue *v)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;
	char	   *out = palloc(len + 1);
	int			o = 0;
	int			i = 0;
	bool		pending = false;

	while (i < len)
	{
		int			n = pl_space_len(s + i, len - i);

		if (n > 0)
		{
			pending = o > 0;
			i += n;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = false;
		out[o++] = s[i++];
	}
	if (o == len && memcmp(out, s, len) == 0)
		return false;
	set_string(v, out, o);
	return true;
}

/* c mapped by the first run of runs (n, sorted) that covers it; c if none. */
static pg_wchar
run_map(const PlCaseRun *runs, int n, pg_wchar c)
{
	int			lo = 0;
	int			hi = n;
	const PlCaseRun *r;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if ((pg_wchar) runs[mid].start <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return c;
	r = &runs[lo - 1];
	if (c < (pg_wchar) (r->start + r->count * r->stride) && (c - r->start) % r->stride == 0)
		return c + r->delta;
	return c;
}

/* Is c in one of the sorted ranges (n)? */
static bool
in_ranges(const PlCaseRange *ranges, int n, pg_wchar c)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if ((pg_wchar) ranges[mid].last < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && (pg_wchar) ranges[lo].first <= c;
}

/* The full case mapping of c into out (1 to 3 code points); returns how many. */
static int
case_full(pg_wchar c, bool upper, pg_wchar *out)
{
	const PlCaseMulti *multi = upper ? upper_multi : lower_multi;
	int			lo = 0;
	int			hi = upper ? lengthof(upper_multi) : lengthof(lower_multi);

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if ((pg_wchar) multi[mid].cp == c)
		{
			int			n = 0;

			while (n < 3 && multi[mid].to[n] != 0)
			{
				out[n] = multi[mid].to[n];
				n++;
			}
			return n;
		}
		if ((pg_wchar) multi[mid].cp < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	out[0] = upper ? run_map(upper_runs, lengthof(upper_runs), c) :
		run_map(lower_runs, lengthof(lower_runs), c);
	return 1;
}

/* Is c case-ignorable, cased (Unicode's derived properties, Python's tables)? */
#define CASE_IGNORABLE(c) in_ranges(case_ignorable_ranges, lengthof(case_ignorable_ranges), (c))
#define CASED(c) in_ranges(cased_ranges, lengthof(cased_ranges), (c))

/*
 * Does the capital sigma at byte i (clen bytes) of s end a word?  Python's
 * rule: a cased letter before it and none after it, case-ignorable
 * characters skipped both ways.
 */
static bool
final_sigma(const unsigned char *s, int len, int i, int clen)
{
	pg_wchar	c = 0;
	int			j = i;

	for (;;)
	{
		if (j == 0)
			return false;
		while (--j > 0 && (s[j] & 0xC0) == 0x80)
			;
		c = utf8_to_unicode(s + j);
		if (!CASE_IGNORABLE(c))
			break;
	}
	if (!CASED(c))
		return false;
	for (j = i + clen; j < len; j += pg_utf_mblen(s + j))
	{
		c = utf8_to_unicode(s + j);
		if (!CASE_IGNORABLE(c))
			return !CASED(c);
	}
	return true;
}

/* ASCII c lower- or upper-cased, inline (pg_ascii_tolower is a call). */
static inline char
ascii_case(unsigned char c, bool upper)
{
	if (upper)
		return (unsigned char) (c - 'a') < 26 ? c - ('a' - 'A') : c;
	return (unsigned char) (c - 'A') < 26 ? c + ('a' - 'A') : c;
}

/*
 * Bytes of the 8 in x that are ASCII letters of the case that maps to the
 * other (from lo, 26 letters), as 0x20 in each such byte: x with no byte
 * >= 0x80 XORed with it is mapped.  Bytes are compared without carries
 * between them (as in word_to_map below).
 */
static inline uint64
word_case_flips(uint64 x, unsigned char lo)
{
	const uint64 ones = UINT64CONST(0x0101010101010101);
	const uint64 high = ones * 0x80;
	uint64		ge_lo = (x + ones * (0x80 - lo)) & high;
	uint64		ge_hi = (x + ones * (0x80 - (lo + 26))) & high;

	return (ge_lo & ~ge_hi) >> 2;
}

/*
 * Lower- or upper-case s (len bytes) from byte offset from on, exactly as
 * Python's str.lower() and str.upper() do (include/case_tables.h), into
 * out, which has room for 3 * (len - from) bytes; returns the length
 * written.  The bytes before from are context (final sigma).  No
 * collation, no ICU: the same on every server.
 */
static int
case_map_into(const char *str, int len, int from, bool upper, char *out)
{
	const unsigned char *s = (const unsigned char *) str;
	int			o = 0;
	int			clen;

	for (int i = from; i < len; i += clen)
	{
		pg_wchar	mapped[3];
		int			n;
		uint64		x;

		/*
		 * 8 ASCII bytes at a time; a tail of fewer as the last 8 bytes, when
		 * they are ASCII: the ones before i were ASCII too, one byte out for
		 * one in, so they are written again as they were.
		 */
		clen = Min(8, len - i);
		if (len - from >= 8 && (memcpy(&x, s + i + clen - 8, 8),
								(x & UINT64CONST(0x8080808080808080)) == 0))
		{
			x ^= word_case_flips(x, upper ? 'a' : 'A');
			memcpy(out + o + clen - 8, &x, 8);
			o += clen;
			continue;
		}
		if (s[i] < 0x80)
		{
			out[o++] = ascii_case(s[i], upper);
			clen = 1;
			continue;
		}
		clen = Min(pg_utf_mblen(s + i), len - i);
		mapped[0] = utf8_to_unicode(s + i);
		if (!upper && mapped[0] == 0x3A3)
		{
			mapped[0] = final_sigma(s, len, i, clen) ? 0x3C2 : 0x3C3;
			n = 1;
		}
		else
			n = case_full(mapped[0], upper, mapped);
		for (int k = 0; k < n; k++)
		{
			unicode_to_utf8(mapped[k], (unsigned char *) out + o);
			o += pg_utf_mblen((unsigned char *) out + o);
		}
	}
	return o;
}

/* Lower- or upper-case s (len bytes) into a palloc'd string; *outlen set. */
char *
pl_case_map(const char *s, int len, bool upper, int *outlen)
{
	char	   *out = palloc((Size) len * 3 + 1);

	*outlen = case_map_into(s, len, 0, upper, out);
	out[*outlen] = '\0';
	return out;
}

/*
 * May case mapping change one of the 8 bytes of x: a byte >= 0x80, or one
 * in [lo, lo + 26)?  Bytes are compared without carries between them: with
 * the high bits cleared, adding at most 0x80 - 'A' stays below 0x100.
 */
static inline bool
word_to_map(uint64 x, unsigned char lo)
{
	const uint64 ones = UINT64CONST(0x0101010101010101);
	const uint64 high = ones * 0x80;
	uint64		low7 = x & ~high;
	uint64		ge_lo = (low7 + ones * (0x80 - lo)) & high;
	uint64		ge_hi = (low7 + ones * (0x80 - (lo + 26))) & high;

	return ((x & high) | (ge_lo & ~ge_hi)) != 0;
}

/* Offset of the first byte of s that case mapping may change (len if none). */
static inline int
first_to_map(const char *s, int len, bool upper)
{
	char		lo = upper ? 'a' : 'A';
	int			i;

	/* 8 bytes at a time up to the first word that needs a look */
	for (i = 0; i + 8 <= len; i += 8)
	{
		uint64		x;

		memcpy(&x, s + i, 8);
		if (word_to_map(x, (unsigned char) lo))
			break;
	}
	/* a tail of fewer than 8 bytes: the last 8 bytes, if there are 8 */
	if (i < len && len >= 8 && i + 8 > len)
	{
		uint64		x;

		memcpy(&x, s + len - 8, 8);
		if (!word_to_map(x, (unsigned char) lo))
			return len;
	}
	for (; i < len; i++)
	{
		unsigned char c = s[i];

		if (c >= 0x80 || (unsigned char) (c - lo) < 26)
			break;
	}
	return i;
}

/*
 * lower, upper: from the first byte that may change on (none: nothing to
 * do), the unchanged ASCII prefix is copied, the rest mapped.
 */
static pg_noinline bool
op_case(JsonbValue *v, bool upper, PlScratch *sc, char **err)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;
	int			start = first_to_map(s, len, upper);
	char	   *out;
	int			outlen;

	if (start == len)
		return false;
	out = pl_scratch_alloc(sc, (Size) len * 3 + 1);
	memcpy(out, s, start);
	outlen = start + case_map_into(s, len, start, upper, out + start);
	/* an ASCII byte at start is a letter of the other case: it changed */
	if ((unsigned char) s[start] >= 0x80 && outlen == len && memcmp(out, s, len) == 0)
	{
		pl_scratch_unget(sc, out, (Size) len * 3 + 1);
		return false;
	}
	return set_result(v, out, outlen, err);
}

/* Byte offset of code point n in s (len bytes), or len if s is shorter. */
static int
char_offset(const char *s, int len, int64 n)
{
	int			off = 0;

	while (n > 0 && off < len)
	{
		off += pg_utf_mblen((const unsigned char *) s + off);
		n--;
	}
	return Min(off, len);
}

/* truncate: keep at most length characters. */
static pg_noinline bool
op_truncate(const PlStep *s, JsonbValue *v)
{
	int			off;

	if (v->val.string.len <= s->u.length)
		return false;
	off = char_offset(v->val.string.val, v->val.string.len, s->u.length);
	if (off == v->val.string.len)
		return false;
	v->val.string.len = off;
	return true;
}

/* mask: replace all but the last keep_last characters by char. */
static pg_noinline bool
op_mask(const PlStep *s, JsonbValue *v, char **err)
{
	const char *str = v->val.string.val;
	int			len = v->val.string.len;
	int			nchars = pg_mbstrlen_with_len(str, len);
	int			nmask = nchars - s->u.mask.keep_last;
	int			tail;
	StringInfoData buf;

	if (nmask <= 0)
		return false;
	tail = char_offset(str, len, nmask);
	if ((int64) nmask * s->u.mask.chrlen + len - tail > PL_MAX_STRING)
		return set_result(v, NULL, (int64) nmask * s->u.mask.chrlen + len - tail, err);
	initStringInfo(&buf);
	for (int i = 0; i < nmask; i++)
		appendBinaryStringInfo(&buf, s->u.mask.chr, s->u.mask.chrlen);
	appendBinaryStringInfo(&buf, str + tail, len - tail);
	if (buf.len == len && memcmp(buf.data, str, len) == 0)
		return false;
	return set_result(v, buf.data, buf.len, err);
}

/* hash: hex SHA-256 of salt followed by the string. */
static pg_noinline bool
op_hash(const PlStep *s, JsonbValue *v)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) s->u.salt, strlen(s->u.salt)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) v->val.string.val, v->val.string.len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	set_string(v, hex, PG_SHA256_DIGEST_LENGTH * 2);
	return true;
}

/*
 * Append the replacement of match m (pieces of s) to out (if measure_only,
 * only count); returns its length in bytes.
 */
static int64
replacement(StringInfo out, const PlStep *s, const char *str, const int *boff,
			const regmatch_t *m, bool measure_only)
{
	int64		n = 0;

	for (int p = 0; p < s->u.replace.npieces; p++)
	{
		const PlReplPiece *piece = &s->u.replace.pieces[p];
		const char *from = piece->text;
		int			len = piece->len;

		if (from == NULL)
		{
			if (m[piece->group].rm_so < 0)
				continue;
			from = str + boff[m[piece->group].rm_so];
			len = boff[m[piece->group].rm_eo] - boff[m[piece->group].rm_so];
		}
		if (!measure_only)
			appendBinaryStringInfo(out, from, len);
		n += len;
	}
	return n;
}

/* Why the regex engine failed (rc), as a violation message; interrupts are raised. */
static char *
regexec_error(regex_t *re, int rc)
{
	char		msg[128];

	CHECK_FOR_INTERRUPTS();
	pg_regerror(rc, re, msg, sizeof(msg));
	return psprintf("pattern could not be matched: %s", msg);
}

/*
 * replace: every match of the pattern, found as Python's re.sub finds them,
 * becomes the replacement.  A result longer than a jsonb string can be, or
 * a failure of the regex engine (out of memory), is a violation.
 */
static pg_noinline bool
op_replace(const PlStep *s, JsonbValue *v, char **err)
{
	const char *str = v->val.string.val;
	int			len = v->val.string.len;
	pg_wchar   *wide = palloc_extended((len + 1) * sizeof(pg_wchar), MCXT_ALLOC_HUGE);
	int			wlen = pg_mb2wchar_with_len(str, wide, len);
	int		   *boff = palloc_extended((wlen + 1) * sizeof(int), MCXT_ALLOC_HUGE);
	regex_t    *re = (regex_t *) &s->u.replace.re;
	size_t		nmatch = re->re_nsub + 1;
	regmatch_t *m = palloc(nmatch * sizeof(regmatch_t));
	StringInfoData out;
	int			pos = 0;		/* search start (chars) */
	int			done = 0;		/* chars copied to out so far */
	bool		must_advance = false;
	bool		any = false;

	boff[0] = 0;
	for (int i = 0, b = 0; i < wlen; i++)
	{
		b += pg_utf_mblen((const unsigned char *) str + b);
		boff[i + 1] = b;
	}
	initStringInfo(&out);
	while (pos <= wlen)
	{
		int			rc;
		int64		total;

		CHECK_FOR_INTERRUPTS();
		rc = pg_regexec(re, wide, wlen, pos, NULL, nmatch, m, 0);
		if (rc == REG_OKAY && must_advance && m[0].rm_so == pos && m[0].rm_eo == pos)
		{
			/* no empty match where the last one ended: look one further */
			if (pos == wlen)
				break;
			rc = pg_regexec(re, wide, wlen, pos + 1, NULL, nmatch, m, 0);
		}
		if (rc == REG_NOMATCH)
			break;
		if (rc != REG_OKAY)
		{
			*err = regexec_error(re, rc);
			return false;
		}
		total = (int64) out.len + boff[m[0].rm_so] - boff[done] +
			replacement(&out, s, str, boff, m, true) + len - boff[m[0].rm_eo];
		if (total > PL_MAX_STRING)
			return set_result(v, NULL, total, err);
		appendBinaryStringInfo(&out, str + boff[done], boff[m[0].rm_so] - boff[done]);
		replacement(&out, s, str, boff, m, false);
		any = true;
		done = m[0].rm_eo;
		must_advance = m[0].rm_so == m[0].rm_eo;
		pos = m[0].rm_eo;
	}
	if (!any)
		return false;
	appendBinaryStringInfo(&out, str + boff[done], len - boff[done]);
	if (out.len == len && memcmp(out.data, str, len) == 0)
		return false;
	return set_result(v, out.data, out.len, err);
}

/* ----------------------------------------------------------------
 * Numbers
 *
 * Values that fit an int64 count of 10^-15 units take pl_numeric_scaled's
 * exact integer paths; others go through numeric.c, after checking that
 * the result stays within what a Numeric can hold (131072 digits before the
 * point, 16383 after), so a hostile number is a violation, not an error.
 * ----------------------------------------------------------------
 */

/* The message of a number result a Numeric cannot hold. */
#define OUT_OF_RANGE	"result out of range"

/* units / 10^dscale as a Numeric in the record's scratch. */
static inline Numeric
scaled_numeric(PlScratch *sc, int64 units, int dscale)
{
	return pl_numeric_from_scaled_into(units, dscale, pl_scratch_alloc(sc, PL_SCALED_NUMERIC_SIZE));
}

/*
 * n written without a fractional part when it is integral: built from its
 * int64 units where it fits (the bytes numeric_trim_scale gives).
 */
static Numeric
num_tidy(Numeric n, PlScratch *sc)
{
	int64		units;
	int			ds;

	if (pl_numeric_dscale(n) == 0 || !pl_numeric_is_integral(n))
		return n;
	if (pl_numeric_scaled(n, &units, &ds))
		return scaled_numeric(sc, units / pl_pow10(ds), 0);
	return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(n)));
}

/* Set *v to number n; false if v already holds exactly that. */
static bool
set_number(JsonbValue *v, Numeric n)
{
	if (v->type == jbvNumeric && VARSIZE(v->val.numeric) == VARSIZE(n) &&
		memcmp(v->val.numeric, n, VARSIZE(n)) == 0)
		return false;
	v->type = jbvNumeric;
	v->val.numeric = n;
	return true;
}

/*
 * Set *v to units / 10^dscale, without a fractional part when integral;
 * false if v already holds exactly that (the scratch taken is given back).
 */
static bool
set_scaled(JsonbValue *v, PlScratch *sc, int64 units, int dscale)
{
	Numeric		n;

	if (units % pl_pow10(dscale) == 0)
	{
		units /= pl_pow10(dscale);
		dscale = 0;
	}
	n = scaled_numeric(sc, units, dscale);
	if (set_number(v, n))
		return true;
	pl_scratch_unget(sc, n, PL_SCALED_NUMERIC_SIZE);
	return false;
}

/* *units * 10^k, if that stays below PL_SCALED_LIMIT in magnitude. */
static inline bool
scaled_shift(int64 *units, int k)
{
	int64		r;

	if (k > PL_POW10_MAX || __builtin_mul_overflow(*units, pl_pow10(k), &r) ||
		r >= PL_SCALED_LIMIT || r <= -PL_SCALED_LIMIT)
		return false;
	*units = r;
	return true;
}

/* A string as JSON text for messages. */
static char *
quoted(const JsonbValue *v)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, pnstrdup(v->val.string.val, v->val.string.len));
	return buf.data;
}

/* Is the byte range [s, e) ASCII digits, at least one? */
static inline int
count_digits(const char *s, const char *e)
{
	const char *p = s;

	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p - s;
}

/* A number text, split: sign, digits before and after the point, exponent. */
typedef struct NumText
{
	bool		negative;
	const char *intp;
	int			intd;
	const char *fracp;
	int			fracd;
	int			exp;			/* |exp| <= 1001 (1001: beyond the limit) */
} NumText;

/* Read the trimmed text [p, e) as a number text; false if it is none. */
static bool
split_number(const char *p, const char *e, NumText *nt)
{
	bool		negexp = false;

	nt->negative = p < e && *p == '-';
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	nt->intp = p;
	nt->intd = count_digits(p, e);
	p += nt->intd;
	nt->fracd = 0;
	if (p < e && *p == '.')
		nt->fracd = count_digits(++p, e);
	nt->fracp = p;
	p += nt->fracd;
	nt->exp = 0;
	if (nt->intd + nt->fracd == 0)
		return false;
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		int			xd;

		p++;
		if (p < e && (*p == '+' || *p == '-'))
			negexp = *p++ == '-';
		if ((xd = count_digits(p, e)) == 0)
			return false;
		for (int i = 0; i < xd; i++)
			nt->exp = Min(nt->exp * 10 + (p[i] - '0'), 1001);
		p += xd;
		if (negexp)
			nt->exp = -nt->exp;
	}
	return p == e;
}

/* The number text as units / 10^dscale, if it fits pl_numeric_from_scaled. */
static bool
number_text_scaled(const NumText *nt, int64 *units, int *dscale)
{
	int64		acc = 0;
	int			sig = 0;
	int			ds = nt->fracd - nt->exp;

	for (int i = 0; i < nt->intd + nt->fracd; i++)
	{
		char		c = i < nt->intd ? nt->intp[i] : nt->fracp[i - nt->intd];

		if (sig > 0 || c != '0')
			sig++;
		acc = acc * 10 + (c - '0');
		if (sig > 17)
			return false;
	}
	if (ds > PL_SCALED_MAX_DSCALE || (ds < 0 && !scaled_shift(&acc, -ds)))
		return false;
	*units = nt->negative ? -acc : acc;
	*dscale = Max(ds, 0);
	return true;
}

/*
 * The number written as text in v (whitespace trimmed): an optional sign,
 * digits with an optional fraction, an optional exponent of at most PL_MAX_EXPONENT;
 * tidied.  NULL with *err set if the text is no such number or beyond what
 * a Numeric holds; NULL without *err if integer and it is not integral.
 */
static Numeric
parse_number_text(const JsonbValue *v, bool integer, PlScratch *sc, char **err)
{
	JsonbValue	t = *v;
	NumText		nt;
	int64		units;
	int			ds;
	int			sig_int;
	Numeric		n;

	pl_trim_bytes((const char **) &t.val.string.val, &t.val.string.len);
	if (!split_number(t.val.string.val, t.val.string.val + t.val.string.len, &nt))
	{
		*err = psprintf("cannot coerce %s to a number", quoted(v));
		return NULL;
	}
	if (number_text_scaled(&nt, &units, &ds))
	{
		if (integer && units % pl_pow10(ds) != 0)
			return NULL;
		if (units % pl_pow10(ds) == 0)
			return scaled_numeric(sc, units / pl_pow10(ds), 0);
		return scaled_numeric(sc, units, ds);
	}
	sig_int = nt.intd;
	for (int i = 0; i < nt.intd && nt.intp[i] == '0'; i++)
		sig_int--;
	if (pl_abs64(nt.exp) > PL_MAX_EXPONENT ||
		(sig_int > 0 && sig_int + nt.exp > PL_NUMERIC_MAX_INT_DIGITS) ||
		nt.fracd - nt.exp > PL_NUMERIC_MAX_DSCALE)
	{
		*err = psprintf("number %s out of range", quoted(v));
		return NULL;
	}
	n = num_tidy(DatumGetNumeric(DirectFunctionCall3(numeric_in,
													 CStringGetDatum(pnstrdup(t.val.string.val, t.val.string.len)),
													 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1))), sc);
	return integer && !pl_numeric_is_integral(n) ? NULL : n;
}

/* The words coerce reads as booleans, with their values. */
typedef struct BoolWord
{
	const char *word;
	int			len;
	bool		value;
} BoolWord;

static const BoolWord bool_words[] = {
	{"true", 4, true}, {"t", 1, true}, {"yes", 3, true}, {"y", 1, true}, {"on", 2, true},
	{"1", 1, true}, {"false", 5, false}, {"f", 1, false}, {"no", 2, false}, {"n", 1, false},
	{"off", 3, false}, {"0", 1, false}
};

/* Is the trimmed string v a boolean word (ASCII case ignored)?  *b gets its value. */
static bool
bool_word(const JsonbValue *v, bool *b)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;
	char		low[8];			/* a word ("false" the longest), room for a word-wide compare */

	pl_trim_bytes(&s, &len);
	if (len < 1 || len > 5)
		return false;
	for (int i = 0; i < len; i++)
		low[i] = ascii_case((unsigned char) s[i], false);
	for (int i = 0; i < (int) lengthof(bool_words); i++)
		if (bool_words[i].len == len && bool_words[i].word[0] == low[0] &&
			pl_bytes_equal(bool_words[i].word, low, len))
		{
			*b = bool_words[i].value;
			return true;
		}
	return false;
}

/* coerce to boolean. */
static bool
coerce_boolean(JsonbValue *v, char **err)
{
	int64		i;
	bool		b;

	if (v->type == jbvBool)
		return false;
	if (v->type == jbvString)
	{
		if (!bool_word(v, &b))
		{
			*err = psprintf("cannot coerce %s to boolean", quoted(v));
			return false;
		}
	}
	else if (pl_numeric_to_int64(v->val.numeric, &i) && (i == 0 || i == 1))
		b = i == 1;
	else
	{
		*err = psprintf("cannot coerce %s to boolean", pl_number_text(v->val.numeric));
		return false;
	}
	v->type = jbvBool;
	v->val.boolean = b;
	return true;
}

/* coerce to integer or number. */
static bool
coerce_number(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	bool		integer = s->u.to == PL_TO_INTEGER;
	Numeric		n;

	if (v->type == jbvBool)
		return set_number(v, scaled_numeric(sc, v->val.boolean ? 1 : 0, 0));
	if (v->type == jbvNumeric)
	{
		/* a number without decimals is an integer already */
		if (!integer || pl_numeric_dscale(v->val.numeric) == 0)
			return false;
		if (!pl_numeric_is_integral(v->val.numeric))
		{
			*err = psprintf("cannot coerce %s to integer", pl_number_text(v->val.numeric));
			return false;
		}
		return set_number(v, num_tidy(v->val.numeric, sc));
	}
	n = parse_number_text(v, integer, sc, err);
	if (n == NULL && *err == NULL)
		*err = psprintf("cannot coerce %s to integer", quoted(v));
	return n != NULL && set_number(v, n);
}

/* coerce: lax conversion of a scalar to integer, number, boolean or string. */
static pg_noinline bool
op_coerce(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	const char *text;

	/* only scalars: a container may come expanded (jbvObject) once a step wrote into it */
	if (v->type != jbvString && v->type != jbvNumeric && v->type != jbvBool)
		return false;
	switch (s->u.to)
	{
		case PL_TO_STRING:
			if (v->type == jbvString)
				return false;
			text = v->type == jbvBool ? (v->val.boolean ? "true" : "false") :
				pl_number_text(v->val.numeric);
			set_string(v, text, strlen(text));
			return true;
		case PL_TO_BOOLEAN:
			return coerce_boolean(v, err);
		case PL_TO_INTEGER:
		case PL_TO_NUMBER:
			return coerce_number(s, v, sc, err);
	}
	return false;
}

/* round on units / 10^ds (|units| < 10^18); false if the result does not fit. */
static bool
round_scaled(int64 units, int ds, int digits, int64 *out, int *outds)
{
	if (ds <= digits)
	{
		/* nothing to drop: the value, at scale digits */
		*outds = digits;
		*out = units;
		return digits <= PL_SCALED_MAX_DSCALE && scaled_shift(out, digits - ds);
	}
	if (ds - digits > PL_POW10_MAX)
		*out = 0;				/* |value| < 10^(digits-1): rounds to 0 */
	else
	{
		int64		p = pl_pow10(ds - digits);
		int64		r = units % p;

		*out = units / p + (2 * pl_abs64(r) >= p ? (units < 0 ? -1 : 1) : 0);
	}
	*outds = Max(digits, 0);
	return scaled_shift(out, Max(-digits, 0));
}

/* round: to digits decimal places, half away from zero. */
static pg_noinline bool
op_round(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	int			digits = s->u.digits;
	int64		units;
	int			ds;
	Numeric		half;
	Numeric		t;
	bool		overflow = false;

	if (pl_numeric_scaled(v->val.numeric, &units, &ds))
	{
		/* already at that scale, and not integral: nothing changes */
		if (ds == digits && units % pl_pow10(ds) != 0)
			return false;
		if (round_scaled(units, ds, digits, &units, &ds))
			return set_scaled(v, sc, units, ds);
	}
	/* x + 0.5e-digits away from zero, truncated: cannot overflow unnoticed */
	half = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(psprintf("5e%d", -digits - 1)),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	t = pl_numeric_sign(v->val.numeric) < 0 ?
		numeric_sub_opt_error(v->val.numeric, half, &overflow) :
		numeric_add_opt_error(v->val.numeric, half, &overflow);
	if (overflow)
	{
		*err = pstrdup(OUT_OF_RANGE);
		return false;
	}
	return set_number(v, num_tidy(DatumGetNumeric(DirectFunctionCall2(numeric_trunc,
																	  NumericGetDatum(t),
																	  Int32GetDatum(digits))), sc));
}

/* clamp: bound the number by min and max. */
static pg_noinline bool
op_clamp(const PlStep *s, JsonbValue *v)
{
	if (s->u.clamp.min && pl_numeric_cmp(v->val.numeric, s->u.clamp.min) < 0)
		return set_number(v, s->u.clamp.min);
	if (s->u.clamp.max && pl_numeric_cmp(v->val.numeric, s->u.clamp.max) > 0)
		return set_number(v, s->u.clamp.max);
	return false;
}

/* scale on int64 units: false if some part does not fit. */
static bool
scale_scaled(const PlStep *s, Numeric x, int64 *out, int *outds)
{
	int64		ux,
				uf,
				uo;
	int			dx,
				df,
				dof;

	if (!pl_numeric_scaled(x, &ux, &dx) ||
		!pl_numeric_scaled(s->u.scale.factor, &uf, &df) ||
		!pl_numeric_scaled(s->u.scale.offset, &uo, &dof) ||
		dx + df > PL_SCALED_MAX_DSCALE ||
		__builtin_mul_overflow(ux, uf, out) ||
		*out >= PL_SCALED_LIMIT || *out <= -PL_SCALED_LIMIT)
		return false;
	*outds = Max(dx + df, dof);
	if (!scaled_shift(out, *outds - dx - df) || !scaled_shift(&uo, *outds - dof))
		return false;
	*out += uo;
	return *out < PL_SCALED_LIMIT && *out > -PL_SCALED_LIMIT;
}

/* scale: value * factor + offset, exactly. */
static pg_noinline bool
op_scale(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	int64		units;
	int			ds;
	bool		overflow;
	Numeric		r = NULL;

	if (scale_scaled(s, v->val.numeric, &units, &ds))
		return set_scaled(v, sc, units, ds);
	/* numeric_mul would round a product with more than 16383 decimals */
	overflow = pl_numeric_dscale(v->val.numeric) + pl_numeric_dscale(s->u.scale.factor) >
		PL_NUMERIC_MAX_DSCALE;
	if (!overflow)
		r = numeric_mul_opt_error(v->val.numeric, s->u.scale.factor, &overflow);
	if (!overflow)
		r = numeric_add_opt_error(r, s->u.scale.offset, &overflow);
	if (overflow)
	{
		*err = pstrdup(OUT_OF_RANGE);
		return false;
	}
	return set_number(v, num_tidy(r, sc));
}

/* ----------------------------------------------------------------
 * map
 * ----------------------------------------------------------------
 */

/* Find key (folded already when case is ignored), of hash h, by the map's hash slots. */
static const PlMapEntry *
map_find(const PlStep *s, const char *key, int len, uint32 h)
{
	int			k;

	h &= s->u.map.hashmask;

	while ((k = s->u.map.slots[h]) != 0)
	{
		const PlMapEntry *e = &s->u.map.entries[k - 1];

		if (e->keylen == len && pl_bytes_equal(e->key, key, len))
			return e;
		h = (h + 1) & s->u.map.hashmask;
	}
	return NULL;
}

/*
 * Lower-case an ASCII s (len bytes) into out, and hash it (pl_map_hash) on
 * the way; false at the first non-ASCII byte (the caller maps by code
 * points then).
 */
static inline bool
ascii_lower_into(const char *s, int len, char *out, uint32 *hash)
{
	uint32		h = (uint32) len;

	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (c >= 0x80)
			return false;
		out[i] = (unsigned char) (c - 'A') < 26 ? c + ('a' - 'A') : c;
		h = pl_map_hash_step(h, (unsigned char) out[i]);
	}
	*hash = h ^ (h >> 15);
	return true;
}

/* Is a equal to b, as far as "changed" goes (scalars only; containers differ)? */
static bool
same_scalar(const JsonbValue *a, const JsonbValue *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				pl_bytes_equal(a->val.string.val, b->val.string.val, a->val.string.len);
		case jbvNumeric:
			return VARSIZE(a->val.numeric) == VARSIZE(b->val.numeric) &&
				memcmp(a->val.numeric, b->val.numeric, VARSIZE(a->val.numeric)) == 0;
		default:
			return false;
	}
}

/* map: replace a string found in values; otherwise the default, if any. */
static pg_noinline bool
op_map(const PlStep *s, JsonbValue *v)
{
	const PlMapEntry *e;
	const JsonbValue *to;

	if (s->u.map.case_insensitive)
	{
		char		buf[3 * 64];
		int			len = v->val.string.len;
		char	   *key = len <= 64 ? buf : palloc((Size) len * 3 + 1);
		uint32		h;

		/* keys of up to 64 bytes are folded on the stack; ASCII byte by byte */
		if (len <= 64 && ascii_lower_into(v->val.string.val, len, key, &h))
			e = map_find(s, key, len, h);
		else
		{
			len = case_map_into(v->val.string.val, len, 0, false, key);
			e = map_find(s, key, len, pl_map_hash(key, len));
		}
	}
	else
		e = map_find(s, v->val.string.val, v->val.string.len,
					 pl_map_hash(v->val.string.val, v->val.string.len));
	if (e)
		to = &e->value;
	else if (s->u.map.has_default)
		to = &s->u.map.dflt;
	else
		return false;
	if (same_scalar(v, to))
		return false;
	*v = *to;
	return true;
}

/* Can't happen: s reached pl_step_value.  Out of line, so the dispatcher needs no frame. */
static pg_noinline pg_attribute_noreturn() void
not_a_value_op(const PlStep *s)
{
	elog(ERROR, "op %d is not a value op", (int) s->op);
	pg_unreachable();
}

/*
 * Apply value op s (not trim, inline in transform.h, nor parse_timestamp,
 * see transform_time.c) to *v.
 * Returns true if v changed; false if not, with *err set if the value could
 * not be converted, and v as it was.  The ops are out of line (pg_noinline),
 * so this stays a jump without the register saves of the largest of them.
 */
bool
pl_step_value(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	bool		str = v->type == jbvString;

	switch (s->op)
	{
		case PL_OP_COLLAPSE_WHITESPACE:
			return str && op_collapse(v);
		case PL_OP_LOWER:
		case PL_OP_UPPER:
			return str && op_case(v, s->op == PL_OP_UPPER, sc, err);
		case PL_OP_NULLIF_EMPTY:
			if (!str || v->val.string.len > 0)
				return false;
			v->type = jbvNull;
			return true;
		case PL_OP_TRUNCATE:
			return str && op_truncate(s, v);
		case PL_OP_REPLACE:
			return str && op_replace(s, v, err);
		case PL_OP_COERCE:
			/* a number to number, a boolean to boolean: nothing to call for */
			if ((v->type == jbvNumeric && s->u.to == PL_TO_NUMBER) ||
				(v->type == jbvBool && s->u.to == PL_TO_BOOLEAN))
				return false;
			return op_coerce(s, v, sc, err);
		case PL_OP_ROUND:
			return v->type == jbvNumeric && op_round(s, v, sc, err);
		case PL_OP_CLAMP:
			return v->type == jbvNumeric && op_clamp(s, v);
		case PL_OP_SCALE:
			return v->type == jbvNumeric && op_scale(s, v, sc, err);
		case PL_OP_MAP:
			return str && op_map(s, v);
		case PL_OP_HASH:
			return str && op_hash(s, v);
		case PL_OP_MASK:
			return str && op_mask(s, v, err);
		default:
			not_a_value_op(s);
	}
	return false;
}
