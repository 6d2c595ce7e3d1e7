/*-------------------------------------------------------------------------
 *
 * compat.c
 *	  pg_jsonschema-compatible functions: a schema passed by value.
 *
 * These are IMMUTABLE so they serve in CHECK constraints, where the schema
 * argument is a constant.  Each call site caches the schema it compiled in
 * fn_extra and reuses it while the argument's text, the
 * pipeline.format_assertion setting and the registered schemas stay the
 * same, so a CHECK constraint compiles its schema once per backend, not
 * once per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "metaschemas.h"
#include "spec.h"

PG_FUNCTION_INFO_V1(pipeline_json_matches_schema);
PG_FUNCTION_INFO_V1(pipeline_jsonb_matches_schema);
PG_FUNCTION_INFO_V1(pipeline_jsonschema_is_valid);
PG_FUNCTION_INFO_V1(pipeline_jsonschema_validation_errors);

/* What a call site keeps: the schema text it compiled, and the result. */
typedef struct CompatCache
{
	char	   *text;
	int			len;
	bool		formats;
	uint64		schemas_generation;
	PlSchema   *schema;
} CompatCache;

/* Parse json text as jsonb. */
static Jsonb *
json_text_to_jsonb(text *t)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text_to_cstring(t))));
}

/* Compile schema text t with the compat defaults, in a context under parent. */
static PlSchema *
compat_compile(text *t, MemoryContext parent)
{
	PlCompileOptions opts = {"", pipeline_format_assertion, PL_DRAFT2020};
	PlSchema   *schema = pl_schema_compile(json_text_to_jsonb(t), &opts);

	MemoryContextSetParent(schema->cxt, parent);
	return schema;
}

/* The compiled schema for argument 0, from this call site's cache when it matches. */
static PlSchema *
compat_schema(FunctionCallInfo fcinfo)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(t);
	CompatCache *cc = fcinfo->flinfo->fn_extra;

	if (cc && cc->len == len && cc->formats == pipeline_format_assertion &&
		cc->schemas_generation == pl_cache_schemas_generation() &&
		memcmp(cc->text, VARDATA_ANY(t), len) == 0)
		return cc->schema;
	if (cc == NULL)
		cc = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CompatCache));
	if (cc->schema)
		pl_schema_free(cc->schema);
	if (cc->text)
		pfree(cc->text);
	cc->schema = NULL;
	cc->text = NULL;
	cc->schema = compat_compile(t, fcinfo->flinfo->fn_mcxt);
	cc->text = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, Max(len, 1));
	memcpy(cc->text, VARDATA_ANY(t), len);
	cc->len = len;
	cc->formats = pipeline_format_assertion;
	cc->schemas_generation = pl_cache_schemas_generation();
	return cc->schema;
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
	PlCompileOptions opts = {"", false, PL_DRAFT2020};

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

/* Does schema text t compile?  Tried in a subtransaction so a failure is contained. */
static bool
compiles(text *t)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		pl_schema_free(compat_compile(t, cxt));
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
		if (ed->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE)
			ReThrowError(ed);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * jsonschema_is_valid(schema json): is it a schema by its metaschema, and can
 * it be compiled (its patterns and references)?  The second check needs a
 * subtransaction, which parallel workers cannot start; there only the first
 * is made.
 */
Datum
pipeline_jsonschema_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Jsonb	   *schema = json_text_to_jsonb(t);

	if (!pl_validate(metaschema(metaschema_uri(schema)), schema))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(IsInParallelMode() || compiles(t));
}
