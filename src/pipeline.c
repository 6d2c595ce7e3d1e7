/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  Module entry: GUCs and cache invalidation set-up.
 *
 * pipeline validates and transforms JSON records inside PostgreSQL: specs
 * are compiled once per backend (schema_compile.c, spec.c), cached by name
 * (cache.c), and applied by SQL functions (sql_api.c, compat.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "citus.h"
#include "spec.h"

PG_MODULE_MAGIC;

/* Do the pg_jsonschema-compatible functions assert "format"? */
bool		pipeline_format_assertion = true;

void		_PG_init(void);

/* Define GUCs and hook into cache invalidation. */
void
_PG_init(void)
{
	DefineCustomBoolVariable("pipeline.format_assertion",
							 "Makes the pg_jsonschema-compatible functions check \"format\".",
							 "When off, \"format\" is an annotation only, as JSON Schema 2020-12 allows.",
							 &pipeline_format_assertion,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pipeline");
#else
	EmitWarningsOnPlaceholders("pipeline");
#endif
	pl_cache_init();
	pl_cluster_init();
}
