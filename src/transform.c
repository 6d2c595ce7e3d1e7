/*-------------------------------------------------------------------------
 *
 * transform.c
 *	  Transform steps: compiled with the spec, applied to a record in place.
 *
 * Compiling checks every step once, at define time, and raises 22023 naming
 * the JSON Pointer of the bad part ("spec /transform/2/op: unknown op").
 * Pointers are split into tokens, constants become JsonbValues (containers as
 * jbvBinary, which steps never write into), and the per-op arguments are
 * prepared by transform_ops.c.
 *
 * Applying works on a PlDoc, a JsonbValue tree that starts as one jbvBinary
 * reference to the original document.  Reading a path walks binary
 * containers in place (getKeyJsonValueFromContainer, no allocation).  Writing
 * a path expands only the containers on the way down into jbvObject/jbvArray
 * whose children are again scalars or jbvBinary references, so a step that
 * changes one field of a 10-field record costs one 10-pair array.  The
 * encoder below writes such a tree back as jsonb, copying every unexpanded
 * container's bytes verbatim (the jsonb container format is position
 * independent once int-aligned).  A record that no step changed is returned
 * as it came, without encoding.
 *
 * A step whose input cannot be converted adds a violation at keywordLocation
 * "/transform/N" and leaves the value as it was; later steps still run, so
 * errors() reports every failing step.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "transform.h"

/* Raise 22023 about the spec member at JSON Pointer ptr. */
static void
pg_attribute_noreturn()
step_error(const char *ptr, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spec %s: %s", ptr, msg)));
}

