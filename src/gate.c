/*-------------------------------------------------------------------------
 *
 * gate.c
 *	  Quality gate: a statement that rejects too many of its rows fails.
 *
 * A spec may say "max_reject_rate": 0.05 (and "min_rows", default 100).
 * The trigger reports each row's outcome here (pl_gate_row); the counts
 * live in a frame per statement: one pushed by ExecutorStart (and by
 * ProcessUtility for COPY ... FROM, which fires triggers without the
 * executor), checked and popped by ExecutorFinish (or after the COPY).
 * A statement over its rate raises there, so the rows and the rejects it
 * wrote go with it.  ExecutorEnd drops the frame of a statement that never
 * finished (EXPLAIN); frames of statements an error cut short are dropped
 * when their subtransaction aborts, and all at transaction end.  Per row:
 * one comparison when the spec has no gate, else a lookup among the few
 * pipelines of the statement; no catalog access.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "jsonb_read.h"
#include "numbers.h"
#include "ops.h"
#include "schema.h"
#include "trigger.h"

#define GATE_MAX_LOCATIONS	16	/* failing keywordLocations counted per pipeline */
#define GATE_TOP			3	/* of which the error names the most frequent */

/* The failures at one keywordLocation. */
typedef struct GateLocation
{
	char	   *kw;
	int64		count;
} GateLocation;

/* One gated pipeline's rows in one statement. */
typedef struct GateCount
{
	const char *name;
	double		max_rate;
	int64		min_rows;
	int64		rows;
	int64		rejected;
	int			nlocations;
	GateLocation locations[GATE_MAX_LOCATIONS];
	struct GateCount *next;
} GateCount;

/* A statement under way. */
typedef struct GateFrame
{
	const void *owner;			/* its QueryDesc, or the COPY's PlannedStmt */
	SubTransactionId subid;		/* the subtransaction it started in */
	GateCount  *counts;			/* NULL until a gated pipeline sees a row */
} GateFrame;

static GateFrame *frames = NULL;
static int	nframes = 0;
static int	maxframes = 0;
static MemoryContext gate_cxt = NULL;	/* counts; reset when no frame is left */

static ExecutorStart_hook_type prev_start = NULL;
static ExecutorFinish_hook_type prev_finish = NULL;
static ExecutorEnd_hook_type prev_end = NULL;
static ProcessUtility_hook_type prev_utility = NULL;

/* Read "max_reject_rate" and "min_rows" of spec object top into spec. */
void
pl_gate_parse(PlSpec *spec, const JNode *top)
{
	JNode	   *rate = jnode_get(top, "max_reject_rate");
	JNode	   *min = jnode_get(top, "min_rows");

	spec->max_reject_rate = -1;
	spec->min_rows = 100;
	if (rate && rate->type == JB_NUMBER)
		spec->max_reject_rate = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																   NumericGetDatum(rate->num)));
	if (rate && (rate->type != JB_NUMBER || !(spec->max_reject_rate >= 0 && spec->max_reject_rate <= 1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spec /max_reject_rate: \"max_reject_rate\" must be a number from 0 to 1")));
	if (min && (min->type != JB_NUMBER || !pl_numeric_to_int64(min->num, &spec->min_rows) ||
				spec->min_rows < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spec /min_rows: \"min_rows\" must be a non-negative integer")));
	if (min && !rate)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spec /min_rows: \"min_rows\" needs \"max_reject_rate\"")));
}

/* Push a frame for the statement owner. */
static void
gate_push(const void *owner)
{
	if (nframes == maxframes)
	{
		maxframes = maxframes ? maxframes * 2 : 16;
		frames = frames ? repalloc(frames, sizeof(GateFrame) * maxframes) :
			MemoryContextAlloc(TopMemoryContext, sizeof(GateFrame) * maxframes);
	}
	frames[nframes].owner = owner;
	frames[nframes].subid = GetCurrentSubTransactionId();
	frames[nframes].counts = NULL;
	nframes++;
}

