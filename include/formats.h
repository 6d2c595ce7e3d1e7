/*
 * formats.h: checks of the JSON Schema "format" keyword.
 */
#ifndef PIPELINE_FORMATS_H
#define PIPELINE_FORMATS_H

typedef enum PlFormat
{
	PL_FORMAT_UNKNOWN = 0,		/* not a format we know: always passes */
	PL_FORMAT_DATE_TIME,
	PL_FORMAT_DATE,
	PL_FORMAT_TIME,
	PL_FORMAT_DURATION,
	PL_FORMAT_EMAIL,
	PL_FORMAT_IDN_EMAIL,
	PL_FORMAT_HOSTNAME,
	PL_FORMAT_IDN_HOSTNAME,
	PL_FORMAT_IPV4,
	PL_FORMAT_IPV6,
	PL_FORMAT_URI,
	PL_FORMAT_URI_REFERENCE,
	PL_FORMAT_IRI,
	PL_FORMAT_IRI_REFERENCE,
	PL_FORMAT_URI_TEMPLATE,
	PL_FORMAT_UUID,
	PL_FORMAT_REGEX,
	PL_FORMAT_JSON_POINTER,
	PL_FORMAT_RELATIVE_JSON_POINTER
} PlFormat;

/* Map a format name ("date-time", ...) to its PlFormat; PL_FORMAT_UNKNOWN if none. */
extern PlFormat pl_format_lookup(const char *name, int len);

/*
 * Is the UTF-8 string s (len bytes, not NUL-terminated) valid for format f?
 * Formats apply to strings only; the caller passes other types through.
 * Never raises an error for any input, never allocates on the common path
 * (regex allocates while the pattern parser reads it).
 */
extern bool pl_format_check(PlFormat f, const char *s, int len);

#endif
