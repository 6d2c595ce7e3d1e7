/*
 * trigger.h: table rows as records, and the plan a pipeline trigger follows.
 *
 * A row's record is what to_jsonb(NEW) would give: an object with one key
 * per column.  src/rows.c renders typed datums as JsonbValues (without
 * calling to_jsonb) and converts transformed values back into datums of the
 * column's type; src/trigger.c builds, per trigger, a plan of spec x table
 * shape once and runs rows through it.
 */
#ifndef PIPELINE_TRIGGER_H
#define PIPELINE_TRIGGER_H

#include "access/tupdesc.h"
#include "commands/trigger.h"

#include "spec.h"
#include "transform.h"

/* How a column's values become JSON */
typedef enum PlColKind
{
	PL_COL_TEXT,				/* text, varchar, bpchar */
	PL_COL_INT2,
	PL_COL_INT4,
	PL_COL_INT8,
	PL_COL_NUMERIC,
	PL_COL_FLOAT4,
	PL_COL_FLOAT8,
	PL_COL_BOOL,
	PL_COL_TIMESTAMPTZ,
	PL_COL_TIMESTAMP,
	PL_COL_DATE,
	PL_COL_UUID,
	PL_COL_JSON,
	PL_COL_JSONB,
	PL_COL_ARRAY,
	PL_COL_COMPOSITE,
	PL_COL_OTHER				/* anything else: its text output */
} PlColKind;

/* A column (or an array's element type) and what converting it needs. */
typedef struct PlColumn
{
	const char *name;
	int			namelen;
	int			attno;			/* 0-based index into the tuple's values */
	Oid			typid;			/* as declared (maybe a domain) */
	Oid			basetype;
	int32		typmod;			/* of the base type */
	PlColKind	kind;
	bool		not_null;
	bool		is_domain;
	bool		guarded;		/* storing may raise (input function, domain) */
	bool		generated;		/* GENERATED ALWAYS AS ... STORED */
	bool		partkey;		/* in a partition key of a partitioned ancestor */
	void	   *domain_extra;	/* domain_check's cache */
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Oid			ioparam;
	FmgrInfo	infunc;			/* PL_COL_OTHER */
	FmgrInfo	outfunc;
	Numeric		bound;			/* numeric(p, s): 10^(p - s); else NULL */
	struct PlColumn *elem;		/* PL_COL_ARRAY: the element type */
	MemoryContext cxt;			/* where caches live */
} PlColumn;

/*
 * A replay's insert in progress (src/replay.c): the row it inserts is the
 * one on relation relid whose BEFORE ROW triggers fire at that trigger
 * depth (pg_trigger_depth()).  The trigger of pipeline name reports that row's failure here
 * instead of acting on on_error; another pipeline that quarantines it says
 * so (its reject moves).
 */
typedef struct PlReplay
{
	const char *name;
	Oid			relid;
	int			depth;
	bool		captured;		/* refused by pipeline name: version, errors */
	bool		moved;			/* quarantined by another pipeline */
	bool		judged;			/* pipeline name's trigger saw the row */
	int32		version;
	Jsonb	   *errors;
	MemoryContext cxt;			/* where errors go */
	struct PlReplay *outer;		/* the replay whose insert this one runs in */
} PlReplay;

/* src/replay.c */
extern PlReplay *pl_active_replay;
extern PlReplay *pl_replay_row_during(Relation rel, TriggerData *td);
extern Oid	pl_rejects_owner(void);

/* The replay this trigger call's row belongs to, or NULL: one test outside a replay. */
static inline PlReplay *
pl_replay_row(Relation rel, TriggerData *td)
{
	return pl_active_replay ? pl_replay_row_during(rel, td) : NULL;
}

/* src/rows.c */
extern void pl_column_init(PlColumn *col, Oid typid, int32 typmod, MemoryContext cxt);
extern uint8 pl_column_kinds(const PlColumn *col);
extern uint8 pl_column_accepts(const PlColumn *col);
extern const char *pl_column_type_name(const PlColumn *col);
extern void pl_datum_to_value(const PlColumn *col, Datum d, bool isnull, JsonbValue *out);
extern bool pl_value_to_datum(const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull,
							  char **err);
extern bool pl_domain_check(const PlColumn *col, Datum d, bool isnull, char **err);
extern bool pl_datum_same(const PlColumn *col, Datum a, bool anull, Datum b, bool bnull);

/* Does col's domain (if any) accept d?  One test for a column without a domain. */
static inline bool
pl_domain_accepts(const PlColumn *col, Datum d, bool isnull, char **err)
{
	return !col->is_domain || pl_domain_check(col, d, isnull, err);
}

#endif
