/*-------------------------------------------------------------------------
 *
 * dryrun.c
 *	  pipeline.test(): a candidate spec checked against stored rows.
 *
 * One pass over the source (a table, view, ...: every row as the trigger's
 * record, to_jsonb of the row, or one jsonb column), each row handed to the
 * check by a DestReceiver as the executor produces it (no tuple copied),
 * then over the pipeline's quarantined records.  Each row is checked with
 * the candidate the way validate() checks it (a yes/no walk; the errors
 * are collected only for rows that fail) and with the pipeline's active
 * version, through the cache's call-site shortcut.  When the two have the
 * same transform steps (a new version that changes only the schema), the
 * record is transformed once and its result checked with both schemas, so
 * a dry run costs a transform and two schema walks per record, not two
 * transforms.  Nothing is written.
 * Memory is reset per row; only the failure groups (a keywordLocation, a
 * count and the first example) stay, at most DRY_MAX_GROUPS of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "registry.h"
#include "spec.h"
#include "transform.h"

PG_FUNCTION_INFO_V1(pipeline_test);

#define DRY_MAX_GROUPS	1000

/* The failures at one keywordLocation: how many, and the first one seen. */
typedef struct DryGroup
{
	char	   *kw;				/* hash key (a pointer to the string) */
	int64		count;
	char	   *instance_location;
	char	   *error;
	Jsonb	   *record;
} DryGroup;

/* A dry run under way. */
typedef struct DryRun
{
	PlSpec	   *candidate;
	const char *name;
	bool		has_current;	/* the pipeline exists: compare with its active version */
	int32		current_version;	/* that version, when it has the candidate's steps */
	FmgrInfo	current_flinfo; /* the cache's call-site shortcut for it */
	int64		checked;
	int64		passed;
	int64		newly_failing;
	int64		newly_passing;
	int64		rejects_checked;
	int64		rejects_accepted;
	HTAB	   *groups;
	MemoryContext keep_cxt;		/* groups */
	MemoryContext row_cxt;		/* reset after every row */
} DryRun;

/* dynahash callbacks for string-pointer keys */
static uint32
group_hash(const void *key, Size keysize)
{
	return string_hash(*(char *const *) key, NAMEDATALEN * 64);
}

static int
group_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Count failure e of record doc in its keywordLocation's group (new groups up to the cap). */
static void
dry_count_failure(DryRun *dr, const PlError *e, Jsonb *doc)
{
	char	   *key = e->keyword_location;
	DryGroup   *g = hash_search(dr->groups, &key, HASH_FIND, NULL);
	MemoryContext old;

	if (g == NULL)
	{
		if (hash_get_num_entries(dr->groups) >= DRY_MAX_GROUPS)
			return;
		old = MemoryContextSwitchTo(dr->keep_cxt);
		key = pstrdup(key);
		g = hash_search(dr->groups, &key, HASH_ENTER, NULL);
		g->count = 0;
		g->instance_location = pstrdup(e->instance_location);
		g->error = pstrdup(e->message);
		g->record = (Jsonb *) pg_detoast_datum_copy((struct varlena *) doc);
		MemoryContextSwitchTo(old);
	}
	g->count++;
}

/*
 * Does doc pass the pipeline's active version?  t and transformed_ok are
 * doc after the candidate's steps: reused when the version is the one found
 * with the same steps (current_version).
 */
static bool
dry_current_passes(DryRun *dr, Jsonb *doc, Jsonb *t, bool transformed_ok)
{
	PlSpec	   *current = pl_cache_lookup(dr->name, &dr->current_flinfo);

	if (current->version != dr->current_version)
		return pl_spec_check(current, doc, NULL, NULL);
	return transformed_ok && (current->schema == NULL || pl_validate(current->schema, t));
}

/* Check one row of the source (in the per-row context, reset after it). */
static void
dry_check_row(DryRun *dr, Jsonb *doc)
{
	bool		transformed_ok;
	Jsonb	   *t = pl_transform_jsonb(dr->candidate->transform, doc, NULL, &transformed_ok);
	bool		ok = transformed_ok &&
		(dr->candidate->schema == NULL || pl_validate(dr->candidate->schema, t));

	dr->checked++;
	dr->passed += ok;
	if (!ok)
	{
		PlErrors	errs;

		pl_errors_init(&errs);
		/* the steps' own failures need them run again; the schema's need t only */
		if (transformed_ok)
			pl_validate_errors(dr->candidate->schema, t, "/schema", &errs);
		else
			pl_spec_check(dr->candidate, doc, NULL, &errs);
		for (int i = 0; i < errs.count; i++)
			dry_count_failure(dr, &errs.items[i], doc);
	}
	if (dr->has_current)
	{
		bool		cur = dry_current_passes(dr, doc, t, transformed_ok);

		dr->newly_failing += cur && !ok;
		dr->newly_passing += !cur && ok;
	}
}

