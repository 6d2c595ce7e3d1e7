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
 *   Python's str.isspace() knows; case mapping is Unicode's full mapping
 *   (ß -> SS, final sigma), done by ICU through PostgreSQL's "und-x-icu"
 *   collation, with an ASCII fast path that needs no conversion at all.
 * - Numbers stay exact decimals (jsonb numerics): round is half away from
 *   zero, scale multiplies exactly, and an integral result is written
 *   without a fractional part.
 * - replace uses the spec's ECMA-262 pattern (translated by ecma_regex.c)
 *   and ECMA replacement syntax ($&, $1..$9, $$), and walks matches the way
 *   Python's re.sub does (an empty match right after a match is kept).
 *
 * A conversion that fails returns false with a message; the caller turns it
 * into a violation of the step.  Arguments are checked and prepared by
 * transform_compile.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation_d.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/json.h"

#include "transform.h"

/* ----------------------------------------------------------------
 * Strings
 * ----------------------------------------------------------------
 */

/* Byte length of the whitespace character (str.isspace) at s (len > 0 bytes), or 0. */
int
pl_space_len(const char *str, int len)
{
	const unsigned char *s = (const unsigned char *) str;
	unsigned char c = s[0];

	if (c < 0x80)
		return (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) ? 1 : 0;
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

/* Narrow [*s, *s + *len) to its part without leading and trailing whitespace. */
void
pl_trim_bytes(const char **s, int *len)
{
	int			start = 0;
	int			end = *len;
	int			n;

	while (start < end && (n = pl_space_len(*s + start, end - start)) > 0)
		start += n;
	while (end > start && (n = space_len_before(*s, end)) > 0)
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

/* trim: strip leading and trailing whitespace. */
static bool
op_trim(JsonbValue *v)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;

	pl_trim_bytes(&s, &len);
	if (len == v->val.string.len)
		return false;
	set_string(v, s, len);
	return true;
}

/* collapse_whitespace: trim, and every inner run of whitespace becomes one space. */
static bool
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

/* The ICU root collation, for Unicode's full case mapping (cached). */
static Oid
case_collation(void)
{
	static Oid	collid = InvalidOid;

	if (!OidIsValid(collid))
	{
		collid = get_collation_oid(list_make2(makeString("pg_catalog"), makeString("und-x-icu")), true);
		if (!OidIsValid(collid))
			collid = DEFAULT_COLLATION_OID;
	}
	return collid;
}

/* Lower- or upper-case s (len bytes); the result is palloc'd, *outlen set. */
char *
pl_case_map(const char *s, int len, bool upper, int *outlen)
{
	char	   *out;
	int			i;

	for (i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			break;
	if (i == len)
	{
		out = palloc(len + 1);
		for (i = 0; i < len; i++)
			out[i] = upper ? pg_ascii_toupper(s[i]) : pg_ascii_tolower(s[i]);
		out[len] = '\0';
		*outlen = len;
		return out;
	}
	out = upper ? str_toupper(s, len, case_collation()) : str_tolower(s, len, case_collation());
	*outlen = strlen(out);
	return out;
}

/* lower, upper. */
static bool
op_case(JsonbValue *v, bool upper)
{
	int			len;
	char	   *out = pl_case_map(v->val.string.val, v->val.string.len, upper, &len);

	if (len == v->val.string.len && memcmp(out, v->val.string.val, len) == 0)
		return false;
	set_string(v, out, len);
	return true;
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
static bool
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
static bool
op_mask(const PlStep *s, JsonbValue *v)
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
	initStringInfo(&buf);
	for (int i = 0; i < nmask; i++)
		appendBinaryStringInfo(&buf, s->u.mask.chr, s->u.mask.chrlen);
	appendBinaryStringInfo(&buf, str + tail, len - tail);
	if (buf.len == len && memcmp(buf.data, str, len) == 0)
		return false;
	set_string(v, buf.data, buf.len);
	return true;
}

/* hash: hex SHA-256 of salt followed by the string. */
static bool
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
 * replace: every match of the pattern, found as Python's re.sub finds them,
 * becomes the replacement.
 */
static bool
op_replace(const PlStep *s, JsonbValue *v)
{
	const char *str = v->val.string.val;
	int			len = v->val.string.len;
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(str, wide, len);
	int		   *boff = palloc((wlen + 1) * sizeof(int));	/* char -> byte offset */
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
			char		msg[128];

			CHECK_FOR_INTERRUPTS();
			pg_regerror(rc, re, msg, sizeof(msg));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
					 errmsg("regular expression failed: %s", msg)));
		}
		appendBinaryStringInfo(&out, str + boff[done], boff[m[0].rm_so] - boff[done]);
		for (int p = 0; p < s->u.replace.npieces; p++)
		{
			const PlReplPiece *piece = &s->u.replace.pieces[p];

			if (piece->text)
				appendBinaryStringInfo(&out, piece->text, piece->len);
			else if (m[piece->group].rm_so >= 0)
				appendBinaryStringInfo(&out, str + boff[m[piece->group].rm_so],
									   boff[m[piece->group].rm_eo] - boff[m[piece->group].rm_so]);
		}
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
	set_string(v, out.data, out.len);
	return true;
}

