/*
 * freeze.h: copying a compiled graph into one allocation of exactly its
 * size (src/freeze.c), for schema_freeze.c and transform_freeze.c.
 *
 * A compiled spec lives as long as the backend, in every backend: what it
 * keeps is copied out of the compiler's scratch context into one chunk, and
 * the scratch context goes.  The copy runs twice through the same pass
 * function: first measuring (its allocations come from the scratch context
 * and go with it), then into a chunk of the measured size.  Fixed-size
 * parts are MAXALIGNed from the chunk's start; strings go, unaligned, into
 * its tail.  Sharing survives the copy: by address (pl_fz_new, pl_fz_moved,
 * and strings unless by_content), or by content (pl_fz_share, and strings
 * with by_content: equal ones are stored once).
 */
#ifndef PIPELINE_FREEZE_H
#define PIPELINE_FREEZE_H

/* State of one pass: where copies go, and what was copied where. */
typedef struct PlFreezer
{
	char	   *cursor;			/* next free byte of the chunk; NULL: measuring */
	Size		size;			/* bytes taken so far */
	char	   *strings;		/* next free byte of the chunk's tail, for strings */
	Size		strsize;		/* bytes of strings so far (not aligned) */
	bool		by_content;		/* equal strings stored once (else each string once) */
	MemoryContext keep;			/* the chunk's context */
	struct pl_fz_moved_hash *moved; /* old address -> its copy */
	struct pl_fz_blob_hash *blobs;	/* bytes -> their copy */
} PlFreezer;

/* One pass over the graph from arg; returns the copy of its root. */
typedef void *(*PlFreezePass) (PlFreezer *f, void *arg);

/* size bytes of the copy, zeroed (MAXALIGNed, like the chunk's start). */
static inline void *
pl_fz_take(PlFreezer *f, Size size)
{
	void	   *p;

	size = MAXALIGN(size);
	f->size += size;
	if (f->cursor == NULL)
		return palloc0(size);
	p = f->cursor;
	f->cursor += size;
	return p;
}

extern void *pl_fz_moved(PlFreezer *f, const void *old);
extern void *pl_fz_new(PlFreezer *f, const void *old, Size size);
extern void *pl_fz_array(PlFreezer *f, const void *items, Size itemsize, int n);
extern void *pl_fz_share(PlFreezer *f, const void *p, Size len);
extern const char *pl_fz_string(PlFreezer *f, const char *s, int len);
extern void *pl_freeze_copy(PlFreezer *f, PlFreezePass pass, void *arg, const char *what);

/* pl_fz_string of a NUL-terminated string. */
static inline const char *
pl_fz_cstring(PlFreezer *f, const char *s)
{
	return s ? pl_fz_string(f, s, strlen(s)) : NULL;
}

#endif							/* PIPELINE_FREEZE_H */
