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
 * marks plans of a freed spec stale, so a pointer reused by a later
 * allocation can never match.  Rows run in a memory context reset per row.
 *
 * During pipeline.replay() (replay.c) the trigger of the pipeline being
 * replayed hands a failing row's errors to the replay instead of acting on
 * on_error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "citus.h"
#include "trigger.h"

PG_FUNCTION_INFO_V1(pipeline_trigger);
PG_FUNCTION_INFO_V1(pipeline_check_attach);

/* A trigger's plan: the spec and the table's shape, prepared. */
typedef struct PlTrigPlan
{
	bool		valid;
	PlSpec	   *spec;
	TupleDesc	tupdesc;		/* the relation's descriptor it was built for */
	Oid			relid;
	int			record_col;		/* column mode: index in cols; -1 in row mode */
	int			ncols;			/* live columns, in jsonb key order */
	PlColumn   *cols;
	int			natts;
	Datum	   *values;			/* per attribute, for deforming and rebuilding */
	bool	   *nulls;
	bool	   *replace;
	int		   *touched;		/* per column: last step that wrote it, or -1 */
	MemoryContext cxt;
	MemoryContext rowcxt;		/* reset for every row */
} PlTrigPlan;

/* Hash entry: trigger OID -> plan. */
typedef struct PlTrigEntry
{
	Oid			tgoid;
	PlTrigPlan *plan;
} PlTrigEntry;

/* What a trigger call site keeps in fn_extra. */
typedef struct PlTrigCall
{
	FmgrInfo	cache_flinfo;	/* gives pl_cache_lookup a place for its shortcut */
	PlTrigEntry *entry;
} PlTrigCall;

static HTAB *trig_plans = NULL;
static SPIPlanPtr reject_plan = NULL;

/* ----------------------------------------------------------------
 * The plan cache
 * ----------------------------------------------------------------
 */

/* Relcache callback: plans of relation relid (or all) are stale. */
static void
plans_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS st;
	PlTrigEntry *e;

	hash_seq_init(&st, trig_plans);
	while ((e = hash_seq_search(&st)) != NULL)
		if (e->plan && (relid == InvalidOid || e->plan->relid == relid))
			e->plan->valid = false;
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
			e->plan->valid = false;
			e->plan->spec = NULL;
		}
}

/* Create the plan hash and register the relcache callback, once. */
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
static void
pg_attribute_noreturn()
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

	if (p->ntokens > 1 || kinds == PL_K_NULL)
		return;
	if ((kinds & accepts & ~PL_K_NULL) == 0)
		misfit(spec, rel, s, "it writes %s, but column \"%s\" is %s.",
			   kinds_words(kinds & ~PL_K_NULL), col->name, pl_column_type_name(col));
}

/* Check every step of the spec against the table's columns (row mode). */
static void
check_steps(const PlTrigPlan *plan, const PlSpec *spec, Relation rel)
{
	const PlTransform *t = spec->transform;

	for (int i = 0; t && i < t->nsteps; i++)
	{
		const PlStep *s = &t->steps[i];
		PlColumn   *col;
		uint8		kinds;

		switch (s->op)
		{
			case PL_OP_RENAME:
				col = check_pointer(plan, spec, rel, s, &s->path);
				kinds = s->path.ntokens > 1 ? PL_K_ANY : pl_column_kinds(col);
				check_write(plan, spec, rel, s, &s->other, kinds);
				break;
			case PL_OP_COPY:
				col = check_pointer(plan, spec, rel, s, &s->other);
				kinds = s->other.ntokens > 1 ? PL_K_ANY : pl_column_kinds(col);
				check_write(plan, spec, rel, s, &s->path, kinds);
				break;
			case PL_OP_CONCAT:
				for (int j = 0; j < s->nfrom; j++)
					check_pointer(plan, spec, rel, s, &s->from[j]);
				check_write(plan, spec, rel, s, &s->path, s->kinds);
				break;
			default:
				col = check_pointer(plan, spec, rel, s, &s->path);
				if (s->path.ntokens == 1 && (op_inputs(s->op) & pl_column_kinds(col)) == 0)
					misfit(spec, rel, s, "it works on %s, but column \"%s\" (%s) holds %s.",
						   kinds_words(op_inputs(s->op)), col->name, pl_column_type_name(col),
						   kinds_words(pl_column_kinds(col) & ~PL_K_NULL));
				check_write(plan, spec, rel, s, &s->path, s->kinds);
				break;
		}
	}
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
		plan->record_col = col - plan->cols;
	}
	else
		check_steps(plan, spec, rel);
	plan->values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	plan->nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	plan->replace = palloc(sizeof(bool) * Max(desc->natts, 1));
	plan->touched = palloc(sizeof(int) * Max(n, 1));
	plan->rowcxt = AllocSetContextCreate(cxt, "pipeline row", ALLOCSET_DEFAULT_SIZES);
	plan->valid = true;
	MemoryContextSwitchTo(old);
	return plan;
}

