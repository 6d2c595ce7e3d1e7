/*-------------------------------------------------------------------------
 *
 * transform_compile.c
 *	  Transform steps compiled with the spec, at define time.
 *
 * Compiling checks every step once and raises 22023 naming the JSON Pointer
 * of the bad part ("spec /transform/2/op: unknown op").  Pointers are split
 * into tokens, constants become JsonbValues (containers as jbvBinary, which
 * steps never write into), replace patterns are compiled with their capture
 * groups, map keys are folded and sorted, keep keys sorted, so applying a
 * step does no parsing (transform.c, transform_ops.c).  The arguments
 * accepted and the messages are those of bench/reference.py.  The compiler
 * works in the caller's scratch context; transform_freeze.c copies the
 * finished steps into the spec's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation_d.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "transform.h"

static void compile_args(PlStep *s, const JNode *v, const char *ptr, MemoryContext keep);

/* Raise 22023 about the spec member at JSON Pointer ptr. */
pg_attribute_noreturn()
static void
compile_error(const char *ptr, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spec %s: %s", ptr, msg)));
}


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
		compile_error(ptr, "must be a JSON Pointer string");
	if (!pointer_parse(v->str, p))
		compile_error(ptr, psprintf("invalid JSON Pointer \"%s\"", v->str));
}

