/*-------------------------------------------------------------------------
 *
 * trigger.c
 *	  pipeline.trigger(): rows transformed and checked in place on INSERT
 *	  and UPDATE; attach checks; quarantine and replay.
 *
 * A BEFORE ROW trigger runs pipeline.trigger('name' [, 'column']).  Without
 * a column the record is the row (see rows.c); with one, the jsonb value of
 * that column.  Transform steps run on the record, the result is validated,
 * and then either the row goes on (rebuilt with heap_modify_tuple only when
 * a step changed something) or the spec's on_error decides: raise 23514,
 * quarantine into pipeline.rejects in the same transaction, or skip.
 *
 * Per trigger (by pg_trigger OID) a plan is built once and kept in a
 * per-backend hash: each column classified (PlColumn, sorted in jsonb key
 * order so the row record needs no sorting), and every step checked against
 * the table.  The plan holds the PlSpec it was built for and the relation's
 * tuple descriptor; a row compares both pointers.  A relcache callback marks
 * plans of an ALTERed table stale, and a reset callback on the spec's memory
 * (one per spec) marks plans of a freed spec stale, so a pointer reused by a
 * later allocation can never match.
 *
 * A single-row statement is a new call site (fn_extra) every time, so what
 * a row needs is kept per trigger, not per call site: the call site points
 * at the trigger's entry (the one used last is found without hashing), and
 * the entry holds the spec cache's shortcut, which the cache's generation
 * counter checks (cache.c): no hash lookup, allocation or catalog access
 * per statement or row while nothing changes.
 *
 * Re-entrancy: user code runs in the middle of a row (a domain's CHECK, a
 * type's input function, a generated column's expression) and may insert
 * into a table with a pipeline trigger, even this one.  So a call never
 * keeps its row in the plan: it works in a PlRow (arrays and a memory
 * context reset per row); the first call on a plan uses the plan's own
 * PlRow, a nested one makes another.  A call pins its plan and its spec
 * (a nested call may rebuild the plan or recompile the spec; what it
 * replaces is freed at the last unpin), and is a frame on a stack that
 * transaction and subtransaction abort unwind.
 *
 * UPDATE runs only the steps that read a column the statement changed; a
 * row moving to another partition (BEFORE UPDATE here, BEFORE INSERT on the
 * destination) goes through the steps once; docs/triggers.md has the rules.
 *
 * During pipeline.replay() (replay.c) the trigger of the pipeline being
 * replayed hands the replayed row's failure to the replay instead of acting
 * on on_error; any other row is judged as outside a replay.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "storage/bufmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ops.h"
#include "citus.h"
#include "rejects.h"
#include "stats.h"
#include "trigger.h"

PG_FUNCTION_INFO_V1(pipeline_trigger);
PG_FUNCTION_INFO_V1(pipeline_check_attach);

/* One call's row: what a call writes while it works, never shared. */
typedef struct PlRow
{
	Datum	   *values;			/* per attribute, for deforming and rebuilding */
	bool	   *nulls;
	bool	   *replace;
	int		   *touched;		/* per column: last step that wrote it, or -1 */
	bool	   *fresh;			/* UPDATE, per column: changed by the statement or a step */
	Datum	   *old;			/* UPDATE: the stored row, per attribute */
	bool	   *oldnulls;
	Jsonb	   *doc;			/* column mode: the record column's document,
								 * detoasted once for judging and quarantine */
	ExprState **gen;			/* per generated column: its expression */
	ExprContext *econtext;
	TupleTableSlot *slot;		/* the row, for the generated columns' expressions */
	MemoryContext cxt;			/* reset for every row */
	MemoryContext own;			/* a nested call's: holds this PlRow; NULL for the plan's */
} PlRow;

/* The columns a step reads and those it may write (indexes into the plan's cols). */
typedef struct PlStepCols
{
	int			nin;
	int		   *in;
	int			nout;
	int			out[2];
} PlStepCols;

/* Which steps a row goes through. */
typedef enum PlStepMode
{
	PL_STEPS_ALL,				/* INSERT */
	PL_STEPS_CHANGED			/* UPDATE, and the INSERT half of a row moving
								 * between partitions: those reading a changed
								 * column */
} PlStepMode;

/* A trigger's plan: the spec and the table's shape, prepared; read-only during a call. */
typedef struct PlTrigPlan
{
	bool		valid;
	PlSpec	   *spec;
	TupleDesc	tupdesc;		/* the relation's descriptor it was built for */
	Oid			relid;
	Oid			root;			/* topmost partitioned ancestor, or InvalidOid */
	int			record_col;		/* column mode: index in cols; -1 in row mode */
	int			ncols;			/* live columns, in jsonb key order */
	PlColumn   *cols;
	int			natts;
	PlStepCols *steps;			/* row mode: per transform step */
	int			ngen;			/* row mode: generated columns */
	bool		gen_read;		/* a step reads one: computed before the steps too */
	int		   *gen_cols;		/* their indexes in cols */
	Expr	  **gen_exprs;		/* their expressions, planned */
	/* the values and nulls of the innermost call on this plan (quarantine reads them) */
	Datum	   *values;
	bool	   *nulls;
	PlRow	   *cur;			/* the innermost call's row */
	PlRow		row;			/* the row of the outermost call */
	bool		row_busy;
	int			pins;			/* calls using the plan */
	bool		retired;		/* replaced while pinned: freed at the last unpin */
	MemoryContext cxt;
} PlTrigPlan;

/*
 * Hash entry: trigger OID -> plan.  Entries are never removed (a stale plan
 * is freed, its entry stays), so a pointer to one is good for the life of
 * the backend: call sites keep it in fn_extra.
 */
typedef struct PlTrigEntry
{
	Oid			tgoid;
	PlTrigPlan *plan;
	FmgrInfo	cache_flinfo;	/* pl_cache_lookup's shortcut to the spec, across
								 * statements (checked by generation) */
	TupleTableSlot *inserted;	/* the row this trigger's last INSERT let through
								 * (NULL once its memory is freed) ... */
	CommandId	inserted_cid;	/* ... in this command of this transaction */
	LocalTransactionId inserted_lxid;
} PlTrigEntry;

/* A callback on the memory of the slot an entry remembers (see remember_insert). */
typedef struct PlSlotWatch
{
	MemoryContextCallback cb;
	PlTrigEntry *entry;
	TupleTableSlot *slot;
} PlSlotWatch;

/* A call in progress (innermost last). */
typedef struct PlFrame
{
	PlTrigPlan *plan;
	PlSpec	   *spec;
	PlRow	   *row;
	PlRow	   *prev;			/* the row the plan's values/nulls showed before */
	SubTransactionId subid;		/* the subtransaction it started in */
} PlFrame;

/*
 * The row a BEFORE UPDATE let through after its statement changed a
 * partition key column: if it leaves the partition, the BEFORE INSERT on the
 * destination that comes next sees the same values (by column name), except
 * where a trigger that fired in between changed them.
 */
