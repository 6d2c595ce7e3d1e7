/*-------------------------------------------------------------------------
 *
 * transform_freeze.c
 *	  Copy compiled transform steps into one allocation of exactly their size.
 *
 * transform_compile.c works in a scratch context: the "transform" array as
 * a JNode tree, growable buffers for pointer tokens, a root key table of
 * PL_MAX_ROOT_KEYS slots.  The steps read none of that but the few values
 * they point to (tokens, constants, map entries).  Once compiled, the steps
 * and exactly those values are copied into one chunk of the spec's context,
 * and the scratch context goes, JNode tree and all: a compiled spec lives as
 * long as the backend, in every backend.  Equal strings and equal arrays
 * (the tokens of steps on the same path, map values) are stored once.
 *
 * As in schema_freeze.c, the copy runs twice through freeze.c's code:
 * measuring, then into a chunk of the measured size.  parse_timestamp's
 * compiled formats are transform_time.c's and are made in the spec's context
 * to begin with: they stay where they are.  A replace step's regex (malloc'd by the engine)
 * moves with its step: the copy's context frees it, the original no longer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "freeze.h"
#include "transform.h"

/*
 * A new PlStep or PlTransform field that points somewhere must be copied
 * by freeze_step or freeze_pass (the scratch context it points into is
 * deleted).
 */
#if SIZEOF_VOID_P == 8
StaticAssertDecl(sizeof(PlStep) == 184, "a new PlStep field must be handled by freeze_step");
StaticAssertDecl(sizeof(PlTransform) == 40, "a new PlTransform field must be handled by freeze_pass");
#endif

/* The copy of a number (bound, factor, constant). */
static inline Numeric
fz_numeric(PlFreezer *f, Numeric n)
{
	return n ? pl_fz_share(f, n, VARSIZE(n)) : NULL;
}

/* Copy pointer src into *dst: its text, tokens and their lengths. */
static void
fz_pointer(PlFreezer *f, PlPointer *dst, const PlPointer *src)
{
	const char **tokens;

	*dst = *src;
	dst->text = pl_fz_cstring(f, src->text);
	if (src->ntokens == 0)
		return;
	tokens = palloc(sizeof(char *) * src->ntokens);
	for (int i = 0; i < src->ntokens; i++)
		tokens[i] = pl_fz_string(f, src->tokens[i], src->lens[i]);
	dst->tokens = pl_fz_share(f, tokens, sizeof(char *) * src->ntokens);
	dst->lens = pl_fz_share(f, src->lens, sizeof(int) * src->ntokens);
	pfree(tokens);
}

/* Copy a constant value (containers are jbvBinary: their bytes are copied). */
static void
fz_value(PlFreezer *f, JsonbValue *dst, const JsonbValue *src)
{
	*dst = *src;
	switch (src->type)
	{
		case jbvNull:
		case jbvBool:
			break;
		case jbvString:
			dst->val.string.val = (char *) pl_fz_string(f, src->val.string.val, src->val.string.len);
			break;
		case jbvNumeric:
			dst->val.numeric = fz_numeric(f, src->val.numeric);
			break;
		case jbvBinary:
			dst->val.binary.data = pl_fz_share(f, src->val.binary.data, src->val.binary.len);
			break;
		default:
			elog(ERROR, "unexpected constant of type %d in a transform step", (int) src->type);
	}
}

/* Copy a map's entries into d (the copy of s). */
static void
fz_map(PlFreezer *f, PlStep *d, const PlStep *s)
{
	d->u.map.entries = pl_fz_take(f, sizeof(PlMapEntry) * Max(s->u.map.n, 1));
	for (int i = 0; i < s->u.map.n; i++)
	{
		const PlMapEntry *e = &s->u.map.entries[i];

		d->u.map.entries[i].key = pl_fz_string(f, e->key, e->keylen);
		d->u.map.entries[i].keylen = e->keylen;
		fz_value(f, &d->u.map.entries[i].value, &e->value);
	}
	d->u.map.slots = pl_fz_array(f, s->u.map.slots, sizeof(int), s->u.map.hashmask + 1);
	if (s->u.map.has_default)
		fz_value(f, &d->u.map.dflt, &s->u.map.dflt);
}

/* Copy keep's keys into d (the copy of s). */
static void
fz_keep(PlFreezer *f, PlStep *d, const PlStep *s)
{
	d->u.keep.keys = pl_fz_take(f, sizeof(char *) * Max(s->u.keep.n, 1));
	for (int i = 0; i < s->u.keep.n; i++)
		d->u.keep.keys[i] = pl_fz_string(f, s->u.keep.keys[i], s->u.keep.lens[i]);
	d->u.keep.lens = s->u.keep.n ? pl_fz_share(f, s->u.keep.lens, sizeof(int) * s->u.keep.n) : NULL;
}

