/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  Running on a Citus cluster: one registry on every node, and pipeline
 *	  triggers only where Citus can run them (docs/scale-out.md).
 *
 * Registry changes made on the coordinator are sent to every worker inside
 * the coordinator's distributed transaction, with the function Citus itself
 * uses to propagate DDL (SendCommandToWorkersWithMetadata): the worker runs
 * the same call in a remote transaction that Citus commits with two-phase
 * commit together with the coordinator's, or aborts with it.  A worker that
 * cannot be reached fails the call, so no node changes.  The worker side
 * runs the call through pipeline._cluster_apply, which marks the backend as
 * applying (so the call is not sent on again) and checks that the worker
 * computed the same version as the coordinator.
 *
 * attach (trigger.c) asks pl_cluster_check whether Citus can run the
 * pipeline on the table; a shard's raise error names its distributed table
 * (pl_cluster_logical_relation); and an error hook on the coordinator gives
 * the pipeline's errors that Citus relays from workers their fields back.
 * Without the citus extension in the database every entry point returns at
 * once (the hook after a few comparisons).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "citus.h"
#include "registry.h"
#include "spec.h"
#include "transform.h"

PG_FUNCTION_INFO_V1(pipeline_cluster_propagate);
PG_FUNCTION_INFO_V1(pipeline_cluster_apply);
PG_FUNCTION_INFO_V1(pipeline_cluster_check);

/* The node's place in a Citus cluster. */
typedef enum PlNodeRole
{
	PL_NODE_ALONE,				/* no citus extension in this database */
	PL_NODE_COORDINATOR,		/* group 0: the coordinator (or a lone node) */
	PL_NODE_WORKER
} PlNodeRole;

/* Citus' void SendCommandToWorkersWithMetadata(const char *command) */
typedef void (*PlSendFn) (const char *command);

/* True while this backend runs a call the coordinator sent. */
static bool pl_applying = false;

/* s copied into the memory of the caller of SPI (NULL stays NULL). */
static char *
spi_copy(const char *s)
{
	char	   *r;

	if (s == NULL)
		return NULL;
	r = SPI_palloc(strlen(s) + 1);
	strcpy(r, s);
	return r;
}

/*
 * The first column of the last statement's single row (NULL if none), in
 * the caller's context; sql may hold several statements.
 */
static char *
query_value(const char *sql, bool read_only)
{
	char	   *v = NULL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, read_only, 0) < 0)
		elog(ERROR, "could not run: %s", sql);
	if (SPI_processed == 1 && SPI_tuptable)
		v = spi_copy(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return v;
}

/* Where this node stands: alone, coordinator or worker. */
static PlNodeRole
node_role(void)
{
	char	   *group;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return PL_NODE_ALONE;
	group = query_value("SELECT groupid FROM pg_catalog.pg_dist_local_group", true);
	return (group == NULL || strcmp(group, "0") == 0) ? PL_NODE_COORDINATOR : PL_NODE_WORKER;
}

/*
 * Refuse when a worker would not receive the call: Citus sends commands in
 * the distributed transaction only to workers that have its metadata.
 */
static void
require_synced_workers(void)
{
	char	   *stale = query_value("SELECT pg_catalog.string_agg(pg_catalog.concat(nodename, ':', nodeport), ', ')"
									" FROM pg_catalog.pg_dist_node WHERE groupid OPERATOR(pg_catalog.<>) 0 AND isactive"
									" AND noderole OPERATOR(pg_catalog.=) 'primary' AND NOT hasmetadata", true);

	if (stale)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot change pipelines while Citus workers lack metadata"),
				 errdetail("Workers %s would not receive the change.", stale),
				 errhint("Sync the metadata with citus_activate_node() first.")));
}

/* Send command to every worker in the current distributed transaction. */
static void
send_to_workers(const char *command)
{
	static PlSendFn send = NULL;

	if (send == NULL)
		send = (PlSendFn) load_external_function("$libdir/citus", "SendCommandToWorkersWithMetadata",
												 true, NULL);
	send(command);
}

/*
 * pipeline._cluster_propagate(call, expect): on a Citus coordinator, run
 * call on every worker in this transaction (expect: the integer it must
 * return there, or NULL).  On a worker, refuse, unless the coordinator sent it.
 */
Datum
pipeline_cluster_propagate(PG_FUNCTION_ARGS)
{
	StringInfoData cmd;

	if (pl_applying || PG_ARGISNULL(0))
		PG_RETURN_VOID();
	switch (node_role())
	{
		case PL_NODE_ALONE:
			PG_RETURN_VOID();
		case PL_NODE_WORKER:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("pipelines are changed on the Citus coordinator"),
					 errdetail("This node is a Citus worker: a change made here would reach no other node."),
					 errhint("Connect to the coordinator and repeat the call there.")));
		case PL_NODE_COORDINATOR:
			break;
	}
	require_synced_workers();
	initStringInfo(&cmd);
	appendStringInfo(&cmd, "SELECT pipeline._cluster_apply(%s, %s)",
					 quote_literal_cstr(text_to_cstring(PG_GETARG_TEXT_PP(0))),
					 PG_ARGISNULL(1) ? "NULL" : psprintf("%d", PG_GETARG_INT32(1)));
	send_to_workers(cmd.data);
	PG_RETURN_VOID();
}