typedef struct PlMove
{
	Oid			root;
	Oid			from;			/* the partition it leaves, and its row there */
	ItemPointerData tid;
	char		name[NAMEDATALEN];	/* the pipeline and version that judged it */
	int32		version;
	LocalTransactionId lxid;
	TimestampTz stmt;
	int			ncols;
	Datum	   *values;			/* per column, in plan order */
	bool	   *nulls;
	MemoryContext cxt;
} PlMove;

/*
 * Where the row of a remembered move is: untouched in its partition (the
 * UPDATE has not carried it out yet), moved out of it, or updated or deleted
 * there (the move will never arrive).
 */
typedef enum PlMoveState
{
	PL_MOVE_PENDING,
	PL_MOVE_LEFT,
	PL_MOVE_SETTLED
} PlMoveState;

/*
 * Moves remembered, newest last.  Code run between an UPDATE's two halves
 * (a BEFORE trigger after ours, or one of the new partition before ours) may
 * move rows of its own: its moves go above the outer one and never replace
 * it.  Settled moves are dropped when a new one comes, and the oldest when
 * there are PL_MAX_MOVES (rows a later BEFORE UPDATE trigger kept in place).
 */
#define PL_MAX_MOVES 32

static HTAB *trig_plans = NULL;
static PlTrigEntry *last_entry = NULL;	/* the entry a call used last */
static PlFrame *frames = NULL;
static int	nframes = 0;
static int	maxframes = 0;
static PlMove moves[PL_MAX_MOVES];
static int	nmoves = 0;

/* ----------------------------------------------------------------
 * The plan cache, and calls in progress
 * ----------------------------------------------------------------
 */

/*
 * A plan went stale: free it unless a call is using it (that call's trigger
 * keeps the entry and the next row rebuilds).  A dropped table's plans are
 * freed here, so plans of tables that come and go do not accumulate.
 */
static void
plan_stale(PlTrigEntry *e)
{
	PlTrigPlan *plan = e->plan;

	plan->valid = false;
	if (plan->pins > 0)
		return;
	e->plan = NULL;
	MemoryContextDelete(plan->cxt);
}

/* Relcache callback: plans of relation relid (or all) are stale. */
static void
plans_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS st;
	PlTrigEntry *e;

	hash_seq_init(&st, trig_plans);
	while ((e = hash_seq_search(&st)) != NULL)
		if (e->plan && (relid == InvalidOid || e->plan->relid == relid))
			plan_stale(e);
}

/* Reset callback of a spec's memory: plans built on that spec are stale. */
static void
plans_spec_freed(void *arg)
{
	HASH_SEQ_STATUS st;
	PlTrigEntry *e;

	if (trig_plans == NULL)
		return;
	hash_seq_init(&st, trig_plans);
	while ((e = hash_seq_search(&st)) != NULL)
		if (e->plan && e->plan->spec == (PlSpec *) arg)
		{
			e->plan->spec = NULL;
			plan_stale(e);
		}
}

/* Free plan now, or at its last unpin if a call is still using it. */
static void
plan_retire(PlTrigPlan *plan)
{
	if (plan->pins > 0)
		plan->retired = true;
	else
		MemoryContextDelete(plan->cxt);
}

/* Show row's values and nulls in the plan (or nothing, for NULL). */
static inline void
plan_bind(PlTrigPlan *plan, PlRow *row)
{
	plan->cur = row;
	plan->values = row ? row->values : NULL;
	plan->nulls = row ? row->nulls : NULL;
}

/* End the innermost call: its row, and its pins on plan and spec. */
static void
frame_pop(void)
{
	PlFrame    *f = &frames[--nframes];
	PlTrigPlan *plan = f->plan;

	if (f->row == &plan->row)
		plan->row_busy = false;
	else
		MemoryContextDelete(f->row->own);
	plan_bind(plan, f->prev);
	pl_spec_unpin(f->spec);
	if (--plan->pins == 0 && plan->retired)
		MemoryContextDelete(plan->cxt);
}

/* Transaction end: no call survives it (normally there is none left). */
static void
frames_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		while (nframes > 0)
			frame_pop();
	nmoves = 0;
}

/* Subtransaction abort: the calls that started inside it are gone. */
static void
frames_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		while (nframes > 0 && frames[nframes - 1].subid >= mySubid)
			frame_pop();
}

/* Create the plan hash and register the callbacks, once. */
static void
plans_init(void)
{
	HASHCTL		ctl;

	if (trig_plans)
		return;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(PlTrigEntry);
	ctl.hcxt = CacheMemoryContext;
	trig_plans = hash_create("pipeline trigger plans", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(plans_relcache_callback, (Datum) 0);
	RegisterXactCallback(frames_xact_callback, NULL);
	RegisterSubXactCallback(frames_subxact_callback, NULL);
}

/* ----------------------------------------------------------------
 * Building a plan: columns, and steps checked against them
 * ----------------------------------------------------------------
 */

/* Order columns as jsonb orders keys: by name length, then bytes. */
static int
column_cmp(const void *a, const void *b)
{
	const PlColumn *x = a;
	const PlColumn *y = b;

	return pl_key_cmp(x->name, x->namelen, y->name, y->namelen);
}

/* The column named by token tok, or NULL. */
static PlColumn *
plan_column(const PlTrigPlan *plan, const char *tok, int len)
{
	PlColumn	key;

	key.name = tok;
	key.namelen = len;
	return bsearch(&key, plan->cols, plan->ncols, sizeof(PlColumn), column_cmp);
}

/* Words for a set of kinds ("strings or numbers"). */
static char *
kinds_words(uint8 kinds)
{
	static const char *const words[] = {"null", "booleans", "numbers", "strings", "objects", "arrays"};
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < (int) lengthof(words); i++)
		if (kinds & (1 << i))
		{
			if (buf.len > 0)
				appendStringInfoString(&buf, " or ");
			appendStringInfoString(&buf, words[i]);
		}
	return buf.data;
}

/* The kinds of value op acts on (other kinds pass through unchanged). */
static uint8
op_inputs(PlOp op)
{
	switch (op)
	{
		case PL_OP_ROUND:
		case PL_OP_CLAMP:
		case PL_OP_SCALE:
			return PL_K_NUMBER;
		case PL_OP_COERCE:
			return PL_K_STRING | PL_K_NUMBER | PL_K_BOOL;
		case PL_OP_PARSE_TIMESTAMP:
			return PL_K_STRING | PL_K_NUMBER;
		case PL_OP_KEEP:
			return PL_K_OBJECT;
		case PL_OP_DEFAULT:
		case PL_OP_SET:
		case PL_OP_REMOVE:
		case PL_OP_RENAME:
		case PL_OP_COPY:
		case PL_OP_CONCAT:
			return PL_K_ANY;
		default:
			return PL_K_STRING;
	}
}

/* Refuse the pipeline for this table, with the reason. */
pg_attribute_noreturn()
static void
misfit(const PlSpec *spec, Relation rel, const PlStep *s, const char *fmt,...)
pg_attribute_printf(4, 5);