/* Compare two keys in jsonb order: by length, then bytes. */
int
pl_key_cmp(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* ----------------------------------------------------------------
 * Compiling
 * ----------------------------------------------------------------
 */

static const struct
{
	const char *name;
	PlOp		op;
	const char *const args[4];	/* besides op, path and description */
}			op_table[] =
{
	{"trim", PL_OP_TRIM, {NULL}},
	{"collapse_whitespace", PL_OP_COLLAPSE_WHITESPACE, {NULL}},
	{"lower", PL_OP_LOWER, {NULL}},
	{"upper", PL_OP_UPPER, {NULL}},
	{"nullif_empty", PL_OP_NULLIF_EMPTY, {NULL}},
	{"truncate", PL_OP_TRUNCATE, {"length", NULL}},
	{"replace", PL_OP_REPLACE, {"pattern", "with", NULL}},
	{"coerce", PL_OP_COERCE, {"to", NULL}},
	{"parse_timestamp", PL_OP_PARSE_TIMESTAMP, {"formats", "timezone", NULL}},
	{"round", PL_OP_ROUND, {"digits", NULL}},
	{"clamp", PL_OP_CLAMP, {"min", "max", NULL}},
	{"scale", PL_OP_SCALE, {"factor", "offset", NULL}},
	{"map", PL_OP_MAP, {"values", "case_insensitive", "default", NULL}},
	{"default", PL_OP_DEFAULT, {"value", NULL}},
	{"set", PL_OP_SET, {"value", NULL}},
	{"remove", PL_OP_REMOVE, {NULL}},
	{"rename", PL_OP_RENAME, {"to", NULL}},
	{"copy", PL_OP_COPY, {"from", NULL}},
	{"concat", PL_OP_CONCAT, {"from", "separator", NULL}},
	{"keep", PL_OP_KEEP, {"keys", NULL}},
	{"hash", PL_OP_HASH, {"salt", NULL}},
	{"mask", PL_OP_MASK, {"keep_last", "char", NULL}},
};

/* Parse JSON Pointer text into *p; false if it is not a valid pointer. */
static bool
pointer_parse(const char *text, PlPointer *p)
{
	const char *s = text;
	int			n = 0;

	p->text = text;
	p->ntokens = 0;
	if (*s == '\0')
		return true;
	if (*s != '/')
		return false;
	for (const char *c = s; *c; c++)
		if (*c == '/')
			n++;
	p->tokens = palloc(sizeof(char *) * n);
	p->lens = palloc(sizeof(int) * n);
	while (*s == '/')
	{
		StringInfoData tok;

		initStringInfo(&tok);
		for (s++; *s && *s != '/'; s++)
		{
			if (*s == '~')
			{
				if (s[1] == '0')
					appendStringInfoChar(&tok, '~');
				else if (s[1] == '1')
					appendStringInfoChar(&tok, '/');
				else
					return false;
				s++;
			}
			else
				appendStringInfoChar(&tok, *s);
		}
		p->tokens[p->ntokens] = tok.data;
		p->lens[p->ntokens++] = tok.len;
	}
	return true;
}

/* Compile the pointer held by step member key (at ptr) into *p. */
static void
compile_pointer(const JNode *v, const char *ptr, PlPointer *p)
{
	if (v->type != JB_STRING)
		step_error(ptr, "must be a JSON Pointer string");
	if (!pointer_parse(v->str, p))
		step_error(ptr, psprintf("invalid JSON Pointer \"%s\"", v->str));
}

/* Look an op up by name; -1 if unknown. */
static int
op_lookup(const char *name)
{
	for (int i = 0; i < lengthof(op_table); i++)
		if (strcmp(op_table[i].name, name) == 0)
			return i;
	return -1;
}

/* Is key an argument op k takes? */
static bool
op_takes(int k, const char *key)
{
	if (strcmp(key, "op") == 0 || strcmp(key, "path") == 0 || strcmp(key, "description") == 0)
		return true;
	for (int i = 0; op_table[k].args[i]; i++)
		if (strcmp(op_table[k].args[i], key) == 0)
			return true;
	return false;
}

/* Compile step number i (JSON node v) into *s. */
static void
compile_step(PlStep *s, const JNode *v, int i)
{
	char		ptr[64];
	char		sub[128];
	JNode	   *op;
	JNode	   *path;
	int			k;

	snprintf(ptr, sizeof(ptr), "/transform/%d", i);
	s->index = i;
	s->location = pstrdup(ptr);
	if (v->type != JB_OBJECT)
		step_error(ptr, "a step must be an object");
	op = jnode_get(v, "op");
	snprintf(sub, sizeof(sub), "%s/op", ptr);
	if (op == NULL)
		step_error(sub, "missing op");
	if (op->type != JB_STRING || (k = op_lookup(op->str)) < 0)
		step_error(sub, op->type == JB_STRING ? psprintf("unknown op \"%s\"", op->str) :
				   "unknown op: \"op\" must be a string");
	s->op = op_table[k].op;
	path = jnode_get(v, "path");
	if (path == NULL)
		step_error(ptr, "\"path\" is required");
	snprintf(sub, sizeof(sub), "%s/path", ptr);
	compile_pointer(path, sub, &s->path);
	if (s->path.ntokens == 0 &&
		(s->op == PL_OP_REMOVE || s->op == PL_OP_RENAME))
		step_error(sub, psprintf("op \"%s\" needs a path inside the record", op->str));
	for (int j = 0; j < v->n; j++)
		if (!op_takes(k, v->pairs[j].key))
		{
			StringInfoData p;

			initStringInfo(&p);
			appendStringInfoString(&p, ptr);
			pl_pointer_append_token(&p, v->pairs[j].key, v->pairs[j].keylen);
			step_error(p.data, psprintf("unknown argument \"%s\" for op \"%s\"",
										v->pairs[j].key, op->str));
		}
	if (s->op == PL_OP_RENAME || s->op == PL_OP_COPY)
	{
		const char *key = s->op == PL_OP_RENAME ? "to" : "from";
		JNode	   *o = jnode_get(v, key);

		snprintf(sub, sizeof(sub), "%s/%s", ptr, key);
		if (o == NULL)
			step_error(ptr, psprintf("op \"%s\" needs \"%s\"", op->str, key));
		compile_pointer(o, sub, &s->other);
	}
	if (s->op == PL_OP_CONCAT)
	{
		JNode	   *from = jnode_get(v, "from");

		snprintf(sub, sizeof(sub), "%s/from", ptr);
		if (from == NULL)
			step_error(ptr, "op \"concat\" needs \"from\"");
		if (from->type != JB_ARRAY || from->n == 0)
			step_error(sub, "\"from\" must be a non-empty array of JSON Pointers");
		s->nfrom = from->n;
		s->from = palloc(sizeof(PlPointer) * from->n);
		for (int j = 0; j < from->n; j++)
		{
			snprintf(sub, sizeof(sub), "%s/from/%d", ptr, j);
			compile_pointer(from->items[j], sub, &s->from[j]);
		}
	}
	pl_step_compile_args(s, v, ptr);
}

/* Compile a "transform" array (already known to be a non-empty array). */
PlTransform *
pl_transform_compile(const JNode *steps)
{
	PlTransform *t = palloc0(sizeof(PlTransform));

	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("transform steps need a database with encoding UTF8")));
	t->nsteps = steps->n;
	t->steps = palloc0(sizeof(PlStep) * steps->n);
	for (int i = 0; i < steps->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		compile_step(&t->steps[i], steps->items[i], i);
	}
	return t;
}

