/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  pipeline.replay(): quarantined records through the current version.
 *
 * Each INSERT reject of the pipeline is inserted into its table again (row
 * mode: jsonb_populate_record of the record; column mode: the other columns
 * plus the document), which fires the table's pipeline trigger.  Only the
 * columns the stored record has are inserted, so a column added since takes
 * its default.
 *
 * The unit of work is one reject: its insert and the change to its reject
 * run in a subtransaction of their own.  The reject is deleted (the row went
 * in, or another pipeline quarantined it: its reject moved), updated with the
 * new errors (the pipeline refused it again, or the insert raised an error)
 * or left as it was (another trigger kept the row out).  Only cancellation
 * and errors that are not about the row (serialization, resources, internal)
 * end the replay.  A table that was dropped, or has no trigger for the
 * pipeline, is skipped with a warning.
 *
 * While the insert runs, pl_active_replay describes it: the relation and
 * the trigger depth at which the insert's own BEFORE ROW triggers fire, so
 * that its pipeline trigger hands a failing row's errors back here instead
 * of acting on on_error, and a row inserted by a cascade (another table, or
 * a nested statement) is judged as it would be outside a replay.  It is
 * saved and restored around every insert, so replays can nest.
 *
 * Rejects are read FOR UPDATE SKIP LOCKED, through a cursor a batch at a
 * time (memory does not grow with the quarantine), so concurrent replays never
 * insert one twice.  Replayers may not write pipeline.rejects themselves:
 * the statements on it run as its owner, like quarantine's insert.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "trigger.h"

PG_FUNCTION_INFO_V1(pipeline_replay);

#define REPLAY_BATCH	1000	/* rejects fetched (and locked) at a time */

/* The replay whose insert is running, or NULL. */
PlReplay   *pl_active_replay = NULL;

/* What replay returns. */
typedef struct ReplayTally
{
	int64		replayed;		/* stored; the reject is deleted */
	int64		rejected;		/* kept out again by a pipeline or a trigger */
	int64		failed;			/* the insert raised an error, kept in the reject */
	int64		skipped;		/* table dropped or without the trigger: untouched */
} ReplayTally;

/* The table the current rejects go back into. */
typedef struct ReplayTarget
{
	Oid			relid;
	bool		usable;			/* exists, is a table, has the pipeline's trigger */
	bool		dropped;
	Oid			owner;
	char	   *relname;		/* schema-qualified, quoted */
	int			natts;
	char	  **names;			/* per attribute: its name, or NULL if dropped */
	bool	   *insertable;		/* per attribute: not dropped, not generated */
	char	   *colset;			/* the column list insert was prepared for */
	SPIPlanPtr	insert;
	int64		nskipped;
	MemoryContext cxt;			/* reset per table */
} ReplayTarget;

/* The statements replay runs on pipeline.rejects, prepared once per call. */
typedef struct ReplayRejects
{
	SPIPlanPtr	delete;
	SPIPlanPtr	update;
	int32		version;		/* the pipeline's current version */
} ReplayRejects;

/* The trigger depth of the caller: pg_trigger_depth(). */
static int
trigger_depth(void)
{
	LOCAL_FCINFO(fcinfo, 0);

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	return DatumGetInt32(pg_trigger_depth(fcinfo));
}

/*
 * During a replay, the replay if this trigger call is for the row it
 * inserts: an INSERT, one trigger level below the replay's statement, on its
 * relation (or, when that is partitioned, on one of its partitions); NULL
 * for any other row (see pl_replay_row).
 */
PlReplay *
pl_replay_row_during(Relation rel, TriggerData *td)
{
	PlReplay   *r = pl_active_replay;
	Oid			relid = RelationGetRelid(rel);

	if (!TRIGGER_FIRED_BY_INSERT(td->tg_event) || trigger_depth() != r->depth)
		return NULL;
	if (relid == r->relid ||
		(rel->rd_rel->relispartition && list_member_oid(get_partition_ancestors(relid), r->relid)))
		return r;
	return NULL;
}