static void
misfit(const PlSpec *spec, Relation rel, const PlStep *s, const char *fmt,...)
{
	va_list		args;
	StringInfoData detail;

	initStringInfo(&detail);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&detail, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&detail, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pipeline \"%s\" does not fit table \"%s\"",
					spec->name ? spec->name : "?", RelationGetRelationName(rel)),
			 s ? errdetail("Step %s: %s", s->location, detail.data) : errdetail("%s", detail.data)));
}

/*
 * The column a pointer of step s starts with (its first token must name
 * one; a longer pointer must go into a json or jsonb column).
 */
static PlColumn *
check_pointer(const PlTrigPlan *plan, const PlSpec *spec, Relation rel, const PlStep *s,
			  const PlPointer *p)
{
	PlColumn   *col;

	if (p->ntokens == 0)
		misfit(spec, rel, s, "the pointer \"\" names the whole row; a step on a row works on a column.");
	col = plan_column(plan, p->tokens[0], p->lens[0]);
	if (col == NULL)
		misfit(spec, rel, s, "the table has no column \"%s\" (pointer \"%s\").", p->tokens[0], p->text);
	if (p->ntokens > 1 && col->kind != PL_COL_JSON && col->kind != PL_COL_JSONB)
		misfit(spec, rel, s, "column \"%s\" is %s; only a json or jsonb column has members like \"%s\".",
			   col->name, pl_column_type_name(col), p->text);
	return col;
}

/* Check that step s can write values of kinds at pointer p. */
static void
check_write(const PlTrigPlan *plan, const PlSpec *spec, Relation rel, const PlStep *s,
			const PlPointer *p, uint8 kinds)
{
	PlColumn   *col = check_pointer(plan, spec, rel, s, p);
	uint8		accepts = pl_column_accepts(col);

	if (col->generated)
		misfit(spec, rel, s, "column \"%s\" is generated; PostgreSQL computes it after the trigger, so a step cannot write it.",
			   col->name);
	if (p->ntokens > 1 || kinds == PL_K_NULL)
		return;
	if ((kinds & accepts & ~PL_K_NULL) == 0)
		misfit(spec, rel, s, "it writes %s, but column \"%s\" is %s.",
			   kinds_words(kinds & ~PL_K_NULL), col->name, pl_column_type_name(col));
}

/* Note that step i reads column col (an index into plan->cols). */
static void
step_reads(PlTrigPlan *plan, int i, const PlColumn *col)
{
	PlStepCols *sc = &plan->steps[i];

	sc->in[sc->nin++] = col - plan->cols;
	plan->gen_read |= col->generated;
}

/* Note that step i may write column col. */
static void
step_writes(PlTrigPlan *plan, int i, const PlColumn *col)
{
	PlStepCols *sc = &plan->steps[i];

	sc->out[sc->nout++] = col - plan->cols;
}

/*
 * Check every step of the spec against the table's columns (row mode), and
 * note which columns each reads and writes (UPDATE runs a step only when a
 * column it reads changed).
 */
static void
check_steps(PlTrigPlan *plan, const PlSpec *spec, Relation rel)
{
	const PlTransform *t = spec->transform;

	plan->steps = palloc0(sizeof(PlStepCols) * Max(t ? t->nsteps : 0, 1));
	for (int i = 0; t && i < t->nsteps; i++)
	{
		const PlStep *s = &t->steps[i];
		PlColumn   *col;
		uint8		kinds;

		plan->steps[i].in = palloc(sizeof(int) * Max(s->nfrom, 1));
		switch (s->op)
		{
			case PL_OP_RENAME:
				col = check_pointer(plan, spec, rel, s, &s->path);
				kinds = s->path.ntokens > 1 ? PL_K_ANY : pl_column_kinds(col);
				check_write(plan, spec, rel, s, &s->path, PL_K_NULL);
				check_write(plan, spec, rel, s, &s->other, kinds);
				step_reads(plan, i, col);
				step_writes(plan, i, col);
				step_writes(plan, i, check_pointer(plan, spec, rel, s, &s->other));
				break;
			case PL_OP_COPY:
				col = check_pointer(plan, spec, rel, s, &s->other);
				kinds = s->other.ntokens > 1 ? PL_K_ANY : pl_column_kinds(col);
				check_write(plan, spec, rel, s, &s->path, kinds);
				step_reads(plan, i, col);
				step_writes(plan, i, check_pointer(plan, spec, rel, s, &s->path));
				break;
			case PL_OP_CONCAT:
				for (int j = 0; j < s->nfrom; j++)
					step_reads(plan, i, check_pointer(plan, spec, rel, s, &s->from[j]));
				check_write(plan, spec, rel, s, &s->path, s->kinds);
				step_writes(plan, i, check_pointer(plan, spec, rel, s, &s->path));
				break;
			default:
				col = check_pointer(plan, spec, rel, s, &s->path);
				if (s->path.ntokens == 1 && (op_inputs(s->op) & pl_column_kinds(col)) == 0)
					misfit(spec, rel, s, "it works on %s, but column \"%s\" (%s) holds %s.",
						   kinds_words(op_inputs(s->op)), col->name, pl_column_type_name(col),
						   kinds_words(pl_column_kinds(col) & ~PL_K_NULL));
				check_write(plan, spec, rel, s, &s->path, s->kinds);
				step_reads(plan, i, col);
				step_writes(plan, i, col);
				break;
		}
	}
}

/*
 * Mark the columns in the partition keys of rel's partitioned ancestors
 * (a change to one may move the row), and note the topmost ancestor.
 */
static void
plan_partition_keys(PlTrigPlan *plan, Relation rel)
{
	List	   *ancestors;
	ListCell   *lc;

	if (!rel->rd_rel->relispartition)
		return;
	ancestors = get_partition_ancestors(RelationGetRelid(rel));
	foreach(lc, ancestors)
	{
		Relation	parent = table_open(lfirst_oid(lc), AccessShareLock);
		PartitionKey key = RelationGetPartitionKey(parent);
		Bitmapset  *attnos = NULL;
		int			k = -1;

		for (int i = 0; i < key->partnatts; i++)
			if (key->partattrs[i] != 0)
				attnos = bms_add_member(attnos, key->partattrs[i] - FirstLowInvalidHeapAttributeNumber);
		pull_varattnos((Node *) key->partexprs, 1, &attnos);
		while ((k = bms_next_member(attnos, k)) >= 0)
		{
			AttrNumber	attno = k + FirstLowInvalidHeapAttributeNumber;
			const char *name = attno > 0 ? get_attname(RelationGetRelid(parent), attno, true) : NULL;
			PlColumn   *col = name ? plan_column(plan, name, strlen(name)) : NULL;

			if (col)
				col->partkey = true;
		}
		plan->root = RelationGetRelid(parent);
		table_close(parent, NoLock);
	}
}

