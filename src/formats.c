/*
 * formats.c: checks of the JSON Schema "format" keyword.
 *
 * Every check is a hand-written recognizer for the grammar the format names
 * (RFC 3339, 5321, 1123, 5890-5893, 4291, 3986, 3987, 6570, 4122, 6901,
 * ECMA-262).  The input is an untrusted UTF-8 string that is not
 * NUL-terminated: checks read only s[0 .. len-1], run in linear time, use
 * small fixed stack buffers, never allocate (but regex, which the pattern
 * parser checks) and never raise an error.  The checks live in a file per
 * family: formats_date.c, formats_ip.c, formats_idna.c (hostname),
 * formats_email.c, formats_uri.c, formats_pointer.c; uuid is here.
 *
 * Deliberate simplifications:
 * - idn-hostname: IDNA2008 as RFC 5891/5892/5893 define it, except that
 *   U-labels are not checked to be in Unicode NFC, and the IDNA tables are
 *   fixed at build time (see idna_table in formats_idna.c).  ASCII letters are accepted
 *   in either case, as for hostname.
 * - regex: ECMA-262 syntax with the "u" flag (what the test suite expects),
 *   decided by the pattern translator's own parser (ecma_regex.c); the
 *   names and values inside \p{...} are not checked.
 *
 * Formats registered with pipeline.register_format() are checked at the end
 * of this file: a pattern by the regex engine, a function through fmgr.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "mb/pg_wchar.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "ascii.h"
#include "ecma_regex.h"
#include "formats.h"
#include "formats_internal.h"

/* Name of each format, indexed by PlFormat. */
static const char *const format_names[] = {
	[PL_FORMAT_UNKNOWN] = NULL,
	[PL_FORMAT_DATE_TIME] = "date-time",
	[PL_FORMAT_DATE] = "date",
	[PL_FORMAT_TIME] = "time",
	[PL_FORMAT_DURATION] = "duration",
	[PL_FORMAT_EMAIL] = "email",
	[PL_FORMAT_IDN_EMAIL] = "idn-email",
	[PL_FORMAT_HOSTNAME] = "hostname",
	[PL_FORMAT_IDN_HOSTNAME] = "idn-hostname",
	[PL_FORMAT_IPV4] = "ipv4",
	[PL_FORMAT_IPV6] = "ipv6",
	[PL_FORMAT_URI] = "uri",
	[PL_FORMAT_URI_REFERENCE] = "uri-reference",
	[PL_FORMAT_IRI] = "iri",
	[PL_FORMAT_IRI_REFERENCE] = "iri-reference",
	[PL_FORMAT_URI_TEMPLATE] = "uri-template",
	[PL_FORMAT_UUID] = "uuid",
	[PL_FORMAT_REGEX] = "regex",
	[PL_FORMAT_JSON_POINTER] = "json-pointer",
	[PL_FORMAT_RELATIVE_JSON_POINTER] = "relative-json-pointer",
};

/* Map a format name ("date-time", ...) to its PlFormat; PL_FORMAT_UNKNOWN if none. */
PlFormat
pl_format_lookup(const char *name, int len)
{
	int			f;

	for (f = 1; f < (int) lengthof(format_names); f++)
	{
		if (strlen(format_names[f]) == (size_t) len &&
			memcmp(format_names[f], name, len) == 0)
			return (PlFormat) f;
	}
	return PL_FORMAT_UNKNOWN;
}

/* ---------------------------------------------------------------------
 * UTF-8, for the checks of every file
 * ---------------------------------------------------------------------
 */

/*
 * Decode one UTF-8 character at s (len > 0 bytes left) into *cp.  Returns its
 * length in bytes, or 0 for a malformed, overlong or surrogate sequence.
 */
int
pl_fmt_utf8_decode(const char *str, int len, int32 *cp)
{
	const unsigned char *s = (const unsigned char *) str;
	int			n = pg_utf_mblen(s);

	if (n > len || !pg_utf8_islegal(s, n))
		return 0;
	*cp = (int32) utf8_to_unicode(s);
	return n;
}

/* ---------------------------------------------------------------------
 * uuid (RFC 4122)
 * ---------------------------------------------------------------------
 */

