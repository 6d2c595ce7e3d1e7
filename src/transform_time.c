/*-------------------------------------------------------------------------
 *
 * transform_time.c
 *	  parse_timestamp: dates and times in several notations to UTC text.
 *
 * A step lists formats, tried in order: "iso8601" (ISO 8601 / RFC 3339
 * dates and date-times), "epoch" (seconds, possibly fractional, written as
 * text) and strptime formats with the directives %Y %m %d %H %M %S %f %z %y
 * %b %B %I %p %%.  A JSON number is always epoch seconds.  The result is
 * "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in UTC, microseconds without trailing
 * zeros.  A local time (no offset in the text) is read in the step's time
 * zone; one that a DST change makes ambiguous or skips resolves to the later
 * UTC instant, which is PostgreSQL's own rule (DetermineTimeZoneOffset).
 *
 * strptime formats are matched the way Python's datetime.strptime matches
 * them (bench/reference.py is the contract): the format is a regular
 * expression of per-directive alternatives, tried in order with
 * backtracking, case-insensitively, whitespace in the format matching one or
 * more whitespace characters; the first match wins and must consume the
 * whole (trimmed) text.  The matcher below reproduces that search directly
 * on the directives, without a regex engine.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "transform.h"

/* Kinds of format */
#define TS_ISO			0
#define TS_EPOCH		1
#define TS_STRPTIME		2

/* Item types of a compiled strptime format (PlTsFormat.items: type, char) */
#define TI_DIRECTIVE	'%'
#define TI_LITERAL		'L'
#define TI_SPACE		'W'

#define MATCH_BUDGET	100000	/* backtracking steps per string and format */

/* UTC limits of Python's datetime: 0001-01-01 .. 9999-12-31T23:59:59.999999 */
#define TS_MIN	((int64) (1721426 - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)
#define TS_END	((int64) (5373485 - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)

/* Raise 22023 about the spec member at JSON Pointer ptr. */
pg_attribute_noreturn()
static void
ts_error(const char *ptr, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spec %s: %s", ptr, msg)));
}

/* ----------------------------------------------------------------
 * Compiling
 * ----------------------------------------------------------------
 */

/* Compile strptime format fmt (at ptr) into *f; refuse what we do not support. */
static void
compile_strptime(PlTsFormat *f, const char *fmt, const char *ptr)
{
	StringInfoData items;
	char		seen[128] = {0};

	initStringInfo(&items);
	for (const char *p = fmt; *p; p++)
	{
		if (*p == '%')
		{
			char		d = p[1];

			if (d == '\0' || strchr("YmdHMSfzybBIp%", d) == NULL)
			{
				int			len = d ? pg_utf_mblen((const unsigned char *) p + 1) : 0;

				ts_error(ptr, psprintf("unsupported strptime directive %%%.*s", len, p + 1));
			}
			if (d != '%' && seen[(int) d]++)
				ts_error(ptr, psprintf("strptime directive %%%c appears twice", d));
			appendStringInfoChar(&items, TI_DIRECTIVE);
			appendStringInfoChar(&items, d);
			p++;
		}
		else if (*p == ' ' || (*p >= '\t' && *p <= '\r') || (*p >= 0x1C && *p <= 0x1F))
		{
			/* a run of whitespace matches one or more whitespace characters */
			if (items.len < 2 || items.data[items.len - 2] != TI_SPACE)
			{
				appendStringInfoChar(&items, TI_SPACE);
				appendStringInfoChar(&items, ' ');
			}
		}
		else
		{
			appendStringInfoChar(&items, TI_LITERAL);
			appendStringInfoChar(&items, *p);
		}
	}
	f->kind = TS_STRPTIME;
	/* kept for the spec's life: exactly its size, not the StringInfo's 1 kB */
	f->items = pnstrdup(items.data, items.len);
	f->nitems = items.len / 2;
	pfree(items.data);
}