/* Row mode: the expressions of the generated columns, planned once. */
static void
plan_generated(PlTrigPlan *plan, Relation rel)
{
	plan->gen_cols = palloc(sizeof(int) * Max(plan->ncols, 1));
	plan->gen_exprs = palloc(sizeof(Expr *) * Max(plan->ncols, 1));
	for (int i = 0; i < plan->ncols; i++)
		if (plan->cols[i].generated)
		{
			Node	   *expr = build_column_default(rel, plan->cols[i].attno + 1);

			if (expr == NULL)
				elog(ERROR, "no generation expression for column \"%s\"", plan->cols[i].name);
			plan->gen_cols[plan->ngen] = i;
			plan->gen_exprs[plan->ngen++] = expression_planner((Expr *) expr);
		}
}

/* A row for calls on plan, in memory context cxt (the plan's or a nested call's). */
static void
row_init(const PlTrigPlan *plan, PlRow *row, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int			natts = Max(plan->natts, 1);
	int			ncols = Max(plan->ncols, 1);

	row->values = palloc(sizeof(Datum) * natts);
	row->nulls = palloc(sizeof(bool) * natts);
	row->replace = palloc(sizeof(bool) * natts);
	row->old = palloc(sizeof(Datum) * natts);
	row->oldnulls = palloc(sizeof(bool) * natts);
	row->touched = palloc(sizeof(int) * ncols);
	row->fresh = palloc(sizeof(bool) * ncols);
	row->gen = NULL;
	if (plan->ngen > 0)
	{
		row->gen = palloc(sizeof(ExprState *) * plan->ngen);
		for (int k = 0; k < plan->ngen; k++)
			row->gen[k] = ExecInitExpr(plan->gen_exprs[k], NULL);
		row->econtext = CreateStandaloneExprContext();
		row->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(plan->tupdesc), &TTSOpsVirtual);
	}
	row->cxt = AllocSetContextCreate(cxt, "pipeline row", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(old);
}

/*
 * Build the plan of spec for relation rel (column: the record's jsonb column
 * name, or NULL for row mode), in a new context under the current one.
 * Raises 22023 if the spec does not fit the table.
 */
static PlTrigPlan *
plan_build(Relation rel, PlSpec *spec, const char *column)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline trigger plan",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleDesc	desc = RelationGetDescr(rel);
	PlTrigPlan *plan = palloc0(sizeof(PlTrigPlan));
	int			n = 0;

	plan->cxt = cxt;
	plan->spec = spec;
	plan->tupdesc = desc;
	plan->relid = RelationGetRelid(rel);
	plan->natts = desc->natts;
	plan->cols = palloc0(sizeof(PlColumn) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		PlColumn   *col = &plan->cols[n++];

		if (att->attisdropped)
		{
			n--;
			continue;
		}
		col->name = pstrdup(NameStr(att->attname));
		col->namelen = strlen(col->name);
		col->attno = i;
		col->not_null = att->attnotnull;
		col->generated = att->attgenerated == ATTRIBUTE_GENERATED_STORED;
		pl_column_init(col, att->atttypid, att->atttypmod, cxt);
	}
	plan->ncols = n;
	qsort(plan->cols, n, sizeof(PlColumn), column_cmp);
	plan->record_col = -1;
	if (column)
	{
		PlColumn   *col = plan_column(plan, column, strlen(column));

		if (col == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							column, RelationGetRelationName(rel))));
		if (col->kind != PL_COL_JSONB)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pipeline \"%s\" does not fit table \"%s\"",
							spec->name, RelationGetRelationName(rel)),
					 errdetail("Column \"%s\" is %s; the record column must be jsonb.",
							   col->name, pl_column_type_name(col))));
		if (col->generated)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pipeline \"%s\" does not fit table \"%s\"",
							spec->name, RelationGetRelationName(rel)),
					 errdetail("Column \"%s\" is generated; the record column must be one the trigger can write.",
							   col->name)));
		plan->record_col = col - plan->cols;
	}
	else
	{
		check_steps(plan, spec, rel);
		plan_generated(plan, rel);
	}
	plan_partition_keys(plan, rel);
	row_init(plan, &plan->row, cxt);
	plan->valid = true;
	MemoryContextSwitchTo(old);
	return plan;
}

/* Note in spec's memory, once per spec, that plans on it go stale when it is freed. */
static void
watch_spec(PlSpec *spec)
{
	MemoryContextCallback *cb;

	for (cb = spec->cxt->reset_cbs; cb; cb = cb->next)
		if (cb->func == plans_spec_freed && cb->arg == spec)
			return;
	cb = MemoryContextAlloc(spec->cxt, sizeof(MemoryContextCallback));
	cb->func = plans_spec_freed;
	cb->arg = spec;
	MemoryContextRegisterResetCallback(spec->cxt, cb);
}

/* The current plan of the trigger of entry e, rebuilt if stale. */
static PlTrigPlan *
plan_get(PlTrigEntry *e, Relation rel, PlSpec *spec, const char *column)
{
	PlTrigPlan *plan = e->plan;

	if (likely(plan && plan->valid && plan->spec == spec && plan->tupdesc == RelationGetDescr(rel)))
		return plan;
	if (plan)
	{
		e->plan = NULL;
		plan_retire(plan);
	}
	plan = plan_build(rel, spec, column);
	MemoryContextSetParent(plan->cxt, CacheMemoryContext);
	watch_spec(spec);
	e->plan = plan;
	return plan;
}

/*
 * Start a call on plan with spec: pin both, and take the plan's row, or (a
 * nested call on the same plan) a row of its own.
 */
static PlRow *
call_begin(PlTrigPlan *plan, PlSpec *spec)
{
	PlFrame    *f;
	PlRow	   *row = &plan->row;

	if (nframes == maxframes)
	{
		maxframes = Max(8, maxframes * 2);
		frames = frames ? repalloc(frames, sizeof(PlFrame) * maxframes) :
			MemoryContextAlloc(TopMemoryContext, sizeof(PlFrame) * maxframes);
	}
	if (plan->row_busy)
	{
		MemoryContext own = AllocSetContextCreate(plan->cxt, "pipeline nested call",
												  ALLOCSET_SMALL_SIZES);

		row = MemoryContextAlloc(own, sizeof(PlRow));
		row_init(plan, row, own);
		row->own = own;
	}
	else
		plan->row_busy = true;
	f = &frames[nframes++];
	f->plan = plan;
	f->spec = spec;
	f->row = row;
	f->prev = plan->cur;
	f->subid = GetCurrentSubTransactionId();
	plan->pins++;
	pl_spec_pin(spec);
	plan_bind(plan, row);
	return row;
}

/* ----------------------------------------------------------------
 * Records
 * ----------------------------------------------------------------
 */

/* The row record of tuple values (skipping column skip, or -1): to_jsonb(NEW). */
static void
row_record(const PlTrigPlan *plan, int skip, JsonbValue *root)
{
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(plan->ncols, 1));
	int			n = 0;

	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];

		if (i == skip)
			continue;
		pairs[n].key.type = jbvString;
		pairs[n].key.val.string.val = (char *) col->name;
		pairs[n].key.val.string.len = col->namelen;
		pairs[n].order = n;
		pl_datum_to_value(col, plan->values[col->attno], plan->nulls[col->attno], &pairs[n].value);
		n++;
	}
	root->type = jbvObject;
	root->val.object.nPairs = n;
	root->val.object.pairs = pairs;
}

