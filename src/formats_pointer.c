/*
 * formats_pointer.c: json-pointer (RFC 6901) and relative-json-pointer.
 *
 * Part of the "format" checks (formats.c): the input is an untrusted UTF-8
 * string that is not NUL-terminated; a check reads only s[0 .. len-1], runs
 * in linear time, never allocates and never raises an error.
 */
#include "postgres.h"

#include "ascii.h"
#include "formats_internal.h"

/* ---------------------------------------------------------------------
 * json-pointer, relative-json-pointer
 * ---------------------------------------------------------------------
 */

/* RFC 6901: empty, or "/"-prefixed tokens in which "~" is "~0" or "~1". */
bool
pl_fmt_json_pointer(const char *s, int len)
{
	int			i;

	if (len > 0 && s[0] != '/')
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] == '~')
		{
			if (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1'))
				return false;
			i++;
		}
	}
	return true;
}

/* Scan a non-negative-integer ("0" or no leading zero) at *pos. */
static bool
scan_nonneg_int(const char *s, int len, int *pos)
{
	if (*pos >= len || !is_digit(s[*pos]))
		return false;
	if (s[(*pos)++] != '0')
		while (*pos < len && is_digit(s[*pos]))
			(*pos)++;
	return true;
}

/*
 * Relative JSON Pointer: non-negative-integer, an optional index
 * manipulation ("+" or "-" and an integer, draft-bhutton-01), then "#" or a
 * JSON Pointer.
 */
bool
pl_fmt_relative_json_pointer(const char *s, int len)
{
	int			pos = 0;

	if (!scan_nonneg_int(s, len, &pos))
		return false;
	if (pos < len && (s[pos] == '+' || s[pos] == '-'))
	{
		pos++;
		if (!scan_nonneg_int(s, len, &pos))
			return false;
	}
	if (pos < len && s[pos] == '#')
		return pos + 1 == len;
	return pl_fmt_json_pointer(s + pos, len - pos);
}
