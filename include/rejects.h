/*
 * rejects.h: writing a quarantined row into pipeline.rejects (src/rejects.c).
 */
#ifndef PIPELINE_REJECTS_H
#define PIPELINE_REJECTS_H

#include "utils/jsonb.h"

/* One reject: the columns quarantine fills (id and rejected_at take their defaults). */
typedef struct PlRejectRow
{
	const char *pipeline;
	int32		version;
	Oid			relation;
	bool		update;			/* operation: UPDATE, else INSERT */
	Jsonb	   *record;
	Jsonb	   *errors;
	const char *record_column;	/* column mode; NULL in row mode */
	Jsonb	   *other_columns;	/* column mode; NULL in row mode */
} PlRejectRow;

/* Insert r into pipeline.rejects as its owner. */
extern void pl_rejects_insert(const PlRejectRow *r);

#endif
