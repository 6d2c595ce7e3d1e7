/*-------------------------------------------------------------------------
 *
 * cache.c
 *	  Per-backend cache of compiled pipeline specs, by name (the active
 *	  version) and by name and version (pinned calls).
 *
 * Design: a spec is compiled once per backend and version and kept in
 * CacheMemoryContext.  Freshness follows PostgreSQL's own relcache
 * protocol rather than polling: define(), activate(), drop() and register_schema()
 * queue a relcache invalidation of pipeline.pipelines or pipeline.schemas
 * (pipeline._invalidate), which every backend receives when the writing
 * transaction has committed, at its next statement.  Our relcache callback
 * only bumps generation counters; no catalog access happens inside it.
 *
 * A lookup then costs one comparison when nothing changed: the caller's
 * FmgrInfo.fn_extra remembers the entry and the generation it was checked
 * in.  After a bump, the next lookup re-reads the active (or pinned) version of that
 * name (one indexed query) and recompiles only if the version differs or the
 * registered schemas changed.  A statement therefore sees one version per
 * row, and a new version from the next statement after the define commits.
 *
 * A statement keeps the versions it started with: another session's
 * invalidation may also arrive in the middle of a statement (when it takes
 * a lock for the first time: its first reject opens pipeline.rejects, its
 * first row routed to a partition opens that partition), and its later rows
 * would otherwise run the new version.  So an entry confirmed at the start
 * of the statement (or during it) is held until the statement ends (a new
 * top-level statement or transaction), unless this backend changed the
 * registry itself (pipeline._invalidate), whose changes apply at once.
 *
 * Only pipelines (and pinned versions) that exist have entries: a lookup of
 * an unknown name enters nothing (any role may look up any name, and each
 * entry would stay for the life of the backend), and one found dropped is
 * removed.  The cache is therefore bounded by the registry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pg_compat.h"
#include "registry.h"
#include "spec.h"

/* Hash key: a pipeline name and a pinned version, 0 for the active one. */
typedef struct PlCacheKey
{
	char		name[NAMEDATALEN];	/* zero-padded: the key is hashed as bytes */
	int32		version;
} PlCacheKey;

/* One pipeline name (and pinned version) and its compiled spec. */
typedef struct PlCacheEntry
{
	PlCacheKey	key;
	PlSpec	   *spec;			/* NULL until compiled */
	uint64		checked;		/* generation in which spec was last confirmed */
	uint64		schemas_seen;	/* schemas generation spec was compiled in */
	TransactionId row_xmin;		/* xmin of the registry row it was compiled from */
} PlCacheEntry;

/* What a call site keeps in fn_extra. */
typedef struct PlCallCache
{
	PlCacheEntry *entry;
	uint64		checked;
} PlCallCache;

static HTAB *pl_cache = NULL;
static uint64 pl_generation = 1;	/* bumped by pipelines invalidations */
static uint64 pl_schemas_generation = 1;	/* bumped by schemas invalidations */
static Oid	pl_pipelines_relid = InvalidOid;
static Oid	pl_schemas_relid = InvalidOid;
static uint64 pl_local_changes = 0;	/* registry changes by this backend */
static uint64 pl_stmt_generation = 0;	/* pl_generation when the statement started */
static uint64 pl_stmt_local_changes = 0;	/* pl_local_changes then */

PG_FUNCTION_INFO_V1(pipeline_invalidate);

/* Relcache callback: note that our tables changed (no catalog access here). */
static void
pl_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == pl_pipelines_relid || pl_pipelines_relid == InvalidOid)
		pl_generation++;
	if (relid == InvalidOid || relid == pl_schemas_relid || pl_schemas_relid == InvalidOid)
	{
		pl_schemas_generation++;
		pl_generation++;
	}
}

/*
 * Syscache callback on pg_proc: once a spec of this backend called a
 * function format (pipeline.register_format), any function may be the one
 * that was dropped or replaced, so every spec recompiles.
 */
static void
pl_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (pl_function_formats_compiled)
		pl_relcache_callback(arg, InvalidOid);
}

