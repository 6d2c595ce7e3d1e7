/*
 * jsonb_read.h: allocation-free reading of jsonb binary containers.
 *
 * The validator walks documents where they lie: a JbRef names one value
 * inside a container (a scalar's bytes, or a nested container), and JbIter
 * steps through an array or object keeping a running data offset, so neither
 * needs a JsonbValue, a JsonbIterator or any palloc.
 */
#ifndef PIPELINE_JSONB_READ_H
#define PIPELINE_JSONB_READ_H

#include "utils/jsonb.h"
#include "utils/numeric.h"

/* JSON types as the validator sees them */
typedef enum JbType
{
	JB_NULL = 0,
	JB_BOOL,
	JB_NUMBER,
	JB_STRING,
	JB_ARRAY,
	JB_OBJECT
} JbType;

/* One value inside a jsonb document. */
typedef struct JbRef
{
	JbType		type;
	bool		boolean;
	int			len;			/* string: byte length */
	const char *str;			/* string bytes, not NUL-terminated */
	Numeric		num;
	JsonbContainer *cont;		/* array or object */
} JbRef;

/* A cursor over the children of an array or object. */
typedef struct JbIter
{
	JsonbContainer *cont;
	const char *base;			/* start of the children's data */
	uint32		offset;			/* data offset of child i */
	int			i;				/* next child */
	int			nchildren;		/* array: n; object: 2n (keys then values) */
} JbIter;

/* Fill *out from child i whose data starts at base + offset and has length len. */
static inline void
jb_fill(JEntry entry, const char *base, uint32 offset, uint32 len, JbRef *out)
{
	switch (entry & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			out->type = JB_STRING;
			out->str = base + offset;
			out->len = (int) len;
			break;
		case JENTRY_ISNUMERIC:
			out->type = JB_NUMBER;
			out->num = (Numeric) (base + INTALIGN(offset));
			break;
		case JENTRY_ISBOOL_TRUE:
			out->type = JB_BOOL;
			out->boolean = true;
			break;
		case JENTRY_ISBOOL_FALSE:
			out->type = JB_BOOL;
			out->boolean = false;
			break;
		case JENTRY_ISNULL:
			out->type = JB_NULL;
			break;
		default:
			out->cont = (JsonbContainer *) (base + INTALIGN(offset));
			out->type = JsonContainerIsObject(out->cont) ? JB_OBJECT : JB_ARRAY;
			break;
	}
}

/* Start iterating over container c's children at child index first. */
static inline void
jb_iter_init(JbIter *it, JsonbContainer *c, int first)
{
	int			n = JsonContainerSize(c);

	it->cont = c;
	it->nchildren = JsonContainerIsObject(c) ? 2 * n : n;
	it->base = (const char *) &c->children[it->nchildren];
	it->i = first;
	it->offset = first > 0 ? getJsonbOffset(c, first) : 0;
}

/* Read the next child into *out; false at the end. */
static inline bool
jb_iter_next(JbIter *it, JbRef *out)
{
	JEntry		entry;
	uint32		len;

	if (it->i >= it->nchildren)
		return false;
	entry = it->cont->children[it->i];
	len = JBE_HAS_OFF(entry) ? JBE_OFFLENFLD(entry) - it->offset : JBE_OFFLENFLD(entry);
	jb_fill(entry, it->base, it->offset, len, out);
	it->offset += len;
	it->i++;
	return true;
}

/* Read the next key of an object (keys come first, and are strings); false at the last. */
static inline bool
jb_iter_next_key(JbIter *it, JbRef *out)
{
	JEntry		entry;
	uint32		len;

	if (it->i >= it->nchildren / 2)
		return false;
	entry = it->cont->children[it->i];
	len = JBE_HAS_OFF(entry) ? JBE_OFFLENFLD(entry) - it->offset : JBE_OFFLENFLD(entry);
	out->type = JB_STRING;
	out->str = it->base + it->offset;
	out->len = (int) len;
	it->offset += len;
	it->i++;
	return true;
}

/*
 * The data offset of child i of container c, as getJsonbOffset(c, i) finds
 * it (summing lengths back to the nearest stored offset), inline: where an
 * object's values start, for every object a walk enters.
 */
static inline uint32
jb_offset(const JsonbContainer *c, int i)
{
	uint32		off = 0;

	for (int k = i - 1; k >= 0; k--)
	{
		off += JBE_OFFLENFLD(c->children[k]);
		if (JBE_HAS_OFF(c->children[k]))
			break;
	}
	return off;
}

/* Read child i of container c, whose data offset off is known. */
static inline void
jb_child_at(JsonbContainer *c, int i, uint32 off, JbRef *out)
{
	int			nchildren = JsonContainerIsObject(c) ? 2 * JsonContainerSize(c) : JsonContainerSize(c);
	JEntry		e = c->children[i];

	jb_fill(e, (const char *) &c->children[nchildren], off,
			JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - off : JBE_OFFLENFLD(e), out);
}

/* Read child i of container c (random access, O(stride)). */
static inline void
jb_child(JsonbContainer *c, int i, JbRef *out)
{
	int			nchildren = JsonContainerIsObject(c) ? 2 * JsonContainerSize(c) : JsonContainerSize(c);
	const char *base = (const char *) &c->children[nchildren];

	jb_fill(c->children[i], base, getJsonbOffset(c, i), getJsonbLength(c, i), out);
}

/* The root value of a jsonb datum (a scalar root is a one-element raw array). */
static inline void
jb_root(Jsonb *jb, JbRef *out)
{
	JsonbContainer *c = &jb->root;

	if (JsonContainerIsScalar(c))
		jb_child(c, 0, out);
	else
	{
		out->cont = c;
		out->type = JsonContainerIsObject(c) ? JB_OBJECT : JB_ARRAY;
	}
}

/*
 * Are len bytes at a and b equal?  Words at a time, the last word read
 * overlapping the one before rather than byte by byte (and never past len).
 */
static inline bool
pl_bytes_equal(const char *a, const char *b, int len)
{
	uint64		x,
				y;
	uint32		u,
				w;

	if (len >= 8)
	{
		for (int i = 0; i + 8 < len; i += 8)
		{
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + len - 8, 8);
		memcpy(&y, b + len - 8, 8);
		return x == y;
	}
	if (len >= 4)
	{
		memcpy(&u, a, 4);
		memcpy(&w, b, 4);
		if (u != w)
			return false;
		memcpy(&u, a + len - 4, 4);
		memcpy(&w, b + len - 4, 4);
		return u == w;
	}
	for (int i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * Compare two keys in jsonb order: by length, then bytes.  Most comparisons
 * in a merge of sorted keys are of a key with itself: decided by words.
 */
static inline int
pl_key_cmp(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (pl_bytes_equal(a, b, alen))
		return 0;
	for (int i = 0;; i++)
		if (a[i] != b[i])
			return (unsigned char) a[i] < (unsigned char) b[i] ? -1 : 1;
}

/* Number of elements of an array, or of pairs of an object. */
static inline int
jb_size(const JbRef *v)
{
	return JsonContainerSize(v->cont);
}

#endif
