/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Statistics per pipeline version: records checked and what became of
 *	  them, and the time spent; pipeline.stats and pipeline.reset_stats().
 *
 * Two scopes.  With the library in shared_preload_libraries, counts are
 * cluster-wide: a fixed-size table in shared memory (pipeline.stats_max
 * entries, one per database, pipeline name and version) holds the totals
 * of every backend; the view shows the current database's.  Otherwise each
 * session counts its own calls only.
 *
 * The hot path takes no lock and touches no shared memory: a call adds to a
 * backend-local entry the compiled spec points to (the entry is found by
 * name and version once per compiled spec, and may outlive it: it goes when
 * no compiled spec points to it and its counts are flushed or reset, or in
 * session scope to make room past stats_max entries).  In cluster
 * scope those local counts are pending: the entries a transaction touched
 * are on a list, added to the shared table at transaction end, commit or
 * abort (the work was done either way, as pgstat counts it), and zeroed.
 * The shared entry of a name and version is created under the exclusive
 * lock at its first flush; adding to an existing one takes the lock shared
 * and the entry's spinlock.  pipeline.stats flushes the caller's own
 * pending counts first.
 *
 * Time: reading the clock for every record would cost more than the rest
 * of the bookkeeping, so 1 call in PL_STATS_SAMPLE is timed (the first call
 * of each entry too), and counts for the calls since the previous timed one
 * (a countdown per entry).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "stats.h"

PG_FUNCTION_INFO_V1(pipeline_stats);
PG_FUNCTION_INFO_V1(pipeline_reset_stats);

/* A pipeline version's counts in shared memory. */
typedef struct PlStatsShared
{
	PlStatsKey	key;
	slock_t		mutex;			/* guards counts */
	PlStatsCounts counts;
	TimestampTz last_flush;		/* for eviction; under the exclusive lock or the mutex */
} PlStatsShared;


bool		pipeline_track_stats = true;
static int	stats_max = 1000;

static bool stats_cluster = false;	/* loaded by shared_preload_libraries */
static LWLock *stats_lock = NULL;	/* the shared table's entries */
static HTAB *stats_shared = NULL;
static HTAB *stats_local = NULL;
static PlStatsLocal *stats_pending = NULL;	/* touched since the last flush */
static bool stats_full_warned = false;
static uint64 stats_attaches = 0;	/* a clock of attaches, for PlStatsLocal.used */

static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

/* shmem_request_hook: the shared table and its lock. */
static void
stats_shmem_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(hash_estimate_size(stats_max, sizeof(PlStatsShared)));
	RequestNamedLWLockTranche("pipeline_stats", 1);
}

