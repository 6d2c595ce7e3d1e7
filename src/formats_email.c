/*
 * formats_email.c: email and idn-email (RFC 5321, RFC 6531).
 *
 * Part of the "format" checks (formats.c): the input is an untrusted UTF-8
 * string that is not NUL-terminated; a check reads only s[0 .. len-1], runs
 * in linear time, never allocates and never raises an error.
 */
#include "postgres.h"

#include "ascii.h"
#include "formats_internal.h"

/* ---------------------------------------------------------------------
 * email, idn-email (RFC 5321 section 4.1.2, RFC 6531 section 3.3)
 * ---------------------------------------------------------------------
 */

/*
 * Length of a non-ASCII UTF-8 character at s[pos] when idn allows it, else
 * 0.
 */
static int
utf8_nonascii(const char *s, int len, int pos, bool idn)
{
	int32		cp;

	if (!idn || (unsigned char) s[pos] < 0x80)
		return 0;
	return pl_fmt_utf8_decode(s + pos, len - pos, &cp);
}

/* Printable ASCII, space included (RFC 5321's quoted-pairSMTP and qtextSMTP). */
static inline bool
is_printable_ascii(char c)
{
	return c >= ' ' && c <= '~';
}

/* atext of RFC 5322: letters, digits and !#$%&'*+-/=?^_`{|}~ */
static bool
is_atext(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * Scan the local part at the start of s: a dot-string or a quoted-string.
 * Returns its length, or -1 if malformed.
 */
static int
scan_local_part(const char *s, int len, bool idn)
{
	int			pos = 0,
				k;

	if (len > 0 && s[0] == '"')
	{
		for (pos = 1; pos < len && s[pos] != '"';)
		{
			if (s[pos] == '\\' && pos + 1 < len && is_printable_ascii(s[pos + 1]))
				pos += 2;
			else if (is_printable_ascii(s[pos]) && s[pos] != '\\')
				pos++;
			else if ((k = utf8_nonascii(s, len, pos, idn)) > 0)
				pos += k;
			else
				return -1;
		}
		return pos < len ? pos + 1 : -1;
	}
	for (;;)
	{
		int			start = pos;

		while (pos < len)
		{
			if (is_atext(s[pos]))
				pos++;
			else if ((k = utf8_nonascii(s, len, pos, idn)) > 0)
				pos += k;
			else
				break;
		}
		if (pos == start)
			return -1;
		if (pos >= len || s[pos] != '.')
			return pos;
		pos++;
	}
}

/*
 * Local-part "@" domain, where the domain is a hostname (idn-hostname for
 * idn-email) or an address literal [a.b.c.d] or [IPv6:...].
 */
bool
pl_fmt_email(const char *s, int len, bool idn)
{
	int			local = scan_local_part(s, len, idn);
	const char *d;
	int			dlen;

	if (local <= 0 || local > 64 || local >= len || s[local] != '@')
		return false;
	d = s + local + 1;
	dlen = len - local - 1;
	if (dlen > 0 && d[0] == '[')
	{
		if (d[dlen - 1] != ']')
			return false;
		if (dlen > 7 && pg_strncasecmp(d + 1, "IPv6:", 5) == 0)
			return pl_fmt_ipv6(d + 6, dlen - 7);
		return pl_fmt_ipv4(d + 1, dlen - 2);
	}
	return pl_fmt_hostname(d, dlen, idn);
}
