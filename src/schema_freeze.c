/*-------------------------------------------------------------------------
 *
 * schema_freeze.c
 *	  Copy a compiled schema graph into one allocation of exactly its size.
 *
 * The compiler works in a scratch context: the schema document as a JNode
 * tree with its JSON Pointers and base URIs, the resource and anchor tables,
 * lists.  The validator reads none of it.  Once compiled, the SchemaNodes and
 * what they point to (bounds, enum and const values, property names, lists,
 * dispatch tables, resources) are copied into one chunk and the scratch
 * context goes: a compiled spec lives as long as the backend, in every
 * backend, and per-chunk headers and power-of-two rounding would otherwise
 * take a third of it.
 *
 * The copy runs twice through the same code: first measuring (its
 * allocations come from the scratch context and go with it), then into a
 * chunk of the measured size.  Regexes are not copied: the compiler builds
 * them in the schema's context to begin with (the engine's part is
 * malloc'd), so only the pointers to them move.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "schema.h"

/* An entry of Freezer.moved: an old address and its copy. */
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

#define SH_PREFIX moved
#define SH_ELEMENT_TYPE MovedEntry
#define SH_KEY_TYPE const void *
#define SH_KEY old
#define SH_HASH_KEY(tb, key) fz_hash_pointer(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* State of one pass: where copies go, and what was copied where. */
typedef struct Freezer
{
	char	   *cursor;			/* next free byte of the chunk; NULL: measuring */
	Size		size;			/* bytes taken so far */
	char	   *strings;		/* next free byte of the chunk's tail, for strings */
	Size		strsize;		/* bytes of strings so far (not aligned) */
	moved_hash *moved;			/* old address -> its copy */
} Freezer;

/*
 * A new SchemaNode field that points somewhere must be copied by
 * freeze_node (the scratch context it points into is deleted).
 */
#if SIZEOF_VOID_P == 8
StaticAssertDecl(sizeof(SchemaNode) == 352, "a new SchemaNode field must be handled by freeze_node");
#endif

/* size bytes of the copy, zeroed (MAXALIGNed, like the chunk's start). */
static void *
fz_take(Freezer *f, Size size)
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

/* Note that old was copied to copy, so sharing survives the copy. */
static void
fz_remember(Freezer *f, const void *old, void *copy)
{
	bool		found;

	moved_insert(f->moved, old, &found)->copy = copy;
}

/* The copy of old made so far, or NULL. */
static void *
fz_moved(Freezer *f, const void *old)
{
	MovedEntry *e = moved_lookup(f->moved, old);

	return e ? e->copy : NULL;
}

/*
 * The copy of string s (len bytes and a NUL), shared by every user of s;
 * strings go, unaligned, after everything else.
 */
static const char *
fz_string(Freezer *f, const char *s, int len)
{
	char	   *copy;

	if (s == NULL)
		return NULL;
	if ((copy = fz_moved(f, s)) != NULL)
		return copy;
	f->strsize += len + 1;
	if (f->cursor == NULL)
		copy = palloc0(len + 1);
	else
	{
		copy = f->strings;
		f->strings += len + 1;
	}
	memcpy(copy, s, len);
	fz_remember(f, s, copy);
	return copy;
}

/* fz_string of a NUL-terminated string. */
static inline const char *
fz_cstring(Freezer *f, const char *s)
{
	return s ? fz_string(f, s, strlen(s)) : NULL;
}

static JNode *fz_jnode(Freezer *f, const JNode *n);