/* 8-4-4-4-12 hex digits, any case, any version and variant. */
static bool
check_uuid(const char *s, int len)
{
	int			i;

	if (len != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (hex_value(s[i]) < 0)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------
 */

/* Is the UTF-8 string s (len bytes, not NUL-terminated) valid for format f? */
bool
pl_format_check(PlFormat f, const char *s, int len)
{
	switch (f)
	{
		case PL_FORMAT_UNKNOWN:
		case PL_FORMAT_CUSTOM:	/* pl_custom_format_check's */
			return true;
		case PL_FORMAT_DATE_TIME:
			return pl_fmt_date_time(s, len);
		case PL_FORMAT_DATE:
			return pl_fmt_date(s, len);
		case PL_FORMAT_TIME:
			return pl_fmt_time(s, len);
		case PL_FORMAT_DURATION:
			return pl_fmt_duration(s, len);
		case PL_FORMAT_EMAIL:
			return pl_fmt_email(s, len, false);
		case PL_FORMAT_IDN_EMAIL:
			return pl_fmt_email(s, len, true);
		case PL_FORMAT_HOSTNAME:
			return pl_fmt_hostname(s, len, false);
		case PL_FORMAT_IDN_HOSTNAME:
			return pl_fmt_hostname(s, len, true);
		case PL_FORMAT_IPV4:
			return pl_fmt_ipv4(s, len);
		case PL_FORMAT_IPV6:
			return pl_fmt_ipv6(s, len);
		case PL_FORMAT_URI:
			return pl_fmt_uri(s, len, false, false);
		case PL_FORMAT_URI_REFERENCE:
			return pl_fmt_uri(s, len, false, true);
		case PL_FORMAT_IRI:
			return pl_fmt_uri(s, len, true, false);
		case PL_FORMAT_IRI_REFERENCE:
			return pl_fmt_uri(s, len, true, true);
		case PL_FORMAT_URI_TEMPLATE:
			return pl_fmt_uri_template(s, len);
		case PL_FORMAT_UUID:
			return check_uuid(s, len);
		case PL_FORMAT_REGEX:
			return ecma_regex_is_valid(s, len);
		case PL_FORMAT_JSON_POINTER:
			return pl_fmt_json_pointer(s, len);
		case PL_FORMAT_RELATIVE_JSON_POINTER:
			return pl_fmt_relative_json_pointer(s, len);
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Registered formats (pipeline.register_format)
 * ---------------------------------------------------------------------
 */

/* Has this backend compiled a function format? */
bool		pl_function_formats_compiled = false;

/*
 * Hold function fn against DROP FUNCTION to the end of the transaction (the
 * drop takes AccessExclusiveLock on it), and refuse cleanly if it went
 * before the lock was ours: a statement may keep a compiled spec whose
 * format another session has unregistered and dropped since.  Taken again
 * by each call (a local lock table hit once held), so a subtransaction that
 * released it cannot leave the function unguarded.
 */
static void
lock_format_function(Oid fn)
{
	LockDatabaseObject(ProcedureRelationId, fn, 0, AccessShareLock);
	if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(fn)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %u of a registered format does not exist", fn),
				 errdetail("It was dropped after the statement compiled the format.")));
}

/*
 * Prepare function format fn for calls, in CurrentMemoryContext (the
 * compiled schema's): looked up once per compile, never per row.
 */
PlCustomFormat *
pl_custom_format_function(Oid fn)
{
	PlCustomFormat *f = palloc0(sizeof(PlCustomFormat));

	lock_format_function(fn);
	pl_function_formats_compiled = true;
	f->check = palloc0(sizeof(FmgrInfo));
	fmgr_info_cxt(fn, f->check, CurrentMemoryContext);
	f->call_cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline format call",
										ALLOCSET_SMALL_SIZES);
	return f;
}

/* Call the format function fn on text arg; a NULL result means not valid. */
static bool
custom_format_call(FmgrInfo *fn, text *arg)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, fn, 1, DEFAULT_COLLATION_OID, NULL, NULL);
	fcinfo->args[0].value = PointerGetDatum(arg);
	fcinfo->args[0].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	return !fcinfo->isnull && DatumGetBool(result);
}

/* A fresh copy of fn (no fn_extra) in CurrentMemoryContext, for a nested call. */
static FmgrInfo *
format_fn_copy(FmgrInfo *fn)
{
	FmgrInfo   *copy = palloc(sizeof(FmgrInfo));

	fmgr_info_copy(copy, fn, CurrentMemoryContext);
	return copy;
}

/*
 * Registered format functions running now (nested ones too): while one
 * runs, user code is inside a validation, and the compiled spec it walks
 * must outlive whatever that code does (pl_spec_retire defers).
 */
int			pl_format_calls_running = 0;

/*
 * Is the UTF-8 string s (len bytes) valid for registered format f?  The
 * function's allocations go to f's call context, reset after each call, so
 * rows leave nothing behind; a call nested in another (the function itself
 * validates) allocates in the caller's context instead, and calls through a
 * copy of f's FmgrInfo: the running call owns its fn_extra (a SQL
 * function's execution state).  Errors the function raises propagate.
 */
bool
pl_custom_format_check(PlCustomFormat *f, const char *s, int len)
{
	MemoryContext old = CurrentMemoryContext;
	bool		outer = !f->busy;
	bool		ok;

	if (f->pattern)
		return pl_regex_match(f->pattern, s, len);
	lock_format_function(f->check->fn_oid);
	if (outer)
		MemoryContextSwitchTo(f->call_cxt);
	f->busy = true;
	pl_format_calls_running++;
	PG_TRY();
	{
		ok = custom_format_call(outer ? f->check : format_fn_copy(f->check), cstring_to_text_with_len(s, len));
	}
	PG_FINALLY();
	{
		pl_format_calls_running--;
		f->busy = !outer;
		MemoryContextSwitchTo(old);
	}
	PG_END_TRY();
	if (outer)
		MemoryContextReset(f->call_cxt);
	return ok;
}