/* The jsonb of the record column (JSON null for SQL NULL). */
static Jsonb *
column_record(const PlTrigPlan *plan)
{
	const PlColumn *col = &plan->cols[plan->record_col];
	JsonbValue	null;

	if (!plan->nulls[col->attno])
		return DatumGetJsonbP(plan->values[col->attno]);
	null.type = jbvNull;
	return pl_doc_encode(&null);
}

/*
 * Store the columns that steps wrote back into the row's values (marking
 * replace) and render them again, so the record is exactly to_jsonb of the
 * new row.  A value a column cannot hold is a violation of the step that
 * wrote it.
 */
static bool
write_back(const PlTrigPlan *plan, PlRow *row, JsonbValue *root, PlErrors *errs)
{
	bool		ok = true;

	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];
		JsonbValue *v = &root->val.object.pairs[i].value;
		char	   *err;
		int			a = col->attno;

		if (row->touched[i] < 0)
			continue;
		if (!pl_value_to_datum(col, v, &row->values[a], &row->nulls[a], &err))
		{
			char		loc[32];
			StringInfoData inst;

			initStringInfo(&inst);
			pl_pointer_append_token(&inst, col->name, col->namelen);
			snprintf(loc, sizeof(loc), "/transform/%d", row->touched[i]);
			pl_errors_add(errs, inst.data, loc, "%s", err);
			ok = false;
			continue;
		}
		row->replace[a] = true;
		pl_datum_to_value(col, row->values[a], row->nulls[a], v);
	}
	return ok;
}

/*
 * Compute the generated columns of the row as the executor will store them
 * (it does so after BEFORE triggers), so steps and schema see their values;
 * with root, render them into the record again.  Before the steps only when
 * a step reads one: an expression that fails on the row as sent but not on
 * the row the steps leave must not fail the statement.
 */
static void
compute_generated(const PlTrigPlan *plan, PlRow *row, JsonbValue *root)
{
	TupleTableSlot *slot = row->slot;

	ExecClearTuple(slot);
	memcpy(slot->tts_values, row->values, sizeof(Datum) * plan->natts);
	memcpy(slot->tts_isnull, row->nulls, sizeof(bool) * plan->natts);
	ExecStoreVirtualTuple(slot);
	slot->tts_tableOid = plan->relid;
	ResetExprContext(row->econtext);
	row->econtext->ecxt_scantuple = slot;
	for (int k = 0; k < plan->ngen; k++)
	{
		int			i = plan->gen_cols[k];
		const PlColumn *col = &plan->cols[i];
		int			a = col->attno;

		row->values[a] = ExecEvalExpr(row->gen[k], row->econtext, &row->nulls[a]);
		if (!row->nulls[a])
			row->values[a] = datumCopy(row->values[a], col->typbyval, col->typlen);
		if (root)
			pl_datum_to_value(col, row->values[a], row->nulls[a], &root->val.object.pairs[i].value);
	}
}

/* Does step i read a column that the statement, or an earlier step, changed? */
static inline bool
step_is_fresh(const PlTrigPlan *plan, const PlRow *row, int i)
{
	const PlStepCols *sc = &plan->steps[i];

	for (int k = 0; k < sc->nin; k++)
		if (row->fresh[sc->in[k]])
			return true;
	return false;
}

/*
 * Row mode: run the steps on doc.  On UPDATE only a step that reads a column
 * the statement changed runs, one at a time; what it writes counts as
 * changed for the steps after it.
 */
static bool
run_steps(const PlTrigPlan *plan, const PlTransform *t, PlRow *row, PlStepMode mode,
		  PlDoc *doc, PlErrors *errs)
{
	bool		ok = true;

	if (t == NULL)
		return true;
	if (mode == PL_STEPS_ALL)
		return pl_transform_apply(t, doc, errs);
	for (int i = 0; i < t->nsteps; i++)
	{
		PlTransform one = {1, &t->steps[i], t->nroot_keys, t->root_keys, t->root_key_lens};
		const PlStepCols *sc = &plan->steps[i];

		if (!step_is_fresh(plan, row, i))
			continue;
		ok &= pl_transform_apply(&one, doc, errs);
		for (int k = 0; k < sc->nout; k++)
			if (row->touched[sc->out[k]] == t->steps[i].index)
				row->fresh[sc->out[k]] = true;
	}
	return ok;
}

/* Column mode: the record column's domain, if any, must accept the new document. */
static bool
document_fits(const PlTrigPlan *plan, Jsonb *doc, PlErrors *errs)
{
	const PlColumn *col = &plan->cols[plan->record_col];
	char	   *err;

	if (pl_domain_accepts(col, JsonbPGetDatum(doc), false, &err))
		return true;
	pl_errors_add(errs, "", "/transform", "%s", err);
	return false;
}

/* Column mode: transform (as mode says) and validate the document. */
static bool
judge_document(const PlTrigPlan *plan, PlSpec *spec, PlRow *row, PlStepMode mode, PlErrors *errs,
			   Jsonb **record, Jsonb **newdoc)
{
	Jsonb	   *jb = row->doc = column_record(plan);
	PlDoc		doc;
	bool		ok = true;

	pl_doc_init(&doc, jb);
	if (mode == PL_STEPS_ALL || row->fresh[plan->record_col])
		ok = pl_transform_apply(spec->transform, &doc, errs);
	*record = doc.changed ? pl_doc_encode(&doc.root) : jb;
	if (doc.changed)
	{
		*newdoc = *record;
		ok &= document_fits(plan, *newdoc, errs);
	}
	return ok;
}

/*
 * Transform (as mode says) and validate the record of the deformed row in
 * row->values.  Returns true if it passes; *record gets the (transformed)
 * record, and in column mode *newdoc the transformed document if a step
 * changed it.
 */
static bool
judge(const PlTrigPlan *plan, PlSpec *spec, PlRow *row, PlStepMode mode, PlErrors *errs,
	  Jsonb **record, Jsonb **newdoc)
{
	PlDoc		doc;
	bool		ok;

	*newdoc = NULL;
	*record = NULL;
	if (spec->transform == NULL && spec->schema == NULL)
		return true;
	if (plan->record_col >= 0)
		ok = judge_document(plan, spec, row, mode, errs, record, newdoc);
	else
	{
		memset(&doc, 0, sizeof(doc));
		row_record(plan, -1, &doc.root);
		doc.row = true;
		doc.touched = row->touched;
		for (int i = 0; i < plan->ncols; i++)
			row->touched[i] = -1;
		ok = run_steps(plan, spec->transform, row, mode, &doc, errs);
		if (doc.changed)
			ok &= write_back(plan, row, &doc.root, errs);
		if (plan->ngen > 0 && (doc.changed || (!plan->gen_read && spec->schema)))
			compute_generated(plan, row, &doc.root);
		if (spec->schema == NULL)
			return ok;
		*record = pl_doc_encode(&doc.root);
	}
	if (spec->schema == NULL)
		return ok;
	if (ok && pl_validate(spec->schema, *record))
		return true;
	pl_validate_errors(spec->schema, *record, "/schema", errs);
	return false;
}

