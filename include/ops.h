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
extern void pl_gate_row(PlSpec *spec, const PlErrors *errs, Relation rel, TriggerData *td);

#endif
