/*-------------------------------------------------------------------------
 *
 * output.c
 *	  The output formats of pipeline.errors(): list, basic, detailed, best.
 *
 * All four are built from the violations the validator collected (its
 * failing leaves, in walk order); the validator's walk is not changed.
 * "basic" and "detailed" follow the output section of JSON Schema 2020-12:
 * basic is the flat list of failing units under {"valid": false}; detailed
 * nests them by keywordLocation, one unit wherever the locations of two or
 * more failures part, so a oneOf's branches appear under the oneOf.
 * keywordLocations stay those of 'list' (rooted at the spec: "/schema/...").
 * absoluteKeywordLocation comes from the chain of frames the validator
 * recorded with each failure (PlAbsLocation): where each reference landed,
 * or each resource was entered, along its keywordLocation.
 *
 * "best" picks one failure by this rule (docs/operations.md):
 *	 1. a failure inside a oneOf/anyOf branch that is "ruled out" counts
 *		against it, once per such branch on its path.  A branch is ruled out
 *		when it failed on the instance's type ("<branch>/type") or on a
 *		discriminator-like property ("<branch>/properties/<p>/const" or
 *		".../enum"), also through "$ref" ("<branch>/$ref/type");
 *	 2. fewest ruled-out branches first, then the deepest instanceLocation,
 *		then the deepest keywordLocation, then the first found.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"

#include "ops.h"

/* Parse the format argument of errors(); unknown names are an error. */
PlOutputFormat
pl_output_format(text *name)
{
	char	   *s = text_to_cstring(name);

	if (strcmp(s, "list") == 0)
		return PL_OUTPUT_LIST;
	if (strcmp(s, "basic") == 0)
		return PL_OUTPUT_BASIC;
	if (strcmp(s, "detailed") == 0)
		return PL_OUTPUT_DETAILED;
	if (strcmp(s, "best") == 0)
		return PL_OUTPUT_BEST;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown error output format \"%s\"", s),
			 errhint("The formats are \"list\", \"basic\", \"detailed\" and \"best\".")));
	pg_unreachable();
}

/* Does format show absoluteKeywordLocation (so the walk must record it)? */
bool
pl_output_wants_absolute(PlOutputFormat format)
{
	return format == PL_OUTPUT_BASIC || format == PL_OUTPUT_DETAILED;
}

/* Number of tokens of JSON Pointer p. */
static int
pointer_depth(const char *p)
{
	int			n = 0;

	for (; *p; p++)
		n += (*p == '/');
	return n;
}

/* Length of the first ntok tokens of JSON Pointer p (its whole length if shorter). */
static int
pointer_prefix_len(const char *p, int ntok)
{
	int			i = 0;

	for (int t = 0; p[i]; i++)
		if (p[i] == '/' && t++ == ntok)
			break;
	return i;
}

/* Push a string key and its string value onto an object under construction. */
static void
push_pair(JsonbParseState **st, const char *key, const char *val, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
	v.val.string.val = (char *) val;
	v.val.string.len = len;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Push "valid": false. */
static void
push_invalid(JsonbParseState **st)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = "valid";
	v.val.string.len = 5;
	pushJsonbValue(st, WJB_KEY, &v);
	v.type = jbvBool;
	v.val.boolean = false;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/*
 * Push absoluteKeywordLocation for the first len bytes of e's keyword
 * location: the base of the innermost frame that starts within them (the
 * schema a reference landed on, or a resource entered), then the rest of
 * the location; nothing where that schema has no absolute URI.
 */
static void
push_absolute(JsonbParseState **st, const PlError *e, int len)
{
	const PlAbsLocation *a = e->absolute;
	StringInfoData buf;

	while (a && a->mark > len)
		a = a->outer;
	if (a == NULL || a->base == NULL)
		return;
	initStringInfo(&buf);
	appendStringInfoString(&buf, a->base);
	pl_append_fragment(&buf, e->keyword_location + a->mark, len - a->mark);
	push_pair(st, "absoluteKeywordLocation", buf.data, buf.len);
}

/* Push one failing leaf as an output unit; returns the finished object. */
static JsonbValue *
push_unit(JsonbParseState **st, const PlError *e, bool with_valid)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (with_valid)
		push_invalid(st);
	push_pair(st, "keywordLocation", e->keyword_location, strlen(e->keyword_location));
	if (with_valid)
		push_absolute(st, e, strlen(e->keyword_location));
	push_pair(st, "instanceLocation", e->instance_location, strlen(e->instance_location));
	push_pair(st, "error", e->message, strlen(e->message));
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* {"valid": true}: the basic and detailed output of a valid document. */
static Jsonb *
valid_output(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"valid\": true}")));
}

