/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  Module entry: GUCs, cache invalidation, the quality gate's hooks and
 *	  the statistics.
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

#include "ecma_regex.h"
#include "ops.h"
#include "citus.h"
#include "spec.h"
#include "stats.h"

PG_MODULE_MAGIC;

/* Do the pg_jsonschema-compatible functions assert "format"? */
bool		pipeline_format_assertion = true;

/* Megabytes of schemas compiled for the compat functions kept per backend. */
int			pipeline_compat_cache_size = 16;

void		_PG_init(void);

/*
 * Define GUCs and hook into cache invalidation.  pipeline.format_assertion
 * is for superusers only: the IMMUTABLE compat functions' verdict depends on
 * it, and CHECK constraints and indexes built on them must not change
 * meaning at the will of whoever inserts.  pipeline.regex_fast_paths changes
 * no verdict, only which matcher gives it; superusers only, as a testing aid.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("pipeline.format_assertion",
							 "Makes the pg_jsonschema-compatible functions check \"format\".",
							 "When off, \"format\" is an annotation only, as JSON Schema 2020-12 allows.",
							 &pipeline_format_assertion,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pipeline.regex_fast_paths",
							 "Lets patterns skip PostgreSQL's regex engine where a faster matcher gives the same verdict.",
							 "Off sends every pattern compiled afterwards to the engine, to compare the two.",
							 &pipeline_regex_fast_paths,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("pipeline.compat_cache_size",
							"Memory for schemas compiled by the pg_jsonschema-compatible functions, per backend.",
							"Least recently used schemas are freed past it; 0 keeps each schema only for the statement that compiled it.",
							&pipeline_compat_cache_size,
							16, 0, 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);
	pl_stats_init();			/* its GUCs too, before the prefix is reserved */
	MarkGUCPrefixReserved("pipeline");
	pl_cache_init();
	pl_gate_init();
	pl_cluster_init();
}
