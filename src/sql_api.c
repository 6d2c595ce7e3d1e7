/*-------------------------------------------------------------------------
 *
 * sql_api.c
 *	  SQL entry points that check documents against a named pipeline.
 *
 * Each looks the pipeline up through the per-backend cache (one pointer
 * comparison per call when nothing changed): its active version, or the
 * version given as the third argument (pinned).  Then each transforms and validates
 * the document in place.  Memory comes from the caller's per-call context,
 * which the executor resets between rows.  Each call is counted in
 * pipeline.stats (stats.h: a few additions, no lookup).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"

#include "ops.h"
#include "spec.h"
#include "stats.h"

PG_FUNCTION_INFO_V1(pipeline_validate);
PG_FUNCTION_INFO_V1(pipeline_errors);
PG_FUNCTION_INFO_V1(pipeline_transform);
PG_FUNCTION_INFO_V1(pipeline_process);
PG_FUNCTION_INFO_V1(pipeline_errors_version);

/*
 * The pipeline named by text argument n, compiled: the version in integer
 * argument version_arg, or the active version when version_arg is past the
 * call's arguments.
 */
static PlSpec *
spec_arg(FunctionCallInfo fcinfo, int n, int version_arg)
{
	int32		version = 0;

	if (PG_NARGS() > version_arg)
	{
		version = PG_GETARG_INT32(version_arg);
		if (version <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pipeline version must be positive, not %d", version)));
	}
	return pl_cache_lookup_text(PG_GETARG_TEXT_PP(n), version, fcinfo->flinfo);
}

/*
 * Whether doc passes spec (*out: the document after the transforms; errs
 * collects the violations, or is NULL), counted in pipeline.stats as passed
 * or as failed (the outcome the caller makes of a failure).
 */
static bool
check_counted(PlSpec *spec, Jsonb *doc, Jsonb **out, PlErrors *errs, PlStatOutcome failed)
{
	PlStatsCall sc;
	bool		ok;

	pl_stats_begin(&sc, spec);
	ok = pl_spec_check(spec, doc, out, errs);
	pl_stats_end(&sc, ok ? PL_STAT_PASSED : failed, ok && *out != doc);
	return ok;
}

/* validate(doc, name [, version]): does doc pass the pipeline (after its transforms)? */
Datum
pipeline_validate(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1, 2);
	Jsonb	   *out;

	PG_RETURN_BOOL(check_counted(spec, doc, &out, NULL, PL_STAT_FAILED));
}

/* The violations of doc against spec in the output format named by text argument n. */
static Datum
errors_as(FunctionCallInfo fcinfo, PlSpec *spec, int n)
{
	PlOutputFormat format = PG_NARGS() > n ? pl_output_format(PG_GETARG_TEXT_PP(n)) : PL_OUTPUT_LIST;
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlErrors	errs;
	Jsonb	   *out;
	Jsonb	   *res;

	pl_errors_init(&errs);
	errs.absolute = pl_output_wants_absolute(format);
	check_counted(spec, doc, &out, &errs, PL_STAT_FAILED);
	res = pl_errors_output(&errs, format);
	if (res == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(res);
}

/* errors(doc, name [, format]): every violation as jsonb, [] when valid ('list'). */
Datum
pipeline_errors(PG_FUNCTION_ARGS)
{
	return errors_as(fcinfo, spec_arg(fcinfo, 1, PG_NARGS()), 2);
}

/* errors(doc, name, version [, format]): the same against a pinned version. */
Datum
pipeline_errors_version(PG_FUNCTION_ARGS)
{
	return errors_as(fcinfo, spec_arg(fcinfo, 1, 2), 3);
}

/*
 * transform(doc, name [, version]): the document after the pipeline's transform steps.
 * A step that cannot convert its input leaves the value as it was; errors()
 * and process() report it as a violation.
 */
Datum
pipeline_transform(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1, 2);
	PlStatsCall sc;
	Jsonb	   *out;

	pl_stats_begin(&sc, spec);
	out = pl_spec_transform(spec, doc, NULL);
	pl_stats_end(&sc, PL_STAT_NONE, out != doc);
	PG_RETURN_JSONB_P(out);
}

/* process(doc, name [, version]): transform and validate; raise 23514 on any violation. */
Datum
pipeline_process(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	PlSpec	   *spec = spec_arg(fcinfo, 1, 2);
	Jsonb	   *out;

	if (!check_counted(spec, doc, &out, NULL, PL_STAT_RAISED))
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
