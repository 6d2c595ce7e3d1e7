/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Walk a jsonb document against a compiled schema.
 *
 * The walk reads the jsonb binary in place (jsonb_read.h) and allocates
 * nothing on the success path of ordinary schemas.  It runs in one of two
 * modes: a yes/no mode that stops at the first failure (validate(), the
 * compat functions, triggers), and a collecting mode (errors(), process(),
 * DETAIL lines) that keeps going and records every failing leaf with its
 * instanceLocation and keywordLocation.  Where a keyword has to know whether
 * a subschema passes without reporting its failures (anyOf, oneOf, not, if,
 * contains), the subschema is tried in yes/no mode first.
 *
 * Annotations (which properties and items were evaluated) are tracked only
 * below a schema with unevaluatedProperties/unevaluatedItems, so schemas
 * without them pay nothing.  The dynamic scope (resources entered so far) is
 * kept for $dynamicRef and $recursiveRef.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "pg_compat.h"
#include "schema.h"

/* Which properties and items of one instance value have been evaluated. */
typedef struct Annot
{
	int			n;				/* object pairs or array elements */
	bool	   *seen;			/* per pair or element, allocated on first use */
	bool		all;			/* every one of them */
} Annot;

/*
 * A frame of absoluteKeywordLocation, on the C stack: the keywordLocation
 * from byte mark on lies under node, a reference target or resource root.
 * It is copied to the heap (pinned) only when a failure inside needs it.
 */
typedef struct AbsFrame
{
	const SchemaNode *node;
	int			mark;
	struct AbsFrame *outer;
	const PlAbsLocation *pinned;
} AbsFrame;

/* State of one validation. */
typedef struct VCtx
{
	const PlSchema *schema;
	PlErrors   *errs;			/* NULL: stop at the first failure */
	StringInfoData kw;			/* keywordLocation so far (collecting mode) */
	StringInfoData inst;		/* instanceLocation so far (collecting mode) */
	bool		dynamic;		/* keep the dynamic scope (the schema needs it) */
	int			nscope;
	int			scope_cap;
	PlResource **scope;			/* dynamic scope, outermost first */
	bool		absolute;		/* collecting absolute locations (errs->absolute) */
	AbsFrame   *frame;			/* innermost frame of absoluteKeywordLocation */
	uintptr_t	stack_mark;		/* where the yes/no walk last checked the stack */
} VCtx;

static bool v_node(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an);
static bool v_walk_container(VCtx *cx, const SchemaNode *sub, JsonbContainer *c);
static void scope_push(VCtx *cx, PlResource *r);

/* Push a keyword-path token; returns the length to pop back to. */
static inline int
push_kw(VCtx *cx, const char *tok)
{
	int			save = cx->kw.len;

	if (cx->errs)
		pl_pointer_append_token(&cx->kw, tok, strlen(tok));
	return save;
}

/* Push an array index onto the keyword path. */
static inline int
push_kw_index(VCtx *cx, int i)
{
	int			save = cx->kw.len;

	if (cx->errs)
		appendStringInfo(&cx->kw, "/%d", i);
	return save;
}

/* Push an instance-path token (a key of len bytes). */
static inline int
push_inst(VCtx *cx, const char *tok, int len)
{
	int			save = cx->inst.len;

	if (cx->errs)
		pl_pointer_append_token(&cx->inst, tok, len);
	return save;
}

/* Push an array index onto the instance path. */
static inline int
push_inst_index(VCtx *cx, int i)
{
	int			save = cx->inst.len;

	if (cx->errs)
		appendStringInfo(&cx->inst, "/%d", i);
	return save;
}

/* Pop a path back to length save. */
static inline void
pop_path(StringInfo path, int save)
{
	if (path->data == NULL)		/* not collecting */
		return;
	path->len = save;
	path->data[save] = '\0';
}

/*
 * The heap copy of frame f and the frames around it, made once per frame:
 * the absolute URI of its node, "<resource URI>#<pointer>", or NULL.
 */
static const PlAbsLocation *
abs_pin(VCtx *cx, AbsFrame *f)
{
	PlAbsLocation *p;
	const PlSchemaLocation *loc;

	if (f == NULL || f->pinned)
		return f ? f->pinned : NULL;
	p = palloc(sizeof(PlAbsLocation));
	loc = pl_schema_location(cx->schema, f->node);
	p->base = NULL;
	if (loc)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "%s#", loc->uri);
		pl_append_fragment(&buf, loc->pointer, strlen(loc->pointer));
		p->base = buf.data;
	}
	p->mark = f->mark;
	p->outer = abs_pin(cx, f->outer);
	f->pinned = p;
	return p;
}

/* Record a failure of keyword kw (NULL: the schema itself); returns false. */
static bool
pg_attribute_printf(3, 4)
fail(VCtx *cx, const char *kw, const char *fmt,...)
{
	va_list		args;
	char	   *msg;
	int			save;

	if (cx->errs == NULL)
		return false;
	va_start(args, fmt);
	msg = pl_vformat(fmt, args);
	va_end(args);
	save = kw ? push_kw(cx, kw) : cx->kw.len;
	pl_errors_add(cx->errs, cx->inst.data, cx->kw.data, "%s", msg);
	if (cx->absolute)
		cx->errs->items[cx->errs->count - 1].absolute = abs_pin(cx, cx->frame);
	pop_path(&cx->kw, save);
	return false;
}

/*
 * Run s on v in yes/no mode, whatever the current mode.  Without annotations,
 * past s's $ref-only hops (pl_walk_target), and a container of the kind of
 * a PL_WALK_OBJECT or PL_WALK_ARRAY shape walked directly: a oneOf branch
 * that is a "$ref" to a resource's object schema, in one step.
 */
static bool
v_silent(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	PlErrors   *saved = cx->errs;
	bool		ok;

	cx->errs = NULL;
	if (an == NULL)
		s = pl_walk_target(s, cx->dynamic);
	if (an == NULL && ((s->walk == PL_WALK_OBJECT && v->type == JB_OBJECT) ||
					   (s->walk == PL_WALK_ARRAY && v->type == JB_ARRAY)))
		ok = v_walk_container(cx, s, v->cont);
	else
		ok = v_node(cx, s, v, an);
	cx->errs = saved;
	return ok;
}

/* Run child schema s on v under keyword path kw/tok. */
static bool
v_child_key(VCtx *cx, const SchemaNode *s, const char *kw, const char *tok,
			const JbRef *v, Annot *an)
{
	int			save = push_kw(cx, kw);
	bool		ok;

	push_kw(cx, tok);
	ok = v_node(cx, s, v, an);
	pop_path(&cx->kw, save);
	return ok;
}

/* Run child schema s on v under keyword path kw (and index idx if >= 0). */
static bool
v_child(VCtx *cx, const SchemaNode *s, const char *kw, int idx, const JbRef *v, Annot *an)
{
	int			save = push_kw(cx, kw);
	bool		ok;

	if (idx >= 0)
		push_kw_index(cx, idx);
	ok = v_node(cx, s, v, an);
	pop_path(&cx->kw, save);
	return ok;
}

/* Is s where the innermost frame of absoluteKeywordLocation starts? */
static inline bool
abs_entered(const VCtx *cx, const SchemaNode *s)
{
	return cx->frame && cx->frame->node == s && cx->frame->mark == cx->kw.len;
}

/* Run s on v in a new frame of absoluteKeywordLocation (out of the walk's line). */
static pg_noinline bool
v_located(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	AbsFrame	frame = {.node = s,.mark = cx->kw.len,.outer = cx->frame};
	bool		ok;

	cx->frame = &frame;
	ok = v_node(cx, s, v, an);
	cx->frame = frame.outer;
	return ok;
}

/* Run target s of reference keyword kw on v: absolute locations restart at s. */
static bool
v_ref(VCtx *cx, const SchemaNode *s, const char *kw, const JbRef *v, Annot *an)
{
	int			save;
	bool		ok;

	if (!cx->absolute || cx->errs == NULL)
		return v_child(cx, s, kw, -1, v, an);
	save = push_kw(cx, kw);
	ok = v_located(cx, s, v, an);
	pop_path(&cx->kw, save);
	return ok;
}