/*
 * pipeline._invalidate(tbl): queue a relcache invalidation of the given
 * registry table, sent at commit, and note that this backend changed the
 * registry: its own statement sees the change from its next lookup.
 */
Datum
pipeline_invalidate(PG_FUNCTION_ARGS)
{
	CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
	pl_local_changes++;
	PG_RETURN_VOID();
}

/*
 * Was an entry or call site checked in generation checked still good for
 * the statement under way: confirmed since it started, and the registry not
 * changed by this backend since?  (Other sessions' changes wait for the next
 * statement.)
 */
static inline bool
pl_cache_held(uint64 checked)
{
	return checked >= pl_stmt_generation && pl_local_changes == pl_stmt_local_changes;
}

/* Register the invalidation callbacks; called once from _PG_init. */
void
pl_cache_init(void)
{
	CacheRegisterRelcacheCallback(pl_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, pl_proc_callback, (Datum) 0);
}

/*
 * A backend-local hash table in cxt whose keys are compared as bytes (zero
 * a key's padding before using it).
 */
HTAB *
pl_hash_create(const char *name, long nelem, Size keysize, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Create the hash table on first use. */
static void
pl_cache_create(void)
{
	pl_cache = pl_hash_create("pipeline spec cache", 64, sizeof(PlCacheKey), sizeof(PlCacheEntry),
							  CacheMemoryContext);
}

/* Learn our tables' OIDs so the callback can ignore other relations. */
static void
pl_cache_learn_relids(void)
{
	Oid			nsp = get_namespace_oid("pipeline", true);

	pl_pipelines_relid = OidIsValid(nsp) ? get_relname_relid("pipelines", nsp) : InvalidOid;
	pl_schemas_relid = OidIsValid(nsp) ? get_relname_relid("schemas", nsp) : InvalidOid;
}

/*
 * Refuse to read a registry older than this library: the extension's SQL
 * objects stay at their version until ALTER EXTENSION UPDATE, while a new
 * package replaces the library at once (0.1.0 has no "active" column).
 */
static void
pl_cache_check_registry(void)
{
	if (!OidIsValid(pl_pipelines_relid) || get_attnum(pl_pipelines_relid, "active") != InvalidAttrNumber)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("extension \"pipeline\" must be updated"),
			 errdetail("Its SQL objects are older than the library loaded."),
			 errhint("Run ALTER EXTENSION pipeline UPDATE.")));
}

/*
 * Read the active version (pinned 0) or version pinned of name, its spec and
 * the xmin of its row (a dropped and re-created pipeline starts again at
 * version 1, so the version alone does not identify a spec); false if there
 * is none.
 */
static bool
pl_cache_read(const char *name, int32 pinned, int32 *version, TransactionId *xmin, Jsonb **spec)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		args[2] = {CStringGetTextDatum(name), Int32GetDatum(pinned)};
	bool		found = false;
	bool		isnull;

	SPI_connect();

	/*
	 * Read the registry like a catalog: as it is now, not as the statement's
	 * snapshot saw it.  The invalidation that brings us here is sent after
	 * the defining transaction became visible, so a fresh snapshot sees the
	 * new version; the statement's snapshot may be older (the statement was
	 * waiting on a lock while define() committed), and confirming the old
	 * version for this generation would keep it until some unrelated
	 * invalidation, for every later statement of the session.
	 */
	PushActiveSnapshot(GetCatalogSnapshot(pl_pipelines_relid));
	SPI_execute_with_args("SELECT version, spec, xmin FROM pipeline.pipelines"
						  " WHERE name OPERATOR(pg_catalog.=) $1 AND CASE WHEN $2 OPERATOR(pg_catalog.=) 0"
						  " THEN active ELSE version OPERATOR(pg_catalog.=) $2 END",
						  2, argtypes, args, NULL, true, 1);
	PopActiveSnapshot();
	if (SPI_processed == 1)
	{
		*version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		/* detoasted (a short spec has a 1-byte header on disk), then copied out of SPI's memory */
		*spec = (Jsonb *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(SPI_getbinval(SPI_tuptable->vals[0],
																							SPI_tuptable->tupdesc, 2, &isnull))),
										   false, -1);
		found = true;
	}
	SPI_finish();
	return found;
}