/*
 * Copy replace's pieces into d (the copy of s); on the last pass its regex
 * moves to d, released with keep.
 */
static void
fz_replace(PlFreezer *f, PlStep *d, PlStep *s, MemoryContext keep)
{
	MemoryContextCallback *cb = pl_fz_take(f, sizeof(MemoryContextCallback));

	d->u.replace.pieces = pl_fz_take(f, sizeof(PlReplPiece) * Max(s->u.replace.npieces, 1));
	for (int i = 0; i < s->u.replace.npieces; i++)
	{
		d->u.replace.pieces[i] = s->u.replace.pieces[i];
		d->u.replace.pieces[i].text = pl_fz_string(f, s->u.replace.pieces[i].text, s->u.replace.pieces[i].len);
	}
	if (f->cursor == NULL)
		return;
	pl_regex_free_with(&d->u.replace.re, keep, cb);
	memset(&s->u.replace.re, 0, sizeof(regex_t));
}

/* Fill d, the copy of s: every field that points somewhere, by hand. */
static void
freeze_step(PlFreezer *f, PlStep *d, PlStep *s, MemoryContext keep)
{
	*d = *s;
	d->location = pl_fz_cstring(f, s->location);
	fz_pointer(f, &d->path, &s->path);
	fz_pointer(f, &d->other, &s->other);
	if (s->nfrom > 0)
	{
		d->from = pl_fz_take(f, sizeof(PlPointer) * s->nfrom);
		for (int i = 0; i < s->nfrom; i++)
			fz_pointer(f, &d->from[i], &s->from[i]);
	}
	switch (s->op)
	{
		case PL_OP_CONCAT:
			d->u.separator = pl_fz_cstring(f, s->u.separator);
			break;
		case PL_OP_HASH:
			d->u.salt = pl_fz_cstring(f, s->u.salt);
			break;
		case PL_OP_MASK:
			d->u.mask.chr = pl_fz_string(f, s->u.mask.chr, s->u.mask.chrlen);
			break;
		case PL_OP_CLAMP:
			d->u.clamp.min = fz_numeric(f, s->u.clamp.min);
			d->u.clamp.max = fz_numeric(f, s->u.clamp.max);
			break;
		case PL_OP_SCALE:
			d->u.scale.factor = fz_numeric(f, s->u.scale.factor);
			d->u.scale.offset = fz_numeric(f, s->u.scale.offset);
			break;
		case PL_OP_REPLACE:
			fz_replace(f, d, s, keep);
			break;
		case PL_OP_MAP:
			fz_map(f, d, s);
			break;
		case PL_OP_DEFAULT:
		case PL_OP_SET:
			fz_value(f, &d->u.value, &s->u.value);
			break;
		case PL_OP_KEEP:
			fz_keep(f, d, s);
			break;
		default:
			/* no argument, a scalar one, or parse_timestamp's (made in keep) */
			break;
	}
}

/* One pass: the transform, its steps, its root keys (exactly nroot_keys). */
static void *
freeze_pass(PlFreezer *f, void *arg)
{
	PlTransform *t = arg;
	PlTransform *copy = pl_fz_take(f, sizeof(PlTransform));

	*copy = *t;
	copy->steps = pl_fz_take(f, sizeof(PlStep) * t->nsteps);
	for (int i = 0; i < t->nsteps; i++)
		freeze_step(f, &copy->steps[i], &t->steps[i], f->keep);
	if (t->nroot_keys > 0)
	{
		copy->root_keys = pl_fz_take(f, sizeof(char *) * t->nroot_keys);
		for (int i = 0; i < t->nroot_keys; i++)
			copy->root_keys[i] = pl_fz_string(f, t->root_keys[i], t->root_key_lens[i]);
		copy->root_key_lens = pl_fz_share(f, t->root_key_lens, sizeof(int) * t->nroot_keys);
	}
	return copy;
}

/*
 * Copy compiled transform t into one chunk of keep; returns the copy.  t
 * and everything it points to outside keep can then be freed.  Runs in the
 * compiler's scratch context.
 */
PlTransform *
pl_transform_freeze(PlTransform *t, MemoryContext keep)
{
	PlFreezer	f = {.by_content = true,.keep = keep};

	return pl_freeze_copy(&f, freeze_pass, t, "transform");
}
