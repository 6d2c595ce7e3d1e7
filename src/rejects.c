/*-------------------------------------------------------------------------
 *
 * rejects.c
 *	  Quarantine's insert into pipeline.rejects.
 *
 * A reject is written as its INSERT statement would write it, as the owner
 * of pipeline.rejects, but without planning or running a statement per row
 * when the table is as the extension created it: the row is formed here (id
 * from the column's sequence, rejected_at the transaction's start), stored
 * with table_tuple_insert and indexed with ExecInsertIndexTuples, every
 * index the table has, as the executor does.  Its only CHECK constraint is
 * known to hold (operation is INSERT or UPDATE), so it is not evaluated.
 *
 * "As created" is decided from the relcache once, and again after any
 * invalidation of the table (or of a schema: the name could now mean another
 * table): a heap table, not a partition, the ten columns with their types
 * and NOT NULLs, id's default nextval of a sequence and rejected_at's now(),
 * that one CHECK, the owner's INSERT privilege, and no trigger (so no
 * foreign key or deferrable constraint), rule or row-level security.
 * Anything else an administrator changed sends the row through the INSERT
 * statement, prepared once, as before.
 *
 * Nothing but that verdict is kept across rows: each row opens the table,
 * its indexes and an executor state of its own and closes them (their locks
 * stay to the end of the transaction, as a planned INSERT keeps them), so
 * nested quarantines, errors and subtransactions leave nothing behind.  The
 * relation's lock is taken before the verdict is read, so invalidations the
 * lock brings in are seen first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "pg_compat.h"
#include "rejects.h"

/* The columns of pipeline.rejects, by attribute number. */
enum
{
	A_ID = 1, A_REJECTED_AT, A_PIPELINE, A_VERSION, A_RELATION, A_OPERATION,
	A_RECORD, A_ERRORS, A_RECORD_COLUMN, A_OTHER_COLUMNS, REJECTS_NATTS = A_OTHER_COLUMNS
};

/* A column as the extension's script creates it. */
typedef struct RejectsColumn
{
	const char *name;
	Oid			type;
	bool		notnull;
} RejectsColumn;

static const RejectsColumn rejects_columns[REJECTS_NATTS] = {
	{"id", INT8OID, true}, {"rejected_at", TIMESTAMPTZOID, true},
	{"pipeline", TEXTOID, true}, {"version", INT4OID, true},
	{"relation", REGCLASSOID, true}, {"operation", TEXTOID, true},
	{"record", JSONBOID, true}, {"errors", JSONBOID, true},
	{"record_column", NAMEOID, false}, {"other_columns", JSONBOID, false}
};

/* What the relcache said about pipeline.rejects, until it is invalidated. */
typedef struct RejectsTarget
{
	bool		valid;
	Oid			relid;
	bool		direct;			/* as created: rows inserted here, not by SQL */
	Oid			seqid;			/* id's default: nextval of this sequence */
} RejectsTarget;

static RejectsTarget target;
static uint64 invalidations = 0;	/* callbacks seen: a load racing one is not kept */
static SPIPlanPtr insert_plan = NULL;

/* Relcache callback: pipeline.rejects (or every relation) changed. */
static void
rejects_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == target.relid)
	{
		target.valid = false;
		invalidations++;
	}
}

/* Syscache callback on schemas: "pipeline.rejects" may name another table now. */
static void
rejects_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	target.valid = false;
	invalidations++;
}

/* Register the callbacks, once per backend. */
static void
rejects_init(void)
{
	static bool registered = false;

	if (registered)
		return;
	CacheRegisterRelcacheCallback(rejects_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, rejects_namespace_callback, (Datum) 0);
	registered = true;
}

/* ----------------------------------------------------------------
 * Is the table as the extension created it?
 * ----------------------------------------------------------------
 */