/* The owner of pipeline.rejects: quarantine and replay write it as that role. */
Oid
pl_rejects_owner(void)
{
	Oid			rejects = get_relname_relid("rejects", get_namespace_oid("pipeline", false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(rejects))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"pipeline.rejects\" does not exist")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rejects));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", rejects);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* The user and security context to restore after a switch. */
typedef struct SavedUser
{
	Oid			userid;
	int			sec;
} SavedUser;

/*
 * Become the owner of pipeline.rejects: replay's statements on it run as
 * that role.  An error restores the user with the (sub)transaction.
 */
static SavedUser
become_rejects_owner(void)
{
	SavedUser	saved;

	GetUserIdAndSecContext(&saved.userid, &saved.sec);
	SetUserIdAndSecContext(pl_rejects_owner(), saved.sec | SECURITY_LOCAL_USERID_CHANGE);
	return saved;
}

/* Run a prepared statement on pipeline.rejects as its owner; returns the row count. */
static uint64
rejects_exec(SPIPlanPtr plan, Datum *args, const char *nulls)
{
	SavedUser	saved = become_rejects_owner();
	int			rc = SPI_execute_plan(plan, args, nulls, false, 0);

	SetUserIdAndSecContext(saved.userid, saved.sec);
	if (rc < 0)
		elog(ERROR, "replay statement failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* SPI_prepare, or a can't-happen error. */
static SPIPlanPtr
prepare(const char *sql, int n, Oid *types)
{
	SPIPlanPtr	p = SPI_prepare(sql, n, types);

	if (p == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return p;
}

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

/* Warn that the rejects of the table just left were not replayed. */
static void
warn_skipped(const ReplayTarget *t, const char *name)
{
	if (t->nskipped == 0)
		return;
	if (t->dropped)
		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg_plural("%lld reject of pipeline \"%s\" was not replayed: its table was dropped",
							   "%lld rejects of pipeline \"%s\" were not replayed: their table was dropped",
							   t->nskipped, (long long) t->nskipped, name),
				 errdetail("The table had OID %u.", t->relid),
				 errhint("Delete them from pipeline.rejects if they are no longer needed.")));
	else
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("%lld reject of pipeline \"%s\" was not replayed: table %s has no trigger for it",
							   "%lld rejects of pipeline \"%s\" were not replayed: table %s has no trigger for it",
							   t->nskipped, (long long) t->nskipped, name, t->relname),
				 errhint("Attach the pipeline with pipeline.attach() before replaying its rejects.")));
}

/*
 * Make relid the target: open it (a dropped table, or an OID now used by
 * something that is not a table, is unusable), check that the caller may
 * insert into it (42501), and note its columns and owner.
 */
static void
target_open(ReplayTarget *t, Oid relid, const char *name)
{
	Relation	rel = try_relation_open(relid, RowExclusiveLock);
	MemoryContext old;
	TupleDesc	desc;
	char		kind;

	if (t->insert)
		SPI_freeplan(t->insert);
	MemoryContextReset(t->cxt);
	t->relid = relid;
	t->nskipped = 0;
	t->insert = NULL;
	t->colset = NULL;
	kind = rel ? rel->rd_rel->relkind : RELKIND_RELATION;
	t->dropped = rel == NULL || (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE &&
								 kind != RELKIND_FOREIGN_TABLE);
	t->usable = false;
	if (t->dropped)
	{
		if (rel)
			relation_close(rel, RowExclusiveLock);
		return;
	}
	old = MemoryContextSwitchTo(t->cxt);
	t->relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											RelationGetRelationName(rel));
	t->usable = has_pipeline_trigger(rel, name);
	if (t->usable && pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", RelationGetRelationName(rel)),
				 errdetail("Replaying rejects of pipeline \"%s\" inserts into that table.", name)));
	t->owner = rel->rd_rel->relowner;
	desc = RelationGetDescr(rel);
	t->natts = desc->natts;
	t->names = palloc0(sizeof(char *) * Max(desc->natts, 1));
	t->insertable = palloc0(sizeof(bool) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		t->names[i] = pstrdup(NameStr(att->attname));
		t->insertable[i] = !att->attgenerated;
	}
	MemoryContextSwitchTo(old);
	relation_close(rel, NoLock);
}

