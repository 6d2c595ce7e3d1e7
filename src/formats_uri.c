/*
 * formats_uri.c: uri, uri-reference, iri, iri-reference and uri-template
 * (RFC 3986, RFC 3987, RFC 6570).
 *
 * Part of the "format" checks (formats.c): the input is an untrusted UTF-8
 * string that is not NUL-terminated; a check reads only s[0 .. len-1], runs
 * in linear time, never allocates and never raises an error.
 */
#include "postgres.h"

#include "ascii.h"
#include "formats_internal.h"

/* ---------------------------------------------------------------------
 * uri, uri-reference, iri, iri-reference (RFC 3986, RFC 3987)
 * ---------------------------------------------------------------------
 */

/* Where a URI component may appear, for the IRI characters it admits. */
#define URI_UCS			1		/* ucschar is allowed (IRI) */
#define URI_PRIVATE		2		/* iprivate is allowed too (IRI query) */

/* Is cp a ucschar (or, with URI_PRIVATE, an iprivate) of RFC 3987? */
static bool
is_iri_char(int32 cp, int flags)
{
	if ((cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
		(cp >= 0xFDF0 && cp <= 0xFFEF))
		return true;
	if (cp >= 0x10000 && cp <= 0xEFFFD && (cp & 0xFFFF) <= 0xFFFD)
		return true;
	if (flags & URI_PRIVATE)
		return (cp >= 0xE000 && cp <= 0xF8FF) ||
			(cp >= 0xF0000 && (cp & 0xFFFF) <= 0xFFFD);
	return false;
}

/* unreserved or sub-delims of RFC 3986 (without pct-encoded). */
static bool
is_uri_plain(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/*
 * Do s[from .. to-1] consist of unreserved, sub-delims, pct-encoded, the
 * characters in extra and (per flags) IRI characters?
 */
static bool
uri_scan(const char *s, int from, int to, const char *extra, int flags)
{
	int			pos = from;

	while (pos < to)
	{
		char		c = s[pos];
		int32		cp;
		int			k;

		if (is_uri_plain(c) || (c != '\0' && strchr(extra, c) != NULL))
			pos++;
		else if (c == '%')
		{
			if (to - pos < 3 || hex_value(s[pos + 1]) < 0 || hex_value(s[pos + 2]) < 0)
				return false;
			pos += 3;
		}
		else if ((flags & URI_UCS) && (unsigned char) c >= 0x80 &&
				 (k = pl_fmt_utf8_decode(s + pos, to - pos, &cp)) > 0 &&
				 is_iri_char(cp, flags))
			pos += k;
		else
			return false;
	}
	return true;
}

/* Are s[from .. to-1] only ASCII digits? */
static bool
all_digits(const char *s, int from, int to)
{
	for (; from < to; from++)
		if (!is_digit(s[from]))
			return false;
	return true;
}

/* IP-literal inside brackets: IPv6address or IPvFuture. */
static bool
check_ip_literal(const char *s, int from, int to)
{
	int			dot;

	if (to - from < 1 || (s[from] != 'v' && s[from] != 'V'))
		return pl_fmt_ipv6(s + from, to - from);
	dot = find_char(s, from, to, '.');
	if (dot == from + 1 || dot >= to - 1)
		return false;
	for (from++; from < dot; from++)
		if (hex_value(s[from]) < 0)
			return false;
	return uri_scan(s, dot + 1, to, ":", 0);
}

/* authority = [ userinfo "@" ] host [ ":" port ], in s[from .. to-1]. */
static bool
check_authority(const char *s, int from, int to, int flags)
{
	int			at = find_char(s, from, to, '@');
	int			host,
				colon;

	if (at < to)
	{
		if (!uri_scan(s, from, at, ":", flags))
			return false;
		from = at + 1;
	}
	if (from < to && s[from] == '[')
	{
		int			close = find_char(s, from, to, ']');

		if (close == to || !check_ip_literal(s, from + 1, close))
			return false;
		host = close + 1;
		return host == to || (s[host] == ':' && all_digits(s, host + 1, to));
	}
	colon = find_char(s, from, to, ':');
	return uri_scan(s, from, colon, "", flags) &&
		(colon == to || all_digits(s, colon + 1, to));
}

/*
 * URI (reference false) or URI-reference (reference true); IRIs too when
 * iri is set.
 */
bool
pl_fmt_uri(const char *s, int len, bool iri, bool reference)
{
	int			flags = iri ? URI_UCS : 0;
	int			pos = 0,
				end,
				i = 0;

	if (len > 0 && is_alpha(s[0]))
	{
		for (i = 1; i < len && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' ||
								s[i] == '.'); i++)
			;
		if (i < len && s[i] == ':')
			pos = i + 1;
	}
	if (pos == 0 && !reference)
		return false;

	/* hier-part or relative-part */
	end = find_char(s, pos, find_char(s, pos, len, '#'), '?');
	if (end - pos >= 2 && s[pos] == '/' && s[pos + 1] == '/')
	{
		int			path = find_char(s, pos + 2, end, '/');

		if (!check_authority(s, pos + 2, path, flags))
			return false;
		pos = path;
	}
	else if (pos == 0)
	{
		int			slash = find_char(s, 0, end, '/');

		/* path-noscheme: no colon in the first segment */
		if (find_char(s, 0, slash, ':') < slash)
			return false;
	}
	if (!uri_scan(s, pos, end, ":@/", flags))
		return false;
	pos = end;

	/* query and fragment */
	if (pos < len && s[pos] == '?')
	{
		end = find_char(s, pos + 1, len, '#');
		if (!uri_scan(s, pos + 1, end, ":@/?", flags | (iri ? URI_PRIVATE : 0)))
			return false;
		pos = end;
	}
	if (pos < len)
		return uri_scan(s, pos + 1, len, ":@/?", flags);
	return true;
}

/* ---------------------------------------------------------------------
 * uri-template (RFC 6570)
 * ---------------------------------------------------------------------
 */

/* Length of a varchar (ALPHA / DIGIT / "_" / pct-encoded) at s[pos], or 0. */
static int
template_varchar(const char *s, int len, int pos)
{
	if (pos >= len)
		return 0;
	if (is_alnum(s[pos]) || s[pos] == '_')
		return 1;
	if (s[pos] == '%' && len - pos >= 3 && hex_value(s[pos + 1]) >= 0 &&
		hex_value(s[pos + 2]) >= 0)
		return 3;
	return 0;
}

/*
 * Scan an expression "{" [operator] varspec *("," varspec) "}" at s[pos].
 * Returns the position after it, or -1.
 */
static int
scan_template_expression(const char *s, int len, int pos)
{
	pos++;
	if (pos < len && s[pos] != '\0' && strchr("+#./;?&=,!@|", s[pos]) != NULL)
		pos++;
	for (;;)
	{
		int			k;

		/* varname = varchar *( ["."] varchar ) */
		if ((k = template_varchar(s, len, pos)) == 0)
			return -1;
		pos += k;
		for (;;)
		{
			if (pos < len && s[pos] == '.')
			{
				if ((k = template_varchar(s, len, pos + 1)) == 0)
					return -1;
				pos += 1 + k;
			}
			else if ((k = template_varchar(s, len, pos)) > 0)
				pos += k;
			else
				break;
		}
		/* modifier-level4: ":" max-length (1-9999) or "*" */
		if (pos < len && s[pos] == ':')
		{
			int			start = ++pos;

			if (pos >= len || s[pos] < '1' || s[pos] > '9')
				return -1;
			while (pos < len && is_digit(s[pos]) && pos - start < 4)
				pos++;
		}
		else if (pos < len && s[pos] == '*')
			pos++;
		if (pos < len && s[pos] == '}')
			return pos + 1;
		if (pos >= len || s[pos] != ',')
			return -1;
		pos++;
	}
}

/*
 * Literals (any character but controls, space, "<>\^`{|}" and a "%" that
 * starts no pct-encoded) and expressions.  The apostrophe is accepted, as in
 * RFC 6570 erratum 6937.
 */
bool
pl_fmt_uri_template(const char *s, int len)
{
	int			pos = 0;

	while (pos < len)
	{
		unsigned char c = s[pos];
		int32		cp;
		int			k;

		if (c == '{')
		{
			if ((pos = scan_template_expression(s, len, pos)) < 0)
				return false;
		}
		else if (c == '%')
		{
			if (len - pos < 3 || hex_value(s[pos + 1]) < 0 || hex_value(s[pos + 2]) < 0)
				return false;
			pos += 3;
		}
		else if (c < 0x80)
		{
			if (c <= 0x20 || c == 0x7F || strchr("\"<>\\^`|}", c) != NULL)
				return false;
			pos++;
		}
		else if ((k = pl_fmt_utf8_decode(s + pos, len - pos, &cp)) > 0 &&
				 is_iri_char(cp, URI_PRIVATE))
			pos += k;
		else
			return false;
	}
	return true;
}
