/*
 * citus.h: the pipeline on a Citus cluster (src/citus.c, docs/scale-out.md).
 */
#ifndef PIPELINE_CITUS_H
#define PIPELINE_CITUS_H

#include "utils/jsonb.h"
#include "utils/rel.h"

/* Raise unless Citus can run pipeline name (spec, or the current version) on tbl. */
extern void pl_cluster_check(Oid tbl, const char *name, const char *column, Jsonb *spec);

/* For a shard of a Citus table, that table (opened); otherwise rel. */
extern Relation pl_cluster_logical_relation(Relation rel);

/* Install the hook that restores the fields of errors relayed from workers. */
extern void pl_cluster_init(void);

#endif