/* Raise the error of a lookup of a pipeline (or pinned version) that does not exist. */
pg_attribute_noreturn()
static void
pl_cache_no_such(const PlCacheKey *key)
{
	if (key->version == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" does not exist", key->name),
				 errhint("Create it with pipeline.define().")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("version %d of pipeline \"%s\" does not exist", key->version, key->name),
			 errhint("The versions of a pipeline are listed in pipeline.pipelines.")));
}

/*
 * Forget entry e (its pipeline or version was dropped) and retire its spec: a trigger
 * whose row ran the drop may still be walking it (freed at its unpin).
 */
static void
pl_cache_remove(PlCacheEntry *e)
{
	PlSpec	   *spec = e->spec;

	hash_search(pl_cache, &e->key, HASH_REMOVE, NULL);
	if (spec)
		pl_spec_retire(spec);
}

/* Entries at which the cache is next swept of dropped pipelines. */
static long pl_sweep_at = 64;

/*
 * Remove the entries other than keep of pipelines (and pinned versions) dropped
 * since they were last used: a backend that never looks their names up
 * again kept their specs for its life (a session that defines and drops
 * pipelines of new names grew without bound).  Run when the cache has
 * doubled since the last sweep: a few reads per entry added.
 */
static void
pl_cache_sweep(PlCacheEntry *keep)
{
	HASH_SEQ_STATUS st;
	PlCacheEntry *e;
	List	   *gone = NIL;
	ListCell   *lc;
	int32		version;
	TransactionId xmin;
	Jsonb	   *spec_jb;

	hash_seq_init(&st, pl_cache);
	while ((e = hash_seq_search(&st)) != NULL)
		if (e != keep && e->checked != pl_generation && !pl_cache_held(e->checked) &&
			!pl_cache_read(e->key.name, e->key.version, &version, &xmin, &spec_jb))
			gone = lappend(gone, e);
	foreach(lc, gone)
		pl_cache_remove((PlCacheEntry *) lfirst(lc));
	list_free(gone);
	pl_sweep_at = Max(64, 2 * hash_get_num_entries(pl_cache));
}

/*
 * The entry of key brought up to date with the registry (e, if not NULL, is
 * its current entry), recompiling if needed.  Nothing is entered for a name
 * or version that does not exist or a spec that does not compile, so lookups
 * of unknown names leave no memory behind.
 */
static PlCacheEntry *
pl_cache_refresh(const PlCacheKey *key, PlCacheEntry *e)
{
	int32		version;
	TransactionId xmin;
	Jsonb	   *spec_jb;
	PlSpec	   *spec;
	uint64		gen = pl_generation;
	uint64		sgen = pl_schemas_generation;

	pl_spec_free_retired();
	pl_cache_learn_relids();
	pl_cache_check_registry();
	if (!pl_cache_read(key->name, key->version, &version, &xmin, &spec_jb))
	{
		if (e)
			pl_cache_remove(e);
		pl_cache_no_such(key);
	}
	if (e && e->spec && e->spec->version == version && e->row_xmin == xmin && e->schemas_seen == sgen)
	{
		e->checked = gen;
		return e;
	}
	spec = pl_spec_compile(spec_jb, &pl_registry_resolver);
	spec->name = MemoryContextStrdup(spec->cxt, key->name);
	spec->version = version;
	MemoryContextSetParent(spec->cxt, CacheMemoryContext);
	if (e == NULL)
	{
		e = hash_search(pl_cache, key, HASH_ENTER, NULL);
		e->spec = NULL;
	}
	if (e->spec)
		pl_spec_retire(e->spec);
	e->spec = spec;
	e->checked = gen;
	e->schemas_seen = sgen;
	e->row_xmin = xmin;
	if (hash_get_num_entries(pl_cache) >= pl_sweep_at)
		pl_cache_sweep(e);
	return e;
}