/* Check one quarantined record with the candidate. */
static void
dry_check_reject(DryRun *dr, Jsonb *doc)
{
	dr->rejects_checked++;
	dr->rejects_accepted += pl_spec_check(dr->candidate, doc, NULL, NULL);
}

/* A DestReceiver that checks each row of a scan as it comes. */
typedef struct DryDest
{
	DestReceiver pub;
	DryRun	   *dr;
	void		(*check) (DryRun *, Jsonb *);
} DryDest;

/* Check one row (its one jsonb column) in the per-row context, reset after it. */
static bool
dry_receive(TupleTableSlot *slot, DestReceiver *self)
{
	DryDest    *dest = (DryDest *) self;
	bool		isnull;
	Datum		d = slot_getattr(slot, 1, &isnull);
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	if (isnull)
		return true;
	old = MemoryContextSwitchTo(dest->dr->row_cxt);
	dest->check(dest->dr, DatumGetJsonbP(d));
	MemoryContextSwitchTo(old);
	MemoryContextReset(dest->dr->row_cxt);
	return true;
}

/* DestReceiver callbacks with nothing to do. */
static void
dry_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
dry_nothing(DestReceiver *self)
{
}

/*
 * Run query (one jsonb column; $1 is the pipeline's name when nparams is
 * 1), calling check on every row as the executor produces it.  Planned
 * without parallel workers: rows come in scan order, so each failure's
 * example is the first record of the scan that failed it.
 */
static void
dry_scan(DryRun *dr, const char *query, int nparams, void (*check) (DryRun *, Jsonb *))
{
	DryDest		dest = {{dry_receive, dry_startup, dry_nothing, dry_nothing, DestNone}, dr, check};
	SPIExecuteOptions options = {0};
	Oid			argtypes[1] = {TEXTOID};
	SPIPlanPtr	plan;

	options.read_only = true;
	options.dest = &dest.pub;
	options.params = makeParamList(nparams);
	if (nparams == 1)
	{
		options.params->params[0].value = CStringGetTextDatum(dr->name);
		options.params->params[0].isnull = false;
		options.params->params[0].pflags = PARAM_FLAG_CONST;
		options.params->params[0].ptype = TEXTOID;
	}
	SPI_connect();
	plan = SPI_prepare_cursor(query, nparams, argtypes, 0);
	if (plan == NULL || SPI_execute_plan_extended(plan, &options) < 0)
		elog(ERROR, "dry run scan failed: %s", query);
	SPI_finish();
}

/* The query that reads the source's records: whole rows, or the jsonb column colname. */
static char *
dry_source_query(Oid relid, const char *colname)
{
	char		relkind = get_rel_relkind(relid);
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));
	char	   *rel;
	AttrNumber	att;

	if (relname == NULL || nspname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", relname),
				 errhint("A dry run reads the rows of a table, view, materialized view or foreign table.")));
	rel = quote_qualified_identifier(nspname, relname);
	if (colname == NULL)
		return psprintf("SELECT pg_catalog.to_jsonb(t.*) FROM %s t", rel);
	att = get_attnum(relid, colname);
	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", colname, relname)));
	if (get_atttype(relid, att) != JSONBOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" is not of type jsonb", colname, relname),
				 errhint("A dry run in column mode reads a jsonb column; omit the column to check whole rows.")));
	/* a NULL column is the record JSON null, as the trigger sees it */
	return psprintf("SELECT COALESCE(t.%s, 'null'::pg_catalog.jsonb) FROM %s t",
					quote_identifier(colname), rel);
}

/*
 * Does pipeline name have an active version (read like the cache reads it)?
 * If its transform steps are the candidate's spec's, note its version in
 * dr->current_version (0 otherwise): its rows need one transform, not two.
 */
static bool
dry_current_version(DryRun *dr, const char *name, Jsonb *spec)
{
	Oid			argtypes[2] = {TEXTOID, JSONBOID};
	Datum		args[2] = {CStringGetTextDatum(name), JsonbPGetDatum(spec)};
	bool		found;
	bool		isnull;

	SPI_connect();
	SPI_execute_with_args("SELECT CASE WHEN COALESCE(spec OPERATOR(pg_catalog.->) 'transform', '[]') "
						  "OPERATOR(pg_catalog.=) COALESCE($2 OPERATOR(pg_catalog.->) 'transform', '[]') "
						  "THEN version ELSE 0 END "
						  "FROM pipeline.pipelines WHERE name OPERATOR(pg_catalog.=) $1 AND active",
						  2, argtypes, args, NULL, true, 1);
	found = SPI_processed == 1;
	dr->current_version = found ?
		DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) : 0;
	SPI_finish();
	return found;
}

