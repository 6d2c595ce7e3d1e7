/*
 * noop_trigger.c: a C BEFORE ROW trigger that returns the row unchanged.
 *
 * The benchmark (bench/run.py) loads it by absolute path to measure what any
 * C row trigger costs COPY (it turns off COPY's multi-insert), so that the
 * pipeline trigger's own share can be told apart.  scripts/bench.sh compiles
 * it into a temporary directory; it is never installed.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(bench_noop_trigger);

Datum
bench_noop_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "bench_noop_trigger: not called as a trigger");
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		return PointerGetDatum(td->tg_newtuple);
	return PointerGetDatum(td->tg_trigtuple);
}