/* 'basic': {"valid": false, "errors": [unit, ...]}. */
static Jsonb *
output_basic(const PlErrors *errs)
{
	JsonbParseState *st = NULL;
	JsonbValue	k;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_invalid(&st);
	k.type = jbvString;
	k.val.string.val = "errors";
	k.val.string.len = 6;
	pushJsonbValue(&st, WJB_KEY, &k);
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < errs->count; i++)
		push_unit(&st, &errs->items[i], true);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* Is token t (len bytes) one of the NULL-terminated words? */
static bool
token_in(const char *t, int len, const char *const *words)
{
	for (; *words; words++)
		if ((int) strlen(*words) == len && strncmp(t, *words, len) == 0)
			return true;
	return false;
}

/* Keywords whose subschemas apply to a child of the instance. */
static const char *const descending_kw[] = {"properties", "patternProperties", "prefixItems", "items",
	"additionalProperties", "additionalItems", "contains", "unevaluatedItems",
"unevaluatedProperties", "propertyNames", NULL};

/* Keywords followed by a name or index token rather than a subschema's keywords. */
static const char *const named_kw[] = {"properties", "patternProperties", "prefixItems", "$defs",
"definitions", "dependentSchemas", "dependencies", "allOf", "anyOf", "oneOf", NULL};

/*
 * Length of the instance location of e at its keyword location's first k
 * tokens: its instanceLocation less one token for each keyword from token
 * k-1 on that applies its subschema to a child ("/schema/properties/a/type"
 * at "/a" is at "" for its first 2 tokens, at "/a" for 3).
 */
static int
instance_len_at(const PlError *e, int k)
{
	const char *p = e->keyword_location;
	int			drop = 0;
	int			len = strlen(e->instance_location);
	bool		name_next = true;	/* token 0 names a member of the spec */

	for (int i = 0; *p == '/'; i++)
	{
		const char *t = p + 1;
		int			n = strcspn(t, "/");

		if (name_next)
			name_next = false;
		else
		{
			drop += (i >= k - 1 && token_in(t, n, descending_kw));
			name_next = token_in(t, n, named_kw) ||
				(n == 5 && strncmp(t, "items", 5) == 0 && isdigit((unsigned char) t[n + 1]));
		}
		p = t + n;
	}
	if (strncmp(e->keyword_location, "/schema", 7) != 0)
		return len;
	while (drop-- > 0 && len > 0)
		while (--len > 0 && e->instance_location[len] != '/')
			;
	return len;
}

/* A failure being grouped: its unit's keyword and instance locations, its place. */
typedef struct Member
{
	const PlError *e;
	int			len;			/* keyword prefix length; -1: too short to group */
	int			ilen;			/* instance location length at that prefix */
	int			pos;			/* index in the set: the order of first appearance */
	int			group_pos;		/* pos of its group's first member */
} Member;

/* Do members a and b belong to one unit? */
static inline bool
same_group(const Member *a, const Member *b)
{
	return a->len >= 0 && a->len == b->len && a->ilen == b->ilen &&
		memcmp(a->e->keyword_location, b->e->keyword_location, a->len) == 0 &&
		memcmp(a->e->instance_location, b->e->instance_location, a->ilen) == 0;
}

/* qsort order: members of a unit together, in place order; too-short ones alone. */
static int
member_cmp(const void *a, const void *b)
{
	const Member *x = a;
	const Member *y = b;
	int			c;

	if (x->len < 0 || y->len < 0 || x->len != y->len)
		return (x->len != y->len) ? (x->len < y->len ? -1 : 1) : (x->pos - y->pos);
	if ((c = memcmp(x->e->keyword_location, y->e->keyword_location, x->len)) != 0)
		return c;
	if (x->ilen != y->ilen)
		return x->ilen < y->ilen ? -1 : 1;
	if ((c = memcmp(x->e->instance_location, y->e->instance_location, x->ilen)) != 0)
		return c;
	return x->pos - y->pos;
}

