/*-------------------------------------------------------------------------
 *
 * transform.c
 *	  Transform steps applied to a record, in order.
 *
 * Steps work on a PlDoc (jtree.c): value ops read the value at their path
 * and, if transform_ops.c changes it, write it back; structural ops (default,
 * set, remove, rename, copy, concat, keep) move values around the tree.  A
 * record that no step changed is returned as it came, without encoding.
 *
 * A step whose input cannot be converted adds a violation at keywordLocation
 * "/transform/N" and leaves the record as it was; later steps still run, so
 * errors() reports every failing step and the document is the same whether
 * or not errors are collected.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "transform.h"


/*
 * Where the root keys of a transform's one-token paths are in the record:
 * the index of their pair in the expanded root object (-1: absent), found by
 * one merge walk and kept until a step changes the root's set of keys in a
 * way not followed here (only a key added by default or set is).
 */
typedef struct RootSlots
{
	bool		valid;
	int			idx[PL_MAX_ROOT_KEYS];
} RootSlots;

/* Locate t's root keys in doc's root object (expanded here); false if no object. */
static bool
root_slots_fill(const PlTransform *t, PlDoc *doc, RootSlots *rs)
{
	JsonbValue *root = &doc->root;
	int			k = 0;

	if (!pl_is_object(root))
		return false;
	if (root->type == jbvBinary)
	{
		/* the bound is tracked only from here: a root expanded before may differ */
		doc->bound = doc->row ? 0 : pl_expanded_bound(root);
		pl_expand(root, &doc->scratch);
	}
	for (int i = 0; i < root->val.object.nPairs && k < t->nroot_keys; i++)
	{
		JsonbPair  *p = &root->val.object.pairs[i];
		int			c = 1;

		while (k < t->nroot_keys &&
			   (c = pl_key_cmp(t->root_keys[k], t->root_key_lens[k],
							   p->key.val.string.val, p->key.val.string.len)) < 0)
			rs->idx[k++] = -1;
		if (c == 0)
			rs->idx[k++] = i;
	}
	while (k < t->nroot_keys)
		rs->idx[k++] = -1;
	rs->valid = true;
	return true;
}

/* Note that the step wrote root pair i (its new value counted in the bound). */
static inline void
root_slot_touch(PlDoc *doc, int i, int step)
{
	doc->changed = true;
	if (doc->bound)
		doc->bound += pl_value_bound(&doc->root.val.object.pairs[i].value);
	if (doc->row)
		doc->touched[i] = step;
}

/*
 * Add root key k of step s (absent, not a row's: columns are fixed) with
 * the value of default or set, and shift the pairs located after it.
 */
static void
root_slot_add(const PlTransform *t, const PlStep *s, PlDoc *doc, RootSlots *rs)
{
	int			i;

	pl_key_search((const char *const *) &doc->root.val.object.pairs[0].key.val.string.val,
				  &doc->root.val.object.pairs[0].key.val.string.len,
				  sizeof(JsonbPair), sizeof(JsonbPair), doc->root.val.object.nPairs,
				  s->path.tokens[0], s->path.lens[0], &i);
	pl_object_insert(&doc->scratch, &doc->root, i, s->path.tokens[0], s->path.lens[0])->value =
		s->u.value;
	doc->changed = true;
	if (doc->bound)
		doc->bound += 2 * sizeof(JEntry) + s->path.lens[0] + pl_value_bound(&s->u.value);
	for (int k = 0; k < t->nroot_keys; k++)
		if (rs->idx[k] >= i)
			rs->idx[k]++;
	rs->idx[s->root_key] = i;
}

/*
 * Apply value op s to *v: trim inline, parse_timestamp is transform_time.c's,
 * the others transform_ops.c's.
 */
static inline bool
step_value(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err)
{
	if (s->op == PL_OP_TRIM)
		return pl_op_trim(v);
	if (s->op == PL_OP_PARSE_TIMESTAMP)
		return pl_ts_value(s, v, sc, err);
	return pl_step_value(s, v, sc, err);
}

/* Add a violation of step s at instance location loc (or stop). */
static bool
violation(PlErrors *errs, const PlStep *s, const char *loc, const char *msg)
{
	if (errs)
		pl_errors_add(errs, loc, s->location, "%s", msg);
	return false;
}

/* default and set. */
static bool
apply_put(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	cur;
	char	   *err;

	if (pl_doc_get(doc, &s->path, &cur))
	{
		if (s->op == PL_OP_DEFAULT && cur.type != jbvNull)
			return true;
		/* writing null over null changes nothing */
		if (cur.type == jbvNull && s->u.value.type == jbvNull)
			return true;
	}
	if (!pl_doc_put(doc, &s->path, &s->u.value, &err))
		return violation(errs, s, s->path.text, err);
	pl_doc_touch(doc, &s->path, s->index);
	return true;
}