/* Start and transaction of the statement that last looked a pipeline up. */
static TimestampTz pl_statement_seen = 0;
static LocalTransactionId pl_statement_lxid = InvalidLocalTransactionId;

/*
 * At a statement's first lookup, take in the invalidations other sessions
 * committed: a statement that locks no new relation (a SELECT of validate()
 * alone, inside a transaction) would otherwise keep the old version until
 * the transaction ends.  A comparison per call; a statement under way keeps
 * its version (pl_cache_held).  A procedure's own transactions count as
 * statements, so a CALL that commits batches sees new versions between them.
 */
static inline void
pl_cache_new_statement(void)
{
	TimestampTz start = GetCurrentStatementStartTimestamp();

	if (unlikely(start != pl_statement_seen || pl_local_xid() != pl_statement_lxid))
	{
		pl_statement_seen = start;
		pl_statement_lxid = pl_local_xid();
		AcceptInvalidationMessages();
		pl_stmt_generation = pl_generation;
		pl_stmt_local_changes = pl_local_changes;
	}
}

/*
 * Is call-site cache cc current, or held by the statement, for version?
 * (Its entry's name is then compared.)
 */
static inline bool
pl_call_cache_current(const PlCallCache *cc, int32 version)
{
	return cc && (cc->checked == pl_generation || pl_cache_held(cc->checked)) &&
		cc->entry->key.version == version;
}

/* Does call-site cache cc hold name (len bytes, not terminated) at version? */
static inline bool
pl_call_cache_hit(const PlCallCache *cc, const char *name, int len, int32 version)
{
	return pl_call_cache_current(cc, version) && len < NAMEDATALEN &&
		strncmp(cc->entry->key.name, name, len) == 0 && cc->entry->key.name[len] == '\0';
}

/*
 * pl_cache_lookup_version for a text name: the per-call-site shortcut
 * compares the text in place, so the common call makes no copy of the name.
 */
PlSpec *
pl_cache_lookup_text(text *name, int32 version, FmgrInfo *flinfo)
{
	PlCallCache *cc = (PlCallCache *) flinfo->fn_extra;

	pl_cache_new_statement();
	if (pl_call_cache_hit(cc, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), version))
		return cc->entry->spec;
	return pl_cache_lookup_version(text_to_cstring(name), version, flinfo);
}

/* The active compiled version of pipeline name (see pl_cache_lookup_version). */
PlSpec *
pl_cache_lookup(const char *name, FmgrInfo *flinfo)
{
	return pl_cache_lookup_version(name, 0, flinfo);
}

/*
 * Version of pipeline name compiled, the active one when version is 0.
 * flinfo, if given, keeps a per-call-site shortcut in fn_extra so repeated
 * calls skip the hash lookup.
 */
PlSpec *
pl_cache_lookup_version(const char *name, int32 version, FmgrInfo *flinfo)
{
	PlCallCache *cc = flinfo ? (PlCallCache *) flinfo->fn_extra : NULL;
	PlCacheKey	key;
	PlCacheEntry *e;

	pl_cache_new_statement();
	/* the call site's shortcut (key.name is terminated within NAMEDATALEN) */
	if (pl_call_cache_current(cc, version) && strcmp(cc->entry->key.name, name) == 0)
		return cc->entry->spec;
	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, NAMEDATALEN);
	key.version = version;
	if (strlen(name) >= NAMEDATALEN)
		pl_cache_no_such(&key);
	if (pl_cache == NULL)
		pl_cache_create();
	e = hash_search(pl_cache, &key, HASH_FIND, NULL);
	if (e == NULL || (e->checked != pl_generation && !pl_cache_held(e->checked)))
		e = pl_cache_refresh(&key, e);
	if (flinfo)
	{
		if (cc == NULL)
			cc = flinfo->fn_extra = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(PlCallCache));
		cc->entry = e;
		cc->checked = e->checked;
	}
	return e->spec;
}