/* Is name an IANA zone with a file in one of the usual zoneinfo directories? */
static bool
zone_file_exists(const char *name)
{
	static const char *const dirs[] = {"/usr/share/zoneinfo", "/usr/lib/zoneinfo",
	"/usr/share/lib/zoneinfo", "/etc/zoneinfo"};
	char		sharedir[MAXPGPATH];
	struct stat st;

	if (name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	for (int i = 0; i < (int) lengthof(dirs); i++)
		if (stat(psprintf("%s/%s", dirs[i], name), &st) == 0 && S_ISREG(st.st_mode))
			return true;
	get_share_path(my_exec_path, sharedir);
	return stat(psprintf("%s/timezone/%s", sharedir, name), &st) == 0 && S_ISREG(st.st_mode);
}

/* Check and prepare parse_timestamp's formats and timezone (step at ptr). */
void
pl_ts_compile(PlStep *s, const JNode *formats, const JNode *tz, const char *ptr)
{
	char		sub[192];

	if (formats == NULL)
	{
		s->u.ts.nformats = 2;
		s->u.ts.formats = palloc0(sizeof(PlTsFormat) * 2);
		s->u.ts.formats[0].kind = TS_ISO;
		s->u.ts.formats[1].kind = TS_EPOCH;
	}
	else
	{
		snprintf(sub, sizeof(sub), "%s/formats", ptr);
		if (formats->type != JB_ARRAY || formats->n == 0)
			ts_error(sub, "must be a non-empty array of strings");
		for (int i = 0; i < formats->n; i++)
			if (formats->items[i]->type != JB_STRING)
				ts_error(sub, "must be a non-empty array of strings");
		s->u.ts.nformats = formats->n;
		s->u.ts.formats = palloc0(sizeof(PlTsFormat) * formats->n);
		for (int i = 0; i < formats->n; i++)
		{
			const char *f = formats->items[i]->str;

			if (strcmp(f, "iso8601") == 0)
				s->u.ts.formats[i].kind = TS_ISO;
			else if (strcmp(f, "epoch") == 0)
				s->u.ts.formats[i].kind = TS_EPOCH;
			else
			{
				snprintf(sub, sizeof(sub), "%s/formats/%d", ptr, i);
				compile_strptime(&s->u.ts.formats[i], f, sub);
			}
		}
	}
	s->u.ts.tz = NULL;
	if (tz != NULL)
	{
		snprintf(sub, sizeof(sub), "%s/timezone", ptr);
		if (tz->type != JB_STRING)
			ts_error(sub, "must be a string");
		if (strcmp(tz->str, "UTC") != 0)
		{
			s->u.ts.tz = zone_file_exists(tz->str) ? pg_tzset(tz->str) : NULL;
			if (s->u.ts.tz == NULL)
				ts_error(sub, psprintf("unknown time zone \"%s\"", tz->str));
		}
	}
}

/* ----------------------------------------------------------------
 * From fields to a UTC timestamp
 * ----------------------------------------------------------------
 */

/* Fields read from the text (a naive local time plus, maybe, an offset). */
typedef struct TsFields
{
	int			year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int64		usec;			/* may be 1000000 after rounding: carries */
	bool		has_offset;
	int64		offset_usec;	/* east of UTC */
} TsFields;

/* Is (y, m, d) a date of Python's calendar? */
static bool
valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && isleap(y) ? 1 : 0);
}

/*
 * The UTC instant of f, read in tz when it has no offset (NULL: UTC).
 * False if the fields are no valid time or the result leaves years 1-9999.
 */
static bool
fields_to_utc(const TsFields *f, pg_tz *tz, TimestampTz *out)
{
	int64		naive;

	if (!valid_date(f->year, f->month, f->day) || f->hour > 23 || f->minute > 59 || f->second > 59)
		return false;
	naive = ((((int64) (date2j(f->year, f->month, f->day) - POSTGRES_EPOCH_JDATE) * 24 +
			   f->hour) * 60 + f->minute) * 60 + f->second) * USECS_PER_SEC + f->usec;
	if (naive < TS_MIN || naive >= TS_END)
		return false;
	if (f->has_offset)
		naive -= f->offset_usec;
	else if (tz != NULL)
	{
		struct pg_tm tm;
		fsec_t		fsec;

		if (timestamp2tm(naive, NULL, &tm, &fsec, NULL, NULL) != 0)
			return false;
		naive += (int64) DetermineTimeZoneOffset(&tm, tz) * USECS_PER_SEC;
	}
	if (naive < TS_MIN || naive >= TS_END)
		return false;
	*out = naive;
	return true;
}

/* Bytes of ts_format's text: 19 + 7 + "Z" and a NUL. */
#define TS_TEXT_SIZE	28

