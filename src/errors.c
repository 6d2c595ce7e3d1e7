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
#include "transform.h"

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

/* A copy of message s as "%s" formats it (an error without a message is "(null)"). */
static inline char *
message_copy(const char *s)
{
	return pstrdup(s ? s : "(null)");
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
	/* most callers pass a finished message: copy it without formatting */
	message = strcmp(fmt, "%s") == 0 ? message_copy(va_arg(args, const char *)) : pl_vformat(fmt, args);
	va_end(args);
	e = &errs->items[errs->count++];
	e->instance_location = pstrdup(instance_location);
	e->keyword_location = pstrdup(keyword_location);
	e->message = message;
	e->absolute = NULL;
}

/* Append JSON Pointer token tok (len bytes) to ptr, escaping '~' and '/' byte by byte. */
static void
append_token_escaped(StringInfo ptr, const char *tok, int len)
{
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

/*
 * Append JSON Pointer token tok (len bytes) to ptr, escaping '~' and '/'.
 * A token without either (almost every one) is copied at once: error paths
 * append a token per level of every document they walk.  (An empty one goes
 * the slow way: tok may be NULL then, which memchr and memcpy must not see.)
 */
void
pl_pointer_append_token(StringInfo ptr, const char *tok, int len)
{
	if (len == 0 || unlikely(memchr(tok, '~', len) != NULL || memchr(tok, '/', len) != NULL))
	{
		appendStringInfoChar(ptr, '/');
		append_token_escaped(ptr, tok, len);
		return;
	}
	if (unlikely(ptr->len + len + 2 > ptr->maxlen))
		enlargeStringInfo(ptr, len + 1);
	ptr->data[ptr->len] = '/';
	memcpy(ptr->data + ptr->len + 1, tok, len);
	ptr->len += len + 1;
	ptr->data[ptr->len] = '\0';
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

/* Pair i of an error object: key and string value. */
static inline void
error_pair(JsonbPair *p, int i, const char *key, int keylen, const char *val)
{
	p[i].key.type = jbvString;
	p[i].key.val.string.val = (char *) key;
	p[i].key.val.string.len = keylen;
	p[i].value.type = jbvString;
	p[i].value.val.string.val = (char *) val;
	p[i].value.val.string.len = strlen(val);
	p[i].order = i;
}

/*
 * The errors as a jsonb array of {instanceLocation, keywordLocation, error}:
 * a tree with each object's keys already in jsonb order (shorter first),
 * encoded at once.
 */
Jsonb *
pl_errors_to_jsonb(const PlErrors *errs)
{
	JsonbValue	arr;
	JsonbValue *elems = palloc(sizeof(JsonbValue) * Max(errs->count, 1));
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * 3 * Max(errs->count, 1));

	for (int i = 0; i < errs->count; i++)
	{
		JsonbPair  *p = &pairs[3 * i];

		error_pair(p, 0, "error", 5, errs->items[i].message);
		error_pair(p, 1, "keywordLocation", 15, errs->items[i].keyword_location);
		error_pair(p, 2, "instanceLocation", 16, errs->items[i].instance_location);
		elems[i].type = jbvObject;
		elems[i].val.object.nPairs = 3;
		elems[i].val.object.pairs = p;
	}
	arr.type = jbvArray;
	arr.val.array.nElems = errs->count;
	arr.val.array.elems = elems;
	arr.val.array.rawScalar = false;
	return pl_doc_encode(&arr);
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