/* Is key a member of object jb (NULL: no object)? */
static inline bool
has_key(Jsonb *jb, const char *key)
{
	return jb && JB_ROOT_IS_OBJECT(jb) &&
		getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL) != NULL;
}

/*
 * The columns of the target that the reject has values for, as a column
 * list: the record's keys (row mode), or the other columns' keys and the
 * record column (column mode).  A row-mode record that is not an object
 * gets every column, so that the insert fails on it rather than inserting
 * defaults.
 */
static char *
reject_columns(const ReplayTarget *t, Jsonb *record, Jsonb *others, const char *record_col)
{
	StringInfoData cols;
	bool		all = record_col == NULL && !JB_ROOT_IS_OBJECT(record);

	initStringInfo(&cols);
	for (int i = 0; i < t->natts; i++)
	{
		const char *n = t->names[i];

		if (!t->insertable[i])
			continue;
		if (all || (record_col ? (strcmp(n, record_col) == 0 || has_key(others, n)) : has_key(record, n)))
			appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(n));
	}
	return cols.data;
}

/* Is key (len bytes) the name of a column of the target (generated ones too)? */
static bool
target_has_column(const ReplayTarget *t, const char *key, int len)
{
	for (int i = 0; i < t->natts; i++)
		if (t->names[i] && strlen(t->names[i]) == (size_t) len && memcmp(t->names[i], key, len) == 0)
			return true;
	return false;
}

/* Raise the error of a reject with a value for column key (len bytes), which the table lacks. */
pg_attribute_noreturn()
static void
missing_column(const ReplayTarget *t, const char *key, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation %s does not exist", pnstrdup(key, len), t->relname),
			 errdetail("The quarantined record has a value for that column (dropped or renamed since); "
					   "replaying it would lose the value."),
			 errhint("Add the column back, or insert the record by hand and delete its reject.")));
}

/*
 * Refuse a reject that has a value for a column the table no longer has:
 * a key of the record (row mode), or the record column or a key of the
 * other columns (column mode).  Inserting it without that column would
 * store the row and delete the reject, and the value would be lost.
 */
static void
check_reject_columns(const ReplayTarget *t, Jsonb *record, Jsonb *others, const char *record_col)
{
	Jsonb	   *obj = record_col ? others : record;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (record_col && !target_has_column(t, record_col, strlen(record_col)))
		missing_column(t, record_col, strlen(record_col));
	if (obj == NULL || !JB_ROOT_IS_OBJECT(obj))
		return;
	it = JsonbIteratorInit(&obj->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY && !target_has_column(t, v.val.string.val, v.val.string.len))
			missing_column(t, v.val.string.val, v.val.string.len);
}

/*
 * The INSERT of a reject with columns cols into the target: the other
 * columns take their defaults.  Identity values of the first attempt are
 * kept (OVERRIDING SYSTEM VALUE).
 */
static SPIPlanPtr
prepare_insert(const ReplayTarget *t, const char *cols)
{
	Oid			types[3] = {JSONBOID, JSONBOID, TEXTOID};
	StringInfoData sql;

	initStringInfo(&sql);
	if (cols[0] == '\0')
		appendStringInfo(&sql, "INSERT INTO %s DEFAULT VALUES", t->relname);
	else
		appendStringInfo(&sql,
						 "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s"
						 " FROM pg_catalog.jsonb_populate_record(NULL::%s,"
						 " CASE WHEN $2 IS NULL THEN $1"
						 " ELSE $2 OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($3, $1) END)",
						 t->relname, cols, cols, t->relname);
	return prepare(sql.data, 3, types);
}

