/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The C side of the registry: checking specs, invalidating caches,
 *	  reading registered schemas, and checking that a re-registered schema
 *	  leaves every pipeline that uses it compilable.
 *
 * The registry tables and define()/drop()/register_schema() are SQL (see
 * the install script); these are the pieces they call.  The specs compile
 * against the registry through pl_registry_schema(), passed to the compiler
 * as its resolver: the compiler itself knows nothing of the registry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "registry.h"
#include "spec.h"
#include "uri.h"

PG_FUNCTION_INFO_V1(pipeline_check_spec);
PG_FUNCTION_INFO_V1(pipeline_check_dependents);
PG_FUNCTION_INFO_V1(pipeline_normalize_uri);

/* While _check_dependents compiles a spec: the URI it watches, and whether the compile asked for it. */
static const char *watched_uri = NULL;
static bool watched_reached = false;

/*
 * Compile the spec and throw it away: raises 22023 if anything is wrong, and
 * warns of formats that would assert but are neither built in nor registered.
 */
Datum
pipeline_check_spec(PG_FUNCTION_ARGS)
{
	PlSpec	   *spec = pl_spec_compile(PG_GETARG_JSONB_P(0), &pl_registry_define_resolver);

	pl_spec_free(spec);
	PG_RETURN_BOOL(true);
}

/* A schema URI as the registry keys it: without an empty trailing fragment. */
Datum
pipeline_normalize_uri(PG_FUNCTION_ARGS)
{
	char	   *uri = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *res;
	char	   *frag;

	uri_split_fragment(uri, &res, &frag);
	if (frag && frag[0] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schema URI \"%s\" must not have a fragment", uri),
				 errhint("Register the whole document; refer to its parts with \"$ref\".")));
	PG_RETURN_TEXT_P(cstring_to_text(res));
}

/* The schema registered under uri, or NULL. */
Jsonb *
pl_registry_schema(const char *uri)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(uri)};
	Jsonb	   *result = NULL;
	bool		isnull;

	SPI_connect();
	/* as it is now, like pipelines in pl_cache_read() */
	PushActiveSnapshot(GetCatalogSnapshot(InvalidOid));
	SPI_execute_with_args("SELECT schema FROM pipeline.schemas WHERE uri OPERATOR(pg_catalog.=) $1",
						  1, argtypes, args, NULL, true, 1);
	PopActiveSnapshot();
	if (SPI_processed == 1)
		/* detoasted, then copied out of SPI's memory */
		result = (Jsonb *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(SPI_getbinval(SPI_tuptable->vals[0],
																							 SPI_tuptable->tupdesc, 1, &isnull))),
											 false, -1);
	SPI_finish();
	return result;
}

/* Is sqlerrcode the error of a bad schema or spec? */
static bool
is_invalid_value(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_INVALID_PARAMETER_VALUE;
}

/*
 * Run fn(arg) in a subtransaction, so that an error leaves nothing behind;
 * true if it finished.  An error of SQLSTATE 22023 (a bad schema or spec)
 * is caught, and returned in *err if err is not NULL; any other is
 * re-thrown.
 */
bool
pl_try_invalid(void (*fn) (void *arg), void *arg, ErrorData **err)
{
	return pl_subxact(fn, arg, is_invalid_value, err);
}

/* The registry as a resolver that notes whether the watched URI was asked for. */
static Jsonb *
registry_watching(const char *uri)
{
	if (watched_uri && strcmp(uri, watched_uri) == 0)
		watched_reached = true;
	return pl_registry_schema(uri);
}

/* Compile spec arg with the watching resolver and throw it away. */
static void
compile_watching(void *arg)
{
	static const PlResolver watching = {registry_watching, pl_registry_format};

	pl_spec_free(pl_spec_compile((Jsonb *) arg, &watching));
}

/*
 * The active version of every pipeline whose spec's text contains needle
 * (every pipeline if needle is NULL), as parallel arrays of names and specs
 * copied out of SPI's memory; returns how many.  The active version, not the
 * latest: after a rollback (activate) or with a staged version, the active
 * one is what triggers run; another version is checked when activated.
 */
int
pl_registry_current_specs(const char *needle, char ***names, Jsonb ***specs)
{
	MemoryContext outer = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {needle ? CStringGetTextDatum(needle) : (Datum) 0};
	int			n;

	SPI_connect();
	/* as it is now, this transaction's registration included */
	PushActiveSnapshot(GetCatalogSnapshot(InvalidOid));
	SPI_execute_with_args("SELECT name, spec FROM pipeline.pipelines WHERE active"
						  " AND ($1 IS NULL OR pg_catalog.strpos(spec::pg_catalog.text, $1) OPERATOR(pg_catalog.>) 0)"
						  " ORDER BY name",
						  1, argtypes, args, needle ? NULL : "n", true, 0);
	PopActiveSnapshot();
	n = (int) SPI_processed;
	*names = MemoryContextAlloc(outer, sizeof(char *) * Max(n, 1));
	*specs = MemoryContextAlloc(outer, sizeof(Jsonb *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		spec = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

		(*names)[i] = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		/* detoasted, then copied out of SPI's memory */
		(*specs)[i] = (Jsonb *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(spec)), false, -1);
	}
	SPI_finish();
	return n;
}

/*
 * _check_dependents(uri): after uri was (re-)registered in this
 * transaction, compile the active version of every pipeline; refuse (22023,
 * naming the pipeline, with the compiler's message and its JSON Pointer) if
 * one that reaches uri no longer compiles.  A pipeline whose compile fails
 * before it asks for uri does not depend on it, and is left alone.
 */
Datum
pipeline_check_dependents(PG_FUNCTION_ARGS)
{
	char	   *uri = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	  **names;
	Jsonb	  **specs;

	/*
	 * reaching another document starts at a keyword of the spec's own schema
	 * that begins with "$" ("$ref", "$schema", ...): specs without one are
	 * left out unread
	 */
	int			n = pl_registry_current_specs("\"$", &names, &specs);

	for (int i = 0; i < n; i++)
	{
		ErrorData  *err = NULL;

		watched_uri = uri;
		watched_reached = false;
		if (!pl_try_invalid(compile_watching, specs[i], &err) && watched_reached)
		{
			watched_uri = NULL;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot register schema \"%s\": pipeline \"%s\" would no longer compile",
							uri, names[i]),
					 errdetail("%s.", err->message),
					 errhint("Define a version of the pipeline that compiles with the new schema first, or change the schema.")));
		}
		watched_uri = NULL;
	}
	PG_RETURN_VOID();
}
