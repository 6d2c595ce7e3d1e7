/*-------------------------------------------------------------------------
 *
 * compat.c
 *	  pg_jsonschema-compatible functions: a schema passed by value.
 *
 * These are IMMUTABLE so they serve in CHECK constraints, where the schema
 * argument is a constant.  Their verdict depends only on their arguments and
 * on pipeline.format_assertion, which only a superuser may change: a "$ref"
 * may reach the built-in metaschemas but not the registry.
 *
 * Compiled schemas are kept in a backend-wide cache by text
 * (compat_cache.c), so a CHECK constraint compiles its schema once per
 * backend, not once per statement; each call site also remembers the schema
 * it used in fn_extra, so a row costs one comparison of the text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "compat_cache.h"
#include "metaschemas.h"
#include "registry.h"
#include "spec.h"

PG_FUNCTION_INFO_V1(pipeline_json_matches_schema);
PG_FUNCTION_INFO_V1(pipeline_jsonb_matches_schema);
PG_FUNCTION_INFO_V1(pipeline_jsonschema_is_valid);
PG_FUNCTION_INFO_V1(pipeline_jsonschema_validation_errors);

/*
 * What a call site keeps: the schema it used last, and the text and switch
 * it was compiled from.  text and schema belong to the backend-wide cache
 * (valid while no entry was evicted) or, for a schema too big for it, to
 * the call site itself.
 */
typedef struct CompatCall
{
	PlCompatKey key;
	PlSchema   *schema;
	bool		own;			/* schema and key.text are ours, in fn_mcxt */
	uint64		evictions;		/* pl_compat_cache_evictions() when checked */
} CompatCall;

/* Parse json text as jsonb. */
static Jsonb *
json_text_to_jsonb(text *t)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text_to_cstring(t))));
}

/*
 * The resolver of the compat functions: they are IMMUTABLE, so a "$ref" may
 * reach only what never changes (the built-in metaschemas, found before any
 * resolver is asked), never the registry.
 */
static Jsonb *
compat_refuse_registry(const char *uri)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("reference to \"%s\" cannot be resolved by the pg_jsonschema-compatible functions", uri),
			 errdetail("They are IMMUTABLE, so they reach only the built-in metaschemas, not schemas registered with pipeline.register_schema()."),
			 errhint("Define a pipeline with pipeline.define() and check documents with pipeline.validate(doc, name).")));
	return NULL;
}

/* Compile schema text t with the compat defaults, in a context under parent. */
static PlSchema *
compat_compile(text *t, MemoryContext parent)
{
	/* no format resolver: registered formats never change an IMMUTABLE verdict */
	PlCompileOptions opts = {"", pipeline_format_assertion, PL_DRAFT2020, compat_refuse_registry, NULL};
	PlSchema   *schema = pl_schema_compile(json_text_to_jsonb(t), &opts);

	MemoryContextSetParent(schema->cxt, parent);
	return schema;
}

/* Is what the call site kept still good for key? */
static inline bool
compat_call_matches(const CompatCall *cc, const PlCompatKey *key)
{
	return cc->schema != NULL &&
		(cc->own || cc->evictions == pl_compat_cache_evictions()) &&
		cc->key.len == key->len && cc->key.formats == key->formats &&
		memcmp(cc->key.text, key->text, key->len) == 0;
}

/* Forget what the call site kept, freeing it if it was its own. */
static void
compat_call_reset(CompatCall *cc)
{
	if (cc->own)
	{
		pl_schema_free(cc->schema);
		pfree((char *) cc->key.text);
	}
	memset(cc, 0, sizeof(CompatCall));
}

/*
 * Compile argument 0 and keep it: in the backend-wide cache, or (too big
 * for it) in the call site's memory.  cc is filled in only once all of it
 * is kept.
 */
static void
compat_call_compile(CompatCall *cc, text *t, const PlCompatKey *key, MemoryContext fn_mcxt)
{
	PlSchema   *schema = compat_compile(t, CurrentMemoryContext);
	const char *kept;
	bool		own = !pl_compat_cache_add(key, schema, &kept);

	if (own)
	{
		char	   *copy;

		MemoryContextSetParent(schema->cxt, fn_mcxt);
		copy = MemoryContextAlloc(fn_mcxt, Max(key->len, 1));
		memcpy(copy, key->text, key->len);
		kept = copy;
	}
	cc->key = *key;
	cc->key.text = kept;
	cc->schema = schema;
	cc->own = own;
	/* adding may have evicted entries: start from the count after it */
	cc->evictions = pl_compat_cache_evictions();
}

/*
 * The compiled schema for argument 0: from the call site's fn_extra when it
 * still matches (one comparison of the text), else from the backend-wide
 * cache, else compiled and added to it.
 */