/* Look an op up by name; -1 if unknown. */
static int
op_lookup(const char *name)
{
	for (int i = 0; i < (int) lengthof(op_table); i++)
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

/*
 * Compile step number i (JSON node v) into *s, in the current (scratch)
 * context but for parse_timestamp's formats: transform_time.c's, made in
 * keep, where they stay (transform_freeze.c leaves them).
 */
static void
compile_step(PlStep *s, const JNode *v, int i, MemoryContext keep)
{
	MemoryContext old;
	char		ptr[64];
	char		sub[128];
	JNode	   *op;
	JNode	   *path;
	int			k;

	snprintf(ptr, sizeof(ptr), "/transform/%d", i);
	s->index = i;
	s->location = pstrdup(ptr);
	if (v->type != JB_OBJECT)
		compile_error(ptr, "a step must be an object");
	op = jnode_get(v, "op");
	snprintf(sub, sizeof(sub), "%s/op", ptr);
	if (op == NULL)
		compile_error(sub, "missing op");
	if (op->type != JB_STRING || (k = op_lookup(op->str)) < 0)
		compile_error(sub, op->type == JB_STRING ? psprintf("unknown op \"%s\"", op->str) :
				   "unknown op: \"op\" must be a string");
	s->op = op_table[k].op;
	path = jnode_get(v, "path");
	if (path == NULL)
		compile_error(ptr, "\"path\" is required");
	snprintf(sub, sizeof(sub), "%s/path", ptr);
	compile_pointer(path, sub, &s->path);
	if (s->path.ntokens == 0 &&
		(s->op == PL_OP_REMOVE || s->op == PL_OP_RENAME))
		compile_error(sub, psprintf("op \"%s\" needs a path inside the record", op->str));
	for (int j = 0; j < v->n; j++)
		if (!op_takes(k, v->pairs[j].key))
		{
			StringInfoData p;

			initStringInfo(&p);
			appendStringInfoString(&p, ptr);
			pl_pointer_append_token(&p, v->pairs[j].key, v->pairs[j].keylen);
			compile_error(p.data, psprintf("unknown argument \"%s\" for op \"%s\"",
										v->pairs[j].key, op->str));
		}
	if (s->op == PL_OP_RENAME || s->op == PL_OP_COPY)
	{
		const char *key = s->op == PL_OP_RENAME ? "to" : "from";
		JNode	   *o = jnode_get(v, key);

		snprintf(sub, sizeof(sub), "%s/%s", ptr, key);
		if (o == NULL)
			compile_error(ptr, psprintf("op \"%s\" needs \"%s\"", op->str, key));
		compile_pointer(o, sub, &s->other);
	}
	if (s->op == PL_OP_CONCAT)
	{
		JNode	   *from = jnode_get(v, "from");

		snprintf(sub, sizeof(sub), "%s/from", ptr);
		if (from == NULL)
			compile_error(ptr, "op \"concat\" needs \"from\"");
		if (from->type != JB_ARRAY || from->n == 0)
			compile_error(sub, "\"from\" must be a non-empty array of JSON Pointers");
		s->nfrom = from->n;
		s->from = palloc(sizeof(PlPointer) * from->n);
		for (int j = 0; j < from->n; j++)
		{
			snprintf(sub, sizeof(sub), "%s/from/%d", ptr, j);
			compile_pointer(from->items[j], sub, &s->from[j]);
		}
	}
	old = MemoryContextSwitchTo(s->op == PL_OP_PARSE_TIMESTAMP ? keep : CurrentMemoryContext);
	compile_args(s, v, ptr, keep);
	MemoryContextSwitchTo(old);
}

/* Does step s read and write one key of the root in place (cacheable)? */
static bool
uses_root_key(const PlStep *s)
{
	switch (s->op)
	{
		case PL_OP_REMOVE:
		case PL_OP_RENAME:
		case PL_OP_COPY:
		case PL_OP_CONCAT:
		case PL_OP_KEEP:
			return false;
		default:
			return s->path.ntokens == 1;
	}
}

/* Index of key among t's root keys, added in order if new (-1 when full). */
static int
root_key_index(PlTransform *t, const char *key, int len)
{
	int			i;

	for (i = 0; i < t->nroot_keys; i++)
		if (pl_key_cmp(t->root_keys[i], t->root_key_lens[i], key, len) >= 0)
			break;
	if (i < t->nroot_keys && pl_key_cmp(t->root_keys[i], t->root_key_lens[i], key, len) == 0)
		return i;
	if (t->nroot_keys == PL_MAX_ROOT_KEYS)
		return -1;
	memmove(&t->root_keys[i + 1], &t->root_keys[i], sizeof(char *) * (t->nroot_keys - i));
	memmove(&t->root_key_lens[i + 1], &t->root_key_lens[i], sizeof(int) * (t->nroot_keys - i));
	t->root_keys[i] = key;
	t->root_key_lens[i] = len;
	t->nroot_keys++;
	return i;
}

/* List the distinct root keys of cacheable steps and point each step at its key. */
static void
list_root_keys(PlTransform *t)
{
	t->root_keys = palloc(sizeof(char *) * PL_MAX_ROOT_KEYS);
	t->root_key_lens = palloc(sizeof(int) * PL_MAX_ROOT_KEYS);
	for (int i = 0; i < t->nsteps; i++)
		if (uses_root_key(&t->steps[i]))
			root_key_index(t, t->steps[i].path.tokens[0], t->steps[i].path.lens[0]);
	for (int i = 0; i < t->nsteps; i++)
	{
		PlStep	   *s = &t->steps[i];

		s->root_key = -1;
		if (uses_root_key(s))
			for (int k = 0; k < t->nroot_keys; k++)
				if (pl_key_cmp(t->root_keys[k], t->root_key_lens[k],
							   s->path.tokens[0], s->path.lens[0]) == 0)
					s->root_key = k;
	}
}

/*
 * Compile a "transform" array (already known to be a non-empty array) in
 * the current context, which the caller deletes afterwards; the steps are
 * then copied into one chunk of keep, and that copy is returned.
 */
PlTransform *
pl_transform_compile(const JNode *steps, MemoryContext keep)
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
		compile_step(&t->steps[i], steps->items[i], i, keep);
	}
	list_root_keys(t);
	return pl_transform_freeze(t, keep);
}

/* ----------------------------------------------------------------
 * Arguments of each op
 * ----------------------------------------------------------------
 */

/* Set *v to the string of len bytes at s. */
static inline void
set_string(JsonbValue *v, const char *s, int len)
{
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
}