/* Run call as a registry change sent by the coordinator; its value, or NULL. */
static char *
apply_call(const char *call)
{
	char	   *volatile result = NULL;

	pl_applying = true;
	PG_TRY();
	{
		result = query_value(call, false);
	}
	PG_FINALLY();
	{
		pl_applying = false;
	}
	PG_END_TRY();
	return result;
}

/*
 * pipeline._cluster_apply(call, expect): on a worker, run a registry call
 * the coordinator sent, and fail (aborting the whole distributed
 * transaction) if its result is not what the coordinator got.
 */
Datum
pipeline_cluster_apply(PG_FUNCTION_ARGS)
{
	char	   *got;

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	if (node_role() != PL_NODE_WORKER)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pipeline._cluster_apply() runs only on a Citus worker")));
	got = apply_call(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!PG_ARGISNULL(1) && (got == NULL || atoi(got) != PG_GETARG_INT32(1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the pipeline registry of this worker differs from the coordinator's"),
				 errdetail("The call gave %s here and %d on the coordinator.",
						   got ? got : "nothing", PG_GETARG_INT32(1)),
				 errhint("Run pipeline.cluster_sync() on the coordinator to copy its registry to every worker.")));
	PG_RETURN_VOID();
}

/* The schema-qualified name of relation relid, for messages. */
static char *
rel_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/* The step of spec that writes column col (row mode), or NULL. */
static const PlStep *
step_writing(const PlSpec *spec, const char *col)
{
	const PlTransform *t = spec->transform;

	for (int i = 0; t && i < t->nsteps; i++)
	{
		const PlStep *s = &t->steps[i];

		if (s->path.ntokens > 0 && strcmp(s->path.tokens[0], col) == 0)
			return s;
		if (s->op == PL_OP_RENAME && s->other.ntokens > 0 && strcmp(s->other.tokens[0], col) == 0)
			return s;
	}
	return NULL;
}

/* Refuse a pipeline that could change the distribution column dcol of tbl. */
static void
check_distribution_column(Oid tbl, const char *name, const PlSpec *spec, const char *column,
						  const char *dcol)
{
	const PlStep *s = column ? NULL : step_writing(spec, dcol);

	if ((column && strcmp(column, dcol) == 0) || s)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pipeline \"%s\" cannot run on distributed table %s", name, rel_name(tbl)),
				 s ? errdetail("Step %s writes column \"%s\", the distribution column: a changed value would leave the row on a shard it does not belong to.",
							   s->location, dcol)
				 : errdetail("Column \"%s\" is the distribution column: a changed value would leave the row on a shard it does not belong to.",
							 dcol)));
}

/*
 * How Citus keeps tbl: 'h' (hash), 'a' or 'r' (distributed by a column),
 * 'n' (reference table when *reference, else a Citus local table), or '\0'
 * (not a Citus table); *dcol gets the distribution column.
 */
static char
citus_table_kind(Oid tbl, bool *reference, char **dcol)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(tbl)};
	char		kind = '\0';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT partmethod::pg_catalog.text, repmodel::pg_catalog.text,"
							  " pg_catalog.column_to_column_name(logicalrelid, partkey)"
							  " FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_dist_partition");
	if (SPI_processed == 1)
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	d = SPI_tuptable->tupdesc;

		kind = SPI_getvalue(t, d, 1)[0];
		*reference = kind == 'n' && strcmp(SPI_getvalue(t, d, 2), "t") == 0;
		*dcol = spi_copy(SPI_getvalue(t, d, 3));
	}
	SPI_finish();
	return kind;
}

/* Is citus.enable_unsafe_triggers on in this session? */
static inline bool
unsafe_triggers_on(void)
{
	const char *v = GetConfigOption("citus.enable_unsafe_triggers", true, false);

	return v && strcmp(v, "on") == 0;
}

/*
 * Raise unless Citus can run pipeline name (spec: the version to check,
 * NULL for the current one) on table tbl (column: column mode's jsonb
 * column, or NULL): distributed and reference tables need
 * citus.enable_unsafe_triggers to attach, and no step may change a
 * distribution column.
 */