/* A reject's record, other columns (NULL in row mode) and record column (NULL in row mode). */
typedef struct RejectRow
{
	Jsonb	   *record;
	Jsonb	   *others;
	char	   *record_col;
} RejectRow;

/* The reject row of the replayed statement's args (record, other_columns, record_column). */
static RejectRow
reject_row(Datum *args, const bool *isnull)
{
	RejectRow	r;

	r.record = DatumGetJsonbP(args[0]);
	r.others = isnull[1] ? NULL : DatumGetJsonbP(args[1]);
	r.record_col = isnull[1] || isnull[2] ? NULL : TextDatumGetCString(args[2]);
	return r;
}

/*
 * Point the target's insert at the reject's columns, preparing it if they
 * changed (the column list is built in the row's memory, kept only then).
 */
static void
target_insert_for(ReplayTarget *t, const RejectRow *row)
{
	char	   *cols = reject_columns(t, row->record, row->others, row->record_col);

	if (t->colset != NULL && strcmp(cols, t->colset) == 0)
		return;
	if (t->insert)
		SPI_freeplan(t->insert);
	t->insert = prepare_insert(t, cols);
	t->colset = MemoryContextStrdup(t->cxt, cols);
}

/*
 * Insert the reject's row as the table's owner, as a security-restricted
 * operation (like REFRESH MATERIALIZED VIEW): the table's triggers, defaults
 * and checks are its owner's code, and must not run with the rights of
 * whoever replays (docs/security.md).  The replay state is active for the
 * insert only and the outer one restored, also on error; user, security
 * context and settings are restored by the subtransaction on error.
 */
static uint64
insert_as_owner(const ReplayTarget *t, PlReplay *state, Datum *args, const char *nulls)
{
	PlReplay   *outer = pl_active_replay;
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
	uint64		inserted = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(t->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	state->relid = t->relid;
	state->outer = outer;
	state->depth = trigger_depth() + 1;
	state->captured = state->moved = state->judged = false;
	pl_active_replay = state;
	PG_TRY();
	{
		if (SPI_execute_plan(t->insert, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "replay insert failed");
		inserted = SPI_processed;
	}
	PG_FINALLY();
	{
		pl_active_replay = outer;
	}
	PG_END_TRY();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	return inserted;
}

/* Record new errors (and version) in reject id. */
static void
reject_update(const ReplayRejects *rj, Datum id, int32 version, Jsonb *errors,
			  const ErrorData *edata)
{
	Datum		args[5];
	char		nulls[5] = "     ";

	args[0] = id;
	args[1] = Int32GetDatum(version);
	args[2] = errors ? JsonbPGetDatum(errors) : (Datum) 0;
	nulls[2] = errors ? ' ' : 'n';
	args[3] = edata ? CStringGetTextDatum(edata->message) : (Datum) 0;
	args[4] = edata ? CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode)) : (Datum) 0;
	nulls[3] = nulls[4] = edata ? ' ' : 'n';
	rejects_exec(rj->update, args, nulls);
}

/*
 * The row went in without the pipeline's trigger seeing it (the row's own
 * code detached the pipeline or disabled the trigger since the table was
 * checked): undo it, as a row of a table without the trigger is never
 * replayed.
 */
pg_attribute_noreturn()
static void
unjudged(const ReplayTarget *t, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table %s has no trigger for pipeline \"%s\"", t->relname, name),
			 errdetail("The row was stored without the pipeline's trigger seeing it; it is not replayed.")));
}

/* Insert one reject's row and settle its reject; raises what the insert raises. */
static void
replay_row(const ReplayTarget *t, const ReplayRejects *rj, PlReplay *state, Datum id,
		   const RejectRow *row, Datum *args, const char *nulls, ReplayTally *tally)
{
	check_reject_columns(t, row->record, row->others, row->record_col);
	if (insert_as_owner(t, state, args, nulls) == 1)
	{
		if (!state->judged)
			unjudged(t, state->name);
		rejects_exec(rj->delete, &id, NULL);
		tally->replayed++;
		return;
	}
	if (state->captured)
		reject_update(rj, id, state->version, state->errors, NULL);
	else if (state->moved)
		rejects_exec(rj->delete, &id, NULL);
	tally->rejected++;
}

