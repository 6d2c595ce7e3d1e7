/*-------------------------------------------------------------------------
 *
 * sql_api.c
 *	  SQL entry points that check documents against a named pipeline.
 *
 * Each looks the pipeline up through the per-backend cache (one pointer
 * comparison per call when nothing changed), then transforms and validates
 * the document in place.  Memory comes from the caller's per-call context,
 * which the executor resets between rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"

#include "spec.h"

PG_FUNCTION_INFO_V1(pipeline_validate);
PG_FUNCTION_INFO_V1(pipeline_errors);
PG_FUNCTION_INFO_V1(pipeline_transform);
PG_FUNCTION_INFO_V1(pipeline_process);

/* The pipeline named by text argument n, compiled. */
static PlSpec *
spec_arg(FunctionCallInfo fcinfo, int n)
{
	return pl_cache_lookup_text(PG_GETARG_TEXT_PP(n), fcinfo->flinfo);
}

/* validate(doc, name): does doc pass the pipeline (after its transforms)? */
Datum
pipeline_validate(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1);

	PG_RETURN_BOOL(pl_spec_check(spec, doc, NULL, NULL));
}

/* errors(doc, name): every violation as jsonb, [] when valid. */
Datum
pipeline_errors(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1);
	PlErrors	errs;

	pl_errors_init(&errs);
	pl_spec_check(spec, doc, NULL, &errs);
	PG_RETURN_JSONB_P(pl_errors_to_jsonb(&errs));
}

/*
 * transform(doc, name): the document after the pipeline's transform steps.
 * A step that cannot convert its input leaves the value as it was; errors()
 * and process() report it as a violation.
 */
Datum
pipeline_transform(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1);

	PG_RETURN_JSONB_P(pl_spec_transform(spec, doc, NULL));
}

/* process(doc, name): transform and validate; raise 23514 on any violation. */
Datum
pipeline_process(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1);
	Jsonb	   *out;

	if (!pl_spec_check(spec, doc, &out, NULL))
	{
		PlErrors	errs;

		pl_errors_init(&errs);
		pl_spec_check(spec, doc, NULL, &errs);
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("record violates pipeline \"%s\"", spec->name),
				 errdetail("%s", pl_errors_detail(&errs)),
				 err_generic_string(PG_DIAG_CONSTRAINT_NAME, spec->name)));
	}
	PG_RETURN_JSONB_P(out);
}