/* Write v (0 <= v < 10^n, n even) as n decimal digits at p, two at a time. */
static inline void
put_digits(char *p, int v, int n)
{
	static const char pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

	for (n -= 2; n >= 0; n -= 2, v /= 100)
		memcpy(p + n, pairs + 2 * (v % 100), 2);
}

/* The UTC fields of t (years 1-9999). */
static void
ts_fields(TimestampTz t, TsFields *f)
{
	int64		days = t / USECS_PER_DAY;
	int64		us = t % USECS_PER_DAY;
	int64		secs;

	if (us < 0)
	{
		days--;
		us += USECS_PER_DAY;
	}
	j2date((int) (days + POSTGRES_EPOCH_JDATE), &f->year, &f->month, &f->day);
	secs = us / USECS_PER_SEC;
	f->hour = (int) (secs / 3600);
	f->minute = (int) (secs / 60 % 60);
	f->second = (int) (secs % 60);
	f->usec = us % USECS_PER_SEC;
}

/*
 * Are fields f, read in tz (NULL: UTC) and checked by fields_to_utc, already
 * the UTC fields of their instant (no zone or offset to apply, no carry)?
 */
static inline bool
fields_are_utc(const TsFields *f, pg_tz *tz)
{
	return (f->has_offset ? f->offset_usec == 0 : tz == NULL) && f->usec < USECS_PER_SEC;
}

/*
 * The UTC text written for UTC fields f: YYYY-MM-DDTHH:MM:SS[.ffffff]Z, in
 * the record's scratch (TS_TEXT_SIZE bytes).
 */