/* Build an expanded tree from a JSON node (containers for encoding). */
static void
jnode_tree(const JNode *n, JsonbValue *out)
{
	check_stack_depth();
	switch (n->type)
	{
		case JB_NULL:
			out->type = jbvNull;
			break;
		case JB_BOOL:
			out->type = jbvBool;
			out->val.boolean = n->boolean;
			break;
		case JB_NUMBER:
			out->type = jbvNumeric;
			out->val.numeric = n->num;
			break;
		case JB_STRING:
			set_string(out, n->str, n->len);
			break;
		case JB_OBJECT:
			out->type = jbvObject;
			out->val.object.nPairs = n->n;
			out->val.object.pairs = palloc(sizeof(JsonbPair) * Max(n->n, 1));
			for (int i = 0; i < n->n; i++)
			{
				set_string(&out->val.object.pairs[i].key, n->pairs[i].key, n->pairs[i].keylen);
				out->val.object.pairs[i].order = i;
				jnode_tree(n->pairs[i].value, &out->val.object.pairs[i].value);
			}
			break;
		case JB_ARRAY:
			out->type = jbvArray;
			out->val.array.rawScalar = false;
			out->val.array.nElems = n->n;
			out->val.array.elems = palloc(sizeof(JsonbValue) * Max(n->n, 1));
			for (int i = 0; i < n->n; i++)
				jnode_tree(n->items[i], &out->val.array.elems[i]);
			break;
	}
}