/* Size annotation record a for instance value v. */
static inline void
annot_init(Annot *a, const JbRef *v)
{
	a->n = (v->type == JB_OBJECT || v->type == JB_ARRAY) ? jb_size(v) : 0;
	a->seen = NULL;
	a->all = false;
}

/* Mark member i of a evaluated. */
static inline void
annot_mark(Annot *a, int i)
{
	if (a->seen == NULL)
		a->seen = palloc0(sizeof(bool) * Max(a->n, 1));
	a->seen[i] = true;
}

/* Is member i of a evaluated? */
static inline bool
annot_has(const Annot *a, int i)
{
	return a->all || (a->seen != NULL && a->seen[i]);
}

/* Add what src saw to dst. */
static void
annot_merge(Annot *dst, const Annot *src)
{
	if (src->all)
		dst->all = true;
	if (dst->all || src->seen == NULL)
		return;
	for (int i = 0; i < src->n; i++)
		if (src->seen[i])
			annot_mark(dst, i);
}

/* Name of a JSON type, for messages. */
static const char *
type_name(const JbRef *v)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};

	if (v->type == JB_NUMBER && pl_numeric_is_integral(v->num))
		return "integer";
	return names[v->type];
}

/* The type names in bits, for messages ("string or null"). */
static char *
type_bits_names(uint8 bits)
{
	static const char *const names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
	StringInfoData buf;

	initStringInfo(&buf);
	if (bits & PL_T_NUMBER)
		bits &= ~PL_T_INTEGER;
	for (int k = 0; k < (int) lengthof(names); k++)
		if (bits & (1 << k))
			appendStringInfo(&buf, "%s%s", buf.len ? " or " : "", names[k]);
	return buf.data;
}

/*
 * Is n an integer?  Read inline from a short-header Numeric (stored digits
 * carry no trailing zeros, so it is one when no digit lies past the point);
 * other forms go to numbers.c.
 */
static inline bool
numeric_is_integral(Numeric n)
{
	uint16		header = *(const uint16 *) VARDATA(n);
	int			ndigits = (VARSIZE(n) - VARHDRSZ - sizeof(uint16)) / sizeof(int16);
	int			weight = (header & 0x0040) ? (int) (header | ~0x003F) : (int) (header & 0x003F);

	if ((header & 0xC000) != 0x8000)
		return pl_numeric_is_integral(n);
	return ndigits == 0 || weight >= ndigits - 1;
}

/* Does v have one of the types in bits? */
static inline bool
type_ok(uint8 bits, const JbRef *v)
{
	switch (v->type)
	{
		case JB_NULL:
			return bits & PL_T_NULL;
		case JB_BOOL:
			return bits & PL_T_BOOLEAN;
		case JB_STRING:
			return bits & PL_T_STRING;
		case JB_ARRAY:
			return bits & PL_T_ARRAY;
		case JB_OBJECT:
			return bits & PL_T_OBJECT;
		case JB_NUMBER:
			return (bits & PL_T_NUMBER) ||
				((bits & PL_T_INTEGER) && numeric_is_integral(v->num));
	}
	return false;
}

/* Is the string str (len bytes) one of s's enum values?  Compared here, the usual members. */
static inline bool
enum_has_string(const SchemaNode *s, const char *str, int len)
{
	for (int i = 0; i < s->nenum; i++)
	{
		const JNode *e = s->enum_values[i];

		if (e->type == JB_STRING && e->len == len &&
			(len == 0 || (e->str[0] == str[0] && pl_bytes_equal(e->str, str, len))))
			return true;
	}
	return false;
}

/* Is v one of s's enum values? */
static inline bool
enum_has(const SchemaNode *s, const JbRef *v)
{
	if (v->type == JB_STRING)
		return enum_has_string(s, v->str, v->len);
	for (int i = 0; i < s->nenum; i++)
		if (jnode_equals(s->enum_values[i], v))
			return true;
	return false;
}

/* enum and const. */
static bool
v_enum_const(VCtx *cx, const SchemaNode *s, const JbRef *v)
{
	bool		ok = true;

	if ((s->has & PL_HAS_ENUM) && !enum_has(s, v))
		ok = fail(cx, "enum", "value is not one of the allowed values");
	if ((s->has & PL_HAS_CONST) && !jnode_equals(s->const_value, v) && (ok || cx->errs))
		ok = fail(cx, "const", "value does not equal the constant");
	return ok;
}

/* An instance number's integer part and sign, read once for all its bounds. */
typedef struct IntPart
{
	bool		valid;			/* a short-header Numeric under 10^16 */
	bool		negative;
	bool		fraction;		/* digits remain past the point */
	int64		ip;				/* signed integer part (truncated toward zero) */
} IntPart;

/*
 * Read n's integer part from its stored digits (the layout numbers.c also
 * reads) when n is a short-header Numeric under 10^16, jsonb's usual numbers.
 */
static inline void
int_part(Numeric n, IntPart *x)
{
	uint16		header = *(const uint16 *) VARDATA(n);
	const int16 *digits = (const int16 *) (VARDATA(n) + sizeof(uint16));
	int			ndigits = (VARSIZE(n) - VARHDRSZ - sizeof(uint16)) / sizeof(int16);
	int			weight = (header & 0x0040) ? (int) (header | ~0x003F) : (int) (header & 0x003F);

	x->valid = (header & 0xC000) == 0x8000 && weight <= 3;
	x->ip = 0;
	for (int i = 0; x->valid && i <= weight; i++)
		x->ip = x->ip * 10000 + (i < ndigits ? digits[i] : 0);
	x->fraction = ndigits > weight + 1;
	x->negative = (header & 0x2000) != 0;
	if (x->negative)
		x->ip = -x->ip;
}

/*
 * Compare instance number n (integer part x) with a bound: on the integer
 * part when the bound is an int64, else in numbers.c.
 */
static inline int
bound_cmp(Numeric n, const IntPart *x, const PlNumber *bound)
{
	if (!x->valid || !bound->is_int64)
		return pl_number_cmp(n, bound);
	if (x->ip != bound->i64)
		return (x->ip < bound->i64) ? -1 : 1;
	return x->fraction ? (x->negative ? -1 : 1) : 0;
}

/* minimum, maximum, exclusive bounds, multipleOf. */
static bool
v_number(VCtx *cx, const SchemaNode *s, const JbRef *v)
{
	bool		ok = true;
	IntPart		x;

	int_part(v->num, &x);

	if (s->minimum && bound_cmp(v->num, &x, s->minimum) < 0)
		ok = fail(cx, "minimum", "%s is less than the minimum of %s",
				  pl_number_text(v->num), pl_number_text(s->minimum->num));
	if ((ok || cx->errs) && s->maximum && bound_cmp(v->num, &x, s->maximum) > 0)
		ok = fail(cx, "maximum", "%s is greater than the maximum of %s",
				  pl_number_text(v->num), pl_number_text(s->maximum->num));
	if ((ok || cx->errs) && s->exclusive_minimum && bound_cmp(v->num, &x, s->exclusive_minimum) <= 0)
		ok = fail(cx, s->draft <= PL_DRAFT4 ? "minimum" : "exclusiveMinimum",
				  "%s is not greater than %s", pl_number_text(v->num), pl_number_text(s->exclusive_minimum->num));
	if ((ok || cx->errs) && s->exclusive_maximum && bound_cmp(v->num, &x, s->exclusive_maximum) >= 0)
		ok = fail(cx, s->draft <= PL_DRAFT4 ? "maximum" : "exclusiveMaximum",
				  "%s is not less than %s", pl_number_text(v->num), pl_number_text(s->exclusive_maximum->num));
	if ((ok || cx->errs) && s->multiple_of && !pl_number_is_multiple(v->num, s->multiple_of))
		ok = fail(cx, "multipleOf", "%s is not a multiple of %s",
				  pl_number_text(v->num), pl_number_text(s->multiple_of->num));
	return ok;
}

