/*-------------------------------------------------------------------------
 *
 * compat_cache.c
 *	  Backend-wide cache of schemas compiled for the pg_jsonschema-compatible
 *	  functions, keyed by the schema's text.
 *
 * A CHECK constraint's expression is prepared again for every statement, so
 * its call site's fn_extra dies with the statement; without this cache every
 * single-row INSERT would compile the schema again.  Entries are found by a
 * hash of the text and confirmed by comparing the whole text, and the
 * pipeline.format_assertion setting in force when they were compiled.
 *
 * The cache holds at most pipeline.compat_cache_size megabytes (the memory
 * of the compiled schemas, as their memory contexts count it); past that the
 * least recently used entries go.  A schema bigger than the whole budget is
 * not cached.  Only successful compilations are added.  The compat functions
 * never read the registry (they are IMMUTABLE), so nothing here depends on
 * it and no invalidation is needed.
 *
 * A call site may keep a pointer to an entry's schema across calls: it
 * checks pl_compat_cache_evictions() first, which changes whenever any entry
 * is freed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/ilist.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "compat_cache.h"

/* One cached schema. */
typedef struct CompatEntry
{
	PlCompatKey key;			/* hash key; key.text is a copy in schema->cxt */
	PlSchema   *schema;
	Size		size;			/* bytes charged to the budget */
	dlist_node	lru;			/* head: most recently used */
} CompatEntry;

static HTAB *compat_cache = NULL;
static MemoryContext compat_cxt = NULL;
static dlist_head compat_lru = DLIST_STATIC_INIT(compat_lru);
static Size compat_bytes = 0;
static uint64 compat_evictions = 0;

/*
 * Hash len bytes of s eight at a time.  A CHECK's schema is hashed once per
 * statement, so this runs at under a cycle a byte where hash_bytes takes
 * about four; a collision costs only the exact comparison that follows.
 */
static uint64
text_hash(const char *s, Size len)
{
	uint64		h = len;
	uint64		w;
	Size		i;

	for (i = 0; i + sizeof(w) <= len; i += sizeof(w))
	{
		memcpy(&w, s + i, sizeof(w));
		h = (h ^ w) * UINT64CONST(0x9E3779B97F4A7C15);
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	return pl_mix64((h ^ w) * UINT64CONST(0x9E3779B97F4A7C15));
}

/* Hash a key by its text and format switch. */
static uint32
compat_key_hash(const void *key, Size keysize)
{
	const PlCompatKey *k = key;

	return (uint32) text_hash(k->text, k->len) ^ (k->formats ? 0x9e3779b9 : 0);
}

/* Are two keys the same schema text and switch?  0 when they are. */
static int
compat_key_match(const void *a, const void *b, Size keysize)
{
	const PlCompatKey *x = a;
	const PlCompatKey *y = b;

	return !(x->len == y->len && x->formats == y->formats &&
			 memcmp(x->text, y->text, x->len) == 0);
}

/* Create the table and its memory context on first use. */
static void
compat_cache_create(void)
{
	HASHCTL		ctl;

	compat_cxt = AllocSetContextCreate(CacheMemoryContext, "pipeline compat cache",
									   ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(PlCompatKey);
	ctl.entrysize = sizeof(CompatEntry);
	ctl.hash = compat_key_hash;
	ctl.match = compat_key_match;
	ctl.hcxt = compat_cxt;
	compat_cache = hash_create("pipeline compat cache entries", 64, &ctl,
							   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* The budget in bytes (pipeline.compat_cache_size is in megabytes). */
static inline Size
compat_budget(void)
{
	return (Size) pipeline_compat_cache_size * 1024 * 1024;
}

/* How many entries were ever freed: a call site's pointer is good while this stays. */
uint64
pl_compat_cache_evictions(void)
{
	return compat_evictions;
}

/* The cached schema for key (made most recently used), or NULL; *text gets the entry's copy. */
PlSchema *
pl_compat_cache_find(const PlCompatKey *key, const char **text)
{
	CompatEntry *e;

	if (compat_cache == NULL)
		return NULL;
	e = hash_search(compat_cache, key, HASH_FIND, NULL);
	if (e == NULL)
		return NULL;
	dlist_move_head(&compat_lru, &e->lru);
	*text = e->key.text;
	return e->schema;
}

/* Free the least recently used entry. */
static void
compat_evict_one(void)
{
	CompatEntry *e = dlist_tail_element(CompatEntry, lru, &compat_lru);
	PlSchema   *schema = e->schema;

	compat_bytes -= e->size;
	dlist_delete(&e->lru);
	hash_search(compat_cache, &e->key, HASH_REMOVE, NULL);
	pl_schema_free(schema);		/* and the text, kept in its context */
	compat_evictions++;
}

/*
 * Keep schema, compiled from key, in the cache: its memory moves into the
 * cache and *text gets the entry's copy of the text.  False (nothing kept,
 * the caller still owns schema) when it is bigger than the whole budget.
 * The copy goes into the schema's own context, so that it is charged with
 * it and freed with it: copies of every size in one shared context would
 * stay there, on its free lists, after their entries went.
 */
bool
pl_compat_cache_add(const PlCompatKey *key, PlSchema *schema, const char **text)
{
	Size		size = MemoryContextMemAllocated(schema->cxt, true) + key->len + sizeof(CompatEntry);
	bool		fits = size <= compat_budget();
	CompatEntry *e;
	char	   *copy;
	bool		found;

	/* make room; also where the budget was lowered since the last add */
	while (!dlist_is_empty(&compat_lru) && compat_bytes + (fits ? size : 0) > compat_budget())
		compat_evict_one();
	if (!fits)
		return false;
	if (compat_cache == NULL)
		compat_cache_create();
	copy = MemoryContextAlloc(schema->cxt, Max(key->len, 1));
	memcpy(copy, key->text, key->len);
	e = hash_search(compat_cache, key, HASH_ENTER, &found);
	Assert(!found);
	e->key.text = copy;
	e->schema = schema;
	e->size = size;
	MemoryContextSetParent(schema->cxt, compat_cxt);
	dlist_push_head(&compat_lru, &e->lru);
	compat_bytes += size;
	*text = copy;
	return true;
}