/* ----------------------------------------------------------------
 * The tree
 * ----------------------------------------------------------------
 */

/*
 * Fill *r from child index of container c, whose data starts at offset
 * (from the start of the children's data) and spans len bytes.
 */
static void
bin_fill(JsonbContainer *c, int index, const char *data, uint32 offset, uint32 len,
		 JsonbValue *r)
{
	JEntry		entry = c->children[index];

	switch (entry & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			r->type = jbvString;
			r->val.string.val = (char *) data + offset;
			r->val.string.len = len;
			break;
		case JENTRY_ISNUMERIC:
			r->type = jbvNumeric;
			r->val.numeric = (Numeric) (data + INTALIGN(offset));
			break;
		case JENTRY_ISBOOL_TRUE:
			r->type = jbvBool;
			r->val.boolean = true;
			break;
		case JENTRY_ISBOOL_FALSE:
			r->type = jbvBool;
			r->val.boolean = false;
			break;
		case JENTRY_ISNULL:
			r->type = jbvNull;
			break;
		default:
			r->type = jbvBinary;
			r->val.binary.data = (JsonbContainer *) (data + INTALIGN(offset));
			r->val.binary.len = len - (INTALIGN(offset) - offset);
			break;
	}
}

/* The root of jsonb jb as a tree value (a scalar root becomes that scalar). */
void
pl_jsonb_value(Jsonb *jb, JsonbValue *out)
{
	JsonbContainer *c = &jb->root;

	if (JsonContainerIsScalar(c))
	{
		const char *data = (const char *) &c->children[1];

		bin_fill(c, 0, data, 0, getJsonbLength(c, 0), out);
	}
	else
	{
		out->type = jbvBinary;
		out->val.binary.data = c;
		out->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* Start a record from a jsonb document. */
void
pl_doc_init(PlDoc *doc, Jsonb *jb)
{
	memset(doc, 0, sizeof(PlDoc));
	pl_jsonb_value(jb, &doc->root);
}

/* Replace binary container *v by its expanded form (children stay binary). */
static void
expand(JsonbValue *v)
{
	JsonbContainer *c = v->val.binary.data;
	int			n = JsonContainerSize(c);
	bool		is_object = JsonContainerIsObject(c);
	int			nchildren = is_object ? 2 * n : n;
	const char *data = (const char *) &c->children[nchildren];
	uint32		offset = 0;

	if (is_object)
	{
		JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(n, 1));

		for (int i = 0; i < nchildren; i++)
		{
			JEntry		e = c->children[i];
			uint32		len = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - offset : JBE_OFFLENFLD(e);

			if (i < n)
				bin_fill(c, i, data, offset, len, &pairs[i].key);
			else
			{
				bin_fill(c, i, data, offset, len, &pairs[i - n].value);
				pairs[i - n].order = i - n;
			}
			offset += len;
		}
		v->type = jbvObject;
		v->val.object.nPairs = n;
		v->val.object.pairs = pairs;
	}
	else
	{
		JsonbValue *elems = palloc(sizeof(JsonbValue) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			JEntry		e = c->children[i];
			uint32		len = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - offset : JBE_OFFLENFLD(e);

			bin_fill(c, i, data, offset, len, &elems[i]);
			offset += len;
		}
		v->type = jbvArray;
		v->val.array.nElems = n;
		v->val.array.elems = elems;
		v->val.array.rawScalar = false;
	}
}

/* Is v an object (expanded or binary)? */
static inline bool
is_object(const JsonbValue *v)
{
	return v->type == jbvObject ||
		(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data));
}