/* Number of code points (not bytes) in UTF-8 s: the bytes that do not continue a character. */
static int64
utf8_code_points(const char *s, int len)
{
	int64		n = 0;

	for (int i = 0; i < len; i++)
		n += ((unsigned char) s[i] & 0xC0) != 0x80;
	return n;
}

/* Is the string valid content for draft-07's contentEncoding/contentMediaType? */
static bool
content_ok(const SchemaNode *s, const JbRef *v)
{
	char	   *text = (char *) v->str;
	int			len = v->len;
	JsonLexContext *lex;

	if (s->content_base64)
	{
		text = palloc(pg_b64_dec_len(len) + 1);
		len = pl_b64_decode(v->str, v->len, text, pg_b64_dec_len(v->len));
		if (len < 0)
			return false;
	}
	if (!s->content_json)
		return true;
	lex = pl_json_lexer(text, len);
	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

/* minLength, maxLength, pattern, format. */
static bool
v_string(VCtx *cx, const SchemaNode *s, const JbRef *v)
{
	bool		ok = true;
	int64		chars = -1;

	/*
	 * a string has at most as many characters as bytes, and at least a
	 * quarter as many: count them only when the byte length leaves it open
	 */
	if (s->min_length >= 0 && v->len / 4 < s->min_length &&
		(v->len < s->min_length || (chars = utf8_code_points(v->str, v->len)) < s->min_length))
		ok = fail(cx, "minLength", "string is shorter than %lld characters",
				  (long long) s->min_length);
	if ((ok || cx->errs) && s->max_length >= 0 && v->len > s->max_length &&
		(chars >= 0 ? chars : utf8_code_points(v->str, v->len)) > s->max_length)
		ok = fail(cx, "maxLength", "string is longer than %lld characters",
				  (long long) s->max_length);
	if ((ok || cx->errs) && s->pattern && !pl_regex_match(s->pattern, v->str, v->len))
		ok = fail(cx, "pattern", "string does not match pattern \"%.*s%s\"",
				  pg_mbcliplen(s->pattern->source, strlen(s->pattern->source), 64),
				  s->pattern->source, strlen(s->pattern->source) > 64 ? "..." : "");
	if ((ok || cx->errs) && s->format_assert && s->format != PL_FORMAT_UNKNOWN &&
		!(s->custom_format ? pl_custom_format_check(s->custom_format, v->str, v->len) :
		  pl_format_check(s->format, v->str, v->len)))
		ok = fail(cx, "format", "string is not a valid %s", s->format_name);
	if ((ok || cx->errs) && (s->content_base64 || s->content_json) && !content_ok(s, v))
		ok = fail(cx, s->content_json ? "contentMediaType" : "contentEncoding",
				  "string is not valid %s content", s->content_json ? "application/json" : "base64");
	return ok;
}

/* An array element with its hash, for sorting by hash. */
typedef struct HashedElem
{
	uint32		hash;
	int			index;
	JbRef		value;
} HashedElem;

/* qsort comparator: by hash, then by position. */
static int
hashed_elem_cmp(const void *a, const void *b)
{
	const HashedElem *x = a;
	const HashedElem *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index - y->index;
}

/*
 * Are the elements of array v pairwise distinct?  Sorting by a hash that is
 * consistent with JSON equality makes this O(n log n): only elements with
 * equal hashes are compared.
 */
static bool
array_unique(const JbRef *v, int *dup_a, int *dup_b)
{
	int			n = jb_size(v);
	HashedElem *elems;
	JbIter		it;
	int			i = 0;

	if (n < 2)
		return true;
	elems = palloc(sizeof(HashedElem) * n);
	jb_iter_init(&it, v->cont, 0);
	while (jb_iter_next(&it, &elems[i].value))
	{
		CHECK_FOR_INTERRUPTS();
		elems[i].hash = jbref_hash(&elems[i].value);
		elems[i].index = i;
		i++;
	}
	qsort(elems, n, sizeof(HashedElem), hashed_elem_cmp);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = i + 1; j < n && elems[j].hash == elems[i].hash; j++)
			if (jbref_equals(&elems[i].value, &elems[j].value))
			{
				*dup_a = Min(elems[i].index, elems[j].index);
				*dup_b = Max(elems[i].index, elems[j].index);
				return false;
			}
	}
	pfree(elems);
	return true;
}

/* contains, minContains, maxContains; matching items are evaluated. */
static bool
v_contains(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	JbIter		it;
	JbRef		elem;
	int64		matches = 0;
	int			i = 0;

	jb_iter_init(&it, v->cont, 0);
	while (jb_iter_next(&it, &elem))
	{
		if (v_silent(cx, s->contains, &elem, NULL))
		{
			matches++;
			if (an)
				annot_mark(an, i);
			else if (s->max_contains < 0 && matches >= s->min_contains)
				break;
		}
		i++;
	}
	if (matches < s->min_contains)
		return fail(cx, s->min_contains == 1 ? "contains" : "minContains",
					"array contains %lld matching items, fewer than %lld",
					(long long) matches, (long long) s->min_contains);
	if (s->max_contains >= 0 && matches > s->max_contains)
		return fail(cx, "maxContains", "array contains %lld matching items, more than %lld",
					(long long) matches, (long long) s->max_contains);
	return true;
}

/* Does the child with JEntry e, data at base + off, have one of the types in bits? */
static inline bool
entry_type_ok(uint8 bits, JEntry e, const char *base, uint32 off)
{
	switch (e & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			return bits & PL_T_STRING;
		case JENTRY_ISNUMERIC:
			return (bits & PL_T_NUMBER) ||
				((bits & PL_T_INTEGER) && numeric_is_integral((Numeric) (base + INTALIGN(off))));
		case JENTRY_ISBOOL_TRUE:
		case JENTRY_ISBOOL_FALSE:
			return bits & PL_T_BOOLEAN;
		case JENTRY_ISNULL:
			return bits & PL_T_NULL;
		default:
			return bits & (JsonContainerIsObject((JsonbContainer *) (base + INTALIGN(off))) ?
						   PL_T_OBJECT : PL_T_ARRAY);
	}
}

static bool fast_children(const SchemaNode *sub, JsonbContainer *c, int first, int end);

/*
 * Is the child with JEntry e (data at base + off) an integral number that
 * sub's "integer" passes?  Read in place: arrays of ids, without a call.
 */
static inline bool
entry_integral(const SchemaNode *sub, JEntry e, const char *base, uint32 off)
{
	return (e & JENTRY_TYPEMASK) == JENTRY_ISNUMERIC && (sub->types & PL_T_INTEGER) &&
		numeric_is_integral((Numeric) (base + INTALIGN(off)));
}
static bool fast_child(const SchemaNode *sub, JEntry e, const char *base, uint32 off);

/* Start of the children's data in container c. */
static inline const char *
children_data(JsonbContainer *c)
{
	return (const char *) &c->children[JsonContainerIsObject(c) ? 2 * JsonContainerSize(c) : JsonContainerSize(c)];
}

/*
 * Do the n elements of array c pass sub, a PL_FAST_TYPE schema?  Most pass
 * on their JEntry's kind alone; from the first that does not, data offsets
 * are kept.
 */
static inline bool
fast_elements(const SchemaNode *sub, JsonbContainer *c, int n)
{
	for (int i = 0; i < n; i++)
		if (!(sub->accept & PL_JENTRY_BIT(c->children[i])))
			return fast_children(sub, c, i, n);
	return true;
}

/*
 * Does a child that "type" did not pass outright (sub->accept), with JEntry
 * e and data at base + off, pass sub?  Exact: v_node's verdict.
 */