/* Copy an array of JNodes (enum values, names). */
static JNode **
fz_jnodes(Freezer *f, JNode *const *items, int n)
{
	JNode	  **copy;

	if (items == NULL)
		return NULL;
	copy = fz_take(f, sizeof(JNode *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		copy[i] = fz_jnode(f, items[i]);
	return copy;
}

/* Copy a JSON value (without the compiler's bookkeeping). */
static JNode *
fz_jnode(Freezer *f, const JNode *n)
{
	JNode	   *copy;

	if (n == NULL)
		return NULL;
	if ((copy = fz_moved(f, n)) != NULL)
		return copy;
	copy = fz_take(f, sizeof(JNode));
	fz_remember(f, n, copy);
	copy->type = n->type;
	copy->boolean = n->boolean;
	copy->len = n->len;
	copy->n = n->n;
	if (n->type == JB_STRING)
		copy->str = fz_string(f, n->str, n->len);
	else if (n->type == JB_NUMBER)
	{
		copy->num = fz_take(f, VARSIZE(n->num));
		memcpy(copy->num, n->num, VARSIZE(n->num));
	}
	else if (n->type == JB_ARRAY)
		copy->items = fz_jnodes(f, n->items, n->n);
	else if (n->type == JB_OBJECT)
	{
		copy->pairs = fz_take(f, sizeof(JPair) * Max(n->n, 1));
		for (int i = 0; i < n->n; i++)
		{
			copy->pairs[i].key = fz_string(f, n->pairs[i].key, n->pairs[i].keylen);
			copy->pairs[i].keylen = n->pairs[i].keylen;
			copy->pairs[i].value = fz_jnode(f, n->pairs[i].value);
		}
	}
	return copy;
}

/*
 * The copy of node s; every compiled node got its copy before any is
 * filled, so cycles need nothing special.  The shared true and false nodes
 * are static and stay.  (Measuring, where it is does not matter.)
 */
static SchemaNode *
fz_node(Freezer *f, SchemaNode *s)
{
	SchemaNode *copy;

	if (f->cursor == NULL)
		return s;
	if (s == NULL || (copy = fz_moved(f, s)) == NULL)
	{
		if (s && s->constant < 0)
			elog(ERROR, "schema node missing from the compiled list");
		return s;
	}
	return copy;
}

/* Copy a bound. */
static PlNumber *
fz_number(Freezer *f, const PlNumber *pn)
{
	PlNumber   *copy;

	if (pn == NULL)
		return NULL;
	copy = fz_take(f, sizeof(PlNumber));
	*copy = *pn;
	copy->num = fz_take(f, VARSIZE(pn->num));
	memcpy(copy->num, pn->num, VARSIZE(pn->num));
	return copy;
}

/* Copy n entries of a dispatch table. */
static PlDispatchEntry *
fz_dispatch_entries(Freezer *f, const PlDispatchEntry *e, int n)
{
	PlDispatchEntry *copy = fz_take(f, sizeof(PlDispatchEntry) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		copy[i].value = fz_jnode(f, e[i].value);
		copy[i].branch = e[i].branch;
	}
	return copy;
}

/* Copy a list of subschemas and its dispatch table into *dst. */
static void
fz_list(Freezer *f, PlSchemaList *dst, const PlSchemaList *src)
{
	if (src->items == NULL)
		return;
	dst->items = fz_take(f, sizeof(SchemaNode *) * src->n);
	for (int i = 0; i < src->n; i++)
		dst->items[i] = fz_node(f, src->items[i]);
	if (src->dispatch)
	{
		PlDispatch *d = fz_take(f, sizeof(PlDispatch));

		*d = *src->dispatch;
		d->key = fz_string(f, d->key, d->keylen);
		d->strings = fz_dispatch_entries(f, src->dispatch->strings, d->nstrings);
		d->others = fz_dispatch_entries(f, src->dispatch->others, d->nothers);
		dst->dispatch = d;
	}
}

/* Copy n named subschemas (properties, dependentSchemas). */
static PlNamedSchema *
fz_named(Freezer *f, const PlNamedSchema *m, int n)
{
	PlNamedSchema *copy;

	if (m == NULL)
		return NULL;
	copy = fz_take(f, sizeof(PlNamedSchema) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		copy[i] = m[i];
		copy[i].key = fz_string(f, m[i].key, m[i].keylen);
		copy[i].schema = fz_node(f, m[i].schema);
		copy[i].walk_to = fz_node(f, m[i].walk_to);
	}
	return copy;
}

/* Copy n dependentRequired entries. */
static PlDependency *
fz_dependencies(Freezer *f, const PlDependency *d, int n)
{
	PlDependency *copy;

	if (d == NULL)
		return NULL;
	copy = fz_take(f, sizeof(PlDependency) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		copy[i] = d[i];
		copy[i].key = fz_string(f, d[i].key, d[i].keylen);
		copy[i].names = fz_jnodes(f, d[i].names, d[i].nnames);
	}
	return copy;
}

/* Copy a resource (shared by its root and the $refs into it). */
static PlResource *
fz_resource(Freezer *f, const PlResource *r)
{
	PlResource *copy;

	if (r == NULL)
		return NULL;
	if ((copy = fz_moved(f, r)) != NULL)
		return copy;
	copy = fz_take(f, sizeof(PlResource));
	fz_remember(f, r, copy);
	*copy = *r;
	copy->uri = fz_cstring(f, r->uri);
	copy->root = fz_node(f, r->root);
	if (r->ndynamic == 0)
		return copy;
	copy->dynamic_names = fz_take(f, sizeof(char *) * r->ndynamic);
	copy->dynamic_targets = fz_take(f, sizeof(SchemaNode *) * r->ndynamic);
	for (int i = 0; i < r->ndynamic; i++)
	{
		copy->dynamic_names[i] = fz_cstring(f, r->dynamic_names[i]);
		copy->dynamic_targets[i] = fz_node(f, r->dynamic_targets[i]);
	}
	return copy;
}

/*
 * Patterns stay where the compiler built them (the schema's context: the
 * regexes are released from there); only the copy pass points their
 * subschemas at the copies.
 */
static void
fz_patterns(Freezer *f, PlPatternSchema *p, int n)
{
	for (int i = 0; f->cursor && i < n; i++)
		p[i].schema = fz_node(f, p[i].schema);
}

/* Copy the applicators other than "$ref" of a node that has some. */
static PlApplicators *
fz_applicators(Freezer *f, const PlApplicators *a)
{
	PlApplicators *copy = fz_take(f, sizeof(PlApplicators));

	*copy = *a;
	fz_list(f, &copy->all_of, &a->all_of);
	fz_list(f, &copy->any_of, &a->any_of);
	fz_list(f, &copy->one_of, &a->one_of);
	copy->not = fz_node(f, a->not);
	copy->if_ = fz_node(f, a->if_);
	copy->then_ = fz_node(f, a->then_);
	copy->else_ = fz_node(f, a->else_);
	copy->dynamic_ref = fz_node(f, a->dynamic_ref);
	copy->dynamic_name = fz_cstring(f, a->dynamic_name);
	return copy;
}

/* Fill d, the copy of s: every field that points somewhere, by hand. */
static void
freeze_node(Freezer *f, SchemaNode *d, const SchemaNode *s)
{
	*d = *s;
	d->resource = fz_resource(f, s->resource);
	d->enum_values = fz_jnodes(f, s->enum_values, s->nenum);
	d->const_value = fz_jnode(f, s->const_value);
	d->minimum = fz_number(f, s->minimum);
	d->maximum = fz_number(f, s->maximum);
	d->exclusive_minimum = fz_number(f, s->exclusive_minimum);
	d->exclusive_maximum = fz_number(f, s->exclusive_maximum);
	d->multiple_of = fz_number(f, s->multiple_of);
	d->format_name = fz_cstring(f, s->format_name);
	/* custom_format, like pattern, is made in the kept context: it stays */
	fz_list(f, &d->prefix_items, &s->prefix_items);
	d->items = fz_node(f, s->items);
	d->contains = fz_node(f, s->contains);
	d->unevaluated_items = fz_node(f, s->unevaluated_items);
	d->props = fz_named(f, s->props, s->nprops);
	if (s->props_by_len)
	{
		d->props_by_len = fz_take(f, sizeof(int16) * (s->props_maxlen + 2));
		memcpy(d->props_by_len, s->props_by_len, sizeof(int16) * (s->props_maxlen + 2));
	}
	fz_patterns(f, d->patterns, s->npatterns);
	d->additional = fz_node(f, s->additional);
	d->required = fz_jnodes(f, s->required, s->nrequired);
	d->depreq = fz_dependencies(f, s->depreq, s->ndepreq);
	d->depschemas = fz_named(f, s->depschemas, s->ndepschemas);
	d->property_names = fz_node(f, s->property_names);
	d->unevaluated_props = fz_node(f, s->unevaluated_props);
	d->ref = fz_node(f, s->ref);
	d->ref_scope = fz_resource(f, s->ref_scope);
	d->app = pl_no_applicators(s->app) ? NULL : fz_applicators(f, s->app);
}

/* Point the absolute locations at the copies of their nodes and strings (last pass only). */
static void
fz_locations(Freezer *f, PlSchemaLocation *locs, int n)
{
	for (int i = 0; i < n; i++)
	{
		SchemaNode *node = fz_node(f, (SchemaNode *) locs[i].node);
		const char *uri = fz_cstring(f, locs[i].uri);
		const char *pointer = fz_cstring(f, locs[i].pointer);

		if (f->cursor == NULL)
			continue;
		locs[i].node = node;
		locs[i].uri = uri;
		locs[i].pointer = pointer;
	}
}

/*
 * One pass: copy every node of nodes, then what each points to, then the
 * locations' strings; the new root.
 */
static SchemaNode *
freeze_pass(Freezer *f, SchemaNode *root, List *nodes, PlSchemaLocation *locs, int nlocs)
{
	ListCell   *lc;

	f->moved = moved_create(CurrentMemoryContext, list_length(nodes) * 4, NULL);
	foreach(lc, nodes)
		fz_remember(f, lfirst(lc), fz_take(f, sizeof(SchemaNode)));
	foreach(lc, nodes)
		freeze_node(f, fz_moved(f, lfirst(lc)), lfirst(lc));
	fz_locations(f, locs, nlocs);
	return fz_node(f, root);
}

/*
 * Copy the graph of compiled nodes (every one in nodes) from root into one
 * chunk of keep; returns the copy of root, and points the nlocs absolute
 * locations locs at the copies.  The originals and everything they point
 * to outside keep can then be freed.  Runs in the compiler's scratch
 * context.
 */
SchemaNode *
pl_schema_freeze(SchemaNode *root, List *nodes, PlSchemaLocation *locs, int nlocs, MemoryContext keep)
{
	Freezer		f = {0};
	Size		size;
	Size		strsize;

	freeze_pass(&f, root, nodes, locs, nlocs);
	size = f.size;
	strsize = f.strsize;
	f.cursor = MemoryContextAllocZero(keep, Max(size + strsize, 1));
	f.strings = f.cursor + size;
	f.size = f.strsize = 0;
	root = freeze_pass(&f, root, nodes, locs, nlocs);
	if (f.size != size || f.strsize != strsize)
		elog(ERROR, "compiled schema copy took %zu bytes, measured %zu", f.size + f.strsize, size + strsize);
	return root;
}
