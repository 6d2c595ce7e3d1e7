/*-------------------------------------------------------------------------
 *
 * jdom.c
 *	  JSON values in memory for the schema compiler, and JSON equality.
 *
 * The compiler reads schemas as JNode trees (cheap to navigate by key and
 * JSON Pointer, and with room for compile-time bookkeeping).  enum and
 * const values stay JNodes; jnode_equals compares one with an instance value
 * in place.  Equality is JSON's: 1 equals 1.0, objects ignore key order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "schema.h"

/*
 * A JNode tree is built in one allocation of exactly the size it needs:
 * schemas stay compiled for the backend's life, and per-chunk headers and
 * power-of-two rounding would otherwise double what they hold.
 */

/* Bytes the tree of value v takes (nodes, arrays, copies), each part MAXALIGNed. */
static Size
jnode_tree_size(const JbRef *v)
{
	Size		size = MAXALIGN(sizeof(JNode));
	JbIter		it;
	JbRef		child = {0};
	int			n;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (v->type)
	{
		case JB_NUMBER:
			return size + MAXALIGN(VARSIZE(v->num));
		case JB_STRING:
			return size + MAXALIGN(v->len + 1);
		case JB_OBJECT:
			n = jb_size(v);
			size += MAXALIGN(sizeof(JPair) * n);
			jb_iter_init(&it, v->cont, 0);
			for (int i = 0; i < n && jb_iter_next(&it, &child); i++)
				size += MAXALIGN(child.len + 1);	/* the key */
			while (jb_iter_next(&it, &child))
				size += jnode_tree_size(&child);
			return size;
		case JB_ARRAY:
			size += MAXALIGN(sizeof(JNode *) * jb_size(v));
			jb_iter_init(&it, v->cont, 0);
			while (jb_iter_next(&it, &child))
				size += jnode_tree_size(&child);
			return size;
		default:
			return size;
	}
}

/* Take size bytes from the tree's allocation at *cursor. */
static inline void *
take(char **cursor, Size size)
{
	void	   *p = *cursor;

	*cursor += MAXALIGN(size);
	return p;
}