/* A constant JSON value of the spec as a JsonbValue (containers as binary). */
static void
jnode_value(const JNode *n, JsonbValue *out)
{
	jnode_tree(n, out);
	if (out->type == jbvObject || out->type == jbvArray)
	{
		Jsonb	   *jb = pl_doc_encode(out);

		out->type = jbvBinary;
		out->val.binary.data = &jb->root;
		out->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* The JSON kinds (PL_K_*) a constant has. */
static uint8
jnode_kind(const JNode *n)
{
	static const uint8 kinds[] = {PL_K_NULL, PL_K_BOOL, PL_K_NUMBER, PL_K_STRING, PL_K_ARRAY, PL_K_OBJECT};

	return kinds[n->type];
}

/* An integer argument in [lo, hi] (hi < lo: no upper bound). */
static int64
int_arg(const JNode *v, const char *ptr, int64 lo, int64 hi)
{
	int64		i;

	if (v->type != JB_NUMBER || !pl_numeric_is_integral(v->num))
		compile_error(ptr, "must be an integer");
	if (!pl_numeric_to_int64(v->num, &i))
		i = pl_numeric_cmp(v->num, int64_to_numeric(0)) < 0 ? PG_INT64_MIN : PG_INT64_MAX;
	if (i < lo || (hi >= lo && i > hi))
		compile_error(ptr, hi >= lo ? psprintf("must be between " INT64_FORMAT " and " INT64_FORMAT, lo, hi) :
				  psprintf("must be at least " INT64_FORMAT, lo));
	return i;
}

/* A string argument. */
static const char *
str_arg(const JNode *v, const char *ptr)
{
	if (v->type != JB_STRING)
		compile_error(ptr, "must be a string");
	return v->str;
}

/* Optional string argument key of step v (at ptr), "" when absent. */
static const char *
opt_str_arg(const JNode *v, const char *key, const char *ptr)
{
	const JNode *a = jnode_get(v, key);
	char		sub[160];

	if (a == NULL)
		return "";
	snprintf(sub, sizeof(sub), "%s/%s", ptr, key);
	return str_arg(a, sub);
}

/* A number argument. */
static Numeric
num_arg(const JNode *v, const char *ptr)
{
	if (v->type != JB_NUMBER)
		compile_error(ptr, "must be a number");
	return v->num;
}

/*
 * Compile replace's "with" (ECMA replacement syntax: $$, $&, $1..$9) into
 * pieces; a group the pattern lacks is refused.
 */
static void
compile_replacement(PlStep *s, const char *w, const char *ptr)
{
	int			n = strlen(w);
	StringInfoData lit;
	int			np = 0;

	s->u.replace.pieces = palloc(sizeof(PlReplPiece) * (n + 1));
	initStringInfo(&lit);
	for (int i = 0; i < n; i++)
	{
		if (w[i] == '$' && i + 1 < n && (w[i + 1] == '$' || w[i + 1] == '&' ||
										 (w[i + 1] >= '1' && w[i + 1] <= '9')))
		{
			int			g;

			i++;
			if (w[i] == '$')
			{
				appendStringInfoChar(&lit, '$');
				continue;
			}
			g = w[i] == '&' ? 0 : w[i] - '0';
			if (g > (int) s->u.replace.re.re_nsub)
				compile_error(ptr, psprintf("$%d refers to a group the pattern does not have", g));
			if (lit.len > 0)
			{
				s->u.replace.pieces[np].text = pstrdup(lit.data);
				s->u.replace.pieces[np++].len = lit.len;
				resetStringInfo(&lit);
			}
			s->u.replace.pieces[np].text = NULL;
			s->u.replace.pieces[np++].group = g;
			continue;
		}
		appendStringInfoChar(&lit, w[i]);
	}
	if (lit.len > 0)
	{
		s->u.replace.pieces[np].text = lit.data;
		s->u.replace.pieces[np++].len = lit.len;
	}
	s->u.replace.npieces = np;
}

/* Free a compiled regex when its spec's memory goes (not one moved away: zeroed). */
static void
free_regex(void *arg)
{
	regex_t    *re = (regex_t *) arg;

	if (re->re_fns != NULL)
		pg_regfree(re);
}

/*
 * Free re's engine memory (malloc'd, outside any context) when cxt is reset
 * or deleted; cb is the callback's memory, in cxt.
 */
void
pl_regex_free_with(regex_t *re, MemoryContext cxt, MemoryContextCallback *cb)
{
	cb->func = free_regex;
	cb->arg = re;
	MemoryContextRegisterResetCallback(cxt, cb);
}

/*
 * Compile replace's pattern (ECMA-262, with capture groups) at ptr.  The
 * engine allocates in the current context from PostgreSQL 16 on (malloc
 * before): compiled in keep, the regex outlives the scratch context when
 * transform_freeze.c moves it.
 */
static void
compile_pattern(PlStep *s, const char *pattern, const char *ptr, MemoryContext keep)
{
	StringInfoData are;
	char	   *err = NULL;
	pg_wchar   *wide;
	int			wlen;
	int			rc;
	MemoryContext old;

	initStringInfo(&are);
	if (!ecma_regex_translate(pattern, strlen(pattern), &are, &err))
		compile_error(ptr, psprintf("invalid pattern: %s", err));
	wide = palloc((are.len + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(are.data, wide, are.len);
	old = MemoryContextSwitchTo(keep);
	rc = pg_regcomp(&s->u.replace.re, wide, wlen, REG_ADVANCED, C_COLLATION_OID);
	MemoryContextSwitchTo(old);
	if (rc != REG_OKAY)
	{
		char		msg[128];

		CHECK_FOR_INTERRUPTS();
		pg_regerror(rc, &s->u.replace.re, msg, sizeof(msg));
		compile_error(ptr, psprintf("invalid pattern: %s", msg));
	}
	pl_regex_free_with(&s->u.replace.re, CurrentMemoryContext, palloc(sizeof(MemoryContextCallback)));
}

/*
 * Fill the map's open-addressing slots (at least twice as many as entries,
 * so a probe ends at an empty slot): a lookup hashes once and compares the
 * few keys on its probe sequence, instead of a binary search.
 */
static void
map_hash_slots(PlStep *s)
{
	int			size = 2;

	while (size < 2 * s->u.map.n)
		size *= 2;
	s->u.map.slots = palloc0(sizeof(int) * size);
	s->u.map.hashmask = size - 1;
	for (int i = 0; i < s->u.map.n; i++)
	{
		const PlMapEntry *e = &s->u.map.entries[i];
		uint32		h = pl_map_hash(e->key, e->keylen) & s->u.map.hashmask;

		while (s->u.map.slots[h] != 0)
			h = (h + 1) & s->u.map.hashmask;
		s->u.map.slots[h] = i + 1;
	}
}

/* Compile map's values (and case folding); duplicates after folding are refused. */
static void
compile_map(PlStep *s, const JNode *values, const char *ptr)
{
	int			n = values->n;
	PlMapEntry *e = palloc(sizeof(PlMapEntry) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		const JPair *p = &values->pairs[i];

		if (s->u.map.case_insensitive)
			e[i].key = pl_case_map(p->key, p->keylen, false, &e[i].keylen);
		else
		{
			e[i].key = p->key;
			e[i].keylen = p->keylen;
		}
		jnode_value(p->value, &e[i].value);
		s->kinds |= jnode_kind(p->value);
	}
	/* insertion sort by (keylen, key): maps are small and this runs once */
	for (int i = 1; i < n; i++)
	{
		PlMapEntry	x = e[i];
		int			j = i;

		while (j > 0 && pl_key_cmp(e[j - 1].key, e[j - 1].keylen, x.key, x.keylen) > 0)
		{
			e[j] = e[j - 1];
			j--;
		}
		e[j] = x;
	}
	for (int i = 1; i < n; i++)
		if (pl_key_cmp(e[i - 1].key, e[i - 1].keylen, e[i].key, e[i].keylen) == 0)
		{
			StringInfoData p;

			initStringInfo(&p);
			appendStringInfo(&p, "%s/values", ptr);
			for (int k = 0; k < n; k++)
			{
				int			len;
				char	   *f = pl_case_map(values->pairs[k].key, values->pairs[k].keylen, false, &len);

				if (len == e[i].keylen && memcmp(f, e[i].key, len) == 0)
				{
					pl_pointer_append_token(&p, values->pairs[k].key, values->pairs[k].keylen);
					break;
				}
			}
			compile_error(p.data, "duplicate key when case is ignored");
		}
	s->u.map.entries = e;
	s->u.map.n = n;
	map_hash_slots(s);
}

/* Compile keep's keys: sorted in jsonb order, without repeats. */
static void
compile_keep(PlStep *s, const JNode *keys, const char *ptr)
{
	int			n = 0;

	if (keys->type != JB_ARRAY)
		compile_error(ptr, "must be an array of strings");
	s->u.keep.keys = palloc(sizeof(char *) * Max(keys->n, 1));
	s->u.keep.lens = palloc(sizeof(int) * Max(keys->n, 1));
	for (int i = 0; i < keys->n; i++)
	{
		const JNode *k = keys->items[i];
		int			j = 0;

		if (k->type != JB_STRING)
			compile_error(ptr, "must be an array of strings");
		while (j < n && pl_key_cmp(s->u.keep.keys[j], s->u.keep.lens[j], k->str, k->len) < 0)
			j++;
		if (j < n && pl_key_cmp(s->u.keep.keys[j], s->u.keep.lens[j], k->str, k->len) == 0)
			continue;
		memmove(&s->u.keep.keys[j + 1], &s->u.keep.keys[j], sizeof(char *) * (n - j));
		memmove(&s->u.keep.lens[j + 1], &s->u.keep.lens[j], sizeof(int) * (n - j));
		s->u.keep.keys[j] = k->str;
		s->u.keep.lens[j] = k->len;
		n++;
	}
	s->u.keep.n = n;
}

/* Is a one-character string? */
static bool
one_char(const JNode *v)
{
	return v->type == JB_STRING && v->len > 0 && pg_utf_mblen((const unsigned char *) v->str) == v->len;
}

/* Raise the error for a required argument that is missing. */
pg_attribute_noreturn()
static void
missing(const char *ptr, const char *opname, const char *key)
{
	compile_error(ptr, psprintf("op \"%s\" needs \"%s\"", opname, key));
}

/*
 * Check and prepare the arguments of step s (node v, at ptr) for its op;
 * unknown arguments were refused by the caller.  Also sets s->kinds.
 */
static void
compile_args(PlStep *s, const JNode *v, const char *ptr, MemoryContext keep)
{
	const char *opname = jnode_get(v, "op")->str;
	const JNode *a;
	char		sub[160];

#define SUB(key) (snprintf(sub, sizeof(sub), "%s/%s", ptr, key), sub)

	switch (s->op)
	{
		case PL_OP_TRIM:
		case PL_OP_COLLAPSE_WHITESPACE:
		case PL_OP_LOWER:
		case PL_OP_UPPER:
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_NULLIF_EMPTY:
			s->kinds = PL_K_STRING | PL_K_NULL;
			break;
		case PL_OP_TRUNCATE:
			if ((a = jnode_get(v, "length")) == NULL)
				missing(ptr, opname, "length");
			s->u.length = int_arg(a, SUB("length"), 0, -1);
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_REPLACE:
			if ((a = jnode_get(v, "pattern")) == NULL)
				missing(ptr, opname, "pattern");
			compile_pattern(s, str_arg(a, SUB("pattern")), sub, keep);
			a = jnode_get(v, "with");
			compile_replacement(s, a ? str_arg(a, SUB("with")) : "", SUB("with"));
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_COERCE:
			{
				static const char *const names[] = {"integer", "number", "boolean", "string"};
				static const uint8 kinds[] = {PL_K_NUMBER, PL_K_NUMBER, PL_K_BOOL, PL_K_STRING};
				int			k;

				if ((a = jnode_get(v, "to")) == NULL)
					missing(ptr, opname, "to");
				for (k = 0; k < (int) lengthof(names); k++)
					if (a->type == JB_STRING && strcmp(a->str, names[k]) == 0)
						break;
				if (k == lengthof(names))
					compile_error(SUB("to"), "must be one of \"integer\", \"number\", \"boolean\", \"string\"");
				s->u.to = (PlCoerceTo) k;
				s->kinds = kinds[k];
			}
			break;
		case PL_OP_PARSE_TIMESTAMP:
			pl_ts_compile(s, jnode_get(v, "formats"), jnode_get(v, "timezone"), ptr);
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_ROUND:
			a = jnode_get(v, "digits");
			s->u.digits = a ? (int) int_arg(a, SUB("digits"), -PL_MAX_EXPONENT, PL_MAX_EXPONENT) : 0;
			s->kinds = PL_K_NUMBER;
			break;
		case PL_OP_CLAMP:
			if ((a = jnode_get(v, "min")) != NULL)
				s->u.clamp.min = num_arg(a, SUB("min"));
			if ((a = jnode_get(v, "max")) != NULL)
				s->u.clamp.max = num_arg(a, SUB("max"));
			if (!s->u.clamp.min && !s->u.clamp.max)
				compile_error(ptr, "op \"clamp\" needs \"min\" or \"max\"");
			if (s->u.clamp.min && s->u.clamp.max &&
				pl_numeric_cmp(s->u.clamp.min, s->u.clamp.max) > 0)
				compile_error(ptr, "min is greater than max");
			s->kinds = PL_K_NUMBER;
			break;
		case PL_OP_SCALE:
			a = jnode_get(v, "factor");
			s->u.scale.factor = a ? num_arg(a, SUB("factor")) : int64_to_numeric(1);
			a = jnode_get(v, "offset");
			s->u.scale.offset = a ? num_arg(a, SUB("offset")) : int64_to_numeric(0);
			s->kinds = PL_K_NUMBER;
			break;
		case PL_OP_MAP:
			if ((a = jnode_get(v, "case_insensitive")) != NULL)
			{
				if (a->type != JB_BOOL)
					compile_error(SUB("case_insensitive"), "must be a boolean");
				s->u.map.case_insensitive = a->boolean;
			}
			if ((a = jnode_get(v, "default")) != NULL)
			{
				s->u.map.has_default = true;
				jnode_value(a, &s->u.map.dflt);
				s->kinds |= jnode_kind(a);
			}
			else
				s->kinds |= PL_K_STRING;
			if ((a = jnode_get(v, "values")) == NULL)
				missing(ptr, opname, "values");
			if (a->type != JB_OBJECT)
				compile_error(SUB("values"), "must be an object");
			compile_map(s, a, ptr);
			break;
		case PL_OP_DEFAULT:
		case PL_OP_SET:
			if ((a = jnode_get(v, "value")) == NULL)
				missing(ptr, opname, "value");
			jnode_value(a, &s->u.value);
			s->kinds = jnode_kind(a);
			break;
		case PL_OP_REMOVE:
			s->kinds = PL_K_NULL;
			break;
		case PL_OP_RENAME:
		case PL_OP_COPY:
			s->kinds = PL_K_ANY;
			break;
		case PL_OP_CONCAT:
			s->u.separator = opt_str_arg(v, "separator", ptr);
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_KEEP:
			if ((a = jnode_get(v, "keys")) == NULL)
				missing(ptr, opname, "keys");
			compile_keep(s, a, SUB("keys"));
			s->kinds = PL_K_OBJECT;
			break;
		case PL_OP_HASH:
			s->u.salt = opt_str_arg(v, "salt", ptr);
			s->kinds = PL_K_STRING;
			break;
		case PL_OP_MASK:
			a = jnode_get(v, "keep_last");
			s->u.mask.keep_last = a ? (int) Min(int_arg(a, SUB("keep_last"), 0, -1), PG_INT32_MAX) : 4;
			a = jnode_get(v, "char");
			if (a && !one_char(a))
				compile_error(SUB("char"), "must be a string of one character");
			s->u.mask.chr = a ? a->str : "*";
			s->u.mask.chrlen = a ? a->len : 1;
			s->kinds = PL_K_STRING;
			break;
	}
#undef SUB
}