/* ----------------------------------------------------------------
 * A record that fails
 * ----------------------------------------------------------------
 */

/*
 * Insert the original record and its errors into pipeline.rejects, as the
 * table's owner (rejects.c): whoever may insert into the table may have a
 * row quarantined, but only the owner and pipeline_admin may read (or
 * write) the rejects (docs/security.md).
 */
static void
quarantine(PlTrigPlan *plan, PlSpec *spec, Relation rel, TriggerData *td, PlErrors *errs)
{
	PlRejectRow r;
	JsonbValue	root;

	/* the original row: row mode's steps wrote into the values (column mode's failed before any write) */
	if (plan->record_col < 0)
		heap_deform_tuple(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple,
						  plan->tupdesc, plan->values, plan->nulls);
	r.pipeline = spec->name;
	r.version = spec->version;
	r.relation = RelationGetRelid(rel);
	r.update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	r.errors = pl_errors_to_jsonb(errs);
	r.record_column = NULL;
	r.other_columns = NULL;
	if (plan->record_col >= 0)
	{
		r.record = plan->cur->doc;	/* judge_document's: not detoasted again */
		r.record_column = plan->cols[plan->record_col].name;
		row_record(plan, plan->record_col, &root);
		r.other_columns = pl_doc_encode(&root);
	}
	else
	{
		row_record(plan, -1, &root);
		r.record = pl_doc_encode(&root);
	}
	pl_rejects_insert(&r);
}

/*
 * Act on a failing row as the spec says.  The row a replay of this pipeline
 * inserts is reported to the replay instead; when another pipeline
 * quarantines that row, the replay is told, so that it deletes the reject
 * it came from (the row's reject moves rather than doubles).
 */
static void
reject(PlTrigPlan *plan, PlSpec *spec, Relation rel, TriggerData *td, PlErrors *errs,
	   PlReplay *replay)
{
	if (replay && strcmp(replay->name, spec->name) == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(replay->cxt);

		replay->errors = pl_errors_to_jsonb(errs);
		replay->version = spec->version;
		replay->captured = true;
		MemoryContextSwitchTo(old);
		return;
	}
	switch (spec->on_error)
	{
		case PL_ON_ERROR_RAISE:
			rel = pl_cluster_logical_relation(rel);	/* a shard: name its table */
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("new row for relation \"%s\" violates pipeline \"%s\"",
							RelationGetRelationName(rel), spec->name),
					 errdetail("%s", pl_errors_detail(errs)),
					 errtable(rel),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, spec->name)));
			break;
		case PL_ON_ERROR_QUARANTINE:
			quarantine(plan, spec, rel, td, errs);
			if (replay)
				replay->moved = true;
			break;
		case PL_ON_ERROR_SKIP:
			break;
	}
}

/* ----------------------------------------------------------------
 * The trigger
 * ----------------------------------------------------------------
 */

/* What becomes of a failing row, as pipeline.stats counts it (before any raise). */
static inline PlStatOutcome
reject_outcome(const PlSpec *spec, const PlReplay *replay, bool moving)
{
	if (moving)
		return PL_STAT_RAISED;
	if (replay && strcmp(replay->name, spec->name) == 0)
		return PL_STAT_FAILED;	/* its reject stays, with the new errors */
	if (spec->on_error == PL_ON_ERROR_RAISE)
		return PL_STAT_RAISED;
	return spec->on_error == PL_ON_ERROR_QUARANTINE ? PL_STAT_QUARANTINED : PL_STAT_SKIPPED;
}

/* Check how the trigger was fired and declared; returns the trigger data. */
static TriggerData *
trigger_data(FunctionCallInfo fcinfo)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pipeline.trigger() was not called by the trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pipeline.trigger() must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger")));
	if (td->tg_trigger->tgnargs < 1 || td->tg_trigger->tgnargs > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline.trigger() takes a pipeline name and, optionally, a jsonb column name"),
				 errhint("Use pipeline.attach() to create the trigger.")));
	return td;
}

/* The entry of trigger tgoid, entered on first use. */
static PlTrigEntry *
entry_find(Oid tgoid)
{
	PlTrigEntry *e;
	bool		found;

	plans_init();
	e = hash_search(trig_plans, &tgoid, HASH_ENTER, &found);
	if (!found)
	{
		e->plan = NULL;
		e->inserted = NULL;
		memset(&e->cache_flinfo, 0, sizeof(FmgrInfo));
		e->cache_flinfo.fn_mcxt = CacheMemoryContext;
	}
	return e;
}

/*
 * The trigger's entry: the call site's, else the one used last (a
 * single-row statement is a new call site every time), else the hash's.
 */
static inline PlTrigEntry *
trigger_entry(FunctionCallInfo fcinfo, Oid tgoid)
{
	PlTrigEntry *e = fcinfo->flinfo->fn_extra;

	if (likely(e && e->tgoid == tgoid))
		return e;
	e = last_entry && last_entry->tgoid == tgoid ? last_entry : entry_find(tgoid);
	fcinfo->flinfo->fn_extra = last_entry = e;
	return e;
}

/*
 * The row rebuilt from the call's values (the deformed row with the replaced
 * columns), keeping the original's identity as heap_modify_tuple would,
 * without deforming it a second time.
 */
static HeapTuple
rebuild(const PlTrigPlan *plan, const PlRow *row, HeapTuple tuple)
{
	HeapTuple	result = heap_form_tuple(plan->tupdesc, row->values, row->nulls);

	result->t_data->t_ctid = tuple->t_data->t_ctid;
	result->t_self = tuple->t_self;
	result->t_tableOid = tuple->t_tableOid;
	return result;
}


/*
 * INSERT ... ON CONFLICT DO UPDATE: the EXCLUDED row, i.e. the slot this
 * trigger's INSERT let through in this command, or NULL.  Its values already
 * went through the pipeline.
 */
static TupleTableSlot *
excluded_slot(const PlTrigEntry *e, const PlTrigPlan *plan)
{
	TupleTableSlot *slot = e->inserted;

	if (slot == NULL || e->inserted_lxid != pl_local_xid() ||
		e->inserted_cid != GetCurrentCommandId(false) ||
		TTS_EMPTY(slot) || slot->tts_tupleDescriptor->natts != plan->natts)
		return NULL;
	slot_getallattrs(slot);
	return slot;
}

/*
 * UPDATE: mark the columns the statement changed (byte-wise against the
 * stored row; a value equal to EXCLUDED's is not a change, it already went
 * through the pipeline).  Returns whether a partition key column changed.
 */