/* Is v an array (expanded or binary)? */
static inline bool
is_array(const JsonbValue *v)
{
	return v->type == jbvArray ||
		(v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data));
}

/* Array index named by token tok, -1 if it names none ("-" gives -2). */
static int
token_index(const char *tok, int len)
{
	int			n = 0;

	if (len == 1 && tok[0] == '-')
		return -2;
	if (len == 0 || len > 9 || (len > 1 && tok[0] == '0'))
		return -1;
	for (int i = 0; i < len; i++)
	{
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		n = n * 10 + (tok[i] - '0');
	}
	return n;
}

/* Binary search for key in an expanded object; *pos gets the insert point. */
static JsonbPair *
object_find(const JsonbValue *obj, const char *key, int len, int *pos)
{
	int			lo = 0;
	int			hi = obj->val.object.nPairs;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		JsonbPair  *p = &obj->val.object.pairs[mid];
		int			c = pl_key_cmp(p->key.val.string.val, p->key.val.string.len, key, len);

		if (c == 0)
		{
			*pos = mid;
			return p;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return NULL;
}

/* Read child tok of v into *out (a shallow copy); false if there is none. */
static bool
child_get(const JsonbValue *v, const char *tok, int len, JsonbValue *out)
{
	int			i;

	if (v->type == jbvObject)
	{
		JsonbPair  *p = object_find(v, tok, len, &i);

		if (p)
			*out = p->value;
		return p != NULL;
	}
	if (v->type == jbvArray)
	{
		i = token_index(tok, len);
		if (i < 0 || i >= v->val.array.nElems)
			return false;
		*out = v->val.array.elems[i];
		return true;
	}
	if (v->type != jbvBinary)
		return false;
	if (JsonContainerIsObject(v->val.binary.data))
		return getKeyJsonValueFromContainer(v->val.binary.data, tok, len, out) != NULL;
	i = token_index(tok, len);
	if (i < 0 || i >= (int) JsonContainerSize(v->val.binary.data))
		return false;
	{
		JsonbContainer *c = v->val.binary.data;
		const char *data = (const char *) &c->children[JsonContainerSize(c)];

		bin_fill(c, i, data, getJsonbOffset(c, i), getJsonbLength(c, i), out);
	}
	return true;
}

/* Read the value at pointer p into *out; false if the path leads nowhere. */
static bool
doc_get(const PlDoc *doc, const PlPointer *p, JsonbValue *out)
{
	JsonbValue	cur = doc->root;

	for (int i = 0; i < p->ntokens; i++)
		if (!child_get(&cur, p->tokens[i], p->lens[i], &cur))
			return false;
	*out = cur;
	return true;
}

/* The type of v as a violation message names it. */
static const char *
value_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvBool:
			return "a boolean";
		case jbvNumeric:
			return "a number";
		case jbvString:
			return "a string";
		default:
			return is_object(v) ? "an object" : "an array";
	}
}

/* Prefix of pointer p with n tokens, as text (for messages). */
static char *
pointer_prefix(const PlPointer *p, int n)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < n; i++)
		pl_pointer_append_token(&s, p->tokens[i], p->lens[i]);
	return s.data;
}

/* Note in a row record which column a step wrote (root pair of token tok). */
static void
doc_touch(PlDoc *doc, const PlPointer *p, int step)
{
	int			i;

	doc->changed = true;
	if (doc->row && p->ntokens > 0 &&
		object_find(&doc->root, p->tokens[0], p->lens[0], &i))
		doc->touched[i] = step;
}

/*
 * Why a value cannot be written at pointer p, or NULL if it can: the path
 * must run through objects (missing ones are created) or through existing
 * array elements ("-" last appends), and a row's columns are fixed.
 */