/* Does an error end the replay, rather than only the row's attempt? */
static inline bool
ends_replay(int sqlerrcode)
{
	int			cat = ERRCODE_TO_CATEGORY(sqlerrcode);

	return cat == ERRCODE_TRANSACTION_ROLLBACK || cat == ERRCODE_INSUFFICIENT_RESOURCES ||
		cat == ERRCODE_OPERATOR_INTERVENTION || cat == ERRCODE_SYSTEM_ERROR ||
		cat == ERRCODE_INTERNAL_ERROR;
}

/* replay_row's arguments, for pl_subxact. */
typedef struct ReplayCall
{
	const ReplayTarget *t;
	const ReplayRejects *rj;
	PlReplay   *state;
	Datum		id;
	const RejectRow *row;
	Datum	   *args;
	const char *nulls;
	ReplayTally *tally;
} ReplayCall;

static void
replay_call(void *arg)
{
	ReplayCall *c = arg;

	replay_row(c->t, c->rj, c->state, c->id, c->row, c->args, c->nulls, c->tally);
}

/* Is sqlerrcode the failure of one row's attempt only? */
static bool
fails_row(int sqlerrcode)
{
	return !ends_replay(sqlerrcode);
}

/*
 * Replay one reject in a subtransaction of its own: an error of the row
 * rolls back its insert and is stored in the reject as its errors.  Any
 * error rolls the subtransaction back before it goes on, so a cancelled
 * replay leaves no subtransaction behind.
 */
static void
replay_one(const ReplayTarget *t, const ReplayRejects *rj, PlReplay *state, Datum id,
		   const RejectRow *row, Datum *args, const char *nulls, ReplayTally *tally)
{
	ReplayCall	c = {t, rj, state, id, row, args, nulls, tally};
	ErrorData  *edata;

	if (pl_subxact(replay_call, &c, fails_row, &edata))
		return;
	reject_update(rj, id, rj->version, NULL, edata);
	tally->failed++;
}

/*
 * Refuse a replay of name inside a row that a replay of name inserts: the
 * rejects that replay has taken are locked by this very transaction, so
 * this one would take them too and insert each row again.
 */
static void
check_not_replaying(const char *name)
{
	for (const PlReplay *r = pl_active_replay; r; r = r->outer)
		if (strcmp(r->name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("pipeline \"%s\" is being replayed", name),
					 errdetail("A row that pipeline.replay() inserts cannot replay the same pipeline.")));
}

/*
 * Prepare the statements on pipeline.rejects; returns a cursor over the
 * INSERT rejects of name, which locks them as they are fetched.
 */
static Portal
rejects_open(ReplayRejects *rj, Datum name)
{
	SavedUser	saved;
	Portal		cursor;

	Oid			nametype[1] = {TEXTOID};
	Oid			idtype[1] = {INT8OID};
	Oid			updtypes[5] = {INT8OID, INT4OID, JSONBOID, TEXTOID, TEXTOID};
	SPIPlanPtr	select;

	select = prepare("SELECT id, relation::pg_catalog.oid, record, other_columns,"
					 " record_column::pg_catalog.text"
					 " FROM pipeline.rejects WHERE pipeline OPERATOR(pg_catalog.=) $1"
					 " AND operation OPERATOR(pg_catalog.=) 'INSERT'"
					 " ORDER BY relation, id FOR UPDATE SKIP LOCKED", 1, nametype);
	rj->delete = prepare("DELETE FROM pipeline.rejects WHERE id OPERATOR(pg_catalog.=) $1",
						 1, idtype);
	rj->update = prepare("UPDATE pipeline.rejects SET version = $2, rejected_at = pg_catalog.now(),"
						 " errors = COALESCE($3, pg_catalog.jsonb_build_array("
						 "pg_catalog.jsonb_build_object('instanceLocation', '', 'keywordLocation', '',"
						 " 'error', $4, 'sqlstate', $5)))"
						 " WHERE id OPERATOR(pg_catalog.=) $1", 5, updtypes);
	saved = become_rejects_owner();
	cursor = SPI_cursor_open(NULL, select, &name, NULL, false);
	SetUserIdAndSecContext(saved.userid, saved.sec);
	return cursor;
}