static PlSchema *
compat_schema(FunctionCallInfo fcinfo)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	PlCompatKey key = {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), pipeline_format_assertion};
	CompatCall *cc = fcinfo->flinfo->fn_extra;
	PlSchema   *cached;
	const char *cached_text;

	if (cc && compat_call_matches(cc, &key))
		return cc->schema;
	if (cc == NULL)
		cc = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CompatCall));
	compat_call_reset(cc);
	cached = pl_compat_cache_find(&key, &cached_text);
	if (cached == NULL)
	{
		compat_call_compile(cc, t, &key, fcinfo->flinfo->fn_mcxt);
		return cc->schema;
	}
	cc->key = key;
	cc->key.text = cached_text;
	cc->schema = cached;
	cc->evictions = pl_compat_cache_evictions();
	return cached;
}

/* json_matches_schema(schema json, instance json) */
Datum
pipeline_json_matches_schema(PG_FUNCTION_ARGS)
{
	PlSchema   *schema = compat_schema(fcinfo);

	PG_RETURN_BOOL(pl_validate(schema, json_text_to_jsonb(PG_GETARG_TEXT_PP(1))));
}

/* jsonb_matches_schema(schema json, instance jsonb) */
Datum
pipeline_jsonb_matches_schema(PG_FUNCTION_ARGS)
{
	PlSchema   *schema = compat_schema(fcinfo);

	PG_RETURN_BOOL(pl_validate(schema, PG_GETARG_JSONB_P(1)));
}

/* jsonschema_validation_errors(schema json, instance json): one text per violation. */
Datum
pipeline_jsonschema_validation_errors(PG_FUNCTION_ARGS)
{
	PlSchema   *schema = compat_schema(fcinfo);
	PlErrors	errs;
	Datum	   *elems;

	pl_errors_init(&errs);
	pl_validate_errors(schema, json_text_to_jsonb(PG_GETARG_TEXT_PP(1)), "", &errs);
	elems = palloc(sizeof(Datum) * Max(errs.count, 1));
	for (int i = 0; i < errs.count; i++)
		elems[i] = CStringGetTextDatum(psprintf("%s: %s",
												errs.items[i].instance_location[0] ? errs.items[i].instance_location : "/",
												errs.items[i].message));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, errs.count, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The metaschema a schema declares with "$schema" (2020-12 by default). */
static const char *
metaschema_uri(Jsonb *schema)
{
	JsonbValue	v;
	static const char *const known[] = {
		"https://json-schema.org/draft/2020-12/schema",
		"https://json-schema.org/draft/2019-09/schema",
		"http://json-schema.org/draft-07/schema",
		"http://json-schema.org/draft-06/schema",
		"http://json-schema.org/draft-04/schema",
	};

	if (JB_ROOT_IS_OBJECT(schema) &&
		getKeyJsonValueFromContainer(&schema->root, "$schema", 7, &v) &&
		v.type == jbvString)
		for (int i = 0; i < (int) lengthof(known); i++)
			if (strncmp(v.val.string.val, known[i], strlen(known[i])) == 0)
				return known[i];
	return known[0];
}

/* The compiled metaschema named uri, compiled once per backend. */
static PlSchema *
metaschema(const char *uri)
{
	static const char *uris[8];
	static PlSchema *compiled[8];
	int			i;
	PlCompileOptions opts = {"", false, PL_DRAFT2020, NULL, NULL};

	for (i = 0; i < (int) lengthof(uris) && uris[i]; i++)
		if (strcmp(uris[i], uri) == 0)
			return compiled[i];
	Assert(i < (int) lengthof(uris));
	compiled[i] = pl_schema_compile(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																	   CStringGetDatum(pl_builtin_schema(uri)))),
									&opts);
	MemoryContextSetParent(compiled[i]->cxt, TopMemoryContext);
	uris[i] = uri;
	return compiled[i];
}

/* Compile schema text arg and throw it away (for pl_try_invalid). */
static void
compile_and_free(void *arg)
{
	pl_schema_free(compat_compile((text *) arg, CurrentMemoryContext));
}

/*
 * jsonschema_is_valid(schema json): is it a schema by its metaschema, and can
 * it be compiled (its patterns and references)?  The second check needs a
 * subtransaction, which no process may start in parallel mode: the function
 * is PARALLEL UNSAFE, since skipping that check there would give another
 * answer than a serial plan (an index or CHECK built on it would disagree).
 */
Datum
pipeline_jsonschema_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Jsonb	   *schema = json_text_to_jsonb(t);

	if (!pl_validate(metaschema(metaschema_uri(schema)), schema))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(pl_try_invalid(compile_and_free, t, NULL));
}