/* A heap table nothing runs on at INSERT: no trigger, rule or row-level security. */
static inline bool
table_as_created(Relation rel)
{
	Form_pg_class c = rel->rd_rel;

	return c->relkind == RELKIND_RELATION && c->relam == HEAP_TABLE_AM_OID &&
		!c->relispartition && !c->relrowsecurity &&
		rel->trigdesc == NULL && rel->rd_rules == NULL;
}

/* The ten columns, in order, with their names, types and NOT NULLs, none computed. */
static bool
columns_as_created(TupleDesc desc)
{
	if (desc->natts != REJECTS_NATTS)
		return false;
	for (int i = 0; i < REJECTS_NATTS; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		const RejectsColumn *c = &rejects_columns[i];

		if (a->attisdropped || a->atttypid != c->type || a->atttypmod != -1 ||
			a->attnotnull != c->notnull || a->attgenerated || a->attidentity ||
			strcmp(NameStr(a->attname), c->name) != 0)
			return false;
	}
	return true;
}

/* The default of attnum, parsed, if it calls fn; else NULL. */
static FuncExpr *
default_call(TupleConstr *constr, AttrNumber attnum, Oid fn)
{
	for (int i = 0; i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
		{
			Node	   *n = stringToNode(constr->defval[i].adbin);

			return IsA(n, FuncExpr) && ((FuncExpr *) n)->funcid == fn ? (FuncExpr *) n : NULL;
		}
	return NULL;
}

/* id's default as created: nextval of a sequence (its OID); InvalidOid otherwise. */
static Oid
id_sequence(TupleConstr *constr)
{
	FuncExpr   *f = default_call(constr, A_ID, F_NEXTVAL);
	Const	   *c;

	if (f == NULL || list_length(f->args) != 1 || !IsA(linitial(f->args), Const))
		return InvalidOid;
	c = linitial_node(Const, f->args);
	return c->consttype == REGCLASSOID && !c->constisnull ? DatumGetObjectId(c->constvalue) : InvalidOid;
}

/* Is s one of the text constants in elements? */
static bool
has_text(List *elements, const char *s)
{
	ListCell   *lc;

	foreach(lc, elements)
	{
		Const	   *c = lfirst(lc);

		if (IsA(c, Const) && c->consttype == TEXTOID && !c->constisnull &&
			strcmp(TextDatumGetCString(c->constvalue), s) == 0)
			return true;
	}
	return false;
}

/* Is expr "operation IN ('INSERT', 'UPDATE', ...)", which every reject passes? */
static bool
is_operation_check(const char *ccbin)
{
	ScalarArrayOpExpr *op = stringToNode(ccbin);
	Var		   *var;
	ArrayExpr  *arr;

	if (!IsA(op, ScalarArrayOpExpr) || !op->useOr || op->opno != TextEqualOperator ||
		list_length(op->args) != 2 || !IsA(linitial(op->args), Var) ||
		!IsA(lsecond(op->args), ArrayExpr))
		return false;
	var = linitial(op->args);
	arr = lsecond(op->args);
	return var->varattno == A_OPERATION && var->varlevelsup == 0 && !arr->multidims &&
		has_text(arr->elements, "INSERT") && has_text(arr->elements, "UPDATE");
}

/* The defaults and the CHECK as created; sets *seqid. */
static bool
constraints_as_created(TupleDesc desc, Oid *seqid)
{
	TupleConstr *constr = desc->constr;

	if (constr == NULL || constr->num_check != 1 || !is_operation_check(constr->check[0].ccbin) ||
		default_call(constr, A_REJECTED_AT, F_NOW) == NULL ||
		list_length(default_call(constr, A_REJECTED_AT, F_NOW)->args) != 0)
		return false;
	*seqid = id_sequence(constr);
	return OidIsValid(*seqid);
}

/* Read the verdict on rel (locked) from the relcache; kept unless invalidated meanwhile. */
static void
target_judge(Relation rel)
{
	uint64		seen;
	MemoryContext cxt;
	MemoryContext old;
	Oid			seqid = InvalidOid;
	bool		direct;

	target.valid = false;
	target.relid = RelationGetRelid(rel);	/* the callback watches this one from now */
	seen = invalidations;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline rejects check", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	direct = table_as_created(rel) && columns_as_created(RelationGetDescr(rel)) &&
		constraints_as_created(RelationGetDescr(rel), &seqid) &&
		pg_class_aclcheck(RelationGetRelid(rel), rel->rd_rel->relowner, ACL_INSERT) == ACLCHECK_OK;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	target.seqid = seqid;
	target.valid = (invalidations == seen);
	target.direct = direct && target.valid; /* judged on what changed since: SQL */
}

/* ----------------------------------------------------------------
 * Opening the table
 * ----------------------------------------------------------------
 */

/* The OID "pipeline.rejects" names now, or an error as pl_rejects_owner raises it. */
static Oid
rejects_relid(void)
{
	Oid			relid = get_relname_relid("rejects", get_namespace_oid("pipeline", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"pipeline.rejects\" does not exist")));
	return relid;
}