/* Drop every frame from depth n on (their counts go with gate_cxt's reset at 0). */
static void
gate_truncate(int n)
{
	nframes = n;
	if (nframes == 0 && gate_cxt)
		MemoryContextReset(gate_cxt);
}

/* The counts of pipeline spec in the current statement's frame, created on first use. */
static GateCount *
gate_count(PlSpec *spec)
{
	GateFrame  *f;
	GateCount  *c;

	if (nframes == 0)
		gate_push(NULL);		/* a statement that began before the library was loaded */
	f = &frames[nframes - 1];
	for (c = f->counts; c; c = c->next)
		if (strcmp(c->name, spec->name) == 0)
			return c;
	if (gate_cxt == NULL)
		gate_cxt = AllocSetContextCreate(TopMemoryContext, "pipeline gate", ALLOCSET_SMALL_SIZES);
	c = MemoryContextAllocZero(gate_cxt, sizeof(GateCount));
	c->name = MemoryContextStrdup(gate_cxt, spec->name);
	c->max_rate = spec->max_reject_rate;
	c->min_rows = spec->min_rows;
	c->next = f->counts;
	f->counts = c;
	return c;
}

/* Count failure location kw (among the first GATE_MAX_LOCATIONS distinct ones). */
static void
gate_count_location(GateCount *c, const char *kw)
{
	for (int i = 0; i < c->nlocations; i++)
		if (strcmp(c->locations[i].kw, kw) == 0)
		{
			c->locations[i].count++;
			return;
		}
	if (c->nlocations == GATE_MAX_LOCATIONS)
		return;
	c->locations[c->nlocations].kw = MemoryContextStrdup(gate_cxt, kw);
	c->locations[c->nlocations++].count = 1;
}

/*
 * A gated spec's trigger let a row through (errs NULL) or kept it out
 * (quarantined or skipped, with its errors): count it in the statement
 * (see pl_gate_row).
 */
void
pl_gate_count_row(PlSpec *spec, const PlErrors *errs, Relation rel, TriggerData *td)
{
	GateCount  *c;
	PlReplay   *replay;

	/* the row a replay of this pipeline inserts belongs to the replay, not to a statement */
	replay = pl_replay_row(rel, td);
	if (replay && strcmp(replay->name, spec->name) == 0)
		return;
	c = gate_count(spec);
	c->rows++;
	if (errs == NULL)
		return;
	c->rejected++;
	for (int i = 0; i < errs->count; i++)
		gate_count_location(c, errs->items[i].keyword_location);
}

/* qsort order: most failures first. */
static int
location_cmp(const void *a, const void *b)
{
	const GateLocation *x = a;
	const GateLocation *y = b;

	return x->count == y->count ? strcmp(x->kw, y->kw) : (x->count > y->count ? -1 : 1);
}

/* The error of a statement over its rate (palloc'd in the caller's context), or NULL. */
static char *
gate_verdict(const GateFrame *f, char **detail)
{
	for (GateCount *c = f->counts; c; c = c->next)
	{
		StringInfoData buf;

		if (c->rows == 0 || c->rows < c->min_rows || (double) c->rejected / c->rows <= c->max_rate)
			continue;
		qsort(c->locations, c->nlocations, sizeof(GateLocation), location_cmp);
		initStringInfo(&buf);
		appendStringInfo(&buf, "Most frequent failures:");
		for (int i = 0; i < Min(c->nlocations, GATE_TOP); i++)
			appendStringInfo(&buf, "%s %s (%lld)", i ? "," : "", c->locations[i].kw,
							 (long long) c->locations[i].count);
		*detail = buf.data;
		return psprintf("statement kept out %lld of %lld rows through pipeline \"%s\", more than its max_reject_rate %g",
						(long long) c->rejected, (long long) c->rows, c->name, c->max_rate);
	}
	return NULL;
}