void
pl_cluster_check(Oid tbl, const char *name, const char *column, Jsonb *spec_jb)
{
	bool		reference = false;
	char	   *dcol = NULL;
	char		kind;
	PlSpec	   *spec;

	if (node_role() != PL_NODE_COORDINATOR)
		return;
	kind = citus_table_kind(tbl, &reference, &dcol);
	if (kind == '\0' || (kind == 'n' && !reference))
		return;					/* Citus runs triggers of local tables as they are */
	if (spec_jb == NULL && !unsafe_triggers_on())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot attach pipeline \"%s\" to %s table %s", name,
						reference ? "reference" : "distributed", rel_name(tbl)),
				 errdetail("Citus runs row triggers on the shards of distributed and reference tables only when citus.enable_unsafe_triggers is on."),
				 errhint("SET citus.enable_unsafe_triggers = on, then attach again.")));
	if (dcol == NULL)
		return;
	spec = spec_jb ? pl_spec_compile(spec_jb, &pl_registry_resolver) : pl_cache_lookup(name, NULL);
	check_distribution_column(tbl, name, spec, column, dcol);
	if (spec_jb)
		pl_spec_free(spec);
}

/*
 * pipeline._cluster_check(tbl, name, spec): raise unless spec, as a new
 * version of pipeline name, can run on table tbl (row mode).
 */
Datum
pipeline_cluster_check(PG_FUNCTION_ARGS)
{
	pl_cluster_check(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), NULL,
					 PG_GETARG_JSONB_P(2));
	PG_RETURN_VOID();
}

/* The Citus shard id in a shard's name ("events_102008"), or 0. */
static int64
shard_id_of(const char *relname)
{
	const char *p = strrchr(relname, '_');

	if (p == NULL || p[1] == '\0' || strspn(p + 1, "0123456789") != strlen(p + 1) || strlen(p + 1) > 18)
		return 0;
	return strtoll(p + 1, NULL, 10);
}

/*
 * For a shard of a Citus table, that table, opened (errors then name the
 * table the user wrote to, not the shard); otherwise rel itself.
 */
Relation
pl_cluster_logical_relation(Relation rel)
{
	int64		shard = shard_id_of(RelationGetRelationName(rel));
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(shard)};
	Oid			logical = InvalidOid;
	bool		isnull;

	if (shard == 0 || node_role() == PL_NODE_ALONE)
		return rel;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT logicalrelid::pg_catalog.oid FROM pg_catalog.pg_dist_shard"
							  " WHERE shardid OPERATOR(pg_catalog.=) $1", 1, types, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		logical = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	/* a table that only ends in digits is not a shard */
	if (!OidIsValid(logical) || get_rel_namespace(logical) != RelationGetNamespace(rel) ||
		strcmp(psprintf("%s_" INT64_FORMAT, get_rel_name(logical), shard), RelationGetRelationName(rel)) != 0)
		return rel;
	return relation_open(logical, AccessShareLock);
}

/* ----------------------------------------------------------------
 * Errors relayed from workers
 * ----------------------------------------------------------------
 */

static emit_log_hook_type prev_emit_log_hook = NULL;

/* The text of s between prefix and the next occurrence of stop, or NULL. */
static char *
between(const char *s, const char *prefix, const char *stop, const char **rest)
{
	const char *end;

	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return NULL;
	s += strlen(prefix);
	end = strstr(s, stop);
	if (end == NULL)
		return NULL;
	*rest = end + strlen(stop);
	return pnstrdup(s, end - s);
}

/* Did Citus relay this error from a worker (statement, or COPY)? */
static inline bool
relayed_by_citus(const ErrorData *edata)
{
	return edata->funcname &&
		(strcmp(edata->funcname, "ReportResultError") == 0 ||
		 strcmp(edata->funcname, "ReportCopyError") == 0);
}

/*
 * Citus relays a worker's error with its SQLSTATE, message, detail, hint
 * and context only, and a COPY's with message and detail only: give a
 * pipeline's raise error (see trigger.c) its SQLSTATE, table and constraint
 * back, from the message, before it goes to the client.
 */
static void
restore_relayed_fields(ErrorData *edata)
{
	const char *rest = NULL;
	char	   *table;
	char	   *constraint;

	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
	if (edata->elevel < ERROR || edata->table_name || edata->message == NULL || !relayed_by_citus(edata) ||
		(edata->sqlerrcode != ERRCODE_CHECK_VIOLATION && edata->sqlerrcode != ERRCODE_INTERNAL_ERROR))
		return;
	table = between(edata->message, "new row for relation \"", "\" violates pipeline \"", &rest);
	constraint = table ? between(rest, "", "\"", &rest) : NULL;
	if (constraint == NULL || *rest != '\0')
		return;
	edata->sqlerrcode = ERRCODE_CHECK_VIOLATION;
	edata->table_name = table;
	edata->constraint_name = constraint;
}

/* Install the error hook; called once from _PG_init. */
void
pl_cluster_init(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = restore_relayed_fields;
}