static bool
fast_child(const SchemaNode *sub, JEntry e, const char *base, uint32 off)
{
	JsonbContainer *c;
	int			n;

	if (!JBE_ISCONTAINER(e))
		return sub->types == 0 || entry_type_ok(sub->types, e, base, off);
	c = (JsonbContainer *) (base + INTALIGN(off));
	if (JsonContainerIsObject(c))
		return sub->types == 0 || (sub->types & PL_T_OBJECT);
	if (sub->types && !(sub->types & PL_T_ARRAY))
		return false;
	if (sub->fast == PL_FAST_TYPE)
		return true;
	n = JsonContainerSize(c);
	if ((sub->min_items >= 0 && n < sub->min_items) || (sub->max_items >= 0 && n > sub->max_items))
		return false;
	if (sub->items == NULL || sub->items->constant == 1)
		return true;
	if (sub->items->fast == PL_FAST_TYPE)
		return fast_elements(sub->items, c, n);
	return fast_children(sub->items, c, 0, n);
}

/*
 * Are the kinds of the n elements of array t all among the bits of accept?
 * With one accepted kind (want: its JEntry type bits), by XOR: pairs, the
 * GeoJSON case, in a few instructions.
 */
static inline bool
tuple_kinds_ok(const JsonbContainer *t, int n, uint32 accept, int64 want)
{
	uint32		kinds = 0;
	uint32		diff = 0;

	if (want >= 0 && n == 2)
		return (((t->children[0] ^ (uint32) want) | (t->children[1] ^ (uint32) want)) & JENTRY_TYPEMASK) == 0;
	if (want >= 0)
	{
		for (int i = 0; i < n; i++)
			diff |= t->children[i] ^ (uint32) want;
		return (diff & JENTRY_TYPEMASK) == 0;
	}
	for (int i = 0; i < n; i++)
		kinds |= PL_JENTRY_BIT(t->children[i]);
	return (kinds & ~accept) == 0;
}

/*
 * From child i of array c on (its data at base + *off), past the pairs whose
 * two elements are both of the kind want (JEntry type bits): GeoJSON
 * positions, by their headers and JEntries alone, in a loop of their own.
 * Returns the first child that is not one (or end), *off its data offset.
 */
static inline int
skip_pairs(const JsonbContainer *c, const char *base, int i, int end, uint32 *off, uint32 want)
{
	const uint64 mask = (uint64) JENTRY_TYPEMASK << 32 | JENTRY_TYPEMASK;
	const uint64 kinds = (uint64) want << 32 | want;
	uint32		o = *off;

	for (; i < end; i++)
	{
		JEntry		e = c->children[i];
		const JsonbContainer *t = (const JsonbContainer *) (base + INTALIGN(o));
		uint64		pair;

		if (!JBE_ISCONTAINER(e) || t->header != (JB_FARRAY | 2))
			break;
		memcpy(&pair, t->children, sizeof(pair));
		if ((pair ^ kinds) & mask)
			break;
		o = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : o + JBE_OFFLENFLD(e);
	}
	*off = o;
	return i;
}

/*
 * Children first..end-1 of c against sub, a PL_FAST_ARRAY schema whose items
 * pass by kind (item_accept): arrays within the item counts whose elements
 * are all of accepted kinds (GeoJSON positions, matrix rows) pass without a
 * call; anything else goes to fast_child.
 */
static bool
fast_tuples(const SchemaNode *sub, uint32 item_accept, JsonbContainer *c, int first, int end)
{
	const char *base = children_data(c);
	uint32		off = first > 0 ? getJsonbOffset(c, first) : 0;
	int64		lo = sub->min_items;
	uint64		hi = (uint64) sub->max_items;	/* -1 (absent): no bound */
	int64		want = (item_accept & (item_accept - 1)) == 0 ?
		(int64) pg_rightmost_one_pos32(item_accept) << 28 : -1;

	for (int i = first; i < end; i++)
	{
		JEntry		e;
		uint32		next;
		const JsonbContainer *t;
		int			n;

		if (want >= 0 && lo <= 2 && hi >= 2 && (i = skip_pairs(c, base, i, end, &off, (uint32) want)) == end)
			break;
		e = c->children[i];
		next = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : off + JBE_OFFLENFLD(e);
		t = (const JsonbContainer *) (base + INTALIGN(off));
		if (JBE_ISCONTAINER(e) && (t->header & (JB_FARRAY | JB_FSCALAR)) == JB_FARRAY &&
			(n = t->header & JB_CMASK) >= lo && (uint64) n <= hi && tuple_kinds_ok(t, n, item_accept, want))
		{
			off = next;
			continue;
		}
		if (!(sub->accept & PL_JENTRY_BIT(e)) && !fast_child(sub, e, base, off))
			return false;
		off = next;
	}
	return true;
}

/*
 * Do children first..end-1 of container c pass sub (a PL_FAST_* schema)?
 * One pass over the JEntries, keeping the running data offset.
 */
static bool
fast_children(const SchemaNode *sub, JsonbContainer *c, int first, int end)
{
	const char *base = children_data(c);
	uint32		off = first > 0 ? getJsonbOffset(c, first) : 0;
	uint32		item_accept = 0;

	CHECK_FOR_INTERRUPTS();
	if (sub->fast == PL_FAST_ARRAY && (sub->types == 0 || (sub->types & PL_T_ARRAY)))
		item_accept = sub->items == NULL || sub->items->constant == 1 ? 0xFF :
			sub->items->fast == PL_FAST_TYPE ? sub->items->accept : 0;
	if (item_accept)
		return fast_tuples(sub, item_accept, c, first, end);
	for (int i = first; i < end; i++)
	{
		JEntry		e = c->children[i];

		if (!(sub->accept & PL_JENTRY_BIT(e)) && !entry_integral(sub, e, base, off) &&
			!fast_child(sub, e, base, off))
			return false;
		off = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : off + JBE_OFFLENFLD(e);
	}
	return true;
}

/*
 * Yes/no: does scalar v pass s, a schema without applicators, scope or
 * annotations (s->scalar_leaf)?  Only its generic and scalar keywords apply.
 */
static bool
v_leaf(VCtx *cx, const SchemaNode *s, const JbRef *v)
{
	if (s->types && !type_ok(s->types, v))
		return false;
	if ((s->has & (PL_HAS_ENUM | PL_HAS_CONST)) && !v_enum_const(cx, s, v))
		return false;
	if (v->type == JB_NUMBER && (s->has & PL_HAS_NUMBER_KW))
		return v_number(cx, s, v);
	if (v->type == JB_STRING && (s->has & PL_HAS_STRING_KW))
		return v_string(cx, s, v);
	return true;
}

static bool v_items_quick(VCtx *cx, const SchemaNode *sub, JsonbContainer *c);
static int	v_properties_quick(VCtx *cx, const SchemaNode *s, JsonbContainer *c);

/*
 * Bytes the stack may grow by between the yes/no walk's stack checks: well
 * within the slop PostgreSQL keeps between max_stack_depth and the real
 * limit.
 */
#define WALK_STACK_STEP		(32 * 1024)

/*
 * check_stack_depth() for the yes/no walk's containers, once the stack has
 * moved WALK_STACK_STEP bytes from where it last passed: a container a
 * level costs a comparison, and the walk still stops near max_stack_depth.
 */
static inline void
walk_stack_check(VCtx *cx)
{
	uintptr_t	here = (uintptr_t) __builtin_frame_address(0);

	if (unlikely(here - cx->stack_mark + WALK_STACK_STEP > 2 * WALK_STACK_STEP))
	{
		check_stack_depth();
		cx->stack_mark = here;
	}
}

/*
 * Yes/no: does container c, of the kind sub->walk names, pass sub (a
 * PL_WALK_OBJECT or PL_WALK_ARRAY schema)?  v_node's verdict, without its
 * generic dispatch: the shape leaves only these keywords.  Interrupts are
 * checked per key or element.
 */
static pg_noinline bool
v_walk_container(VCtx *cx, const SchemaNode *sub, JsonbContainer *c)
{
	int			n = JsonContainerSize(c);

	walk_stack_check(cx);
	if (sub->walk == PL_WALK_OBJECT)
		return v_properties_quick(cx, sub, c) >= sub->nrequired;
	if ((sub->min_items >= 0 && n < sub->min_items) || (sub->max_items >= 0 && n > sub->max_items))
		return false;
	return v_items_quick(cx, sub->items, c);
}

