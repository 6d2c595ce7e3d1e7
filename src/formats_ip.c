/*
 * formats_ip.c: ipv4 and ipv6 (RFC 2673, RFC 4291).
 *
 * Part of the "format" checks (formats.c): the input is an untrusted UTF-8
 * string that is not NUL-terminated; a check reads only s[0 .. len-1], runs
 * in linear time, never allocates and never raises an error.
 */
#include "postgres.h"

#include "ascii.h"
#include "formats_internal.h"

/* ---------------------------------------------------------------------
 * ipv4, ipv6
 * ---------------------------------------------------------------------
 */

/* Dotted quad of decimal octets 0-255, without leading zeros. */
bool
pl_fmt_ipv4(const char *s, int len)
{
	int			pos = 0;
	int			part;

	for (part = 0; part < 4; part++)
	{
		int			start = pos,
					value = 0;

		if (part > 0)
		{
			if (pos >= len || s[pos] != '.')
				return false;
			start = ++pos;
		}
		while (pos < len && is_digit(s[pos]) && pos - start < 3)
			value = value * 10 + (s[pos++] - '0');
		if (pos == start || value > 255 ||
			(s[start] == '0' && pos - start > 1))
			return false;
	}
	return pos == len;
}

/*
 * RFC 4291 section 2.2 text form: eight groups of 1-4 hex digits, at most one
 * "::" standing for one or more zero groups, the last 32 bits optionally as
 * a dotted quad.  No zone id, no prefix length.
 */
bool
pl_fmt_ipv6(const char *s, int len)
{
	int			pos = 0,
				groups = 0;
	bool		compressed = false;

	if (len >= 2 && s[0] == ':' && s[1] == ':')
	{
		compressed = true;
		pos = 2;
		if (pos == len)
			return true;
	}
	for (;;)
	{
		int			start = pos;

		while (pos < len && hex_value(s[pos]) >= 0 && pos - start < 4)
			pos++;
		if (pos == start)
			return false;
		if (pos < len && s[pos] == '.')
		{
			if (!pl_fmt_ipv4(s + start, len - start))
				return false;
			groups += 2;
			break;
		}
		if (++groups > 8)
			return false;
		if (pos == len)
			break;
		if (s[pos] != ':')
			return false;
		pos++;
		if (pos < len && s[pos] == ':')
		{
			if (compressed)
				return false;
			compressed = true;
			pos++;
			if (pos == len)
				break;
		}
		else if (pos == len)
			return false;
	}
	return compressed ? groups <= 7 : groups == 8;
}