/* May the caller read pipeline.rejects? (Otherwise the rejects are not checked.) */
static bool
dry_may_read_rejects(void)
{
	Oid			nsp = get_namespace_oid("pipeline", false);
	Oid			rejects = get_relname_relid("rejects", nsp);

	return OidIsValid(rejects) && pg_class_aclcheck(rejects, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
}

/* qsort order of groups: most failures first, then by keywordLocation. */
static int
group_cmp(const void *a, const void *b)
{
	const DryGroup *x = *(DryGroup *const *) a;
	const DryGroup *y = *(DryGroup *const *) b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->kw, y->kw);
}

/* Push a string key. */
static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k = {.type = jbvString,.val.string = {(int) strlen(key), (char *) key}};

	pushJsonbValue(st, WJB_KEY, &k);
}

/* Push key: string value. */
static void
push_kv(JsonbParseState **st, const char *key, const char *val)
{
	JsonbValue	v = {.type = jbvString,.val.string = {(int) strlen(val), (char *) val}};

	push_key(st, key);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Push one group: {keywordLocation, count, example: {instanceLocation, error, record}}. */
static void
push_group(JsonbParseState **st, const DryGroup *g)
{
	JsonbValue	v = {.type = jbvNumeric,.val.numeric = int64_to_numeric(g->count)};
	JsonbValue	rec = {.type = jbvBinary};

	if (JB_ROOT_IS_SCALAR(g->record))
		JsonbExtractScalar(&g->record->root, &rec);
	else
	{
		rec.val.binary.data = &g->record->root;
		rec.val.binary.len = VARSIZE(g->record);
	}
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_kv(st, "keywordLocation", g->kw);
	push_key(st, "count");
	pushJsonbValue(st, WJB_VALUE, &v);
	push_key(st, "example");
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_kv(st, "instanceLocation", g->instance_location);
	push_kv(st, "error", g->error);
	push_key(st, "record");
	pushJsonbValue(st, WJB_VALUE, &rec);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* The failure groups as a jsonb array, most frequent first. */
static Jsonb *
dry_failures(DryRun *dr)
{
	int			n = hash_get_num_entries(dr->groups);
	DryGroup  **gs = palloc(sizeof(DryGroup *) * Max(n, 1));
	HASH_SEQ_STATUS seq;
	DryGroup   *g;
	JsonbParseState *st = NULL;
	int			i = 0;

	hash_seq_init(&seq, dr->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		gs[i++] = g;
	qsort(gs, n, sizeof(DryGroup *), group_cmp);
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
		push_group(&st, gs[i]);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_ARRAY, NULL));
}

/* Set up a dry run of the candidate spec for pipeline name. */
static void
dry_init(DryRun *dr, const char *name, Jsonb *spec)
{
	HASHCTL		ctl;

	memset(dr, 0, sizeof(DryRun));
	dr->name = name;
	dr->candidate = pl_spec_compile(spec, &pl_registry_resolver);
	dr->keep_cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline dry run", ALLOCSET_DEFAULT_SIZES);
	dr->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline dry run row", ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(DryGroup);
	ctl.hash = group_hash;
	ctl.match = group_match;
	ctl.hcxt = dr->keep_cxt;
	dr->groups = hash_create("pipeline dry run failures", 64, &ctl,
							 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	dr->current_flinfo.fn_mcxt = CurrentMemoryContext;
	dr->has_current = dry_current_version(dr, name, spec);
}

/*
 * test(name, spec, source, column_name): check the candidate spec against
 * every record of source and the pipeline's rejects; write nothing.
 */
Datum
pipeline_test(PG_FUNCTION_ARGS)
{
	DryRun		dr;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {0};
	char	   *query;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, spec and source must not be null")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pipeline.test must return a record");
	query = dry_source_query(PG_GETARG_OID(2), PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3)));
	dry_init(&dr, text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_JSONB_P(1));
	dry_scan(&dr, query, 0, dry_check_row);
	if (dry_may_read_rejects())
		dry_scan(&dr, "SELECT record FROM pipeline.rejects WHERE pipeline OPERATOR(pg_catalog.=) $1", 1,
				 dry_check_reject);
	else
		nulls[5] = nulls[6] = true;
	values[0] = Int64GetDatum(dr.checked);
	values[1] = Int64GetDatum(dr.passed);
	values[2] = Int64GetDatum(dr.checked - dr.passed);
	values[3] = Int64GetDatum(dr.newly_failing);
	values[4] = Int64GetDatum(dr.newly_passing);
	nulls[3] = nulls[4] = !dr.has_current;
	values[5] = Int64GetDatum(dr.rejects_checked);
	values[6] = Int64GetDatum(dr.rejects_accepted);
	values[7] = JsonbPGetDatum(dry_failures(&dr));
	pl_spec_free(dr.candidate);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
