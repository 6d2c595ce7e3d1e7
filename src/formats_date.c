/*
 * formats_date.c: date, time, date-time and duration (RFC 3339).
 *
 * Part of the "format" checks (formats.c): the input is an untrusted UTF-8
 * string that is not NUL-terminated; a check reads only s[0 .. len-1], runs
 * in linear time, never allocates and never raises an error.
 */
#include "postgres.h"

#include "ascii.h"
#include "formats_internal.h"

/* ---------------------------------------------------------------------
 * date, time, date-time (RFC 3339 section 5.6), duration (appendix A)
 * ---------------------------------------------------------------------
 */

#define MINUTES_PER_DAY	(24 * 60)

/* Read exactly n ASCII digits at s[pos] (pos + n <= len checked by caller). */
static bool
read_digits(const char *s, int pos, int n, int *value)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!is_digit(s[pos + i]))
			return false;
		v = v * 10 + (s[pos + i] - '0');
	}
	*value = v;
	return true;
}

/* full-date: YYYY-MM-DD with the day valid for its month and year. */
bool
pl_fmt_date(const char *s, int len)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y,
				m,
				d;

	if (len != 10 || s[4] != '-' || s[7] != '-' ||
		!read_digits(s, 0, 4, &y) || !read_digits(s, 5, 2, &m) ||
		!read_digits(s, 8, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return true;
}

/*
 * full-time: HH:MM:SS[.frac] then Z or +HH:MM / -HH:MM.  Second 60 is a leap
 * second, valid only where the time converted to UTC is 23:59:60.
 */
bool
pl_fmt_time(const char *s, int len)
{
	int			h,
				m,
				sec,
				oh = 0,
				om = 0,
				sign = 0,
				pos = 8;

	if (len < 9 || s[2] != ':' || s[5] != ':' ||
		!read_digits(s, 0, 2, &h) || !read_digits(s, 3, 2, &m) ||
		!read_digits(s, 6, 2, &sec))
		return false;
	if (h > 23 || m > 59 || sec > 60)
		return false;
	if (s[pos] == '.')
	{
		pos++;
		if (pos >= len || !is_digit(s[pos]))
			return false;
		while (pos < len && is_digit(s[pos]))
			pos++;
	}
	if (pos >= len)
		return false;
	if (s[pos] == 'Z' || s[pos] == 'z')
		pos++;
	else if (s[pos] == '+' || s[pos] == '-')
	{
		sign = (s[pos] == '+') ? 1 : -1;
		if (len - pos != 6 || s[pos + 3] != ':' ||
			!read_digits(s, pos + 1, 2, &oh) || !read_digits(s, pos + 4, 2, &om) ||
			oh > 23 || om > 59)
			return false;
		pos += 6;
	}
	else
		return false;
	if (pos != len)
		return false;
	if (sec == 60)
	{
		int			utc = ((h * 60 + m - sign * (oh * 60 + om)) % MINUTES_PER_DAY +
						   MINUTES_PER_DAY) % MINUTES_PER_DAY;

		/* a leap second is inserted only at the end of a UTC day */
		return utc == MINUTES_PER_DAY - 1;
	}
	return true;
}

/* date-time: full-date "T" full-time, T case-insensitive. */
bool
pl_fmt_date_time(const char *s, int len)
{
	return len > 11 && (s[10] == 'T' || s[10] == 't') &&
		pl_fmt_date(s, 10) && pl_fmt_time(s + 11, len - 11);
}

/*
 * Read duration components "<digits><unit>" at *pos while their units are
 * consecutive letters of units (e.g. "YMD": Y, YM, YMD, M, MD or D).  Stops at
 * anything that does not start with a digit.  Returns false on a component
 * with a wrong or out-of-order unit; *count gets the number read.
 */
static bool
read_duration_units(const char *s, int len, int *pos, const char *units, int *count)
{
	int			last = -1;

	*count = 0;
	while (*pos < len && is_digit(s[*pos]))
	{
		const char *u;

		while (*pos < len && is_digit(s[*pos]))
			(*pos)++;
		if (*pos >= len || s[*pos] == '\0' ||
			(u = strchr(units, s[*pos])) == NULL)
			return false;
		if (*count > 0 && (u - units) != last + 1)
			return false;
		last = u - units;
		(*count)++;
		(*pos)++;
	}
	return true;
}

/* duration: RFC 3339 appendix A, "P" (date [time] / time / week). */
bool
pl_fmt_duration(const char *s, int len)
{
	int			pos = 1,
				ndate,
				ntime = 0;

	if (len < 2 || s[0] != 'P')
		return false;
	if (s[len - 1] == 'W')
	{
		while (pos < len - 1 && is_digit(s[pos]))
			pos++;
		return pos == len - 1 && pos > 1;
	}
	if (!read_duration_units(s, len, &pos, "YMD", &ndate))
		return false;
	if (pos < len && s[pos] == 'T')
	{
		pos++;
		if (!read_duration_units(s, len, &pos, "HMS", &ntime) || ntime == 0)
			return false;
	}
	return pos == len && ndate + ntime > 0;
}