/* A NUL-terminated copy of len bytes at s, from the tree's allocation. */
static char *
take_string(char **cursor, const char *s, int len)
{
	char	   *copy = take(cursor, len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static JNode *jnode_build(const JbRef *v, char **cursor);

/* Copy the pairs of object container c into n. */
static void
jnode_fill_object(JNode *n, JsonbContainer *c, char **cursor)
{
	JbIter		keys;
	JbIter		vals;
	JbRef		k = {0};
	JbRef		v;
	int			i = 0;

	n->n = JsonContainerSize(c);
	n->pairs = take(cursor, sizeof(JPair) * n->n);
	jb_iter_init(&keys, c, 0);
	for (i = 0; i < n->n && jb_iter_next(&keys, &k); i++)
	{
		n->pairs[i].key = take_string(cursor, k.str, k.len);
		n->pairs[i].keylen = k.len;
	}
	jb_iter_init(&vals, c, n->n);
	for (i = 0; i < n->n && jb_iter_next(&vals, &v); i++)
		n->pairs[i].value = jnode_build(&v, cursor);
}

/* Copy the elements of array container c into n. */
static void
jnode_fill_array(JNode *n, JsonbContainer *c, char **cursor)
{
	JbIter		it;
	JbRef		v;
	int			i = 0;

	n->n = JsonContainerSize(c);
	n->items = take(cursor, sizeof(JNode *) * n->n);
	jb_iter_init(&it, c, 0);
	while (jb_iter_next(&it, &v))
		n->items[i++] = jnode_build(&v, cursor);
}

/* Build the tree of value v at *cursor (in jnode_tree_size's order). */
static JNode *
jnode_build(const JbRef *v, char **cursor)
{
	JNode	   *n = take(cursor, sizeof(JNode));

	check_stack_depth();
	memset(n, 0, sizeof(JNode));
	n->type = v->type;
	switch (v->type)
	{
		case JB_BOOL:
			n->boolean = v->boolean;
			break;
		case JB_NUMBER:
			n->num = take(cursor, VARSIZE(v->num));
			memcpy(n->num, v->num, VARSIZE(v->num));
			break;
		case JB_STRING:
			n->str = take_string(cursor, v->str, v->len);
			n->len = v->len;
			break;
		case JB_OBJECT:
			jnode_fill_object(n, v->cont, cursor);
			break;
		case JB_ARRAY:
			jnode_fill_array(n, v->cont, cursor);
			break;
		case JB_NULL:
			break;
	}
	return n;
}

/* Build a JNode tree from the value v, in one allocation. */
JNode *
jnode_from_jbref(const JbRef *v)
{
	char	   *cursor = MemoryContextAllocHuge(CurrentMemoryContext, jnode_tree_size(v));

	return jnode_build(v, &cursor);
}

/* Build a JNode tree from a whole jsonb datum. */
JNode *
jnode_from_jsonb(Jsonb *jb)
{
	JbRef		root;

	jb_root(jb, &root);
	return jnode_from_jbref(&root);
}

/* The value of key in object obj, or NULL. */
JNode *
jnode_get(const JNode *obj, const char *key)
{
	int			i;

	if (obj == NULL || obj->type != JB_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->pairs[i].key, key) == 0)
			return obj->pairs[i].value;
	return NULL;
}

/* Does object JNode a equal object container c (both in key order)? */
static bool
jnode_object_equals(const JNode *a, JsonbContainer *c)
{
	JbIter		keys;
	JbIter		vals;
	JbRef		k = {0};
	JbRef		v;
	int			i = 0;

	if (a->n != (int) JsonContainerSize(c))
		return false;
	jb_iter_init(&keys, c, 0);
	jb_iter_init(&vals, c, a->n);
	while (jb_iter_next(&keys, &k) && jb_iter_next(&vals, &v))
	{
		if (pl_key_cmp(a->pairs[i].key, a->pairs[i].keylen, k.str, k.len) != 0 ||
			!jnode_equals(a->pairs[i].value, &v))
			return false;
		i++;
	}
	return true;
}

/* Does array JNode a equal array container c, element by element? */
static bool
jnode_array_equals(const JNode *a, JsonbContainer *c)
{
	JbIter		it;
	JbRef		v;
	int			i = 0;

	if (a->n != (int) JsonContainerSize(c))
		return false;
	jb_iter_init(&it, c, 0);
	while (jb_iter_next(&it, &v))
		if (!jnode_equals(a->items[i++], &v))
			return false;
	return true;
}

/* Equality of two strings: enum members mostly differ in length or first byte. */
static inline bool
string_equals(const char *a, int alen, const char *b, int blen)
{
	return alen == blen && (alen == 0 || (a[0] == b[0] && memcmp(a, b, alen) == 0));
}

/*
 * JSON equality of a and b, scalars of one type (null, boolean, number or
 * string), each a JNode or a JbRef: their scalar fields are named alike.
 */
#define SCALAR_EQUALS(a, b) \
	((a)->type == JB_NULL || \
	 ((a)->type == JB_BOOL ? (a)->boolean == (b)->boolean : \
	  (a)->type == JB_NUMBER ? pl_numeric_eq((a)->num, (b)->num) : \
	  string_equals((a)->str, (a)->len, (b)->str, (b)->len)))

/* JSON equality of a compile-time value and an instance value. */
bool
jnode_equals(const JNode *a, const JbRef *b)
{
	if (a->type != b->type)
		return false;
	if (a->type != JB_OBJECT && a->type != JB_ARRAY)
		return SCALAR_EQUALS(a, b);
	check_stack_depth();
	if (a->type == JB_OBJECT)
		return jnode_object_equals(a, b->cont);
	return jnode_array_equals(a, b->cont);
}

/* JSON equality of two containers of the same kind, walked in step. */
static bool
jbref_container_equals(JsonbContainer *a, JsonbContainer *b)
{
	JbIter		ia;
	JbIter		ib;
	JbRef		va;
	JbRef		vb;

	if (JsonContainerSize(a) != JsonContainerSize(b))
		return false;
	jb_iter_init(&ia, a, 0);
	jb_iter_init(&ib, b, 0);
	while (jb_iter_next(&ia, &va) && jb_iter_next(&ib, &vb))
	{
		CHECK_FOR_INTERRUPTS();
		if (!jbref_equals(&va, &vb))
			return false;
	}
	return true;
}

/* JSON equality of two instance values (keys compare as strings). */
bool
jbref_equals(const JbRef *a, const JbRef *b)
{
	check_stack_depth();
	if (a->type != b->type)
		return false;
	if (a->type == JB_OBJECT || a->type == JB_ARRAY)
		return jbref_container_equals(a->cont, b->cont);
	return SCALAR_EQUALS(a, b);
}

/* A hash consistent with jbref_equals. */
uint32
jbref_hash(const JbRef *v)
{
	uint32		h = (uint32) v->type * 0x9E3779B9;
	JbIter		it;
	JbRef		child;

	check_stack_depth();
	switch (v->type)
	{
		case JB_NULL:
			break;
		case JB_BOOL:
			h ^= v->boolean ? 0x55 : 0xAA;
			break;
		case JB_NUMBER:
			h ^= pl_numeric_hash(v->num);
			break;
		case JB_STRING:
			h ^= hash_bytes((const unsigned char *) v->str, v->len);
			break;
		case JB_OBJECT:
		case JB_ARRAY:
			jb_iter_init(&it, v->cont, 0);
			while (jb_iter_next(&it, &child))
				h = hash_combine(h, jbref_hash(&child));
			break;
	}
	return h;
}