static char *
ts_format(const TsFields *f, PlScratch *sc, int *len)
{
	char	   *buf = pl_scratch_alloc(sc, TS_TEXT_SIZE);
	int			n = 19;

	memcpy(buf, "0000-00-00T00:00:00", 19);
	put_digits(buf, f->year, 4);
	put_digits(buf + 5, f->month, 2);
	put_digits(buf + 8, f->day, 2);
	put_digits(buf + 11, f->hour, 2);
	put_digits(buf + 14, f->minute, 2);
	put_digits(buf + 17, f->second, 2);
	if (f->usec != 0)
	{
		buf[n++] = '.';
		put_digits(buf + n, (int) f->usec, 6);
		n += 6;
		while (buf[n - 1] == '0')
			n--;
	}
	buf[n++] = 'Z';
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* ----------------------------------------------------------------
 * iso8601 and epoch
 * ----------------------------------------------------------------
 */

/* Read n ASCII digits at s[*i] into *out; false if they are not there. */
static bool
digits(const char *s, int len, int *i, int n, int *out)
{
	int			v = 0;

	if (*i + n > len)
		return false;
	for (int k = 0; k < n; k++)
	{
		char		c = s[*i + k];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*i += n;
	*out = v;
	return true;
}

/*
 * Microseconds of a fraction of 1 to 9 digits at s[*i], rounded half away
 * from zero (so 1000000 is possible).  Returns the number of digits read.
 */
static int
fraction(const char *s, int len, int *i, int maxdigits, int64 *usec)
{
	int			n = 0;
	int64		v = 0;

	while (*i + n < len && n < maxdigits && s[*i + n] >= '0' && s[*i + n] <= '9')
	{
		if (n < 6)
			v = v * 10 + (s[*i + n] - '0');
		else if (n == 6 && s[*i + n] >= '5')
			v++;
		n++;
	}
	for (int k = n; k < 6; k++)
		v *= 10;
	*i += n;
	*usec = v;
	return n;
}

/*
 * ISO 8601 / RFC 3339: YYYY-MM-DD, optionally followed by [Tt ]HH:MM, then
 * optionally :SS and a fraction ([.,] 1-9 digits), then optionally Z or an
 * offset (+HH, +HHMM, +HH:MM).
 */
static bool
parse_iso(const char *s, int len, TsFields *f)
{
	int			i = 0;
	int			oh;
	int			om = 0;

	memset(f, 0, sizeof(*f));
	if (!digits(s, len, &i, 4, &f->year) || i >= len || s[i++] != '-' ||
		!digits(s, len, &i, 2, &f->month) || i >= len || s[i++] != '-' ||
		!digits(s, len, &i, 2, &f->day))
		return false;
	if (i == len)
		return true;
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return false;
	i++;
	if (!digits(s, len, &i, 2, &f->hour) || i >= len || s[i++] != ':' ||
		!digits(s, len, &i, 2, &f->minute))
		return false;
	if (i < len && s[i] == ':')
	{
		i++;
		if (!digits(s, len, &i, 2, &f->second))
			return false;
		if (i < len && (s[i] == '.' || s[i] == ','))
		{
			i++;
			if (fraction(s, len, &i, 9, &f->usec) == 0)
				return false;
		}
	}
	if (i == len)
		return true;
	if (s[i] == 'Z' || s[i] == 'z')
	{
		f->has_offset = true;
		return i + 1 == len;
	}
	if (s[i] != '+' && s[i] != '-')
		return false;
	f->has_offset = true;
	{
		bool		neg = s[i++] == '-';

		if (!digits(s, len, &i, 2, &oh))
			return false;
		if (i < len)
		{
			if (s[i] == ':')
				i++;
			if (!digits(s, len, &i, 2, &om))
				return false;
		}
		if (i != len || oh > 23 || om > 59)
			return false;
		f->offset_usec = (int64) (oh * 60 + om) * 60 * USECS_PER_SEC * (neg ? -1 : 1);
	}
	return true;
}

/* Epoch microseconds us as a timestamp; false if it leaves years 1-9999. */
static bool
epoch_us_to_ts(int64 us, TimestampTz *out)
{
	us -= (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
	if (us < TS_MIN || us >= TS_END)
		return false;
	*out = us;
	return true;
}

/* The largest epoch seconds read, in magnitude (far beyond year 9999). */
#define EPOCH_LIMIT		INT64CONST(1000000000000)

/*
 * Epoch seconds n (exact decimal) as a timestamp, microseconds rounded half
 * away from zero; false if out of range.  Values with few decimals are read
 * as integers; others through numeric.c, after the range check (so no
 * arithmetic can overflow).
 */
static bool
epoch_to_ts(Numeric n, TimestampTz *out)
{
	Numeric		us;
	int64		u;
	int			ds;

	if (pl_numeric_scaled(n, &u, &ds))
	{
		if (ds < 6 && pl_abs64(u) > EPOCH_LIMIT * pl_pow10(ds))
			return false;
		if (ds <= 6)
			return epoch_us_to_ts(u * pl_pow10(6 - ds), out);
		return epoch_us_to_ts(u / pl_pow10(ds - 6) +
							  (2 * pl_abs64(u % pl_pow10(ds - 6)) >= pl_pow10(ds - 6) ? (u < 0 ? -1 : 1) : 0),
							  out);
	}
	if (pl_numeric_cmp(DatumGetNumeric(DirectFunctionCall1(numeric_abs, NumericGetDatum(n))),
					   int64_to_numeric(EPOCH_LIMIT)) > 0)
		return false;
	us = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(n),
											 NumericGetDatum(int64_to_numeric(USECS_PER_SEC))));
	us = DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(us), Int32GetDatum(0)));
	return pl_numeric_to_int64(us, &u) && epoch_us_to_ts(u, out);
}

/*
 * "epoch" on text: [+-]digits[.digits], read without numeric.c: at most 13
 * significant digits before the point matter (the range), and only the
 * first 7 after it (microseconds, rounded half away from zero).
 */
static bool
parse_epoch_text(const char *s, int len, TimestampTz *out)
{
	int			i = 0;
	int			d;
	bool		neg = len > 0 && s[0] == '-';
	int64		secs = 0;
	int64		us = 0;
	bool		frac_nonzero = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
	{
		secs = secs * 10 + (s[i] - '0');
		if (secs > EPOCH_LIMIT)
			return false;
	}
	if (i == d)
		return false;
	if (i < len && s[i] == '.')
	{
		for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		{
			if (i - d < 6)
				us = us * 10 + (s[i] - '0');
			else if (i - d == 6 && s[i] >= '5')
				us++;
			frac_nonzero |= s[i] != '0';
		}
		if (i == d)
			return false;
		for (int k = i - d; k < 6; k++)
			us *= 10;
	}
	if (i != len || (secs == EPOCH_LIMIT && frac_nonzero))
		return false;
	us += secs * USECS_PER_SEC;
	return epoch_us_to_ts(neg ? -us : us, out);
}

/* ----------------------------------------------------------------
 * strptime
 * ----------------------------------------------------------------
 */