static char *
put_error(const PlDoc *doc, const PlPointer *p)
{
	JsonbValue	cur = doc->root;

	if (doc->row && p->ntokens == 0)
		return pstrdup("a step cannot replace the whole row");
	for (int t = 0; t < p->ntokens; t++)
	{
		const char *tok = p->tokens[t];
		int			len = p->lens[t];

		if (is_object(&cur))
		{
			if (!child_get(&cur, tok, len, &cur))
				return doc->row && t == 0 ?
					psprintf("the row has no column \"%s\"", tok) : NULL;
		}
		else if (is_array(&cur))
		{
			if (token_index(tok, len) == -2 && t + 1 == p->ntokens)
				return NULL;	/* appends */
			if (!child_get(&cur, tok, len, &cur))
				return psprintf("cannot write %s: %s has no element \"%s\"", p->text,
								t == 0 ? "the record" : pointer_prefix(p, t), tok);
		}
		else
			return psprintf("cannot write %s: %s is %s", p->text,
							t == 0 ? "the record" : pointer_prefix(p, t),
							value_type_name(&cur));
	}
	return NULL;
}

/*
 * The slot that holds the value at pointer p, for writing: containers on the
 * way are expanded.  With create (after put_error said yes), a missing key is
 * added (null, or an empty object on the way) and "-" appends to an array;
 * without, NULL if the path leads nowhere.
 */
static JsonbValue *
doc_slot(PlDoc *doc, const PlPointer *p, bool create)
{
	JsonbValue *cur = &doc->root;

	for (int t = 0; t < p->ntokens; t++)
	{
		const char *tok = p->tokens[t];
		int			len = p->lens[t];
		int			i;

		if (cur->type == jbvBinary)
			expand(cur);
		if (cur->type == jbvObject)
		{
			JsonbPair  *pair = object_find(cur, tok, len, &i);

			if (pair == NULL)
			{
				int			n = cur->val.object.nPairs;

				if (!create)
					return NULL;
				cur->val.object.pairs = repalloc(cur->val.object.pairs, sizeof(JsonbPair) * (n + 1));
				memmove(&cur->val.object.pairs[i + 1], &cur->val.object.pairs[i],
						sizeof(JsonbPair) * (n - i));
				pair = &cur->val.object.pairs[i];
				pair->key.type = jbvString;
				pair->key.val.string.val = (char *) tok;
				pair->key.val.string.len = len;
				pair->order = n;
				pair->value.type = t + 1 < p->ntokens ? jbvObject : jbvNull;
				pair->value.val.object.nPairs = 0;
				pair->value.val.object.pairs = palloc(sizeof(JsonbPair));
				cur->val.object.nPairs = n + 1;
			}
			cur = &pair->value;
		}
		else if (cur->type == jbvArray)
		{
			int			n = cur->val.array.nElems;

			i = token_index(tok, len);
			if (i == -2 && create)
			{
				cur->val.array.elems = repalloc(cur->val.array.elems, sizeof(JsonbValue) * (n + 1));
				cur->val.array.nElems = n + 1;
				cur = &cur->val.array.elems[n];
				cur->type = jbvNull;
				continue;
			}
			if (i < 0 || i >= n)
				return NULL;
			cur = &cur->val.array.elems[i];
		}
		else
			return NULL;
	}
	return cur;
}

/* Write v at pointer p (creating the key); false with *err if impossible. */
static bool
doc_put(PlDoc *doc, const PlPointer *p, const JsonbValue *v, char **err)
{
	*err = put_error(doc, p);
	if (*err)
		return false;
	*doc_slot(doc, p, true) = *v;
	return true;
}

/* Remove the value at p into *removed; false if there was none. */
static bool
doc_remove(PlDoc *doc, const PlPointer *p, JsonbValue *removed)
{
	PlPointer	parent = *p;
	JsonbValue *cont;
	const char *tok = p->tokens[p->ntokens - 1];
	int			len = p->lens[p->ntokens - 1];
	int			i;

	if (!doc_get(doc, p, removed))
		return false;
	parent.ntokens--;
	cont = doc_slot(doc, &parent, false);
	if (cont->type == jbvBinary)
		expand(cont);
	if (doc->row && parent.ntokens == 0)
	{
		/* a column cannot go away: it becomes null */
		object_find(cont, tok, len, &i)->value.type = jbvNull;
	}
	else if (cont->type == jbvObject)
	{
		object_find(cont, tok, len, &i);
		memmove(&cont->val.object.pairs[i], &cont->val.object.pairs[i + 1],
				sizeof(JsonbPair) * (cont->val.object.nPairs - i - 1));
		cont->val.object.nPairs--;
	}
	else
	{
		i = token_index(tok, len);
		memmove(&cont->val.array.elems[i], &cont->val.array.elems[i + 1],
				sizeof(JsonbValue) * (cont->val.array.nElems - i - 1));
		cont->val.array.nElems--;
	}
	return true;
}

