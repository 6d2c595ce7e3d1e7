/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  pipeline.replay(): quarantined records through the current version.
 *
 * Each INSERT reject of the pipeline is inserted into its table again (row
 * mode: jsonb_populate_record of the record; column mode: the other columns
 * plus the document), which fires the table's pipeline trigger.  While the
 * insert runs, pl_active_replay tells that trigger to hand a failing row's
 * errors and version back here instead of acting on on_error; the reject is
 * then deleted (the row went in) or updated with the new errors and version.
 * Rejects are read FOR UPDATE SKIP LOCKED, so concurrent replays never
 * insert one twice.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "trigger.h"

PG_FUNCTION_INFO_V1(pipeline_replay);

PlReplay   *pl_active_replay = NULL;

/* Does rel have an enabled pipeline trigger for pipeline name? */
static bool
has_pipeline_trigger(Relation rel, const char *name)
{
	Oid			fn = LookupFuncName(list_make2(makeString("pipeline"), makeString("trigger")),
									0, NULL, false);

	for (int i = 0; rel->trigdesc && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		if (t->tgfoid == fn && t->tgenabled != TRIGGER_DISABLED && t->tgnargs >= 1 &&
			strcmp(t->tgargs[0], name) == 0)
			return true;
	}
	return false;
}

/* The INSERT that puts a record back into relation relid; *owner gets its owner. */
static SPIPlanPtr
replay_insert(Oid relid, const char *name, Oid *owner)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												  RelationGetRelationName(rel));
	StringInfoData cols;
	StringInfoData sql;
	Oid			types[3] = {JSONBOID, JSONBOID, TEXTOID};
	SPIPlanPtr	p;

	if (!has_pipeline_trigger(rel, name))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has no trigger for pipeline \"%s\"",
						RelationGetRelationName(rel), name),
				 errhint("Attach the pipeline with pipeline.attach() before replaying its rejects.")));
	initStringInfo(&cols);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(NameStr(att->attname)));
	}
	*owner = rel->rd_rel->relowner;
	table_close(rel, AccessShareLock);
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s"
					 " FROM pg_catalog.jsonb_populate_record(NULL::%s,"
					 " CASE WHEN $2 IS NULL THEN $1"
					 " ELSE $2 OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($3, $1) END)",
					 relname, cols.data, cols.data, relname);
	p = SPI_prepare(sql.data, 3, types);
	if (p == NULL)
		elog(ERROR, "could not prepare the replay insert: %s", SPI_result_code_string(SPI_result));
	return p;
}

/* Run one SPI statement with arguments; returns the number of rows. */
static uint64
run(const char *sql, int n, Oid *types, Datum *args)
{
	int			rc = SPI_execute_with_args(sql, n, types, args, NULL, false, 0);

	if (rc < 0)
		elog(ERROR, "replay statement failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * pipeline._replay(name): send the INSERT rejects of pipeline name through
 * their tables again; returns (replayed, rejected).
 */
Datum
pipeline_replay(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			nametype[1] = {TEXTOID};
	Datum		namearg[1] = {PG_GETARG_DATUM(0)};
	SPITupleTable *rows;
	uint64		nrows;
	int64		replayed = 0;
	int64		rejected = 0;
	Oid			lastrel = InvalidOid;
	SPIPlanPtr	insert = NULL;
	Oid			owner = InvalidOid;
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
	PlReplay	state;
	TupleDesc	rdesc;
	Datum		out[2];
	bool		outnulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	pl_cache_lookup(name, NULL);	/* the pipeline must exist */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run("SELECT id, relation::pg_catalog.oid, record, other_columns, record_column::pg_catalog.text"
		" FROM pipeline.rejects WHERE pipeline OPERATOR(pg_catalog.=) $1"
		" AND operation OPERATOR(pg_catalog.=) 'INSERT'"
		" ORDER BY relation, id FOR UPDATE SKIP LOCKED", 1, nametype, namearg);
	rows = SPI_tuptable;
	nrows = SPI_processed;
	state.name = name;
	state.cxt = CurrentMemoryContext;
	for (uint64 r = 0; r < nrows; r++)
	{
		HeapTuple	t = rows->vals[r];
		TupleDesc	d = rows->tupdesc;
		bool		isnull;
		Datum		id = SPI_getbinval(t, d, 1, &isnull);
		Oid			relid = DatumGetObjectId(SPI_getbinval(t, d, 2, &isnull));
		Datum		args[3];
		char		nulls[3] = "   ";
		uint64		inserted;

		CHECK_FOR_INTERRUPTS();
		if (relid != lastrel)
		{
			if (insert)
				SPI_freeplan(insert);
			insert = replay_insert(relid, name, &owner);
			lastrel = relid;
		}
		for (int k = 0; k < 3; k++)
		{
			args[k] = SPI_getbinval(t, d, k + 3, &isnull);
			nulls[k] = isnull ? 'n' : ' ';
		}
		state.captured = false;

		/*
		 * The insert runs as the table's owner, as a security-restricted
		 * operation (like REFRESH MATERIALIZED VIEW): the table's other
		 * triggers, defaults and checks are its owner's code, and must not
		 * run with the rights of whoever replays (docs/security.md).  An
		 * error restores the user and the settings with the transaction.
		 */
		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		save_nestlevel = NewGUCNestLevel();
		pl_active_replay = &state;
		PG_TRY();
		{
			if (SPI_execute_plan(insert, args, nulls, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "replay insert failed");
			inserted = SPI_processed;
		}
		PG_FINALLY();
		{
			pl_active_replay = NULL;
		}
		PG_END_TRY();
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec);
		if (inserted == 1)
		{
			Oid			types[1] = {INT8OID};

			run("DELETE FROM pipeline.rejects WHERE id OPERATOR(pg_catalog.=) $1", 1, types, &id);
			replayed++;
		}
		else
		{
			if (state.captured)
			{
				Oid			types[3] = {INT8OID, INT4OID, JSONBOID};
				Datum		upd[3] = {id, Int32GetDatum(state.version), JsonbPGetDatum(state.errors)};

				run("UPDATE pipeline.rejects SET version = $2, errors = $3,"
					" rejected_at = pg_catalog.now() WHERE id OPERATOR(pg_catalog.=) $1", 3, types, upd);
			}
			rejected++;
		}
	}
	SPI_finish();
	out[0] = Int64GetDatum(replayed);
	out[1] = Int64GetDatum(rejected);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rdesc), out, outnulls)));
}
