/*
 * ops.h: operating pipelines: error output formats (src/output.c) and the
 * per-statement quality gate (src/gate.c).
 */
#ifndef PIPELINE_OPS_H
#define PIPELINE_OPS_H

#include "commands/trigger.h"
#include "utils/rel.h"

#include "spec.h"

/* The output formats of pipeline.errors() */
typedef enum PlOutputFormat
{
	PL_OUTPUT_LIST,				/* [{instanceLocation, keywordLocation, error}] */
	PL_OUTPUT_BASIC,			/* JSON Schema 2020-12 "basic": flat */
	PL_OUTPUT_DETAILED,			/* JSON Schema 2020-12 "detailed": nested */
	PL_OUTPUT_BEST				/* the single most relevant error */
} PlOutputFormat;

/* src/output.c */
extern PlOutputFormat pl_output_format(text *name);
extern Jsonb *pl_errors_output(const PlErrors *errs, PlOutputFormat format);
extern bool pl_output_wants_absolute(PlOutputFormat format);

/* src/gate.c */
extern void pl_gate_init(void);
extern void pl_gate_parse(PlSpec *spec, const JNode *top);
extern void pl_gate_count_row(PlSpec *spec, const PlErrors *errs, Relation rel, TriggerData *td);

/*
 * The trigger let a row through (errs NULL) or kept it out: count it in the
 * statement if spec is gated (one test for a spec without a gate).
 */
static inline void
pl_gate_row(PlSpec *spec, const PlErrors *errs, Relation rel, TriggerData *td)
{
	if (spec->max_reject_rate >= 0 && spec->on_error != PL_ON_ERROR_RAISE)
		pl_gate_count_row(spec, errs, rel, td);
}

#endif
