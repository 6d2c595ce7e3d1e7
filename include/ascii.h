/*
 * ascii.h: ASCII character classes for parsers of formats, patterns, URIs
 * and columns.  Unicode digits and letters of other scripts never count.
 * Arguments are ints so that chars (possibly negative) and pg_wchars both fit.
 */
#ifndef PIPELINE_ASCII_H
#define PIPELINE_ASCII_H

/* An ASCII decimal digit? */
static inline bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* An ASCII letter? */
static inline bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* An ASCII letter or digit? */
static inline bool
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* The value of an ASCII hex digit, or -1. */
static inline int
hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