/* Make v safe to place twice in a tree: an expanded container becomes binary. */
static void
freeze(JsonbValue *v)
{
	if (v->type == jbvObject || v->type == jbvArray)
	{
		Jsonb	   *jb = pl_doc_encode(v);

		v->type = jbvBinary;
		v->val.binary.data = &jb->root;
		v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* ----------------------------------------------------------------
 * Applying
 * ----------------------------------------------------------------
 */

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

	if (doc_get(doc, &s->path, &cur))
	{
		if (s->op == PL_OP_DEFAULT && cur.type != jbvNull)
			return true;
		/* writing null over null changes nothing */
		if (cur.type == jbvNull && s->u.value.type == jbvNull)
			return true;
	}
	if (!doc_put(doc, &s->path, &s->u.value, &err))
		return violation(errs, s, s->path.text, err);
	doc_touch(doc, &s->path, s->index);
	return true;
}

/* Put v back at p, where doc_remove took it from. */
static void
doc_restore(PlDoc *doc, const PlPointer *p, const JsonbValue *v)
{
	PlPointer	parent = *p;
	JsonbValue *cont;
	int			i;

	parent.ntokens--;
	cont = doc_slot(doc, &parent, false);
	if (cont->type == jbvArray)
	{
		i = token_index(p->tokens[p->ntokens - 1], p->lens[p->ntokens - 1]);
		cont->val.array.elems = repalloc(cont->val.array.elems,
										 sizeof(JsonbValue) * (cont->val.array.nElems + 1));
		memmove(&cont->val.array.elems[i + 1], &cont->val.array.elems[i],
				sizeof(JsonbValue) * (cont->val.array.nElems - i));
		cont->val.array.elems[i] = *v;
		cont->val.array.nElems++;
	}
	else
		*doc_slot(doc, p, true) = *v;
}

/* copy: the value at "from" is written at path. */
static bool
apply_copy(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	char	   *err;

	if (!doc_get(doc, &s->other, &v))
		return true;
	freeze(&v);
	if (!doc_put(doc, &s->path, &v, &err))
		return violation(errs, s, s->path.text, err);
	doc_touch(doc, &s->path, s->index);
	return true;
}

/* rename: the value at path moves to "to"; if it cannot go there, it stays. */
static bool
apply_rename(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	char	   *err;

	if (strcmp(s->path.text, s->other.text) == 0 || !doc_remove(doc, &s->path, &v))
		return true;
	if (!doc_put(doc, &s->other, &v, &err))
	{
		doc_restore(doc, &s->path, &v);
		return violation(errs, s, s->other.text, err);
	}
	doc_touch(doc, &s->path, s->index);
	doc_touch(doc, &s->other, s->index);
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

		if (!doc_get(doc, &s->from[i], &v) || v.type == jbvNull)
			continue;
		if (v.type == jbvString)
			text = v;
		else if (v.type == jbvNumeric)
			pl_numeric_text(v.val.numeric, &text);
		else if (v.type == jbvBool)
		{
			text.val.string.val = (char *) (v.val.boolean ? "true" : "false");
			text.val.string.len = v.val.boolean ? 4 : 5;
		}
		else
			return violation(errs, s, s->from[i].text,
							 psprintf("cannot concatenate %s", value_type_name(&v)));
		if (!first)
			appendStringInfoString(&buf, s->u.separator);
		appendBinaryStringInfo(&buf, text.val.string.val, text.val.string.len);
		first = false;
	}
	if (first)
		return true;
	if (doc_get(doc, &s->path, &cur) && cur.type == jbvString &&
		cur.val.string.len == buf.len && memcmp(cur.val.string.val, buf.data, buf.len) == 0)
		return true;
	v.type = jbvString;
	v.val.string.val = buf.data;
	v.val.string.len = buf.len;
	if (!doc_put(doc, &s->path, &v, &err))
		return violation(errs, s, s->path.text, err);
	doc_touch(doc, &s->path, s->index);
	return true;
}