/*
 * The next batch of rejects from cursor (NULL when there are no more), so
 * that a replay holds a batch in memory, not the whole quarantine.
 */
static SPITupleTable *
rejects_fetch(Portal cursor)
{
	SavedUser	saved = become_rejects_owner();

	SPI_cursor_fetch(cursor, true, REPLAY_BATCH);
	SetUserIdAndSecContext(saved.userid, saved.sec);
	return SPI_processed > 0 ? SPI_tuptable : NULL;
}

/*
 * Replay reject t (id, relation, record, other_columns, record_column),
 * switching the target when its table differs from the previous reject's;
 * its memory is the row context of state, reset per reject.
 */
static void
replay_reject(ReplayTarget *target, const ReplayRejects *rj, PlReplay *state, HeapTuple t,
			  TupleDesc desc, ReplayTally *tally)
{
	bool		isnull[5];
	Datum		v[5];
	char		nulls[3];
	MemoryContext old;
	RejectRow	row;

	CHECK_FOR_INTERRUPTS();
	for (int k = 0; k < 5; k++)
		v[k] = SPI_getbinval(t, desc, k + 1, &isnull[k]);
	if (DatumGetObjectId(v[1]) != target->relid)
	{
		warn_skipped(target, state->name);
		target_open(target, DatumGetObjectId(v[1]), state->name);
	}
	if (!target->usable)
	{
		target->nskipped++;
		tally->skipped++;
		return;
	}
	for (int k = 0; k < 3; k++)
		nulls[k] = isnull[k + 2] ? 'n' : ' ';
	MemoryContextReset(state->cxt);
	old = MemoryContextSwitchTo(state->cxt);
	row = reject_row(&v[2], &isnull[2]);
	target_insert_for(target, &row);
	replay_one(target, rj, state, v[0], &row, &v[2], nulls, tally);
	MemoryContextSwitchTo(old);
}

/* The result row of replay. */
static Datum
tally_datum(FunctionCallInfo fcinfo, const ReplayTally *tally)
{
	TupleDesc	rdesc;
	Datum		out[4];
	bool		outnulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	out[0] = Int64GetDatum(tally->replayed);
	out[1] = Int64GetDatum(tally->rejected);
	out[2] = Int64GetDatum(tally->failed);
	out[3] = Int64GetDatum(tally->skipped);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rdesc), out, outnulls));
}

/*
 * pipeline._replay(name): send the INSERT rejects of pipeline name through
 * their tables again; returns (replayed, rejected, failed, skipped).
 */
Datum
pipeline_replay(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReplayTally tally = {0};
	ReplayRejects rj;
	ReplayTarget target = {InvalidOid};
	PlReplay	state = {0};
	Portal		cursor;
	SPITupleTable *rows;
	MemoryContext rowcxt;

	check_not_replaying(name);
	rj.version = pl_cache_lookup(name, NULL)->version;	/* the pipeline must exist */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	cursor = rejects_open(&rj, PG_GETARG_DATUM(0));
	target.cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline replay table",
									   ALLOCSET_SMALL_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline replay row",
								   ALLOCSET_DEFAULT_SIZES);
	state.name = name;
	state.cxt = rowcxt;
	while ((rows = rejects_fetch(cursor)) != NULL)
	{
		for (uint64 r = 0; r < rows->numvals; r++)
			replay_reject(&target, &rj, &state, rows->vals[r], rows->tupdesc, &tally);
		SPI_freetuptable(rows);
	}
	SPI_cursor_close(cursor);
	warn_skipped(&target, name);
	SPI_finish();
	PG_RETURN_DATUM(tally_datum(fcinfo, &tally));
}