/* copy: the value at "from" is written at path. */
static bool
apply_copy(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	char	   *err;

	if (!pl_doc_get(doc, &s->other, &v))
		return true;
	pl_freeze(&v);
	if (!pl_doc_put(doc, &s->path, &v, &err))
		return violation(errs, s, s->path.text, err);
	pl_doc_touch(doc, &s->path, s->index);
	return true;
}

/* rename: the value at path moves to "to"; if it cannot go there, it stays. */
static bool
apply_rename(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	char	   *err;

	if (strcmp(s->path.text, s->other.text) == 0 || !pl_doc_remove(doc, &s->path, &v))
		return true;
	if (!pl_doc_put(doc, &s->other, &v, &err))
	{
		pl_doc_restore(doc, &s->path, &v);
		return violation(errs, s, s->other.text, err);
	}
	pl_doc_touch(doc, &s->path, s->index);
	pl_doc_touch(doc, &s->other, s->index);
	return true;
}

/* concat: join the strings (numbers and booleans as text) found at "from". */
static bool
apply_concat(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	StringInfoData buf;
	JsonbValue	v;
	JsonbValue	cur;
	bool		first = true;
	char	   *err;

	initStringInfo(&buf);
	for (int i = 0; i < s->nfrom; i++)
	{
		JsonbValue	text;

		if (!pl_doc_get(doc, &s->from[i], &v) || v.type == jbvNull)
			continue;
		if (v.type == jbvString)
			text = v;
		else if (v.type == jbvNumeric)
		{
			text.val.string.val = pl_number_text(v.val.numeric);
			text.val.string.len = strlen(text.val.string.val);
		}
		else if (v.type == jbvBool)
		{
			text.val.string.val = (char *) (v.val.boolean ? "true" : "false");
			text.val.string.len = v.val.boolean ? 4 : 5;
		}
		else
			return violation(errs, s, s->from[i].text,
							 psprintf("cannot concatenate %s", pl_value_kind(&v)));
		if ((int64) buf.len + strlen(s->u.separator) + text.val.string.len > PL_MAX_STRING)
			return violation(errs, s, s->path.text,
							 psprintf("result exceeds the maximum string length of %d bytes",
									  PL_MAX_STRING));
		if (!first)
			appendStringInfoString(&buf, s->u.separator);
		appendBinaryStringInfo(&buf, text.val.string.val, text.val.string.len);
		first = false;
	}
	if (first)
		return true;
	if (pl_doc_get(doc, &s->path, &cur) && cur.type == jbvString &&
		cur.val.string.len == buf.len && memcmp(cur.val.string.val, buf.data, buf.len) == 0)
		return true;
	v.type = jbvString;
	v.val.string.val = buf.data;
	v.val.string.len = buf.len;
	if (!pl_doc_put(doc, &s->path, &v, &err))
		return violation(errs, s, s->path.text, err);
	pl_doc_touch(doc, &s->path, s->index);
	return true;
}

/* Is key one of keep's keys? */
static inline bool
keep_has(const PlStep *s, const char *key, int len)
{
	int			pos;

	return pl_key_search(s->u.keep.keys, s->u.keep.lens, sizeof(char *), sizeof(int),
						 s->u.keep.n, key, len, &pos) >= 0;
}

/* keep: drop the keys of the object at path that are not listed. */
static bool
apply_keep(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	JsonbValue *obj;
	int			n;
	int			kept = 0;

	if (!pl_doc_get(doc, &s->path, &v) || !pl_is_object(&v))
		return true;
	/* first count, so an object that keeps everything is not expanded */
	if (v.type == jbvBinary)
	{
		JbIter		it;
		JbRef		k = {0};

		jb_iter_init(&it, v.val.binary.data, 0);
		n = JsonContainerSize(v.val.binary.data);
		for (int i = 0; i < n && jb_iter_next(&it, &k); i++)
			kept += keep_has(s, k.str, k.len);
	}
	else
	{
		n = v.val.object.nPairs;
		for (int i = 0; i < n; i++)
			kept += keep_has(s, v.val.object.pairs[i].key.val.string.val,
							 v.val.object.pairs[i].key.val.string.len);
	}
	if (kept == n)
		return true;
	if (doc->row && s->path.ntokens == 0)
		return violation(errs, s, "", "keep cannot drop the columns of a row");
	obj = pl_doc_slot(doc, &s->path, false);
	if (obj->type == jbvBinary)
		pl_expand(obj, &doc->scratch);
	kept = 0;
	for (int i = 0; i < n; i++)
	{
		JsonbPair  *p = &obj->val.object.pairs[i];

		if (keep_has(s, p->key.val.string.val, p->key.val.string.len))
			obj->val.object.pairs[kept++] = *p;
	}
	obj->val.object.nPairs = kept;
	pl_doc_touch(doc, &s->path, s->index);
	return true;
}