static bool
update_fresh(const PlTrigPlan *plan, PlRow *row, HeapTuple oldtuple, TupleTableSlot *excluded)
{
	bool		moves = false;

	heap_deform_tuple(oldtuple, plan->tupdesc, row->old, row->oldnulls);
	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];
		int			a = col->attno;
		bool		changed = !pl_datum_same(col, row->old[a], row->oldnulls[a], row->values[a], row->nulls[a]);

		moves |= changed && col->partkey;
		row->fresh[i] = changed &&
			!(excluded && pl_datum_same(col, excluded->tts_values[a], excluded->tts_isnull[a],
										row->values[a], row->nulls[a]));
	}
	return moves;
}

/*
 * The state of a move whose row's old version is h: moved out by this
 * transaction, updated or deleted by it (or moved by a subtransaction that
 * rolled back: that move never arrives), or not yet (or only locked).
 */
static inline PlMoveState
tuple_move_state(HeapTupleHeader h)
{
	bool		ours = !(h->t_infomask & HEAP_XMAX_INVALID) && !HEAP_XMAX_IS_LOCKED_ONLY(h->t_infomask) &&
		!(h->t_infomask & HEAP_XMAX_IS_MULTI) &&
		TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetRawXmax(h));

	if (HeapTupleHeaderIndicatesMovedPartitions(h))
		return ours ? PL_MOVE_LEFT : PL_MOVE_SETTLED;	/* else the move was rolled back */
	return ours ? PL_MOVE_SETTLED : PL_MOVE_PENDING;
}

/* Forget move k, keeping its memory for a later one at the end of the array. */
static void
move_drop(int k)
{
	PlMove		gone = moves[k];

	memmove(&moves[k], &moves[k + 1], sizeof(PlMove) * (nmoves - k - 1));
	moves[--nmoves] = gone;
}

/*
 * Where is the row of move m (see PlMoveState)?  PostgreSQL deletes a row
 * that leaves its partition (marking it moved) before it inserts it into the
 * new one; a row that stayed was updated in place by this transaction.  A
 * source that is not a heap table is taken at its word.
 */
static PlMoveState
move_state(const PlMove *m)
{
	Relation	rel = try_table_open(m->from, NoLock);
	PlMoveState st = PL_MOVE_LEFT;

	if (rel == NULL)
		return PL_MOVE_SETTLED;
	if (rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_tableam == GetHeapamTableAmRoutine() &&
		ItemPointerIsValid(&m->tid))
	{
		Buffer		buf = ReadBuffer(rel, ItemPointerGetBlockNumber(&m->tid));
		Page		page;
		OffsetNumber off = ItemPointerGetOffsetNumber(&m->tid);
		ItemId		lp;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		lp = off <= PageGetMaxOffsetNumber(page) ? PageGetItemId(page, off) : NULL;
		st = lp && ItemIdIsNormal(lp) ? tuple_move_state((HeapTupleHeader) PageGetItem(page, lp)) :
			PL_MOVE_SETTLED;
		UnlockReleaseBuffer(buf);
	}
	table_close(rel, NoLock);
	return st;
}

/*
 * Remember the row an UPDATE that may move it let through, and where it was
 * (see PlMove), above the moves still pending.
 */
static void
move_remember(const PlTrigPlan *plan, const PlSpec *spec, const PlRow *row, HeapTuple stored)
{
	LocalTransactionId lxid = pl_local_xid();
	TimestampTz stmt = GetCurrentStatementStartTimestamp();
	PlMove	   *m;
	MemoryContext old;

	for (int k = nmoves - 1; k >= 0; k--)
		if (moves[k].lxid != lxid || moves[k].stmt != stmt || move_state(&moves[k]) == PL_MOVE_SETTLED)
			move_drop(k);
	if (nmoves == PL_MAX_MOVES)
		move_drop(0);
	m = &moves[nmoves];
	if (m->cxt == NULL)
		m->cxt = AllocSetContextCreate(TopMemoryContext, "pipeline row move", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(m->cxt);
	old = MemoryContextSwitchTo(m->cxt);
	m->values = palloc(sizeof(Datum) * Max(plan->ncols, 1));
	m->nulls = palloc(sizeof(bool) * Max(plan->ncols, 1));
	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];

		m->nulls[i] = row->nulls[col->attno];
		m->values[i] = m->nulls[i] ? (Datum) 0 :
			datumCopy(row->values[col->attno], col->typbyval, col->typlen);
	}
	MemoryContextSwitchTo(old);
	strlcpy(m->name, spec->name, NAMEDATALEN);
	m->version = spec->version;
	m->root = plan->root;
	m->from = plan->relid;
	m->tid = stored->t_self;
	m->lxid = lxid;
	m->stmt = stmt;
	m->ncols = plan->ncols;
	nmoves++;
}

/*
 * Could this INSERT be the arrival of move m: in this statement, under the
 * same partitioned table and pipeline version, with the same partition keys?
 */
static bool
move_matches(const PlMove *m, const PlTrigPlan *plan, const PlSpec *spec, const PlRow *row)
{
	if (plan->root != m->root || m->lxid != pl_local_xid() ||
		m->stmt != GetCurrentStatementStartTimestamp() || m->ncols != plan->ncols ||
		m->version != spec->version || strcmp(m->name, spec->name) != 0)
		return false;
	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];

		if (col->partkey &&
			!pl_datum_same(col, m->values[i], m->nulls[i], row->values[col->attno], row->nulls[col->attno]))
			return false;
	}
	return true;
}

/*
 * Is this INSERT the arrival of a row a remembered UPDATE let through, one
 * that matches (move_matches) and left its partition (another row inserted
 * in the statement is not)?  The newest such move is taken, and the moves
 * above it (of statements nested in that UPDATE, all ended) are dropped.
 * Then it is that UPDATE's second half: a column counts as changed only if
 * it differs from what the UPDATE let through (a later BEFORE UPDATE
 * trigger on the old partition, or a BEFORE INSERT trigger on the new one,
 * set it), so the steps do not run twice on the rest (generated columns
 * aside: the executor computed them since).
 */
static bool
move_arrived(const PlTrigPlan *plan, const PlSpec *spec, PlRow *row)
{
	int			k = nmoves - 1;

	if (!OidIsValid(plan->root))
		return false;
	while (k >= 0 && !(move_matches(&moves[k], plan, spec, row) && move_state(&moves[k]) == PL_MOVE_LEFT))
		k--;
	if (k < 0)
		return false;
	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];

		row->fresh[i] = !col->generated &&
			!pl_datum_same(col, moves[k].values[i], moves[k].nulls[i],
						   row->values[col->attno], row->nulls[col->attno]);
	}
	nmoves = k + 1;
	move_drop(k);
	return true;
}

/*
 * A row that may be moving between partitions failed: raise, whatever
 * on_error says, since keeping it out would delete it from the partition it
 * leaves.
 */
pg_attribute_noreturn()
static void
raise_moving(const PlTrigPlan *plan, const PlSpec *spec, Relation rel, PlErrors *errs)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("row moving between partitions of \"%s\" violates pipeline \"%s\"",
					get_rel_name(plan->root), spec->name),
			 errdetail("%s", pl_errors_detail(errs)),
			 errhint("An UPDATE that changes a partition key is never skipped or quarantined: it would lose the row."),
			 errtable(rel),
			 err_generic_string(PG_DIAG_CONSTRAINT_NAME, spec->name)));
}