/*
 * Alternatives of the numeric directives, in the order Python's regexes try
 * them: each is a string of (lo, hi) character pairs, one per position.
 */
static const char *const alt_d[] = {"3301", "1209", "0019", "19", "  19", NULL};
static const char *const alt_H[] = {"2203", "0109", "09", NULL};
static const char *const alt_Im[] = {"1102", "0019", "19", NULL};
static const char *const alt_M[] = {"0509", "09", NULL};
static const char *const alt_S[] = {"6601", "0509", "09", NULL};
static const char *const alt_y[] = {"0909", NULL};
static const char *const alt_Y[] = {"09090909", NULL};

/* The alternatives of the numeric directives, by directive letter. */
static const char *const *const directive_alts[128] = {
	['d'] = alt_d, ['H'] = alt_H, ['I'] = alt_Im, ['m'] = alt_Im,
	['M'] = alt_M, ['S'] = alt_S, ['y'] = alt_y, ['Y'] = alt_Y
};

/* Names, longest first as Python's regexes list them; month = index % 12 + 1. */
static const char *const months_full[] = {"september", "february", "november", "december",
	"january", "october", "august", "march", "april", "june", "july", "may", NULL};
static const int months_full_no[] = {9, 2, 11, 12, 1, 10, 8, 3, 4, 6, 7, 5};
static const char *const months_abbr[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
	"aug", "sep", "oct", "nov", "dec", NULL};
static const char *const am_pm[] = {"am", "pm", NULL};

/* State of one strptime match. */
typedef struct TsMatch
{
	const PlTsFormat *f;
	const char *s;
	int			len;
	int		   *start;			/* per item: where its match starts */
	int		   *end;			/* per item: where it ends */
	int			budget;
} TsMatch;

/* Ends of the alternatives of alts matching s at pos, in order; returns how many. */
static int
alt_ends(const char *const *alts, const char *s, int len, int pos, int *ends)
{
	int			n = 0;

	for (int a = 0; alts[a]; a++)
	{
		const char *p = alts[a];
		int			k;

		for (k = 0; p[2 * k]; k++)
			if (pos + k >= len || s[pos + k] < p[2 * k] || s[pos + k] > p[2 * k + 1])
				break;
		if (p[2 * k] == '\0')
			ends[n++] = pos + k;
	}
	return n;
}

/* c lowercased if an ASCII letter (inline: pg_ascii_tolower is a call). */
static inline unsigned char
lower_ascii(unsigned char c)
{
	return (unsigned char) (c - 'A') < 26 ? c + ('a' - 'A') : c;
}

/* Does s start with name (lowercase ASCII, n bytes), case ignored? */
static inline bool
starts_with_name(const char *s, const char *name, int n)
{
	return lower_ascii(s[0]) == (unsigned char) name[0] && pg_strncasecmp(s, name, n) == 0;
}

/* Ends of names (ASCII, case ignored) matching s at pos, longest first. */
static int
name_ends(const char *const *names, const char *s, int len, int pos, int *ends)
{
	int			n = 0;

	if (pos >= len)
		return 0;
	for (int a = 0; names[a]; a++)
	{
		int			w;

		/* names are lowercase ASCII: most differ at their first letter */
		if (lower_ascii(s[pos]) != (unsigned char) names[a][0])
			continue;
		w = strlen(names[a]);
		if (pos + w <= len && pg_strncasecmp(s + pos, names[a], w) == 0)
			ends[n++] = pos + w;
	}
	return n;
}

/* Is s[i] an ASCII digit (and within len)? */
static inline bool
dig(const char *s, int len, int i)
{
	return i < len && s[i] >= '0' && s[i] <= '9';
}

/* Is s[i] a digit 0-5? */
static inline bool
dig05(const char *s, int len, int i)
{
	return i < len && s[i] >= '0' && s[i] <= '5';
}

/*
 * Ends of %z at pos, in the order of Python's regex
 * [+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z), greedy parts first.
 */