/* An op that maps the value at path to a new value (transform_ops.c). */
static bool
apply_value(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	JsonbValue *slot;
	char	   *err = NULL;

	if (!pl_doc_get(doc, &s->path, &v))
		return true;
	if (!step_value(s, &v, &doc->scratch, &err))
	{
		if (err)
			return violation(errs, s, s->path.text, err);
		return true;
	}
	slot = pl_doc_slot(doc, &s->path, false);
	*slot = v;
	pl_doc_touch(doc, &s->path, s->index);
	return true;
}

/*
 * A value op, default or set on a root key located in rs: no path walk.
 * False if a row lacks the column where the step would add it (the general
 * path says why it cannot).
 */
static bool
apply_root_slot(const PlTransform *t, const PlStep *s, PlDoc *doc, RootSlots *rs,
				PlErrors *errs, bool *ok)
{
	int			i = rs->idx[s->root_key];
	JsonbValue *slot;
	char	   *err = NULL;

	*ok = true;
	if (i < 0)
	{
		if (s->op != PL_OP_DEFAULT && s->op != PL_OP_SET)
			return true;
		if (doc->row)
			return false;
		root_slot_add(t, s, doc, rs);
		return true;
	}
	slot = &doc->root.val.object.pairs[i].value;
	if (s->op == PL_OP_DEFAULT || s->op == PL_OP_SET)
	{
		if ((s->op == PL_OP_DEFAULT && slot->type != jbvNull) ||
			(slot->type == jbvNull && s->u.value.type == jbvNull))
			return true;
		*slot = s->u.value;
		root_slot_touch(doc, i, s->index);
		return true;
	}
	/* a value op leaves the slot as it was unless it returns true */
	if (step_value(s, slot, &doc->scratch, &err))
		root_slot_touch(doc, i, s->index);
	else if (err)
		*ok = violation(errs, s, s->path.text, err);
	return true;
}

/*
 * Apply every step to doc.  Returns false if a step could not convert its
 * input (with errs, each such violation is added).  A failed step changes
 * nothing and the later steps still run, so the document is the same with
 * or without errs.
 */
bool
pl_transform_apply(const PlTransform *t, PlDoc *doc, PlErrors *errs)
{
	bool		ok = true;
	RootSlots	rs;

	if (t == NULL)
		return true;
	rs.valid = false;
	for (int i = 0; i < t->nsteps; i++)
	{
		const PlStep *s = &t->steps[i];
		bool		step_ok;

		CHECK_FOR_INTERRUPTS();
		if (s->root_key >= 0 && (rs.valid || root_slots_fill(t, doc, &rs)) &&
			apply_root_slot(t, s, doc, &rs, errs, &step_ok))
		{
			ok &= step_ok;
			continue;
		}
		/* the general path may add or drop root keys, and writes untracked */
		rs.valid = false;
		doc->bound = 0;
		switch (s->op)
		{
			case PL_OP_DEFAULT:
			case PL_OP_SET:
				step_ok = apply_put(s, doc, errs);
				break;
			case PL_OP_REMOVE:
				{
					JsonbValue	gone;

					step_ok = true;
					if (pl_doc_remove(doc, &s->path, &gone))
						pl_doc_touch(doc, &s->path, s->index);
				}
				break;
			case PL_OP_RENAME:
				step_ok = apply_rename(s, doc, errs);
				break;
			case PL_OP_COPY:
				step_ok = apply_copy(s, doc, errs);
				break;
			case PL_OP_CONCAT:
				step_ok = apply_concat(s, doc, errs);
				break;
			case PL_OP_KEEP:
				step_ok = apply_keep(s, doc, errs);
				break;
			default:
				step_ok = apply_value(s, doc, errs);
				break;
		}
		ok &= step_ok;
	}
	return ok;
}

/*
 * Transform a jsonb document.  Returns the document itself when no step
 * changed it; *ok is false when a step failed (see pl_transform_apply).
 */
Jsonb *
pl_transform_jsonb(const PlTransform *t, Jsonb *jb, PlErrors *errs, bool *ok)
{
	PlDoc		doc;

	*ok = true;
	if (t == NULL)
		return jb;
	pl_doc_init(&doc, jb);
	*ok = pl_transform_apply(t, &doc, errs);
	return doc.changed ? pl_doc_encode_doc(&doc) : jb;
}