/*
 * v_slot past its shapes: a scalar under a leaf schema goes to v_leaf, the
 * rest to v_node.  Out of line, so that the shapes need no JbRef.
 */
static pg_noinline bool
v_slot_value(VCtx *cx, const SchemaNode *sub, JEntry e, const char *base, uint32 off, uint32 len)
{
	JbRef		val;

	jb_fill(e, base, off, len, &val);
	if (sub->scalar_leaf && !JBE_ISCONTAINER(e))
		return v_leaf(cx, sub, &val);
	return v_node(cx, sub, &val, NULL);
}

/*
 * Yes/no: does the child with JEntry e (len bytes at base + off) pass sub
 * (past its $ref-only hops: pl_walk_target)?  A PL_FAST_* sub is decided
 * from the JEntry, a string under a PL_WALK_PATTERN or PL_WALK_ENUM sub by
 * its pattern (its accepting run first, in place) or enum, a container of a PL_WALK_OBJECT or PL_WALK_ARRAY
 * sub's kind walked directly; others go to v_slot_value.
 */
static inline bool
v_slot(VCtx *cx, const SchemaNode *sub, JEntry e, const char *base, uint32 off, uint32 len)
{
	if (sub->fast)
		return (sub->accept & PL_JENTRY_BIT(e)) || fast_child(sub, e, base, off);
	/* "pattern" and "type" only: a string is matched in place, the rest typed */
	if (sub->walk == PL_WALK_PATTERN)
		return (e & JENTRY_TYPEMASK) != JENTRY_ISSTRING ?
			sub->types == 0 || entry_type_ok(sub->types, e, base, off) :
			(sub->accept & PL_JENTRY_BIT(e)) &&
			((sub->pattern_run && nfa_run_accepts(base + off, len, sub->pattern_run)) ||
			 pl_regex_match(sub->pattern, base + off, len));
	/* "enum" and "type" only: a string is looked up in place */
	if (sub->walk == PL_WALK_ENUM && (e & JENTRY_TYPEMASK) == JENTRY_ISSTRING)
		return (sub->accept & PL_JENTRY_BIT(e)) && enum_has_string(sub, base + off, len);
	if ((sub->walk == PL_WALK_OBJECT || sub->walk == PL_WALK_ARRAY) && JBE_ISCONTAINER(e))
	{
		JsonbContainer *c = (JsonbContainer *) (base + INTALIGN(off));

		if ((sub->walk == PL_WALK_OBJECT) == (JsonContainerIsObject(c) != 0))
			return v_walk_container(cx, sub, c);
	}
	return v_slot_value(cx, sub, e, base, off, len);
}

/* Yes/no, no annotations: does every element of array container c pass sub? */
static bool
v_items_quick(VCtx *cx, const SchemaNode *sub, JsonbContainer *c)
{
	int			n = JsonContainerSize(c);
	const char *base = (const char *) &c->children[n];
	uint32		off = 0;

	sub = pl_walk_target(sub, cx->dynamic);
	if (sub->constant == 1)
		return true;
	for (int i = 0; i < n; i++)
	{
		JEntry		e = c->children[i];
		uint32		end = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : off + JBE_OFFLENFLD(e);

		CHECK_FOR_INTERRUPTS();
		if (!v_slot(cx, sub, e, base, off, end - off))
			return false;
		off = end;
	}
	return true;
}

/* prefixItems / items (and the older array form with additionalItems). */
static bool
v_items(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	const char *prefix_kw = s->draft >= PL_DRAFT2020 ? "prefixItems" : "items";
	const char *rest_kw = (s->draft < PL_DRAFT2020 && s->prefix_items.n) ? "additionalItems" : "items";
	JbIter		it;
	JbRef		elem;
	bool		ok = true;
	int			i = 0;

	/* one items schema of a JEntry-decidable shape: a tight loop (then report) */
	if (an == NULL && s->prefix_items.n == 0 && s->items->fast &&
		fast_children(s->items, v->cont, 0, jb_size(v)))
		return true;
	if (an == NULL && s->prefix_items.n == 0 && s->items->fast && !cx->errs)
		return false;
	if (an == NULL && s->prefix_items.n == 0 && !cx->errs)
		return v_items_quick(cx, s->items, v->cont);
	jb_iter_init(&it, v->cont, 0);
	while (jb_iter_next(&it, &elem))
	{
		const SchemaNode *sub = i < s->prefix_items.n ? s->prefix_items.items[i] : s->items;
		int			save;

		if (sub == NULL)
			break;
		CHECK_FOR_INTERRUPTS();
		save = push_inst_index(cx, i);
		if (sub->constant == 0 && sub == s->items)
			ok = fail(cx, rest_kw, "array has more than %d items", s->prefix_items.n);
		else if (!v_child(cx, sub, i < s->prefix_items.n ? prefix_kw : rest_kw,
						  i < s->prefix_items.n ? i : -1, &elem, NULL))
			ok = false;
		pop_path(&cx->inst, save);
		if (!ok && !cx->errs)
			return false;
		if (an)
			annot_mark(an, i);
		i++;
	}
	return ok;
}

/* Array keywords. */
static bool
v_array(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	int			n = jb_size(v);
	int			a,
				b;
	bool		ok = true;

	if (s->min_items >= 0 && n < s->min_items)
		ok = fail(cx, "minItems", "array has fewer than %lld items", (long long) s->min_items);
	if ((ok || cx->errs) && s->max_items >= 0 && n > s->max_items)
		ok = fail(cx, "maxItems", "array has more than %lld items", (long long) s->max_items);
	if ((ok || cx->errs) && s->unique_items && !array_unique(v, &a, &b))
		ok = fail(cx, "uniqueItems", "items %d and %d are equal", a, b);
	if ((ok || cx->errs) && (s->prefix_items.n || s->items) && !v_items(cx, s, v, an))
		ok = false;
	if ((ok || cx->errs) && s->contains && !v_contains(cx, s, v, an))
		ok = false;
	return ok;
}

/* Is the key (len bytes) present in object container c? */
static inline bool
object_has_key(JsonbContainer *c, const char *key, int len)
{
	JsonbValue	res;

	return getKeyJsonValueFromContainer(c, key, len, &res) != NULL;
}

/*
 * required: the names are sorted like jsonb keys at compile time, so one
 * merge pass over the object's keys finds every missing one.
 */
static bool
v_required_names(VCtx *cx, const SchemaNode *s, const JbRef *v)
{
	JbIter		keys;
	JbRef		key = {0};
	int			n = jb_size(v);
	int			r = 0;
	bool		ok = true;

	jb_iter_init(&keys, v->cont, 0);
	while (r < s->nrequired && keys.i < n && jb_iter_next_key(&keys, &key))
	{
		int			cmp = -1;

		while (r < s->nrequired &&
			   (cmp = pl_key_cmp(s->required[r]->str, s->required[r]->len, key.str, key.len)) < 0)
		{
			ok = fail(cx, "required", "required property \"%s\" is missing", s->required[r]->str);
			if (!cx->errs)
				return false;
			r++;
		}
		if (cmp == 0)
			r++;
	}
	for (; r < s->nrequired && (ok || cx->errs); r++)
		ok = fail(cx, "required", "required property \"%s\" is missing", s->required[r]->str);
	return ok;
}

/* required (unless names is false), and dependentRequired / array-form dependencies. */
static bool
v_required(VCtx *cx, const SchemaNode *s, const JbRef *v, bool names)
{
	bool		ok = !names || s->nrequired == 0 || v_required_names(cx, s, v);

	for (int i = 0; i < s->ndepreq && (ok || cx->errs); i++)
	{
		const PlDependency *d = &s->depreq[i];

		if (!object_has_key(v->cont, d->key, d->keylen))
			continue;
		for (int j = 0; j < d->nnames && (ok || cx->errs); j++)
			if (!object_has_key(v->cont, d->names[j]->str, d->names[j]->len))
				ok = fail(cx, s->draft >= PL_DRAFT2019 ? "dependentRequired" : "dependencies",
						  "property \"%s\" is required when \"%s\" is present",
						  d->names[j]->str, d->key);
	}
	return ok;
}

