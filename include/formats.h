/*
 * formats.h: checks of the JSON Schema "format" keyword.
 */
#ifndef PIPELINE_FORMATS_H
#define PIPELINE_FORMATS_H

#include "fmgr.h"

#include "ecma_regex.h"

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
	PL_FORMAT_RELATIVE_JSON_POINTER,
	PL_FORMAT_CUSTOM			/* registered: SchemaNode.custom_format checks it */
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

/*
 * A format registered with pipeline.register_format(), as a resolver finds
 * it at compile time: exactly one of an ECMA-262 pattern and a function
 * (text) RETURNS boolean.
 */
typedef struct PlFormatDef
{
	const char *pattern;		/* NULL for a function format */
	Oid			check;			/* InvalidOid for a pattern format */
} PlFormatDef;

/* A registered format compiled into a schema: its regex or its function. */
typedef struct PlCustomFormat
{
	PlRegex    *pattern;		/* a pattern format, or NULL */
	FmgrInfo   *check;			/* a function format, or NULL */
	MemoryContext call_cxt;		/* what a call allocates, reset after it */
	bool		busy;			/* a call is running (a nested one keeps its memory) */
} PlCustomFormat;

/* Has this backend compiled a function format?  (cache.c then watches pg_proc) */
extern bool pl_function_formats_compiled;

/* Prepare function format fn for calls, in CurrentMemoryContext. */
extern PlCustomFormat *pl_custom_format_function(Oid fn);

/* Registered format functions running now (spec.c defers freeing specs meanwhile). */
extern int	pl_format_calls_running;

/* Is the UTF-8 string s (len bytes) valid for registered format f? */
extern bool pl_custom_format_check(PlCustomFormat *f, const char *s, int len);

#endif