/*
 * Deform the row into row and decide which steps it goes through (*mode);
 * returns whether it may be moving between partitions (a failure then
 * raises).
 */
static bool
row_load(const PlTrigPlan *plan, const PlSpec *spec, PlRow *row, TriggerData *td,
		 const PlTrigEntry *entry, PlStepMode *mode)
{
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);

	heap_deform_tuple(update ? td->tg_newtuple : td->tg_trigtuple, plan->tupdesc, row->values, row->nulls);
	memset(row->replace, 0, sizeof(bool) * plan->natts);
	if (plan->gen_read)
		compute_generated(plan, row, NULL);
	*mode = update ? PL_STEPS_CHANGED : PL_STEPS_ALL;
	if (update)
		return update_fresh(plan, row, td->tg_trigtuple, excluded_slot(entry, plan));
	if (nmoves > 0 && move_arrived(plan, spec, row))
	{
		*mode = PL_STEPS_CHANGED;
		return true;
	}
	return false;
}

/*
 * UPDATE that changed no partition key column: does the row after the
 * steps differ from the stored one in one (a step copied a changed column
 * into it)?  The row may then leave its partition all the same.
 */
static bool
keys_written(const PlTrigPlan *plan, const PlRow *row)
{
	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];
		int			a = col->attno;

		if (col->partkey &&
			!pl_datum_same(col, row->old[a], row->oldnulls[a], row->values[a], row->nulls[a]))
			return true;
	}
	return false;
}

/* Put the new document (column mode) into row; did anything change? */
static bool
row_changed(const PlTrigPlan *plan, PlRow *row, Jsonb *newdoc)
{
	if (newdoc)
	{
		int			a = plan->cols[plan->record_col].attno;

		row->values[a] = JsonbPGetDatum(newdoc);
		row->nulls[a] = false;
		return true;
	}
	for (int i = 0; i < plan->natts; i++)
		if (row->replace[i])
			return true;
	return false;
}

/*
 * The memory of a slot an entry remembers is going (its statement's executor
 * ended): forget the slot, unless the entry has moved on to another.
 */
static void
inserted_slot_freed(void *arg)
{
	PlSlotWatch *w = (PlSlotWatch *) arg;

	if (w->entry->inserted == w->slot)
		w->entry->inserted = NULL;
}

/*
 * Note the row an INSERT let through, for an ON CONFLICT DO UPDATE that may
 * follow.  The slot belongs to the INSERT's executor: a new slot gets a
 * callback on its memory (once per slot, not per row) so that the pointer
 * never outlives it, whatever runs in the same command after that INSERT
 * ended (an UPDATE whose SQL function inserted the row).
 */
static void
remember_insert(PlTrigEntry *entry, TriggerData *td)
{
	TupleTableSlot *slot = td->tg_trigslot;

	if (entry->inserted != slot)
	{
		MemoryContext cxt = GetMemoryChunkContext(slot);
		PlSlotWatch *w = MemoryContextAlloc(cxt, sizeof(PlSlotWatch));

		w->entry = entry;
		w->slot = slot;
		w->cb.func = inserted_slot_freed;
		w->cb.arg = w;
		MemoryContextRegisterResetCallback(cxt, &w->cb);
		entry->inserted = slot;
	}
	entry->inserted_cid = GetCurrentCommandId(false);
	entry->inserted_lxid = pl_local_xid();
}

/*
 * pipeline.trigger(name [, column]): transform and check NEW; return it
 * (rebuilt if a step changed it), or NULL when on_error keeps it out.
 */
Datum
pipeline_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo);
	Trigger    *tg = td->tg_trigger;
	Relation	rel = td->tg_relation;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	HeapTuple	tuple = update ? td->tg_newtuple : td->tg_trigtuple;
	PlTrigEntry *entry = trigger_entry(fcinfo, tg->tgoid);
	PlSpec	   *spec = pl_cache_lookup(tg->tgargs[0], &entry->cache_flinfo);
	PlTrigPlan *plan = plan_get(entry, rel, spec, tg->tgnargs > 1 ? tg->tgargs[1] : NULL);
	PlRow	   *row = call_begin(plan, spec);
	MemoryContext caller = CurrentMemoryContext;
	PlStatsCall sc;
	PlStatOutcome outcome = PL_STAT_PASSED;
	PlStepMode	mode;
	bool		moving;
	PlReplay   *replay;
	PlErrors	errs;
	Jsonb	   *record;
	Jsonb	   *newdoc;
	HeapTuple	result = tuple;
	bool		changed = false;

	pl_stats_begin(&sc, spec);
	MemoryContextReset(row->cxt);
	MemoryContextSwitchTo(row->cxt);
	replay = pl_replay_row(rel, td);
	if (replay && strcmp(replay->name, spec->name) == 0)
		replay->judged = true;
	moving = row_load(plan, spec, row, td, entry, &mode);
	pl_errors_init(&errs);
	if (judge(plan, spec, row, mode, &errs, &record, &newdoc))
	{
		changed = row_changed(plan, row, newdoc);
		pl_gate_row(spec, NULL, rel, td);
	}
	else
	{
		outcome = reject_outcome(spec, replay, moving);
		if (outcome == PL_STAT_RAISED)
			pl_stats_end(&sc, outcome, false);	/* counted before the error below */
		if (moving)
			raise_moving(plan, spec, rel, &errs);
		reject(plan, spec, rel, td, &errs, replay);
		pl_gate_row(spec, &errs, rel, td);
		result = NULL;
	}
	MemoryContextSwitchTo(caller);
	if (changed)
		result = rebuild(plan, row, tuple);
	if (update && result && (moving || (changed && OidIsValid(plan->root) && keys_written(plan, row))))
		move_remember(plan, spec, row, td->tg_trigtuple);
	if (!update && result)
		remember_insert(entry, td);
	pl_stats_end(&sc, outcome, changed);
	frame_pop();
	return PointerGetDatum(result);
}

/*
 * pipeline._check_attach(tbl, name, column): raise 22023 unless pipeline
 * name can serve table tbl (its steps' columns exist and can hold what the
 * steps write; in column mode, the column is jsonb).
 */
Datum
pipeline_check_attach(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	PlSpec	   *spec;
	char		kind;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and pipeline name must not be null")));
	relid = PG_GETARG_OID(0);
	spec = pl_cache_lookup(text_to_cstring(PG_GETARG_TEXT_PP(1)), NULL);
	rel = table_open(relid, AccessShareLock);
	kind = rel->rd_rel->relkind;
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE && kind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel))));
	MemoryContextDelete(plan_build(rel, spec, PG_ARGISNULL(2) ? NULL : NameStr(*PG_GETARG_NAME(2)))->cxt);
	table_close(rel, AccessShareLock);
	pl_cluster_check(relid, spec->name, PG_ARGISNULL(2) ? NULL : NameStr(*PG_GETARG_NAME(2)), NULL);
	PG_RETURN_VOID();
}
