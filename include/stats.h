/*
 * stats.h: counts of what each pipeline version did (src/stats.c), shown by
 * the view pipeline.stats.
 *
 * A call brackets its work with pl_stats_begin and pl_stats_end.  The counts
 * go into a backend-local entry the compiled spec points to (found by name
 * and version once per spec), so a call costs a few additions and no lookup,
 * lock or atomic.  With the library in shared_preload_libraries the entries
 * are pending counts, added to a shared table at transaction end; otherwise
 * they are the session's own totals.
 */
#ifndef PIPELINE_STATS_H
#define PIPELINE_STATS_H

#include "portability/instr_time.h"

#include "spec.h"

/* What became of a record (the column of pipeline.stats it counts in). */
typedef enum PlStatOutcome
{
	PL_STAT_PASSED,
	PL_STAT_FAILED,				/* the caller got the verdict: validate, errors, replay */
	PL_STAT_QUARANTINED,
	PL_STAT_SKIPPED,
	PL_STAT_RAISED,
	PL_STAT_NONE,				/* transform(): no verdict, not checked */
	PL_STAT_TRANSFORMED,		/* a transform step changed the record */
	PL_STAT_NCOUNTS				/* checked: the sum of the outcomes but PL_STAT_NONE */
} PlStatOutcome;

/* 1 call in PL_STATS_SAMPLE is timed, and stands for the calls since the last timed one. */
#define PL_STATS_SAMPLE 64

/* Counts of one pipeline version. */
typedef struct PlStatsCounts
{
	int64		n[PL_STAT_NCOUNTS];
	double		time_ms;		/* estimated from the timed calls */
} PlStatsCounts;

/* Hash key: a database, a pipeline name (zero-padded) and version. */
typedef struct PlStatsKey
{
	Oid			dbid;
	char		name[NAMEDATALEN];
	int32		version;
} PlStatsKey;

/* A pipeline version's backend-local counts (pending, in cluster scope). */
typedef struct PlStatsLocal
{
	PlStatsKey	key;
	PlStatsCounts counts;
	int32		until_timed;	/* calls before the next timed one; <= 0: time this one */
	int32		stands_for;		/* calls the next timed one stands for (less until_timed) */
	int32		specs;			/* compiled specs that point to it */
	uint64		used;			/* when last attached (session scope: eviction order) */
	bool		pending;		/* on the list to flush */
	bool		flushed;		/* added to its shared entry (during a flush) */
	struct PlStatsLocal *next;
} PlStatsLocal;

/* One call in progress. */
typedef struct PlStatsCall
{
	PlStatsLocal *local;		/* NULL: not counted */
	bool		timed;
	instr_time	start;
} PlStatsCall;

extern bool pipeline_track_stats;

/* src/stats.c */
extern void pl_stats_init(void);
extern PlStatsLocal *pl_stats_attach(PlSpec *spec);
extern void pl_stats_detach(PlSpec *spec);
extern void pl_stats_pending(PlStatsLocal *local);
extern void pl_stats_clock_stop(PlStatsCall *call);

/* Start counting a call of spec, a pipeline version from the cache (none when tracking is off). */
static inline void
pl_stats_begin(PlStatsCall *call, PlSpec *spec)
{
	PlStatsLocal *l = NULL;

	call->timed = false;
	if (pipeline_track_stats)
	{
		l = spec->stats ? spec->stats : pl_stats_attach(spec);
		if (--l->until_timed <= 0)
		{
			call->timed = true;
			INSTR_TIME_SET_CURRENT(call->start);
		}
	}
	call->local = l;
}

/* The call ended with outcome, having changed the record (transformed) or not. */
static inline void
pl_stats_end(PlStatsCall *call, PlStatOutcome outcome, bool transformed)
{
	PlStatsLocal *l = call->local;

	if (l == NULL)
		return;
	if (!l->pending)
		pl_stats_pending(l);
	l->counts.n[outcome]++;
	l->counts.n[PL_STAT_TRANSFORMED] += transformed;
	if (call->timed)
		pl_stats_clock_stop(call);
}

#endif
