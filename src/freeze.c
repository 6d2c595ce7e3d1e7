/*-------------------------------------------------------------------------
 *
 * freeze.c
 *	  Copy a compiled graph into one allocation of exactly its size.
 *
 * What schema_freeze.c and transform_freeze.c share: the two passes
 * (measure, then copy into a chunk of the measured size), the chunk's
 * cursors, and the tables that let sharing survive the copy.  See freeze.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "freeze.h"

/* An entry of PlFreezer.moved: an old address and its copy. */
typedef struct MovedEntry
{
	const void *old;
	void	   *copy;
	char		status;			/* simplehash's */
} MovedEntry;

/* A hash of an address, both halves mixed in. */
static inline uint32
fz_hash_pointer(const void *p)
{
	uint64		v = (uint64) (uintptr_t) p;

	return murmurhash32((uint32) v ^ (uint32) (v >> 32));
}

#define SH_PREFIX pl_fz_moved
#define SH_ELEMENT_TYPE MovedEntry
#define SH_KEY_TYPE const void *
#define SH_KEY old
#define SH_HASH_KEY(tb, key) fz_hash_pointer(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Bytes to store once: a string (tail, unaligned) or an array (aligned). */
typedef struct BlobKey
{
	const char *data;
	Size		len;
	bool		aligned;
} BlobKey;

/* An entry of PlFreezer.blobs: the bytes and their copy. */
typedef struct BlobEntry
{
	BlobKey		key;
	void	   *copy;
	uint32		hash;
	char		status;			/* simplehash's */
} BlobEntry;

#define SH_PREFIX pl_fz_blob
#define SH_ELEMENT_TYPE BlobEntry
#define SH_KEY_TYPE BlobKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) (hash_bytes((const unsigned char *) (k).data, (int) (k).len) ^ (k).aligned)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && (a).aligned == (b).aligned && \
							memcmp((a).data, (b).data, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Note that old was copied to copy, so sharing survives the copy. */
static void
fz_remember(PlFreezer *f, const void *old, void *copy)
{
	bool		found;

	pl_fz_moved_insert(f->moved, old, &found)->copy = copy;
}

/* The copy of old made so far, or NULL. */
void *
pl_fz_moved(PlFreezer *f, const void *old)
{
	MovedEntry *e = pl_fz_moved_lookup(f->moved, old);

	return e ? e->copy : NULL;
}

/*
 * A new zeroed copy of old (size bytes) for the caller to fill, remembered
 * as old's before it is filled (so cycles through it end there).
 */
void *
pl_fz_new(PlFreezer *f, const void *old, Size size)
{
	void	   *copy = pl_fz_take(f, size);

	fz_remember(f, old, copy);
	return copy;
}

/*
 * A copy of the n items (itemsize bytes each) at items, for the caller to
 * fix their pointers; at least one slot, as the compiler allocated.
 */
void *
pl_fz_array(PlFreezer *f, const void *items, Size itemsize, int n)
{
	void	   *copy;

	if (items == NULL)
		return NULL;
	copy = pl_fz_take(f, itemsize * Max(n, 1));
	memcpy(copy, items, itemsize * n);
	return copy;
}

/* The copy of the len bytes at p (aligned), shared by every equal array. */
void *
pl_fz_share(PlFreezer *f, const void *p, Size len)
{
	BlobKey		key = {p, len, true};
	BlobEntry  *e;
	bool		found;

	if (p == NULL)
		return NULL;
	e = pl_fz_blob_insert(f->blobs, key, &found);
	if (!found)
	{
		e->copy = pl_fz_take(f, len);
		memcpy(e->copy, p, len);
		e->key.data = e->copy;
	}
	return e->copy;
}

/* A new copy of string s (len bytes and a NUL) in the chunk's tail. */
static char *
fz_tail(PlFreezer *f, const char *s, int len)
{
	char	   *copy;

	f->strsize += len + 1;
	if (f->cursor == NULL)
		copy = palloc0(len + 1);
	else
	{
		copy = f->strings;
		f->strings += len + 1;
	}
	memcpy(copy, s, len);
	return copy;
}

/*
 * The copy of string s (len bytes and a NUL), shared by every user of s, or
 * with by_content by every equal string.
 */
const char *
pl_fz_string(PlFreezer *f, const char *s, int len)
{
	BlobKey		key = {s, len, false};
	BlobEntry  *e;
	bool		found;
	char	   *copy;

	if (s == NULL)
		return NULL;
	if (!f->by_content)
	{
		if ((copy = pl_fz_moved(f, s)) == NULL)
		{
			copy = fz_tail(f, s, len);
			fz_remember(f, s, copy);
		}
		return copy;
	}
	e = pl_fz_blob_insert(f->blobs, key, &found);
	if (!found)
	{
		e->copy = fz_tail(f, s, len);
		e->key.data = e->copy;
	}
	return e->copy;
}

/* One pass of pass over arg, with fresh tables (in the scratch context). */
static void *
fz_pass(PlFreezer *f, PlFreezePass pass, void *arg)
{
	void	   *root;

	f->moved = pl_fz_moved_create(CurrentMemoryContext, 64, NULL);
	f->blobs = pl_fz_blob_create(CurrentMemoryContext, 64, NULL);
	root = pass(f, arg);
	pl_fz_moved_destroy(f->moved);
	pl_fz_blob_destroy(f->blobs);
	return root;
}

/*
 * Copy the graph pass walks from arg into one chunk of f->keep; returns the
 * copy of its root.  The originals and everything they point to outside
 * keep can then be freed.  Runs in the compiler's scratch context; what
 * names the graph in the can't-happen error.
 */
void *
pl_freeze_copy(PlFreezer *f, PlFreezePass pass, void *arg, const char *what)
{
	Size		size;
	Size		strsize;
	void	   *root;

	f->cursor = NULL;
	f->size = f->strsize = 0;
	fz_pass(f, pass, arg);
	size = f->size;
	strsize = f->strsize;
	f->cursor = MemoryContextAllocZero(f->keep, Max(size + strsize, 1));
	f->strings = f->cursor + size;
	f->size = f->strsize = 0;
	root = fz_pass(f, pass, arg);
	if (f->size != size || f->strsize != strsize)
		elog(ERROR, "compiled %s copy took %zu bytes, measured %zu", what, f->size + f->strsize, size + strsize);
	return root;
}