/* shmem_startup_hook: create (or, in a backend, attach to) the shared table. */
static void
stats_shmem_startup(void)
{
	HASHCTL		ctl;

	if (prev_shmem_startup)
		prev_shmem_startup();
	ctl.keysize = sizeof(PlStatsKey);
	ctl.entrysize = sizeof(PlStatsShared);
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	stats_lock = &(GetNamedLWLockTranche("pipeline_stats"))->lock;
	stats_shared = ShmemInitHash("pipeline stats", stats_max, stats_max, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	LWLockRelease(AddinShmemInitLock);
}

/* Add counts b into a. */
static void
counts_add(PlStatsCounts *a, const PlStatsCounts *b)
{
	for (int i = 0; i < PL_STAT_NCOUNTS; i++)
		a->n[i] += b->n[i];
	a->time_ms += b->time_ms;
}

/* Did nothing happen (an entry the view leaves out)? */
static inline bool
counts_empty(const PlStatsCounts *c)
{
	for (int i = 0; i < PL_STAT_NCOUNTS; i++)
		if (c->n[i] != 0)
			return false;
	return true;
}

/*
 * Remove the entry of h (its key first) whose age() is least; an age below
 * zero keeps the entry.  A scan, no allocation.
 */
static void
evict_oldest(HTAB *h, int64 (*age) (const void *entry))
{
	HASH_SEQ_STATUS st;
	void	   *e;
	void	   *oldest = NULL;
	int64		oldest_age = 0;

	hash_seq_init(&st, h);
	while ((e = hash_seq_search(&st)) != NULL)
	{
		int64		a = age(e);

		if (a >= 0 && (oldest == NULL || a < oldest_age))
		{
			oldest = e;
			oldest_age = a;
		}
	}
	if (oldest)
		hash_search(h, oldest, HASH_REMOVE, NULL);
}

/*
 * A shared entry's age: when it was last flushed.  The full shared table
 * (exclusive lock held) drops the least recently flushed entry, a dropped
 * pipeline's or an old version's before any in use, so new versions keep
 * being counted however many came before; this runs at transaction end,
 * and only when a version is counted for the first time.
 */
static int64
shared_age(const void *entry)
{
	return ((const PlStatsShared *) entry)->last_flush;
}

/*
 * Add l's counts to its shared entry at time now, creating it when create
 * (exclusive lock held; room is made when the table has stats_max entries).
 */
static bool
shared_add(PlStatsLocal *l, bool create, TimestampTz now)
{
	bool		found = true;
	PlStatsShared *e = hash_search(stats_shared, &l->key, HASH_FIND, NULL);

	/* another backend may have created it since our shared-lock look */
	if (e == NULL && create)
	{
		if (hash_get_num_entries(stats_shared) >= stats_max)
			evict_oldest(stats_shared, shared_age);
		e = hash_search(stats_shared, &l->key, HASH_ENTER_NULL, &found);
	}
	if (e == NULL)
		return false;
	if (!found)
	{
		SpinLockInit(&e->mutex);
		memset(&e->counts, 0, sizeof(e->counts));
	}
	SpinLockAcquire(&e->mutex);
	counts_add(&e->counts, &l->counts);
	e->last_flush = now;
	SpinLockRelease(&e->mutex);
	return true;
}

/* Say once per session that the shared table had no room for l. */
static void
warn_full(const PlStatsLocal *l)
{
	if (stats_full_warned)
		return;
	stats_full_warned = true;
	ereport(WARNING,
			(errmsg("pipeline.stats has no room: the counts of pipeline \"%s\" version %d are not kept",
					l->key.name, l->key.version),
			 errhint("Raise pipeline.stats_max, or call pipeline.reset_stats().")));
}

/*
 * Remove local entry l if nothing needs it: no compiled spec points to it,
 * and its counts are in the shared table (cluster scope, not pending) or
 * were reset (session scope, empty).  Entries of dropped pipelines and old
 * versions would otherwise stay in every backend that ran them, for its
 * life.
 */
static void
local_forget_unused(PlStatsLocal *l)
{
	if (l->specs == 0 && (stats_cluster ? !l->pending : counts_empty(&l->counts)))
		hash_search(stats_local, &l->key, HASH_REMOVE, NULL);
}

/*
 * A local entry's age in session scope, where a table of stats_max entries
 * drops the counts of the version no compiled spec uses that was attached
 * longest ago, so that a session defining and running new versions for ever
 * holds a bounded table (as the cluster scope's shared one is).  In use: -1,
 * kept (the compiled specs, which the cache bounds, may hold them all).
 */
static int64
local_age(const void *entry)
{
	const PlStatsLocal *l = entry;

	return l->specs > 0 ? -1 : (int64) l->used;
}

/*
 * Cluster scope: add the pending counts to the shared table and empty the
 * list.  Existing entries under the shared lock; new ones, if any, under
 * the exclusive lock afterwards.
 */
static void
stats_flush(void)
{
	int			missing = 0;
	PlStatsLocal *l;
	TimestampTz now;

	if (!stats_cluster || stats_pending == NULL || stats_shared == NULL)
		return;
	now = GetCurrentTimestamp();
	LWLockAcquire(stats_lock, LW_SHARED);
	for (l = stats_pending; l; l = l->next)
		missing += !(l->flushed = counts_empty(&l->counts) || shared_add(l, false, now));
	LWLockRelease(stats_lock);
	if (missing > 0)
	{
		LWLockAcquire(stats_lock, LW_EXCLUSIVE);
		for (l = stats_pending; l; l = l->next)
			if (!l->flushed && !shared_add(l, true, now))
				warn_full(l);
		LWLockRelease(stats_lock);
	}
	l = stats_pending;
	stats_pending = NULL;
	while (l)
	{
		PlStatsLocal *next = l->next;

		memset(&l->counts, 0, sizeof(l->counts));
		l->pending = false;
		local_forget_unused(l);
		l = next;
	}
}

/* Transaction end, committed or not: the counts go to the shared table. */
static void
stats_xact(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
		stats_flush();
}

/*
 * Define the GUCs and, when loaded by shared_preload_libraries, ask for the
 * shared table; called once from _PG_init.  pipeline.track_stats is
 * PGC_SUSET, like track_counts: the figures are for whoever watches the
 * cluster, and a session should not be able to hide its work from them.
 */
void
pl_stats_init(void)
{
	DefineCustomBoolVariable("pipeline.track_stats",
							 "Counts the records each pipeline version checks, for pipeline.stats.",
							 NULL, &pipeline_track_stats, true, PGC_SUSET, 0, NULL, NULL, NULL);
	RegisterXactCallback(stats_xact, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;					/* session scope */
	DefineCustomIntVariable("pipeline.stats_max",
							"Pipeline versions pipeline.stats keeps counts for, cluster-wide.",
							"Needs the library in shared_preload_libraries.",
							&stats_max, 1000, 10, 1000000, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	stats_cluster = true;
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = stats_shmem_request;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
}

/*
 * The backend-local entry of spec's name and version, remembered in spec:
 * one hash lookup per compiled spec, none per call.
 */
PlStatsLocal *
pl_stats_attach(PlSpec *spec)
{
	PlStatsKey	key;
	PlStatsLocal *l;
	bool		found;

	if (stats_local == NULL)
		stats_local = pl_hash_create("pipeline stats (backend)", 16, sizeof(PlStatsKey),
									 sizeof(PlStatsLocal), TopMemoryContext);
	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	strlcpy(key.name, spec->name, NAMEDATALEN);
	key.version = spec->version;
	l = hash_search(stats_local, &key, HASH_FIND, &found);
	if (!found && !stats_cluster && hash_get_num_entries(stats_local) >= stats_max)
		evict_oldest(stats_local, local_age);
	if (!found)
		l = hash_search(stats_local, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(&l->counts, 0, sizeof(l->counts));
		l->until_timed = 1;		/* the first call is timed, and stands for itself */
		l->stands_for = 1;
		l->specs = 0;
		l->pending = false;
		l->next = NULL;
	}
	l->specs++;
	l->used = ++stats_attaches;
	spec->stats = l;
	return l;
}

/* Compiled spec is being freed: its entry may no longer be needed. */
void
pl_stats_detach(PlSpec *spec)
{
	PlStatsLocal *l = spec->stats;

	if (l == NULL)
		return;
	spec->stats = NULL;
	l->specs--;
	local_forget_unused(l);
}

/*
 * l has counts from now on: list it for the next flush (cluster scope; in
 * session scope the counts are kept, and pending stays set).
 */
void
pl_stats_pending(PlStatsLocal *l)
{
	l->pending = true;
	if (!stats_cluster)
		return;
	l->next = stats_pending;
	stats_pending = l;
}

/* A timed call ended: its time stands for the calls since the last timed one. */
void
pl_stats_clock_stop(PlStatsCall *call)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, call->start);
	/* until_timed is below 0 when timed calls before this one raised */
	call->local->counts.time_ms += INSTR_TIME_GET_MILLISEC(now) *
		(call->local->stands_for - call->local->until_timed);
	call->local->until_timed = call->local->stands_for = PL_STATS_SAMPLE;
}

/* Append one row of pipeline.stats. */
static void
stats_row(ReturnSetInfo *rsinfo, const PlStatsKey *key, const PlStatsCounts *c)
{
	static const PlStatOutcome order[] = {PL_STAT_PASSED, PL_STAT_FAILED, PL_STAT_TRANSFORMED,
	PL_STAT_QUARANTINED, PL_STAT_SKIPPED, PL_STAT_RAISED};
	Datum		values[11];
	bool		nulls[11] = {0};
	int64		checked = c->n[PL_STAT_PASSED] + c->n[PL_STAT_FAILED] + c->n[PL_STAT_QUARANTINED] +
		c->n[PL_STAT_SKIPPED] + c->n[PL_STAT_RAISED];

	if (counts_empty(c))
		return;
	values[0] = CStringGetTextDatum(key->name);
	values[1] = Int32GetDatum(key->version);
	values[2] = Int64GetDatum(checked);
	for (int i = 0; i < (int) lengthof(order); i++)
		values[3 + i] = Int64GetDatum(c->n[order[i]]);
	values[9] = Float8GetDatum(c->time_ms);
	values[10] = CStringGetTextDatum(stats_cluster ? "cluster" : "session");
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The shared table's rows (a copy of each entry taken under its spinlock). */
static void
stats_rows_shared(ReturnSetInfo *rsinfo)
{
	HASH_SEQ_STATUS st;
	PlStatsShared *e;

	LWLockAcquire(stats_lock, LW_SHARED);
	hash_seq_init(&st, stats_shared);
	while ((e = hash_seq_search(&st)) != NULL)
	{
		PlStatsCounts c;

		if (e->key.dbid != MyDatabaseId)
			continue;
		SpinLockAcquire(&e->mutex);
		c = e->counts;
		SpinLockRelease(&e->mutex);
		stats_row(rsinfo, &e->key, &c);
	}
	LWLockRelease(stats_lock);
}

/*
 * pipeline._stats(): the rows of pipeline.stats, after adding the caller's
 * pending counts to the shared table (cluster scope).
 */
Datum
pipeline_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS st;
	PlStatsLocal *l;

	InitMaterializedSRF(fcinfo, 0);
	if (stats_cluster)
	{
		stats_flush();
		stats_rows_shared(rsinfo);
		return (Datum) 0;
	}
	if (stats_local == NULL)
		return (Datum) 0;
	hash_seq_init(&st, stats_local);
	while ((l = hash_seq_search(&st)) != NULL)
		stats_row(rsinfo, &l->key, &l->counts);
	return (Datum) 0;
}

/* Is key pipeline name's in this database (all its pipelines when name is NULL)? */
static inline bool
key_matches(const PlStatsKey *key, const char *name)
{
	return key->dbid == MyDatabaseId && (name == NULL || strcmp(key->name, name) == 0);
}

/*
 * pipeline.reset_stats(name text DEFAULT NULL): forget the counts of one
 * pipeline or all of the current database: the shared entries (cluster
 * scope) and the caller's own.
 */
Datum
pipeline_reset_stats(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	HASH_SEQ_STATUS st;

	if (stats_cluster)
	{
		PlStatsShared *e;

		LWLockAcquire(stats_lock, LW_EXCLUSIVE);
		hash_seq_init(&st, stats_shared);
		while ((e = hash_seq_search(&st)) != NULL)
			if (key_matches(&e->key, name))
				hash_search(stats_shared, &e->key, HASH_REMOVE, NULL);
		LWLockRelease(stats_lock);
	}
	if (stats_local)
	{
		PlStatsLocal *l;

		hash_seq_init(&st, stats_local);
		while ((l = hash_seq_search(&st)) != NULL)
			if (key_matches(&l->key, name))
			{
				memset(&l->counts, 0, sizeof(l->counts));
				local_forget_unused(l);
			}
	}
	PG_RETURN_VOID();
}
