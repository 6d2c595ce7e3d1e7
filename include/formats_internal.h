/*
 * formats_internal.h: what the files of the "format" checks share
 * (formats.c dispatches to the checks of formats_*.c).
 *
 * Every check takes an untrusted UTF-8 string s of len bytes, not
 * NUL-terminated, and says whether it is valid for its format.
 */
#ifndef PIPELINE_FORMATS_INTERNAL_H
#define PIPELINE_FORMATS_INTERNAL_H

/* ASCII lower case of c. */
static inline char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Index of the first c in s[from .. to-1], or to if there is none. */
static inline int
find_char(const char *s, int from, int to, char c)
{
	const char *p = memchr(s + from, c, to - from);

	return p ? (int) (p - s) : to;
}

/* formats.c: one UTF-8 character at s into *cp; its length, or 0 if invalid */
extern int	pl_fmt_utf8_decode(const char *str, int len, int32 *cp);

/* formats_date.c (RFC 3339) */
extern bool pl_fmt_date(const char *s, int len);
extern bool pl_fmt_time(const char *s, int len);
extern bool pl_fmt_date_time(const char *s, int len);
extern bool pl_fmt_duration(const char *s, int len);

/* formats_ip.c */
extern bool pl_fmt_ipv4(const char *s, int len);
extern bool pl_fmt_ipv6(const char *s, int len);

/* formats_idna.c: idn allows U-labels and A-labels (IDNA2008) */
extern bool pl_fmt_hostname(const char *s, int len, bool idn);

/* formats_email.c: idn allows UTF-8 (RFC 6531) */
extern bool pl_fmt_email(const char *s, int len, bool idn);

/* formats_uri.c: iri allows non-ASCII; reference allows relative forms */
extern bool pl_fmt_uri(const char *s, int len, bool iri, bool reference);
extern bool pl_fmt_uri_template(const char *s, int len);

/* formats_pointer.c */
extern bool pl_fmt_json_pointer(const char *s, int len);
extern bool pl_fmt_relative_json_pointer(const char *s, int len);

#endif