/* ----------------------------------------------------------------
 * Numbers
 * ----------------------------------------------------------------
 */

/* n written without a fractional part when it is integral. */
static Numeric
num_tidy(Numeric n)
{
	if (pl_numeric_is_integral(n))
		return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(n)));
	return n;
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
 * The canonical text of n: plain decimal notation, no exponent, no trailing
 * fractional zeros ("1.5", "1000", "0").  Sets *out to that string.
 */
void
pl_numeric_text(Numeric n, JsonbValue *out)
{
	char	   *s = numeric_normalize(n);

	set_string(out, s, strlen(s));
}

/* A number as text for messages. */
static char *
num_text(Numeric n)
{
	return numeric_normalize(n);
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

/*
 * Parse a number written as text (after trimming whitespace): an optional
 * sign, digits with an optional fraction, an optional exponent of at most
 * 1000.  Returns NULL with *err set if s is not such a number.
 */
static Numeric
parse_number_text(const JsonbValue *v, char **err)
{
	JsonbValue	t = *v;
	const char *p;
	const char *e;
	int			intd;
	int			fracd = 0;

	op_trim(&t);
	p = t.val.string.val;
	e = p + t.val.string.len;
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	intd = count_digits(p, e);
	p += intd;
	if (p < e && *p == '.')
	{
		p++;
		fracd = count_digits(p, e);
		p += fracd;
	}
	if (intd + fracd == 0)
		goto bad;
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		int			xd;
		int64		exp = 0;

		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		xd = count_digits(p, e);
		if (xd == 0)
			goto bad;
		for (int i = 0; i < xd && exp <= 1000; i++)
			exp = exp * 10 + (p[i] - '0');
		p += xd;
		if (p != e)
			goto bad;
		if (exp > 1000)
		{
			*err = psprintf("number %s out of range", quoted(v));
			return NULL;
		}
	}
	if (p != e)
		goto bad;
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(pnstrdup(t.val.string.val, t.val.string.len)),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
bad:
	*err = psprintf("cannot coerce %s to a number", quoted(v));
	return NULL;
}

/* Is the trimmed string one of the words in list (ASCII case ignored)? */
static bool
bool_word(const JsonbValue *v, const char *const *list)
{
	JsonbValue	t = *v;

	op_trim(&t);
	for (int i = 0; list[i]; i++)
		if (strlen(list[i]) == (size_t) t.val.string.len &&
			pg_strncasecmp(list[i], t.val.string.val, t.val.string.len) == 0)
			return true;
	return false;
}

/* coerce: lax conversion of a scalar to integer, number, boolean or string. */
static bool
op_coerce(const PlStep *s, JsonbValue *v, char **err)
{
	static const char *const truthy[] = {"true", "t", "yes", "y", "on", "1", NULL};
	static const char *const falsy[] = {"false", "f", "no", "n", "off", "0", NULL};
	Numeric		n;

	if (v->type == jbvNull || v->type == jbvBinary)
		return false;
	switch (s->u.to)
	{
		case PL_TO_STRING:
			if (v->type == jbvString)
				return false;
			if (v->type == jbvBool)
				set_string(v, v->val.boolean ? "true" : "false", v->val.boolean ? 4 : 5);
			else
				pl_numeric_text(v->val.numeric, v);
			return true;
		case PL_TO_BOOLEAN:
			if (v->type == jbvBool)
				return false;
			if (v->type == jbvString)
			{
				bool		b;

				if (bool_word(v, truthy))
					b = true;
				else if (bool_word(v, falsy))
					b = false;
				else
				{
					*err = psprintf("cannot coerce %s to boolean", quoted(v));
					return false;
				}
				v->type = jbvBool;
				v->val.boolean = b;
				return true;
			}
			if (pl_numeric_is_integral(v->val.numeric))
			{
				int64		i;

				if (pl_numeric_to_int64(v->val.numeric, &i) && (i == 0 || i == 1))
				{
					v->type = jbvBool;
					v->val.boolean = i == 1;
					return true;
				}
			}
			*err = psprintf("cannot coerce %s to boolean", num_text(v->val.numeric));
			return false;
		case PL_TO_INTEGER:
		case PL_TO_NUMBER:
			if (v->type == jbvBool)
				return set_number(v, int64_to_numeric(v->val.boolean ? 1 : 0));
			if (v->type == jbvString)
			{
				n = parse_number_text(v, err);
				if (n == NULL)
					return false;
			}
			else if (s->u.to == PL_TO_NUMBER)
				return false;
			else
				n = v->val.numeric;
			if (s->u.to == PL_TO_INTEGER && !pl_numeric_is_integral(n))
			{
				*err = psprintf("cannot coerce %s to integer",
								v->type == jbvString ? quoted(v) : num_text(n));
				return false;
			}
			return set_number(v, num_tidy(n));
	}
	return false;
}