static int
z_ends(const char *s, int len, int pos, int *ends)
{
	int			n = 0;

	if (pos < len && (s[pos] == '+' || s[pos] == '-') && dig(s, len, pos + 1) && dig(s, len, pos + 2))
	{
		int			p = pos + 3;

		for (int c1 = (p < len && s[p] == ':') ? 1 : 0; c1 >= 0; c1--)
		{
			int			q = p + c1;
			int			r;

			if (!dig05(s, len, q) || !dig(s, len, q + 1))
				continue;
			r = q + 2;
			for (int c2 = (r < len && s[r] == ':') ? 1 : 0; c2 >= 0; c2--)
			{
				int			t = r + c2;
				int			u;
				int			nd = 0;

				if (!dig05(s, len, t) || !dig(s, len, t + 1))
					continue;
				u = t + 2;
				if (u < len && s[u] == '.')
					while (nd < 6 && dig(s, len, u + 1 + nd))
						nd++;
				for (int k = nd; k >= 1; k--)
					ends[n++] = u + 1 + k;
				ends[n++] = u;
			}
			ends[n++] = r;
		}
	}
	if (pos < len && s[pos] == 'Z')
		ends[n++] = pos + 1;
	return n;
}

/* Ends of item k's matches at pos (at most 64), in Python's order; returns how many. */
static int
item_ends(const TsMatch *m, int k, int pos, int *ends)
{
	const char *s = m->s;
	int			len = m->len;
	int			n = 0;
	char		type;
	char		c;

	type = m->f->items[2 * k];
	c = m->f->items[2 * k + 1];
	if (type == TI_LITERAL)
	{
		if (pos < len && (s[pos] == c ||
						  ((unsigned char) c < 0x80 && pg_ascii_tolower(s[pos]) == pg_ascii_tolower(c))))
			ends[n++] = pos + 1;
	}
	else if (type == TI_SPACE)
	{
		int			p = pos;
		int			w;
		int			stops[64];
		int			nstops = 0;

		/* \s+ is greedy: the longest run first (at most 64 positions kept) */
		while (p < len && (w = pl_space_len(s + p, len - p)) > 0)
		{
			p += w;
			if (nstops < (int) lengthof(stops))
				stops[nstops++] = p;
			else
				stops[nstops - 1] = p;
		}
		for (int i = nstops - 1; i >= 0; i--)
			ends[n++] = stops[i];
	}
	else if ((unsigned char) c < 128 && directive_alts[(unsigned char) c] != NULL)
		n = alt_ends(directive_alts[(unsigned char) c], s, len, pos, ends);
	else
	{
		switch (c)
		{
			case 'f':
				{
					int			nd = 0;

					while (nd < 6 && dig(s, len, pos + nd))
						nd++;
					for (int i = nd; i >= 1; i--)
						ends[n++] = pos + i;
				}
				break;
			case 'z':
				n = z_ends(s, len, pos, ends);
				break;
			case 'B':
				n = name_ends(months_full, s, len, pos, ends);
				break;
			case 'b':
				n = name_ends(months_abbr, s, len, pos, ends);
				break;
			case 'p':
				n = name_ends(am_pm, s, len, pos, ends);
				break;
			case '%':
				if (pos < len && s[pos] == '%')
					ends[n++] = pos + 1;
				break;
		}
	}
	return n;
}

/* Try item k and the rest at pos, in Python's order; true on the first full match. */
static bool
match_from(TsMatch *m, int k, int pos)
{
	int			ends[64];
	int			n;

	if (k == m->f->nitems)
	{
		m->end[k] = pos;
		return true;
	}
	if (--m->budget < 0)
		return false;
	CHECK_FOR_INTERRUPTS();
	n = item_ends(m, k, pos, ends);
	m->start[k] = pos;
	for (int i = 0; i < n; i++)
	{
		m->end[k] = ends[i];
		if (match_from(m, k + 1, ends[i]))
			return true;
		m->start[k] = pos;
	}
	return false;
}

/*
 * The first path match_from explores: every item's first match, no
 * backtracking.  When it reaches the end of the items it is the match
 * match_from would find (within its budget: fewer items than that): 1.
 * When the first item has no match, there is none: 0.  Otherwise -1, and
 * match_from must search.
 */
static int
match_first(TsMatch *m)
{
	int			pos = 0;
	int			ends[64];

	if (m->f->nitems >= MATCH_BUDGET)
		return -1;
	for (int k = 0; k < m->f->nitems; k++)
	{
		if (item_ends(m, k, pos, ends) == 0)
			return k == 0 ? 0 : -1;
		m->start[k] = pos;
		pos = m->end[k] = ends[0];
	}
	m->end[m->f->nitems] = pos;
	return 1;
}