/* Is key one of keep's keys? */
static bool
keep_has(const PlStep *s, const char *key, int len)
{
	int			lo = 0;
	int			hi = s->u.keep.n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = pl_key_cmp(s->u.keep.keys[mid], s->u.keep.lens[mid], key, len);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* keep: drop the keys of the object at path that are not listed. */
static bool
apply_keep(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	JsonbValue *obj;
	int			n;
	int			kept = 0;

	if (!doc_get(doc, &s->path, &v) || !is_object(&v))
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
	obj = doc_slot(doc, &s->path, false);
	if (obj->type == jbvBinary)
		expand(obj);
	kept = 0;
	for (int i = 0; i < n; i++)
	{
		JsonbPair  *p = &obj->val.object.pairs[i];

		if (keep_has(s, p->key.val.string.val, p->key.val.string.len))
			obj->val.object.pairs[kept++] = *p;
	}
	obj->val.object.nPairs = kept;
	doc_touch(doc, &s->path, s->index);
	return true;
}

/* An op that maps the value at path to a new value (transform_ops.c). */
static bool
apply_value(const PlStep *s, PlDoc *doc, PlErrors *errs)
{
	JsonbValue	v;
	JsonbValue *slot;
	char	   *err = NULL;

	if (!doc_get(doc, &s->path, &v))
		return true;
	if (!pl_step_value(s, &v, &err))
	{
		if (err)
			return violation(errs, s, s->path.text, err);
		return true;
	}
	slot = doc_slot(doc, &s->path, false);
	*slot = v;
	doc_touch(doc, &s->path, s->index);
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

	if (t == NULL)
		return true;
	for (int i = 0; i < t->nsteps; i++)
	{
		const PlStep *s = &t->steps[i];
		bool		step_ok;

		CHECK_FOR_INTERRUPTS();
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
					if (doc_remove(doc, &s->path, &gone))
						doc_touch(doc, &s->path, s->index);
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
	return doc.changed ? pl_doc_encode(&doc.root) : jb;
}

/* ----------------------------------------------------------------
 * Encoding a tree as jsonb (the format of src/backend/utils/adt/jsonb_util.c)
 * ----------------------------------------------------------------
 */

/* Where an encoding is written: a buffer sized by enc_bound, so no checks. */
typedef struct EncBuf
{
	char	   *data;
	uint32		len;
} EncBuf;

static void enc_value(EncBuf *buf, const JsonbValue *v, JEntry *entry);

/* An upper bound of the bytes v takes when encoded (alignment padding included). */
static Size
enc_bound(const JsonbValue *v)
{
	Size		n = 0;

	check_stack_depth();
	switch (v->type)
	{
		case jbvString:
			return v->val.string.len;
		case jbvNumeric:
			return VARSIZE_ANY(v->val.numeric) + 3;
		case jbvBinary:
			return v->val.binary.len + 3;
		case jbvObject:
			for (int i = 0; i < v->val.object.nPairs; i++)
				n += v->val.object.pairs[i].key.val.string.len +
					enc_bound(&v->val.object.pairs[i].value);
			return n + 3 + sizeof(uint32) + 2 * sizeof(JEntry) * v->val.object.nPairs;
		case jbvArray:
			for (int i = 0; i < v->val.array.nElems; i++)
				n += enc_bound(&v->val.array.elems[i]);
			return n + 3 + sizeof(uint32) + sizeof(JEntry) * v->val.array.nElems;
		default:
			return 0;
	}
}

/* Append len bytes. */
static inline void
enc_bytes(EncBuf *buf, const void *p, uint32 len)
{
	memcpy(buf->data + buf->len, p, len);
	buf->len += len;
}

/* Pad with zeros to an int boundary. */
static inline void
enc_pad(EncBuf *buf)
{
	while (buf->len % sizeof(int32) != 0)
		buf->data[buf->len++] = 0;
}

/* Store child entry i of the container whose JEntries start at jeoff. */
static inline void
enc_entry(EncBuf *buf, uint32 jeoff, int i, JEntry meta, uint32 *total, uint32 len)
{
	*total += len;
	if (*total > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transformed record exceeds the maximum jsonb size of %d bytes",
						JENTRY_OFFLENMASK)));
	if (i % JB_OFFSET_STRIDE == 0)
		meta = (meta & JENTRY_TYPEMASK) | *total | JENTRY_HAS_OFF;
	else
		meta = (meta & JENTRY_TYPEMASK) | len;
	memcpy(buf->data + jeoff + i * sizeof(JEntry), &meta, sizeof(JEntry));
}