/* round: to digits decimal places, half away from zero. */
static bool
op_round(const PlStep *s, JsonbValue *v)
{
	Numeric		r = DatumGetNumeric(DirectFunctionCall2(numeric_round,
														NumericGetDatum(v->val.numeric),
														Int32GetDatum(s->u.digits)));

	return set_number(v, num_tidy(r));
}

/* clamp: bound the number by min and max. */
static bool
op_clamp(const PlStep *s, JsonbValue *v)
{
	if (s->u.clamp.min && pl_numeric_cmp(v->val.numeric, s->u.clamp.min) < 0)
		return set_number(v, s->u.clamp.min);
	if (s->u.clamp.max && pl_numeric_cmp(v->val.numeric, s->u.clamp.max) > 0)
		return set_number(v, s->u.clamp.max);
	return false;
}

/* scale: value * factor + offset, exactly. */
static bool
op_scale(const PlStep *s, JsonbValue *v)
{
	Datum		r = DirectFunctionCall2(numeric_mul, NumericGetDatum(v->val.numeric),
										NumericGetDatum(s->u.scale.factor));

	r = DirectFunctionCall2(numeric_add, r, NumericGetDatum(s->u.scale.offset));
	return set_number(v, num_tidy(DatumGetNumeric(r)));
}

/* ----------------------------------------------------------------
 * map
 * ----------------------------------------------------------------
 */

/* Find key in the map's sorted entries. */
static const PlMapEntry *
map_find(const PlStep *s, const char *key, int len)
{
	int			lo = 0;
	int			hi = s->u.map.n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		const PlMapEntry *e = &s->u.map.entries[mid];
		int			c = pl_key_cmp(e->key, e->keylen, key, len);

		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
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
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvNumeric:
			return VARSIZE(a->val.numeric) == VARSIZE(b->val.numeric) &&
				memcmp(a->val.numeric, b->val.numeric, VARSIZE(a->val.numeric)) == 0;
		default:
			return false;
	}
}

/* map: replace a string found in values; otherwise the default, if any. */
static bool
op_map(const PlStep *s, JsonbValue *v)
{
	const PlMapEntry *e;
	const JsonbValue *to;

	if (s->u.map.case_insensitive)
	{
		int			len;
		char	   *key = pl_case_map(v->val.string.val, v->val.string.len, false, &len);

		e = map_find(s, key, len);
	}
	else
		e = map_find(s, v->val.string.val, v->val.string.len);
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

/*
 * Apply value op s to *v.  Returns true if v changed; false if not, with
 * *err set if the value could not be converted.
 */
bool
pl_step_value(const PlStep *s, JsonbValue *v, char **err)
{
	bool		str = v->type == jbvString;

	switch (s->op)
	{
		case PL_OP_TRIM:
			return str && op_trim(v);
		case PL_OP_COLLAPSE_WHITESPACE:
			return str && op_collapse(v);
		case PL_OP_LOWER:
			return str && op_case(v, false);
		case PL_OP_UPPER:
			return str && op_case(v, true);
		case PL_OP_NULLIF_EMPTY:
			if (!str || v->val.string.len > 0)
				return false;
			v->type = jbvNull;
			return true;
		case PL_OP_TRUNCATE:
			return str && op_truncate(s, v);
		case PL_OP_REPLACE:
			return str && op_replace(s, v);
		case PL_OP_COERCE:
			return op_coerce(s, v, err);
		case PL_OP_PARSE_TIMESTAMP:
			return pl_ts_value(s, v, err);
		case PL_OP_ROUND:
			return v->type == jbvNumeric && op_round(s, v);
		case PL_OP_CLAMP:
			return v->type == jbvNumeric && op_clamp(s, v);
		case PL_OP_SCALE:
			return v->type == jbvNumeric && op_scale(s, v);
		case PL_OP_MAP:
			return str && op_map(s, v);
		case PL_OP_HASH:
			return str && op_hash(s, v);
		case PL_OP_MASK:
			return str && op_mask(s, v);
		default:
			elog(ERROR, "op %d is not a value op", (int) s->op);
	}
	return false;
}

