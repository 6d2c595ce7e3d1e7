/*-------------------------------------------------------------------------
 *
 * errors.c
 *	  Violations: collected while validating, then shown as jsonb or DETAIL.
 *
 * Errors use the names of the JSON Schema output format
 * (instanceLocation, keywordLocation, error) and keep the order in which the
 * validator found them, which is deterministic: schema keyword order, then
 * instance order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/resowner.h"

#include "utils/jsonb.h"

#include "pipeline.h"

/* Start an empty list. */
void
pl_errors_init(PlErrors *errs)
{
	errs->count = 0;
	errs->capacity = 0;
	errs->items = NULL;
	errs->absolute = false;
}

/* A palloc'd string formatted from fmt and args, however long. */
char *
pl_vformat(const char *fmt, va_list args)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		copy;
		int			needed;

		va_copy(copy, args);
		needed = appendStringInfoVA(&buf, fmt, copy);
		va_end(copy);
		if (needed == 0)
			return buf.data;
		enlargeStringInfo(&buf, needed);
	}
}

/* Append a violation; the locations are copied. */
void
pl_errors_add(PlErrors *errs, const char *instance_location,
			  const char *keyword_location, const char *fmt,...)
{
	va_list		args;
	char	   *message;
	PlError    *e;

	if (errs->count == errs->capacity)
	{
		errs->capacity = errs->capacity ? errs->capacity * 2 : 8;
		errs->items = errs->items ?
			repalloc(errs->items, sizeof(PlError) * errs->capacity) :
			palloc(sizeof(PlError) * errs->capacity);
	}
	va_start(args, fmt);
	message = pl_vformat(fmt, args);
	va_end(args);
	e = &errs->items[errs->count++];
	e->instance_location = pstrdup(instance_location);
	e->keyword_location = pstrdup(keyword_location);
	e->message = message;
	e->absolute = NULL;
}

/* Append JSON Pointer token tok (len bytes) to ptr, escaping '~' and '/'. */
void
pl_pointer_append_token(StringInfo ptr, const char *tok, int len)
{
	appendStringInfoChar(ptr, '/');
	for (int i = 0; i < len; i++)
	{
		if (tok[i] == '~')
			appendBinaryStringInfo(ptr, "~0", 2);
		else if (tok[i] == '/')
			appendBinaryStringInfo(ptr, "~1", 2);
		else
			appendStringInfoChar(ptr, tok[i]);
	}
}

/* May byte c stand unescaped in a URI fragment (RFC 3986: pchar, "/", "?")? */
static inline bool
fragment_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("-._~!$&'()*+,;=:@/?", c) != NULL);
}

/* Append JSON Pointer ptr (len bytes) as a URI fragment: percent-encoded where needed. */
void
pl_append_fragment(StringInfo buf, const char *ptr, int len)
{
	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) ptr[i];

		if (fragment_char(c))
			appendStringInfoChar(buf, (char) c);
		else
			appendStringInfo(buf, "%%%02X", c);
	}
}

/* Push a string key or value onto a jsonb under construction. */
static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(st, tok, &v);
}

/* The errors as a jsonb array of {instanceLocation, keywordLocation, error}. */
Jsonb *
pl_errors_to_jsonb(const PlErrors *errs)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < errs->count; i++)
	{
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		push_string(&st, WJB_KEY, "instanceLocation");
		push_string(&st, WJB_VALUE, errs->items[i].instance_location);
		push_string(&st, WJB_KEY, "keywordLocation");
		push_string(&st, WJB_VALUE, errs->items[i].keyword_location);
		push_string(&st, WJB_KEY, "error");
		push_string(&st, WJB_VALUE, errs->items[i].message);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}

/* The errors as DETAIL text: one "location: message" line each. */
char *
pl_errors_detail(const PlErrors *errs)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < errs->count; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '\n');
		appendStringInfo(&buf, "%s: %s",
						 errs->items[i].instance_location[0] ? errs->items[i].instance_location : "/",
						 errs->items[i].message);
	}
	return buf.data;
}

/*
 * Run fn(arg) in a subtransaction, so that an error leaves nothing of it
 * behind: true if fn finished.  An error for which caught(sqlerrcode) is
 * true is rolled back and returned in *err (if err is not NULL), and false
 * returned; any other is rolled back and raised again.
 */
bool
pl_subxact(void (*fn) (void *arg), void *arg, bool (*caught) (int sqlerrcode), ErrorData **err)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (!caught(ed->sqlerrcode))
			ReThrowError(ed);
		if (err)
			*err = ed;
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}