/* Write child v as entry i of the container whose JEntries start at jeoff. */
static inline void
enc_child(EncBuf *buf, uint32 jeoff, int i, const JsonbValue *v, uint32 *total)
{
	JEntry		meta;
	uint32		start = buf->len;

	enc_value(buf, v, &meta);
	enc_entry(buf, jeoff, i, meta, total, buf->len - start);
}

/* Write an expanded array or object (or a one-element raw scalar array). */
static void
enc_container(EncBuf *buf, const JsonbValue *v, bool raw_scalar)
{
	uint32		header;
	int			nchildren;
	uint32		jeoff;
	uint32		total = 0;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (v->type == jbvObject)
	{
		header = v->val.object.nPairs | JB_FOBJECT;
		nchildren = 2 * v->val.object.nPairs;
	}
	else if (raw_scalar)
	{
		header = 1 | JB_FARRAY | JB_FSCALAR;
		nchildren = 1;
	}
	else
	{
		header = v->val.array.nElems | JB_FARRAY;
		nchildren = v->val.array.nElems;
	}
	enc_bytes(buf, &header, sizeof(uint32));
	jeoff = buf->len;
	buf->len += nchildren * sizeof(JEntry);

	if (raw_scalar)
		enc_child(buf, jeoff, 0, v, &total);
	else if (v->type == jbvObject)
	{
		int			n = v->val.object.nPairs;

		for (int i = 0; i < n; i++)
			enc_child(buf, jeoff, i, &v->val.object.pairs[i].key, &total);
		for (int i = 0; i < n; i++)
			enc_child(buf, jeoff, i + n, &v->val.object.pairs[i].value, &total);
	}
	else
	{
		for (int i = 0; i < v->val.array.nElems; i++)
			enc_child(buf, jeoff, i, &v->val.array.elems[i], &total);
	}
}

/* Append value v; *entry gets its type bits (its length is measured by the caller). */
static void
enc_value(EncBuf *buf, const JsonbValue *v, JEntry *entry)
{
	switch (v->type)
	{
		case jbvNull:
			*entry = JENTRY_ISNULL;
			break;
		case jbvBool:
			*entry = v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
			break;
		case jbvString:
			enc_bytes(buf, v->val.string.val, v->val.string.len);
			*entry = JENTRY_ISSTRING;
			break;
		case jbvNumeric:
			enc_pad(buf);
			enc_bytes(buf, v->val.numeric, VARSIZE_ANY(v->val.numeric));
			*entry = JENTRY_ISNUMERIC;
			break;
		case jbvBinary:
			enc_pad(buf);
			enc_bytes(buf, v->val.binary.data, v->val.binary.len);
			*entry = JENTRY_ISCONTAINER;
			break;
		case jbvObject:
		case jbvArray:
			enc_pad(buf);
			enc_container(buf, v, false);
			*entry = JENTRY_ISCONTAINER;
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/* Encode tree v as a jsonb datum. */
Jsonb *
pl_doc_encode(const JsonbValue *v)
{
	bool		raw_scalar = v->type != jbvObject && v->type != jbvArray && v->type != jbvBinary;
	Size		bound = VARHDRSZ + enc_bound(v) + (raw_scalar ? sizeof(uint32) + sizeof(JEntry) : 0);
	EncBuf		buf;

	if (bound > VARHDRSZ + JENTRY_OFFLENMASK + 3)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transformed record exceeds the maximum jsonb size of %d bytes",
						JENTRY_OFFLENMASK)));
	buf.data = palloc(bound);
	buf.len = VARHDRSZ;
	if (v->type == jbvBinary)
		enc_bytes(&buf, v->val.binary.data, v->val.binary.len);
	else
		enc_container(&buf, v, raw_scalar);
	Assert(buf.len <= bound);
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}