/*
 * Open pipeline.rejects, locked as an INSERT locks it, with a current
 * verdict.  By name when the verdict is stale; the lock comes first and the
 * name is looked up again after it, as RangeVarGetRelid does, in case the
 * table was dropped or renamed while this waited for the lock.
 */
static Relation
rejects_open(void)
{
	Oid			relid = target.relid;
	Relation	rel;

	if (target.valid)
	{
		LockRelationOid(relid, RowExclusiveLock);	/* may invalidate target */
		if (target.valid)
			return table_open(relid, NoLock);
		UnlockRelationOid(relid, RowExclusiveLock);
	}
	for (;;)
	{
		relid = rejects_relid();
		LockRelationOid(relid, RowExclusiveLock);
		if (relid == rejects_relid())
			break;
		UnlockRelationOid(relid, RowExclusiveLock);
	}
	rel = table_open(relid, NoLock);
	target_judge(rel);
	return rel;
}

/* ----------------------------------------------------------------
 * Inserting
 * ----------------------------------------------------------------
 */

/* The row of r, with id and rejected_at as their defaults compute them. */
static void
row_values(const PlRejectRow *r, Oid seqid, Datum *values, bool *nulls)
{
	memset(nulls, 0, REJECTS_NATTS * sizeof(bool));
	values[A_ID - 1] = Int64GetDatum(nextval_internal(seqid, true));
	values[A_REJECTED_AT - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[A_PIPELINE - 1] = CStringGetTextDatum(r->pipeline);
	values[A_VERSION - 1] = Int32GetDatum(r->version);
	values[A_RELATION - 1] = ObjectIdGetDatum(r->relation);
	values[A_OPERATION - 1] = CStringGetTextDatum(r->update ? "UPDATE" : "INSERT");
	values[A_RECORD - 1] = JsonbPGetDatum(r->record);
	values[A_ERRORS - 1] = JsonbPGetDatum(r->errors);
	if (r->record_column)
		values[A_RECORD_COLUMN - 1] = DirectFunctionCall1(namein, CStringGetDatum(r->record_column));
	nulls[A_RECORD_COLUMN - 1] = r->record_column == NULL;
	if (r->other_columns)
		values[A_OTHER_COLUMNS - 1] = JsonbPGetDatum(r->other_columns);
	nulls[A_OTHER_COLUMNS - 1] = r->other_columns == NULL;
}

/*
 * Close rri's indexes, keeping their locks to the end of the transaction as
 * the table's: a planned INSERT keeps them so too, and the next reject finds
 * them held instead of taking them again.
 */
static void
close_indexes(ResultRelInfo *rri)
{
	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
#if PG_VERSION_NUM >= 170000
		index_insert_cleanup(rri->ri_IndexRelationDescs[i], rri->ri_IndexRelationInfo[i]);
#endif
		index_close(rri->ri_IndexRelationDescs[i], NoLock);
	}
}