/* The integer written in s[a, b). */
static int
num_at(const char *s, int a, int b)
{
	int			v = 0;

	for (int i = a; i < b; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/*
 * Read %z text s[a, b) as Python does: Z, or +HH[:]MM[[:]SS[.ffffff]], with
 * a colon after the seconds' minutes only if there was one after the hours.
 */
static bool
read_offset(const char *s, int a, int b, int64 *usec)
{
	char		z[24];
	int			len = b - a;
	int64		v;

	if (len == 1)
	{
		*usec = 0;
		return true;
	}
	memcpy(z, s + a, len);
	z[len] = '\0';
	if (z[3] == ':')
	{
		memmove(z + 3, z + 4, len - 3);
		len--;
		if (len > 5)
		{
			if (z[5] != ':')
				return false;
			memmove(z + 5, z + 6, len - 5);
			len--;
		}
	}
	else if (len > 5 && z[5] == ':')
		return false;			/* int(":3") fails in Python */
	v = ((int64) num_at(z, 1, 3) * 3600 + num_at(z, 3, 5) * 60 +
		 (len >= 7 ? num_at(z, 5, 7) : 0)) * USECS_PER_SEC;
	if (len > 8)
	{
		int64		frac = num_at(z, 8, len);

		for (int k = len - 8; k < 6; k++)
			frac *= 10;
		v += frac;
	}
	if (v >= USECS_PER_DAY)
		return false;
	*usec = z[0] == '-' ? -v : v;
	return true;
}

/*
 * Does s lack one of the literal bytes of f that only that byte matches
 * (not an ASCII letter, which matches either case)?  Then no match can
 * exist: refused without the backtracking search.
 */
static bool
lacks_literal(const PlTsFormat *f, const char *s, int len)
{
	for (int k = 0; k < f->nitems; k++)
	{
		unsigned char c = f->items[2 * k + 1];

		if (f->items[2 * k] == TI_LITERAL && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
			memchr(s, c, len) == NULL)
			return true;
	}
	return false;
}

/* Match text s against strptime format f; fill *out from the captures. */
static bool
parse_strptime(const PlTsFormat *f, const char *s, int len, TsFields *out)
{
	TsMatch		m;
	int			found;
	int			ampm = -1;
	int			bounds[2 * 33];

	if (lacks_literal(f, s, len))
		return false;
	m.f = f;
	m.s = s;
	m.len = len;
	/* formats of up to 32 items keep their captures on the stack */
	m.start = f->nitems < 33 ? bounds : palloc((f->nitems + 1) * sizeof(int));
	m.end = f->nitems < 33 ? bounds + 33 : palloc((f->nitems + 1) * sizeof(int));
	m.budget = MATCH_BUDGET;
	found = match_first(&m);
	if (found < 0)
		found = match_from(&m, 0, 0);
	if (!found || m.end[f->nitems] != len)
		return false;
	memset(out, 0, sizeof(*out));
	out->year = 1900;
	out->month = 1;
	out->day = 1;
	for (int k = 0; k < f->nitems; k++)
		if (f->items[2 * k] == TI_DIRECTIVE && f->items[2 * k + 1] == 'p')
			ampm = pg_ascii_tolower(s[m.start[k]]) == 'p';
	for (int k = 0; k < f->nitems; k++)
	{
		int			a = m.start[k];
		int			b = m.end[k];
		int			v;

		if (f->items[2 * k] != TI_DIRECTIVE)
			continue;
		switch (f->items[2 * k + 1])
		{
			case 'Y':
				out->year = num_at(s, a, b);
				break;
			case 'y':
				v = num_at(s, a, b);
				out->year = v <= 68 ? 2000 + v : 1900 + v;
				break;
			case 'm':
				out->month = num_at(s, a, b);
				break;
			case 'B':
				for (v = 0; months_full[v]; v++)
					if ((int) strlen(months_full[v]) == b - a &&
						starts_with_name(s + a, months_full[v], b - a))
						out->month = months_full_no[v];
				break;
			case 'b':
				for (v = 0; months_abbr[v]; v++)
					if (starts_with_name(s + a, months_abbr[v], 3))
						out->month = v + 1;
				break;
			case 'd':
				out->day = num_at(s, s[a] == ' ' ? a + 1 : a, b);
				break;
			case 'H':
				out->hour = num_at(s, a, b);
				break;
			case 'I':
				v = num_at(s, a, b);
				if (ampm != 1)
					out->hour = v == 12 ? 0 : v;
				else
					out->hour = v == 12 ? 12 : v + 12;
				break;
			case 'M':
				out->minute = num_at(s, a, b);
				break;
			case 'S':
				out->second = num_at(s, a, b);
				break;
			case 'f':
				v = num_at(s, a, b);
				for (int i = b - a; i < 6; i++)
					v *= 10;
				out->usec = v;
				break;
			case 'z':
				if (!read_offset(s, a, b, &out->offset_usec))
					return false;
				out->has_offset = true;
				break;
		}
	}
	return true;
}

/* ----------------------------------------------------------------
 * The op
 * ----------------------------------------------------------------
 */

/* Read str (trimmed) by format f of s: *t, and the fields as read unless epoch; false if f does not. */
static inline bool
read_format(const PlStep *s, const PlTsFormat *f, const char *str, int len, TsFields *fields,
			TimestampTz *t)
{
	if (f->kind == TS_EPOCH)
		return parse_epoch_text(str, len, t);
	if (f->kind == TS_ISO)
		return parse_iso(str, len, fields) && fields_to_utc(fields, s->u.ts.tz, t);
	return parse_strptime(f, str, len, fields) && fields_to_utc(fields, s->u.ts.tz, t);
}

/*
 * Try the formats of s on text str (trimmed): *utc gets the UTC fields of
 * the instant read, straight from the text where they are those already.
 * False if no format reads it.
 */
static bool
parse_text(const PlStep *s, const char *str, int len, TsFields *utc)
{
	TimestampTz t;

	for (int i = 0; i < s->u.ts.nformats; i++)
	{
		const PlTsFormat *f = &s->u.ts.formats[i];

		if (!read_format(s, f, str, len, utc, &t))
			continue;
		if (f->kind == TS_EPOCH || !fields_are_utc(utc, s->u.ts.tz))
			ts_fields(t, utc);
		return true;
	}
	return false;
}

/*
 * Is str (trimmed, len bytes) already the text parse_timestamp writes for it,
 * YYYY-MM-DDTHH:MM:SSZ read by a first format iso8601?  Then it is kept as
 * it is, not formatted again.
 */
static bool
ts_canonical(const PlStep *s, const char *str, int len)
{
	TsFields	fields;
	TimestampTz t;

	return len == 20 && str[10] == 'T' && str[19] == 'Z' &&
		s->u.ts.nformats > 0 && s->u.ts.formats[0].kind == TS_ISO &&
		parse_iso(str, len, &fields) && fields_to_utc(&fields, s->u.ts.tz, &t);
}

/*
 * parse_timestamp on *v: a string read by the formats, or a number as epoch
 * seconds, becomes UTC text.  Returns true if v changed; false with *err set
 * if it could not be read.
 */
bool
pl_ts_value(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	TimestampTz t;
	TsFields	utc;
	char	   *text;
	int			len;

	if (v->type == jbvNumeric)
	{
		if (!epoch_to_ts(v->val.numeric, &t))
		{
			*err = psprintf("epoch seconds %s out of range", pl_number_text(v->val.numeric));
			return false;
		}
		ts_fields(t, &utc);
	}
	else if (v->type == jbvString)
	{
		const char *str = v->val.string.val;
		int			slen = v->val.string.len;

		pl_trim_bytes(&str, &slen);
		if (ts_canonical(s, str, slen))
		{
			if (slen == v->val.string.len)
				return false;
			v->val.string.val = (char *) str;
			v->val.string.len = slen;
			return true;
		}
		if (!parse_text(s, str, slen, &utc))
		{
			StringInfoData buf;

			initStringInfo(&buf);
			escape_json(&buf, pnstrdup(v->val.string.val, v->val.string.len));
			*err = psprintf("cannot parse %s as a timestamp", buf.data);
			return false;
		}
	}
	else
		return false;
	text = ts_format(&utc, sc, &len);
	if (v->type == jbvString && v->val.string.len == len &&
		memcmp(v->val.string.val, text, len) == 0)
	{
		pl_scratch_unget(sc, text, TS_TEXT_SIZE);
		return false;
	}
	v->type = jbvString;
	v->val.string.val = text;
	v->val.string.len = len;
	return true;
}
