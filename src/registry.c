/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The C side of the registry: checking specs, invalidating caches,
 *	  and reading registered schemas.
 *
 * The registry tables and define()/drop()/register_schema() are SQL (see
 * the install script); these are the pieces they call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"

#include "registry.h"
#include "spec.h"
#include "uri.h"

PG_FUNCTION_INFO_V1(pipeline_check_spec);
PG_FUNCTION_INFO_V1(pipeline_invalidate);
PG_FUNCTION_INFO_V1(pipeline_normalize_uri);

/* Compile the spec and throw it away: raises 22023 if anything is wrong. */
Datum
pipeline_check_spec(PG_FUNCTION_ARGS)
{
	PlSpec	   *spec = pl_spec_compile(PG_GETARG_JSONB_P(0), pl_registry_schema);

	pl_spec_free(spec);
	PG_RETURN_BOOL(true);
}

/* Queue a relcache invalidation of the given registry table, sent at commit. */
Datum
pipeline_invalidate(PG_FUNCTION_ARGS)
{
	CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
	PG_RETURN_VOID();
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