/* qsort order: groups by their first appearance, members in place order. */
static int
member_group_cmp(const void *a, const void *b)
{
	const Member *x = a;
	const Member *y = b;

	return x->group_pos != y->group_pos ? x->group_pos - y->group_pos : x->pos - y->pos;
}

/* Set m up for failure e at its first k keyword tokens. */
static void
member_at(Member *m, const PlError *e, int k)
{
	m->e = e;
	m->len = pointer_depth(e->keyword_location) >= k ? pointer_prefix_len(e->keyword_location, k) : -1;
	m->ilen = m->len >= 0 ? instance_len_at(e, k) : 0;
}

static void push_children(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d);

/*
 * Push the unit of failures set[0..n) (n >= 2), which share their first d
 * keyword tokens and their instance location there: located as deep as they
 * stay together, its children below.
 */
static void
push_node(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d)
{
	Member		a;
	Member		b;
	bool		together = true;
	JsonbValue	k;

	for (; together; d++)
	{
		member_at(&a, &errs->items[set[0]], d + 1);
		for (int i = 1; i < n && together; i++)
		{
			member_at(&b, &errs->items[set[i]], d + 1);
			together = same_group(&a, &b);
		}
	}
	d -= 1;						/* the last depth at which all were together */
	member_at(&a, &errs->items[set[0]], d);
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_invalid(st);
	push_pair(st, "keywordLocation", a.e->keyword_location, a.len);
	push_absolute(st, a.e, a.len);
	push_pair(st, "instanceLocation", a.e->instance_location, a.ilen);
	push_pair(st, "error", "a subschema had errors", 22);
	k.type = jbvString;
	k.val.string.val = "errors";
	k.val.string.len = 6;
	pushJsonbValue(st, WJB_KEY, &k);
	push_children(st, errs, set, n, d);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/*
 * Push, as an array, the failures set[0..n), which share their first d
 * keyword tokens, grouped into units by their first d+1 tokens and the
 * instance location there, in order of first appearance (sorted, so many
 * failures cost n log n): a group of one is a leaf, a larger one a unit.
 */
static void
push_children(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d)
{
	Member	   *m = palloc(sizeof(Member) * n);
	int		   *group = palloc(sizeof(int) * n);

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	for (int i = 0; i < n; i++)
	{
		member_at(&m[i], &errs->items[set[i]], d + 1);
		m[i].pos = i;
	}
	qsort(m, n, sizeof(Member), member_cmp);
	for (int i = 0; i < n; i++)
		m[i].group_pos = (i > 0 && same_group(&m[i - 1], &m[i])) ? m[i - 1].group_pos : m[i].pos;
	qsort(m, n, sizeof(Member), member_group_cmp);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0, ng; i < n; i += ng)
	{
		for (ng = 0; i + ng < n && m[i + ng].group_pos == m[i].group_pos; ng++)
			group[ng] = set[m[i + ng].pos];
		if (ng == 1)
			push_unit(st, &errs->items[group[0]], true);
		else
			push_node(st, errs, group, ng, d + 1);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* 'detailed': the root unit, failures nested where their keyword locations part. */
static Jsonb *
output_detailed(const PlErrors *errs)
{
	JsonbParseState *st = NULL;
	JsonbValue	k;
	int		   *set = palloc(sizeof(int) * errs->count);

	for (int i = 0; i < errs->count; i++)
		set[i] = i;
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_invalid(&st);
	push_pair(&st, "keywordLocation", "", 0);
	push_pair(&st, "instanceLocation", "", 0);
	k.type = jbvString;
	k.val.string.val = "errors";
	k.val.string.len = 6;
	pushJsonbValue(&st, WJB_KEY, &k);
	push_children(&st, errs, set, errs->count, 0);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/*
 * If keyword location kw rules out a oneOf/anyOf branch (see the header),
 * the length of that branch's location in kw; else 0.
 */
static int
ruled_out_branch(const char *kw)
{
	int			end = strlen(kw);
	int			len;

	if (end >= 5 && strcmp(kw + end - 5, "/type") == 0)
		end -= 5;
	else if (end >= 6 && (strcmp(kw + end - 6, "/const") == 0 || strcmp(kw + end - 5, "/enum") == 0))
	{
		end -= (kw[end - 1] == 't') ? 6 : 5;
		while (end > 0 && kw[end - 1] != '/')	/* the property name */
			end--;
		if (end < 12 || strncmp(kw + end - 12, "/properties/", 12) != 0)
			return 0;
		end -= 12;
	}
	else
		return 0;
	while (end >= 5 && strncmp(kw + end - 5, "/$ref", 5) == 0)
		end -= 5;
	len = end;
	while (end > 0 && isdigit((unsigned char) kw[end - 1]))
		end--;
	if (end == len || end < 7 || kw[end - 1] != '/' ||
		(strncmp(kw + end - 7, "/oneOf/", 7) != 0 && strncmp(kw + end - 7, "/anyOf/", 7) != 0))
		return 0;
	return len;
}

/* qsort/bsearch order of branch locations. */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * How many of the ruled-out branches (n sorted locations) lie on keyword
 * location kw: each "/oneOf/<i>" or "/anyOf/<i>" on kw's path is looked up.
 */
static int
ruled_out_count(const char *kw, char **branches, int n)
{
	int			count = 0;
	char	   *path = pstrdup(kw);

	for (const char *p = kw; n > 0 && (p = strstr(p, "Of/")) != NULL; p += 3)
	{
		const char *q = p + 3;
		char	   *key = path;
		char		saved;

		if (p - kw < 4 || (strncmp(p - 4, "/one", 4) != 0 && strncmp(p - 4, "/any", 4) != 0) ||
			!isdigit((unsigned char) *q))
			continue;
		while (isdigit((unsigned char) *q))
			q++;
		if (*q != '/' && *q != '\0')
			continue;
		saved = path[q - kw];
		path[q - kw] = '\0';
		count += bsearch(&key, branches, n, sizeof(char *), str_cmp) != NULL;
		path[q - kw] = saved;
	}
	return count;
}

/* The index of the most relevant failure by the rule in the header. */
static int
best_index(const PlErrors *errs)
{
	char	  **branches = palloc(sizeof(char *) * errs->count);
	int			nbranches = 0;
	int			best = 0;
	int			best_key[3] = {0, 0, 0};

	for (int i = 0; i < errs->count; i++)
	{
		int			len = ruled_out_branch(errs->items[i].keyword_location);

		if (len > 0)
			branches[nbranches++] = pnstrdup(errs->items[i].keyword_location, len);
	}
	qsort(branches, nbranches, sizeof(char *), str_cmp);
	for (int i = 0; i < errs->count; i++)
	{
		const PlError *e = &errs->items[i];
		int			key[3];

		CHECK_FOR_INTERRUPTS();
		key[0] = -ruled_out_count(e->keyword_location, branches, nbranches);
		key[1] = pointer_depth(e->instance_location);
		key[2] = pointer_depth(e->keyword_location);
		if (i == 0 || key[0] > best_key[0] ||
			(key[0] == best_key[0] && (key[1] > best_key[1] ||
									   (key[1] == best_key[1] && key[2] > best_key[2]))))
		{
			best = i;
			memcpy(best_key, key, sizeof(key));
		}
	}
	return best;
}

/*
 * The violations errs in the given format; NULL for 'best' when there are
 * none.  'basic' and 'detailed' show the absolute locations errs recorded
 * (pl_output_wants_absolute).
 */
Jsonb *
pl_errors_output(const PlErrors *errs, PlOutputFormat format)
{
	JsonbParseState *st = NULL;

	if (format == PL_OUTPUT_LIST)
		return pl_errors_to_jsonb(errs);
	if (format == PL_OUTPUT_BEST)
	{
		if (errs->count == 0)
			return NULL;
		return JsonbValueToJsonb(push_unit(&st, &errs->items[best_index(errs)], false));
	}
	if (errs->count == 0)
		return valid_output();
	if (format == PL_OUTPUT_BASIC)
		return output_basic(errs);
	return output_detailed(errs);
}