/*
 * The statement owner ended: check and pop its frame (and any left above it
 * by statements an error cut short).  A finishing statement that has no
 * frame takes the one of a statement that began before the library loaded.
 */
static void
gate_end(const void *owner)
{
	int			i = nframes - 1;
	char	   *msg;
	char	   *detail = NULL;

	while (i >= 0 && frames[i].owner != owner)
		i--;
	if (i < 0 && nframes > 0 && frames[0].owner == NULL)
		i = 0;
	if (i < 0)
		return;
	msg = gate_verdict(&frames[i], &detail);
	gate_truncate(i);
	if (msg)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s", msg),
				 errdetail("%s", detail),
				 errhint("Nothing of the statement was kept. Check the rejected rows with pipeline.test(), or raise max_reject_rate.")));
}

/*
 * Is qd a statement whose own rows the gate judges?  Not a SELECT (without
 * a data-modifying WITH): it fires no row trigger itself, and a cursor over
 * one that user code leaves open would otherwise take, as the innermost
 * frame, the rows of the statement around it.
 */
static inline bool
gate_judges(const QueryDesc *qd)
{
	return qd->operation != CMD_SELECT || qd->plannedstmt->hasModifyingCTE;
}

/* ExecutorStart: a statement begins. */
static void
gate_start(QueryDesc *qd, int eflags)
{
	if (prev_start)
		prev_start(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);
	if (gate_judges(qd))
		gate_push(qd);
}

/* ExecutorFinish: the statement's rows are all in (AFTER triggers too). */
static void
gate_finish(QueryDesc *qd)
{
	if (prev_finish)
		prev_finish(qd);
	else
		standard_ExecutorFinish(qd);
	if (gate_judges(qd))
		gate_end(qd);
}

/* ExecutorEnd: a statement that never finished (EXPLAIN, an error) leaves no frame. */
static void
gate_end_executor(QueryDesc *qd)
{
	for (int i = nframes - 1; i >= 0; i--)
		if (frames[i].owner == qd)
		{
			gate_truncate(i);
			break;
		}
	if (prev_end)
		prev_end(qd);
	else
		standard_ExecutorEnd(qd);
}

/* ProcessUtility: COPY ... FROM fires triggers outside the executor. */
static void
gate_utility(PlannedStmt *pstmt, const char *query, bool readonly, ProcessUtilityContext context,
			 ParamListInfo params, QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc)
{
	bool		copy = IsA(pstmt->utilityStmt, CopyStmt) && ((CopyStmt *) pstmt->utilityStmt)->is_from;

	if (copy)
		gate_push(pstmt);
	if (prev_utility)
		prev_utility(pstmt, query, readonly, context, params, env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query, readonly, context, params, env, dest, qc);
	if (copy)
		gate_end(pstmt);
}

/* Transaction end: no statement is left; before commit, judge one that began before loading. */
static void
gate_xact(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT && nframes > 0 && frames[0].owner == NULL)
		gate_end(NULL);
	else if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PARALLEL_PRE_COMMIT &&
			 event != XACT_EVENT_PRE_PREPARE)
		gate_truncate(0);
}

/* Subtransaction abort: drop the frames of the statements it cut short. */
static void
gate_subxact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			i = 0;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (i < nframes && frames[i].subid < mySubid)
		i++;
	gate_truncate(i);
}

/* Install the hooks; called once from _PG_init. */
void
pl_gate_init(void)
{
	prev_start = ExecutorStart_hook;
	ExecutorStart_hook = gate_start;
	prev_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = gate_finish;
	prev_end = ExecutorEnd_hook;
	ExecutorEnd_hook = gate_end_executor;
	prev_utility = ProcessUtility_hook;
	ProcessUtility_hook = gate_utility;
	RegisterXactCallback(gate_xact, NULL);
	RegisterSubXactCallback(gate_subxact, NULL);
}