/*
 * Store and index the row as the executor's INSERT would: every index,
 * unique ones checked now (a deferred check would need a trigger, which
 * sends the row through SQL instead).
 */
static void
insert_direct(Relation rel, const PlRejectRow *r, Oid seqid)
{
	EState	   *estate = CreateExecutorState();
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	Datum		values[REJECTS_NATTS];
	bool		nulls[REJECTS_NATTS];

	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	row_values(r, seqid, values, nulls);
	ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(rel), values, nulls), slot, false);
	table_tuple_insert(rel, slot, GetCurrentCommandId(true), 0, NULL);
	if (pl_insert_index_tuples(rri, slot, estate) != NIL)
		elog(ERROR, "pipeline.rejects has a deferred index check");
	close_indexes(rri);
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextSwitchTo(old);
	FreeExecutorState(estate);
}

/* Insert r with the INSERT statement (prepared once), for a table changed since its creation. */
static void
insert_sql(const PlRejectRow *r, Oid owner)
{
	Oid			types[8] = {TEXTOID, INT4OID, OIDOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID, JSONBOID};
	Datum		args[8];
	char		nulls[8] = "        ";
	int			rc;
	Oid			save_userid;
	int			save_sec;

	args[0] = CStringGetTextDatum(r->pipeline);
	args[1] = Int32GetDatum(r->version);
	args[2] = ObjectIdGetDatum(r->relation);
	args[3] = CStringGetTextDatum(r->update ? "UPDATE" : "INSERT");
	args[4] = JsonbPGetDatum(r->record);
	args[5] = JsonbPGetDatum(r->errors);
	args[6] = r->record_column ? CStringGetTextDatum(r->record_column) : (Datum) 0;
	args[7] = r->other_columns ? JsonbPGetDatum(r->other_columns) : (Datum) 0;
	if (r->record_column == NULL)
		nulls[6] = 'n';
	if (r->other_columns == NULL)
		nulls[7] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (insert_plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("INSERT INTO pipeline.rejects (pipeline, version, relation, operation,"
									" record, errors, record_column, other_columns)"
									" VALUES ($1, $2, $3::pg_catalog.regclass, $4, $5, $6, $7::pg_catalog.name, $8)",
									8, types);

		if (p == NULL)
			elog(ERROR, "could not prepare the rejects insert: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		insert_plan = p;
	}
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_plan(insert_plan, args, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert into pipeline.rejects: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * Refuse the reject of a row of pipeline.rejects itself: its insert would
 * fire the same pipeline's trigger on the reject, which would be
 * quarantined in turn, until the stack ran out.
 */
static void
check_not_rejects_row(Relation rel, const PlRejectRow *r)
{
	if (r->relation == RelationGetRelid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pipeline \"%s\" cannot quarantine a row of pipeline.rejects", r->pipeline),
				 errdetail("Its reject would be a row of pipeline.rejects too, judged by the same pipeline."),
				 errhint("Give a pipeline attached to pipeline.rejects on_error \"raise\".")));
}

/*
 * Insert r into pipeline.rejects as the table's owner (docs/security.md):
 * nothing of the caller's runs with the owner's rights; an error restores
 * the user with the (sub)transaction.
 */
void
pl_rejects_insert(const PlRejectRow *r)
{
	Relation	rel;
	Oid			owner;

	rejects_init();
	rel = rejects_open();
	check_not_rejects_row(rel, r);
	owner = rel->rd_rel->relowner;
	/* read once: a nested quarantine may reload it; a read-only transaction gets the INSERT's error */
	if (target.direct && !XactReadOnly && !IsInParallelMode())
	{
		Oid			seqid = target.seqid;
		Oid			save_userid;
		int			save_sec;

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		insert_direct(rel, r, seqid);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	else
		insert_sql(r, owner);
	table_close(rel, NoLock);
}