/* Where a child's data lies: its JEntry, and base + off. */
typedef struct JbSlot
{
	JEntry		e;
	const char *base;
	uint32		off;
} JbSlot;

/* Does the child in slot pass sub by its JEntry alone (a PL_FAST_* sub)?  False: not known to. */
static inline bool
fast_slot_ok(const SchemaNode *sub, const JbSlot *slot)
{
	return sub->fast &&
		((sub->accept & PL_JENTRY_BIT(slot->e)) || fast_child(sub, slot->e, slot->base, slot->off));
}

/* Check one property against properties, patternProperties, additionalProperties. */
static bool
v_property(VCtx *cx, const SchemaNode *s, const PlNamedSchema *prop,
		   const JbRef *key, const JbRef *val, const JbSlot *slot, bool *evaluated)
{
	bool		ok = true;

	*evaluated = prop != NULL;
	if (prop && !fast_slot_ok(prop->schema, slot) &&
		!v_child_key(cx, prop->schema, "properties", prop->key, val, NULL))
	{
		ok = false;
		if (!cx->errs)
			return false;
	}
	for (int p = 0; p < s->npatterns; p++)
	{
		if (!pl_regex_match(&s->patterns[p].re, key->str, key->len))
			continue;
		*evaluated = true;
		if (!v_child_key(cx, s->patterns[p].schema, "patternProperties",
						 s->patterns[p].re.source, val, NULL))
		{
			ok = false;
			if (!cx->errs)
				return false;
		}
	}
	if (*evaluated || s->additional == NULL)
		return ok;
	*evaluated = true;
	if (s->additional->constant == 0)
		return fail(cx, "additionalProperties", "property \"%.*s\" is not allowed",
					key->len, key->str);
	if (fast_slot_ok(s->additional, slot))
		return ok;
	return v_child(cx, s->additional, "additionalProperties", -1, val, NULL) && ok;
}

/*
 * The "properties" entry named key (len bytes), through the index by length,
 * from entry *from on (keys come in the entries' order: a match lies past
 * the last one).
 */
static inline const PlNamedSchema *
prop_lookup(const SchemaNode *s, const char *key, uint32 len, int *from)
{
	if (len > (uint32) s->props_maxlen)
		return NULL;
	for (int p = Max(*from, s->props_by_len[len]); p < s->props_by_len[len + 1]; p++)
		if (pl_bytes_equal(s->props[p].key, key, len))
		{
			*from = p + 1;
			return &s->props[p];
		}
	return NULL;
}

/* Keys the yes/no key walk takes between interrupt checks (a power of 2) */
#define KEYS_PER_CHECK	16

/*
 * Yes/no, no annotations, no patternProperties or propertyNames: the merge
 * of the object's keys with "properties" over the JEntries directly, values
 * read only where their schema needs more than their JEntry.  Returns how
 * many keys are required properties, or -1 if a value fails.
 */