/* Note in spec's memory that plans on it go stale when it is freed. */
static void
watch_spec(PlSpec *spec)
{
	MemoryContextCallback *cb = MemoryContextAlloc(spec->cxt, sizeof(MemoryContextCallback));

	cb->func = plans_spec_freed;
	cb->arg = spec;
	MemoryContextRegisterResetCallback(spec->cxt, cb);
}

/* The current plan of the trigger at call site call, rebuilt if stale. */
static PlTrigPlan *
plan_get(PlTrigCall *call, Relation rel, PlSpec *spec, const char *column)
{
	PlTrigPlan *plan = call->entry->plan;

	if (plan && plan->valid && plan->spec == spec && plan->tupdesc == RelationGetDescr(rel))
		return plan;
	if (plan)
	{
		call->entry->plan = NULL;
		MemoryContextDelete(plan->cxt);
	}
	plan = plan_build(rel, spec, column);
	MemoryContextSetParent(plan->cxt, CacheMemoryContext);
	watch_spec(spec);
	call->entry->plan = plan;
	return plan;
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
 * Store the columns that steps wrote back into values (marking replace) and
 * render them again, so the record is exactly to_jsonb of the new row.  A
 * value a column cannot hold is a violation of the step that wrote it.
 */
static bool
write_back(PlTrigPlan *plan, JsonbValue *root, PlErrors *errs)
{
	bool		ok = true;

	for (int i = 0; i < plan->ncols; i++)
	{
		const PlColumn *col = &plan->cols[i];
		JsonbValue *v = &root->val.object.pairs[i].value;
		char	   *err;
		int			a = col->attno;

		if (plan->touched[i] < 0)
			continue;
		if (!pl_value_to_datum(col, v, &plan->values[a], &plan->nulls[a], &err))
		{
			char		loc[32];
			StringInfoData inst;

			initStringInfo(&inst);
			pl_pointer_append_token(&inst, col->name, col->namelen);
			snprintf(loc, sizeof(loc), "/transform/%d", plan->touched[i]);
			pl_errors_add(errs, inst.data, loc, "%s", err);
			ok = false;
			continue;
		}
		plan->replace[a] = true;
		pl_datum_to_value(col, plan->values[a], plan->nulls[a], v);
	}
	return ok;
}

/*
 * Transform and validate the record of the deformed row in plan->values.
 * Returns true if it passes; *record gets the (transformed) record, and in
 * column mode *newdoc the transformed document if a step changed it.
 */
static bool
judge(PlTrigPlan *plan, PlSpec *spec, PlErrors *errs, Jsonb **record, Jsonb **newdoc)
{
	PlDoc		doc;
	bool		ok;

	*newdoc = NULL;
	*record = NULL;
	if (spec->transform == NULL && spec->schema == NULL)
		return true;
	if (plan->record_col >= 0)
	{
		Jsonb	   *jb = column_record(plan);

		pl_doc_init(&doc, jb);
		ok = pl_transform_apply(spec->transform, &doc, errs);
		*record = doc.changed ? pl_doc_encode(&doc.root) : jb;
		if (doc.changed)
			*newdoc = *record;
	}
	else
	{
		memset(&doc, 0, sizeof(doc));
		row_record(plan, -1, &doc.root);
		doc.row = true;
		doc.touched = plan->touched;
		for (int i = 0; i < plan->ncols; i++)
			plan->touched[i] = -1;
		ok = pl_transform_apply(spec->transform, &doc, errs);
		if (doc.changed)
			ok &= write_back(plan, &doc.root, errs);
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

/* The owner of relation relid. */
static Oid
rel_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Insert the original record and its errors into pipeline.rejects.
 *
 * The insert runs as the owner of pipeline.rejects: whoever may insert into
 * the table may have a row quarantined, but only the owner and
 * pipeline_admin may read (or write) the rejects (docs/security.md).  The
 * statement is fixed and schema-qualified, so nothing of the caller's runs
 * with the owner's rights; an error restores the user with the transaction.
 */
static void
quarantine(PlTrigPlan *plan, PlSpec *spec, Relation rel, TriggerData *td, PlErrors *errs)
{
	Oid			types[8] = {TEXTOID, INT4OID, OIDOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID, JSONBOID};
	Datum		args[8];
	char		nulls[8] = "        ";
	JsonbValue	root;
	int			rc;
	Oid			rejects;
	Oid			save_userid;
	int			save_sec;

	/* the original row: deform the tuple again, before any step */
	heap_deform_tuple(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple,
					  plan->tupdesc, plan->values, plan->nulls);
	args[0] = CStringGetTextDatum(spec->name);
	args[1] = Int32GetDatum(spec->version);
	args[2] = ObjectIdGetDatum(RelationGetRelid(rel));
	args[3] = CStringGetTextDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "UPDATE" : "INSERT");
	args[5] = JsonbPGetDatum(pl_errors_to_jsonb(errs));
	if (plan->record_col >= 0)
	{
		args[4] = JsonbPGetDatum(column_record(plan));
		args[6] = CStringGetTextDatum(plan->cols[plan->record_col].name);
		row_record(plan, plan->record_col, &root);
		args[7] = JsonbPGetDatum(pl_doc_encode(&root));
	}
	else
	{
		row_record(plan, -1, &root);
		args[4] = JsonbPGetDatum(pl_doc_encode(&root));
		nulls[6] = nulls[7] = 'n';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (reject_plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("INSERT INTO pipeline.rejects (pipeline, version, relation, operation,"
									" record, errors, record_column, other_columns)"
									" VALUES ($1, $2, $3::pg_catalog.regclass, $4, $5, $6, $7::pg_catalog.name, $8)",
									8, types);

		if (p == NULL)
			elog(ERROR, "could not prepare the rejects insert: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		reject_plan = p;
	}
	rejects = get_relname_relid("rejects", get_namespace_oid("pipeline", false));
	if (!OidIsValid(rejects))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"pipeline.rejects\" does not exist")));
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(rel_owner(rejects), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_plan(reject_plan, args, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert into pipeline.rejects: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/* Act on a failing row as the spec says (or report it to a replay). */
static void
reject(PlTrigPlan *plan, PlSpec *spec, Relation rel, TriggerData *td, PlErrors *errs)
{
	if (pl_active_replay && strcmp(pl_active_replay->name, spec->name) == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(pl_active_replay->cxt);

		pl_active_replay->errors = pl_errors_to_jsonb(errs);
		pl_active_replay->version = spec->version;
		pl_active_replay->captured = true;
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
			break;
		case PL_ON_ERROR_SKIP:
			break;
	}
}

/* ----------------------------------------------------------------
 * The trigger
 * ----------------------------------------------------------------
 */

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

/* The trigger's call-site state, created on first call. */
static PlTrigCall *
trigger_call(FunctionCallInfo fcinfo, Oid tgoid)
{
	PlTrigCall *call = fcinfo->flinfo->fn_extra;
	bool		found;

	if (call && call->entry->tgoid == tgoid)
		return call;
	plans_init();
	if (call == NULL)
	{
		call = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PlTrigCall));
		call->cache_flinfo.fn_mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = call;
	}
	call->entry = hash_search(trig_plans, &tgoid, HASH_ENTER, &found);
	if (!found)
		call->entry->plan = NULL;
	return call;
}

/*
 * The row rebuilt from plan->values (the deformed row with the replaced
 * columns), keeping the original's identity as heap_modify_tuple would,
 * without deforming it a second time.
 */
static HeapTuple
rebuild(const PlTrigPlan *plan, HeapTuple tuple)
{
	HeapTuple	result = heap_form_tuple(plan->tupdesc, plan->values, plan->nulls);

	result->t_data->t_ctid = tuple->t_data->t_ctid;
	result->t_self = tuple->t_self;
	result->t_tableOid = tuple->t_tableOid;
	return result;
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
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	PlTrigCall *call = trigger_call(fcinfo, tg->tgoid);
	PlSpec	   *spec = pl_cache_lookup(tg->tgargs[0], &call->cache_flinfo);
	PlTrigPlan *plan = plan_get(call, rel, spec, tg->tgnargs > 1 ? tg->tgargs[1] : NULL);
	MemoryContext caller = CurrentMemoryContext;
	PlErrors	errs;
	Jsonb	   *record;
	Jsonb	   *newdoc;
	HeapTuple	result = tuple;
	bool		changed = false;

	MemoryContextReset(plan->rowcxt);
	MemoryContextSwitchTo(plan->rowcxt);
	heap_deform_tuple(tuple, plan->tupdesc, plan->values, plan->nulls);
	memset(plan->replace, 0, sizeof(bool) * plan->natts);
	pl_errors_init(&errs);
	if (!judge(plan, spec, &errs, &record, &newdoc))
	{
		reject(plan, spec, rel, td, &errs);
		result = NULL;
	}
	else if (newdoc)
	{
		int			a = plan->cols[plan->record_col].attno;

		plan->values[a] = JsonbPGetDatum(newdoc);
		plan->nulls[a] = false;
		changed = true;
	}
	else if (plan->record_col < 0)
	{
		for (int i = 0; i < plan->natts && !changed; i++)
			changed = plan->replace[i];
	}
	MemoryContextSwitchTo(caller);
	if (changed)
		result = rebuild(plan, tuple);
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