static int
v_properties_quick(VCtx *cx, const SchemaNode *s, JsonbContainer *c)
{
	int			n = JsonContainerSize(c);
	const char *base = (const char *) &c->children[2 * n];
	uint32		koff = 0;
	uint32		voff = jb_offset(c, n);
	int			p = 0;
	const SchemaNode *additional = s->additional ? pl_walk_target(s->additional, cx->dynamic) : NULL;
	int			nrequired = 0;

	for (int i = 0; i < n; i++)
	{
		JEntry		ke = c->children[i];
		JEntry		ve = c->children[n + i];
		uint32		kend = JBE_HAS_OFF(ke) ? JBE_OFFLENFLD(ke) : koff + JBE_OFFLENFLD(ke);
		uint32		vend = JBE_HAS_OFF(ve) ? JBE_OFFLENFLD(ve) : voff + JBE_OFFLENFLD(ve);
		const SchemaNode *sub = additional;
		const PlNamedSchema *prop = NULL;
		int			cmp = -1;

		if ((i & (KEYS_PER_CHECK - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		if (s->props_by_len)
			prop = prop_lookup(s, base + koff, kend - koff, &p);
		else
		{
			while (p < s->nprops &&
				   (cmp = pl_key_cmp(s->props[p].key, s->props[p].keylen, base + koff, kend - koff)) < 0)
				p++;
			if (p < s->nprops && cmp == 0)
				prop = &s->props[p];
		}
		if (prop)
		{
			sub = prop->walk_to;
			nrequired += prop->required;
		}
		if (sub && !v_slot(cx, sub, ve, base, voff, vend - voff))
			return -1;
		koff = kend;
		voff = vend;
	}
	return nrequired;
}

/*
 * The per-property keywords, walking the object's keys (in jsonb order) and
 * the schema's "properties" (sorted the same way) together, like a merge.
 * *nrequired counts the keys found that are required properties.
 */
static bool
v_properties(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an, int *nrequired)
{
	JbIter		keys;
	JbIter		vals;
	JbRef		key = {0};
	JbRef		val;
	int			p = 0;
	int			i = 0;
	bool		ok = true;

	if (cx->errs == NULL && an == NULL && s->npatterns == 0 && s->property_names == NULL)
		return (*nrequired = v_properties_quick(cx, s, v->cont)) >= 0;
	jb_iter_init(&keys, v->cont, 0);
	jb_iter_init(&vals, v->cont, jb_size(v));
	*nrequired = 0;
	while (jb_iter_next_key(&keys, &key))
	{
		const PlNamedSchema *prop = NULL;
		JbSlot		slot = {v->cont->children[vals.i], vals.base, vals.offset};
		bool		evaluated;
		int			save;
		int			cmp = -1;

		jb_iter_next(&vals, &val);
		CHECK_FOR_INTERRUPTS();
		while (p < s->nprops &&
			   (cmp = pl_key_cmp(s->props[p].key, s->props[p].keylen, key.str, key.len)) < 0)
			p++;
		if (p < s->nprops && cmp == 0)
		{
			prop = &s->props[p];
			*nrequired += prop->required;
		}
		save = push_inst(cx, key.str, key.len);
		if (!v_property(cx, s, prop, &key, &val, &slot, &evaluated))
			ok = false;
		pop_path(&cx->inst, save);
		/* a property name is not a location: its failures are the object's */
		if ((ok || cx->errs) && s->property_names &&
			!v_child(cx, s->property_names, "propertyNames", -1, &key, NULL))
			ok = false;
		if (!ok && !cx->errs)
			return false;
		if (an && evaluated)
			annot_mark(an, i);
		i++;
	}
	return ok;
}

/* dependentSchemas / schema-form dependencies: in place when the key is present. */
static bool
v_dependent_schemas(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = true;

	for (int i = 0; i < s->ndepschemas && (ok || cx->errs); i++)
	{
		const PlNamedSchema *d = &s->depschemas[i];

		if (object_has_key(v->cont, d->key, d->keylen) &&
			!v_child_key(cx, d->schema, s->draft >= PL_DRAFT2019 ? "dependentSchemas" : "dependencies",
						 d->key, v, an))
			ok = false;
	}
	return ok;
}

/* Object keywords. */
static bool
v_object(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	int			n = jb_size(v);
	bool		ok = true;
	/* yes/no: required names that are all properties are counted in passing */
	bool		fold = cx->errs == NULL && s->required_in_props;
	int			found = 0;

	if (s->min_props >= 0 && n < s->min_props)
		ok = fail(cx, "minProperties", "object has fewer than %lld properties", (long long) s->min_props);
	if ((ok || cx->errs) && s->max_props >= 0 && n > s->max_props)
		ok = fail(cx, "maxProperties", "object has more than %lld properties", (long long) s->max_props);
	if ((ok || cx->errs) && ((s->nrequired && !fold) || s->ndepreq) && !v_required(cx, s, v, !fold))
		ok = false;
	if ((ok || cx->errs) && (s->nprops || s->npatterns || s->additional || s->property_names) &&
		!v_properties(cx, s, v, an, &found))
		ok = false;
	if (ok && fold && found < s->nrequired)
		ok = false;
	if ((ok || cx->errs) && s->ndepschemas && !v_dependent_schemas(cx, s, v, an))
		ok = false;
	return ok;
}

/* allOf: every subschema, in place. */
static bool
v_all_of(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = true;

	for (int i = 0; i < s->app->all_of.n && (ok || cx->errs); i++)
		if (!v_child(cx, s->app->all_of.items[i], "allOf", i, v, an))
			ok = false;
	return ok;
}

/* Try subschema i of list on v silently; on success merge its annotations into an. */
static bool
v_try(VCtx *cx, const SchemaNode *sub, const JbRef *v, Annot *an)
{
	Annot		local;
	bool		ok;

	if (an == NULL)
		return v_silent(cx, sub, v, NULL);
	annot_init(&local, v);
	ok = v_silent(cx, sub, v, &local);
	if (ok)
		annot_merge(an, &local);
	return ok;
}

/* Objects up to this many pairs have a key found by a scan of their keys. */
#define KEY_SCAN_MAX	64

/*
 * The index of key (len bytes) among the n keys of object container c, or
 * -1: a scan in place of the keys, sorted by length first, that stops at the
 * first longer one (no JsonbValue, no call per key).
 */
static inline int
object_key_scan(JsonbContainer *c, int n, const char *key, int len)
{
	const char *base = (const char *) &c->children[2 * n];
	uint32		off = 0;

	for (int i = 0; i < n; i++)
	{
		JEntry		e = c->children[i];
		uint32		end = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : off + JBE_OFFLENFLD(e);

		if (end - off > (uint32) len)
			return -1;
		if (end - off == (uint32) len && pl_bytes_equal(base + off, key, len))
			return i;
		off = end;
	}
	return -1;
}

/* The value of key in object container c, as a JbRef; false if absent. */
static bool
object_get(JsonbContainer *c, const char *key, int len, JbRef *out)
{
	JsonbValue	res;
	int			n = JsonContainerSize(c);

	if (n <= KEY_SCAN_MAX)
	{
		int			i = object_key_scan(c, n, key, len);

		if (i >= 0)
			jb_child_at(c, n + i, jb_offset(c, n + i), out);
		return i >= 0;
	}
	if (getKeyJsonValueFromContainer(c, key, len, &res) == NULL)
		return false;
	switch (res.type)
	{
		case jbvString:
			out->type = JB_STRING;
			out->str = res.val.string.val;
			out->len = res.val.string.len;
			break;
		case jbvNumeric:
			out->type = JB_NUMBER;
			out->num = res.val.numeric;
			break;
		case jbvBool:
			out->type = JB_BOOL;
			out->boolean = res.val.boolean;
			break;
		case jbvBinary:
			out->cont = res.val.binary.data;
			out->type = JsonContainerIsObject(out->cont) ? JB_OBJECT : JB_ARRAY;
			break;
		default:
			out->type = JB_NULL;
			break;
	}
	return true;
}

/*
 * The branches of an anyOf/oneOf to try on an instance, in branch order:
 * every branch, or on an object of a discriminated list only those whose
 * discriminator value equals the instance's (every other branch provably
 * fails).  String values are a run of the sorted table; others a filter.
 */
typedef struct BranchIter
{
	const PlSchemaList *list;
	const PlDispatchEntry *entries;	/* NULL: every branch */
	int			next;
	int			end;
	JbRef		value;			/* the instance's discriminator value */
} BranchIter;

/* Position it at the first string entry equal to x (or at the end). */
static void
branch_iter_strings(BranchIter *it, const PlDispatch *d, const JbRef *x)
{
	int			lo = 0;
	int			hi = d->nstrings;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		const JNode *m = d->strings[mid].value;

		if (pl_key_cmp(m->str, m->len, x->str, x->len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	it->entries = d->strings;
	it->next = lo;
	it->end = d->nstrings;
}

/* Start iterating over the branches of list that v may pass. */
static void
branch_iter_init(BranchIter *it, const PlSchemaList *list, const JbRef *v)
{
	const PlDispatch *d = list->dispatch;

	it->list = list;
	it->entries = NULL;
	it->next = 0;
	it->end = list->n;
	if (d == NULL || v->type != JB_OBJECT)
		return;
	it->end = 0;				/* no discriminator: no branch can pass */
	if (!object_get(v->cont, d->key, d->keylen, &it->value))
		it->entries = d->others;
	else if (it->value.type == JB_STRING)
		branch_iter_strings(it, d, &it->value);
	else
	{
		it->entries = d->others;
		it->end = d->nothers;
	}
}

/* The next branch to try, or -1. */
static int
branch_iter_next(BranchIter *it)
{
	for (; it->next < it->end; it->next++)
	{
		const PlDispatchEntry *e;

		if (it->entries == NULL)
			return it->next++;
		e = &it->entries[it->next];
		if (e->value->type == JB_STRING ?
			pl_key_cmp(e->value->str, e->value->len, it->value.str, it->value.len) == 0 :
			jnode_equals(e->value, &it->value))
		{
			it->next++;
			return e->branch;
		}
		if (e->value->type == JB_STRING)
			break;				/* past the run of equal strings */
	}
	return -1;
}

/*
 * Report the failing leaves of the branches of list (after a silent try
 * failed): of those the dispatch left, or of every branch when there is no
 * dispatch or it left none (a missing or unknown discriminator value).
 */
static void
v_report_all(VCtx *cx, const PlSchemaList *list, const char *kw, const JbRef *v)
{
	BranchIter	it;
	int			i;
	bool		any = false;

	branch_iter_init(&it, list, v);
	while ((i = branch_iter_next(&it)) >= 0)
	{
		v_child(cx, list->items[i], kw, i, v, NULL);
		any = true;
	}
	for (i = 0; !any && i < list->n; i++)
		v_child(cx, list->items[i], kw, i, v, NULL);
}

/* anyOf: at least one; with annotations wanted, every branch is tried. */
static bool
v_any_of(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = false;
	BranchIter	it;
	int			i;

	branch_iter_init(&it, &s->app->any_of, v);
	while ((i = branch_iter_next(&it)) >= 0)
	{
		if (v_try(cx, s->app->any_of.items[i], v, an))
		{
			ok = true;
			if (an == NULL)
				return true;
		}
	}
	if (!ok && cx->errs)
		v_report_all(cx, &s->app->any_of, "anyOf", v);
	return ok;
}

/* oneOf: exactly one. */
static bool
v_one_of(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	int			first = -1;
	Annot		local;
	BranchIter	it;
	int			i;

	if (an)
		annot_init(&local, v);
	branch_iter_init(&it, &s->app->one_of, v);
	while ((i = branch_iter_next(&it)) >= 0)
	{
		if (!v_try(cx, s->app->one_of.items[i], v, an ? &local : NULL))
			continue;
		if (first >= 0)
			return fail(cx, "oneOf", "value matches both subschema %d and subschema %d", first, i);
		first = i;
	}
	if (first < 0)
	{
		if (cx->errs)
			v_report_all(cx, &s->app->one_of, "oneOf", v);
		return false;
	}
	if (an)
		annot_merge(an, &local);
	return true;
}

/* if/then/else: "if" decides silently which of the others applies. */
static bool
v_conditional(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	if (v_try(cx, s->app->if_, v, an))
		return s->app->then_ == NULL || v_child(cx, s->app->then_, "then", -1, v, an);
	return s->app->else_ == NULL || v_child(cx, s->app->else_, "else", -1, v, an);
}

/* The target of $dynamicRef / $recursiveRef, looked up in the dynamic scope. */
static const SchemaNode *
dynamic_target(VCtx *cx, const SchemaNode *s)
{
	for (int i = 0; i < cx->nscope; i++)
	{
		const PlResource *r = cx->scope[i];

		if (s->app->recursive_ref && r->recursive_anchor)
			return r->root;
		for (int k = 0; s->app->dynamic_name && k < r->ndynamic; k++)
			if (strcmp(r->dynamic_names[k], s->app->dynamic_name) == 0)
				return r->dynamic_targets[k];
	}
	return s->app->dynamic_ref;
}

/*
 * In-place applicators other than "$ref" (SchemaNode.app): out of line, so
 * that the common walk, "$ref" included, keeps its registers.
 */
static pg_noinline bool
v_other_applicators(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = true;

	if (s->app->dynamic_ref &&
		!v_ref(cx, (s->app->dynamic_name || s->app->recursive_ref) ? dynamic_target(cx, s) : s->app->dynamic_ref,
			   s->app->recursive_ref || s->draft == PL_DRAFT2019 ? "$recursiveRef" : "$dynamicRef", v, an))
		ok = false;
	if ((ok || cx->errs) && s->app->all_of.n && !v_all_of(cx, s, v, an))
		ok = false;
	if ((ok || cx->errs) && s->app->any_of.n && !v_any_of(cx, s, v, an))
		ok = false;
	if ((ok || cx->errs) && s->app->one_of.n && !v_one_of(cx, s, v, an))
		ok = false;
	if ((ok || cx->errs) && s->app->not && v_silent(cx, s->app->not, v, NULL))
		ok = fail(cx, "not", "value must not match the schema");
	if ((ok || cx->errs) && s->app->if_ && !v_conditional(cx, s, v, an))
		ok = false;
	return ok;
}

/* In-place applicators. */
static bool
v_applicators(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = true;

	if (s->ref)
	{
		bool		enter = s->ref_scope && cx->dynamic;

		if (enter)
			scope_push(cx, s->ref_scope);
		ok = v_ref(cx, s->ref, "$ref", v, an);
		if (enter)
			cx->nscope--;
	}
	if ((ok || cx->errs) && s->app && !v_other_applicators(cx, s, v, an))
		ok = false;
	return ok;
}

/* unevaluatedProperties / unevaluatedItems over what an says was not evaluated. */
static bool
v_unevaluated(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	const SchemaNode *u = v->type == JB_OBJECT ? s->unevaluated_props : s->unevaluated_items;
	const char *kw = v->type == JB_OBJECT ? "unevaluatedProperties" : "unevaluatedItems";
	int			n = jb_size(v);
	bool		ok = true;

	for (int i = 0; i < n && (ok || cx->errs); i++)
	{
		JbRef		member;
		JbRef		key = {0};
		int			save;

		if (annot_has(an, i))
			continue;
		CHECK_FOR_INTERRUPTS();
		if (v->type == JB_OBJECT)
		{
			jb_child(v->cont, i, &key);
			jb_child(v->cont, i + n, &member);
			save = push_inst(cx, key.str, key.len);
		}
		else
		{
			jb_child(v->cont, i, &member);
			save = push_inst_index(cx, i);
		}
		if (u->constant == 0)
			ok = fail(cx, kw, "%s is not evaluated by any keyword and not allowed",
					  v->type == JB_OBJECT ? "property" : "item");
		else if (!v_child(cx, u, kw, -1, &member, NULL))
			ok = false;
		pop_path(&cx->inst, save);
	}
	if (ok)
		an->all = true;
	return ok;
}

/* Enter resource r in the dynamic scope. */
static void
scope_push(VCtx *cx, PlResource *r)
{
	if (cx->nscope == cx->scope_cap)
	{
		cx->scope_cap = cx->scope_cap ? cx->scope_cap * 2 : 8;
		cx->scope = cx->scope ? repalloc(cx->scope, sizeof(PlResource *) * cx->scope_cap)
			: palloc(sizeof(PlResource *) * cx->scope_cap);
	}
	cx->scope[cx->nscope++] = r;
}

/* The keywords of s on v, in order: generic, by type, applicators, unevaluated. */
static pg_attribute_always_inline bool
v_keywords(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	bool		ok = true;

	if (s->types && !type_ok(s->types, v))
	{
		ok = fail(cx, "type", "expected %s, got %s", type_bits_names(s->types), type_name(v));
		if (!cx->errs)
			return false;
	}
	if ((s->has & (PL_HAS_ENUM | PL_HAS_CONST)) && !v_enum_const(cx, s, v))
		ok = false;
	if (!ok && !cx->errs)
		return false;
	if (v->type == JB_NUMBER && (s->has & PL_HAS_NUMBER_KW))
		ok = v_number(cx, s, v) && ok;
	else if (v->type == JB_STRING && (s->has & PL_HAS_STRING_KW))
		ok = v_string(cx, s, v) && ok;
	else if (v->type == JB_ARRAY && (s->has & PL_HAS_ARRAY_KW))
		ok = v_array(cx, s, v, an) && ok;
	else if (v->type == JB_OBJECT && (s->has & PL_HAS_OBJECT_KW))
		ok = v_object(cx, s, v, an) && ok;
	if ((ok || cx->errs) && (s->has & PL_HAS_APPLICATOR))
		ok = v_applicators(cx, s, v, an) && ok;
	if ((ok || cx->errs) && s->tracks &&
		((v->type == JB_OBJECT && s->unevaluated_props) || (v->type == JB_ARRAY && s->unevaluated_items)))
		ok = v_unevaluated(cx, s, v, an) && ok;
	return ok;
}

/* Validate v against s; an, if not NULL, collects what s evaluated of v. */
static bool
v_node(VCtx *cx, const SchemaNode *s, const JbRef *v, Annot *an)
{
	Annot		local;
	bool		ok;

	if (s->constant == 1)
		return true;
	if (s->constant == 0)
		return fail(cx, NULL, "no value is allowed here");
	/*
	 * only keywords with subschemas recurse; and only they can fan out
	 * (a DAG of $refs doubles the work per level): stay cancellable
	 */
	if (s->has & (PL_HAS_ARRAY_KW | PL_HAS_OBJECT_KW | PL_HAS_APPLICATOR) || s->tracks)
	{
		check_stack_depth();
		CHECK_FOR_INTERRUPTS();
	}
	if (s->resource)
	{
		/* a resource starts a frame of absoluteKeywordLocation, when collecting them */
		if (cx->absolute && cx->errs && !abs_entered(cx, s))
			return v_located(cx, s, v, an);
		if (cx->dynamic)
			scope_push(cx, s->resource);
	}
	/* annotations of sibling keywords above do not flow into a tracking schema */
	if (s->tracks)
		annot_init(&local, v);
	ok = v_keywords(cx, s, v, s->tracks ? &local : an);
	if (s->tracks && ok && an)
		annot_merge(an, &local);
	if (s->resource && cx->dynamic)
		cx->nscope--;
	return ok;
}

/* Set up a validation context; collecting when errs is not NULL. */
static void
vctx_init(VCtx *cx, const PlSchema *schema, PlErrors *errs, const char *ptr_prefix)
{
	memset(cx, 0, sizeof(VCtx));
	cx->schema = schema;
	cx->dynamic = schema->dynamic;
	cx->errs = errs;
	cx->absolute = errs && errs->absolute;
	if (errs)
	{
		initStringInfo(&cx->kw);
		appendStringInfoString(&cx->kw, ptr_prefix);
		initStringInfo(&cx->inst);
	}
}

/* Does doc satisfy the schema?  Stops at the first failure. */
bool
pl_validate(PlSchema *schema, Jsonb *doc)
{
	VCtx		cx;
	JbRef		root;

	vctx_init(&cx, schema, NULL, "");
	jb_root(doc, &root);
	return v_node(&cx, schema->root, &root, NULL);
}

/*
 * Validate doc, appending every failing leaf to errs; keywordLocations start
 * with ptr_prefix ("/schema" in a spec).  Returns whether doc is valid.
 */
bool
pl_validate_errors(PlSchema *schema, Jsonb *doc, const char *ptr_prefix, PlErrors *errs)
{
	VCtx		cx;
	JbRef		root;
	bool		ok;

	vctx_init(&cx, schema, errs, ptr_prefix);
	jb_root(doc, &root);
	ok = v_node(&cx, schema->root, &root, NULL);
	if (!ok && errs->count == 0)
		pl_errors_add(errs, "", ptr_prefix, "value does not match the schema");
	return ok;
}
