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

/* The absolute URI ($id) of the spec's root schema, without fragment, or NULL. */
const char *
pl_spec_base_uri(const PlSpec *spec)
{
	const char *uri;

	if (spec->schema == NULL || spec->schema->root == NULL ||
		spec->schema->root->resource == NULL)
		return NULL;
	uri = spec->schema->root->resource->uri;
	if (uri == NULL || strchr(uri, ':') == NULL)
		return NULL;
	return pnstrdup(uri, strcspn(uri, "#"));
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
 * Push absoluteKeywordLocation for keyword location kw: only where it is
 * known without resolving references (the root schema has an absolute $id
 * and kw passes no reference).
 */
static void
push_absolute(JsonbParseState **st, const char *kw, int len, const char *base_uri)
{
	char	   *abs;
	const char *rest = kw;

	if (base_uri == NULL || strncmp(kw, "/schema", 7) != 0 ||
		(kw[7] != '/' && kw[7] != '\0') || len < 7)
		return;
	rest = pnstrdup(kw + 7, len - 7);
	if (strstr(rest, "/$ref") || strstr(rest, "/$dynamicRef") || strstr(rest, "/$recursiveRef"))
		return;
	abs = psprintf("%s#%s", base_uri, rest);
	push_pair(st, "absoluteKeywordLocation", abs, strlen(abs));
}

/* Push one failing leaf as an output unit; returns the finished object. */
static JsonbValue *
push_unit(JsonbParseState **st, const PlError *e, bool with_valid, const char *base_uri)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (with_valid)
		push_invalid(st);
	push_pair(st, "keywordLocation", e->keyword_location, strlen(e->keyword_location));
	if (with_valid)
		push_absolute(st, e->keyword_location, strlen(e->keyword_location), base_uri);
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
output_basic(const PlErrors *errs, const char *base_uri)
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
		push_unit(&st, &errs->items[i], true, base_uri);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* Do the keyword locations of a and b share their first ntok tokens? */
static bool
share_tokens(const PlError *a, const PlError *b, int ntok)
{
	int			la = pointer_prefix_len(a->keyword_location, ntok);

	return la == pointer_prefix_len(b->keyword_location, ntok) &&
		memcmp(a->keyword_location, b->keyword_location, la) == 0 &&
		pointer_depth(a->keyword_location) >= ntok && pointer_depth(b->keyword_location) >= ntok;
}

/* Length of the longest token-wise common prefix of JSON Pointers a and b. */
static int
common_pointer_len(const char *a, const char *b)
{
	int			i = 0;
	int			last = 0;

	for (; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			last = i;
	if ((a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
		last = i;
	return last;
}

static void push_children(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d,
						  const char *base_uri);

/*
 * Push the unit for failures set[0..n) (n >= 2), whose keyword locations
 * share at least d tokens: located at all they share, its children below.
 */
static void
push_node(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d,
		  const char *base_uri)
{
	const PlError *first = &errs->items[set[0]];
	int			klen = strlen(first->keyword_location);
	int			ilen = strlen(first->instance_location);
	int			depth;
	JsonbValue	k;

	for (int i = 1; i < n; i++)
	{
		klen = Min(klen, common_pointer_len(first->keyword_location, errs->items[set[i]].keyword_location));
		ilen = Min(ilen, common_pointer_len(first->instance_location, errs->items[set[i]].instance_location));
	}
	depth = pointer_depth(pnstrdup(first->keyword_location, klen));
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_invalid(st);
	push_pair(st, "keywordLocation", first->keyword_location, klen);
	push_pair(st, "instanceLocation", first->instance_location, ilen);
	push_pair(st, "error", "a subschema had errors", 22);
	k.type = jbvString;
	k.val.string.val = "errors";
	k.val.string.len = 6;
	pushJsonbValue(st, WJB_KEY, &k);
	push_children(st, errs, set, n, Max(depth, d), base_uri);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/*
 * Push, as an array, the failures set[0..n), which share their first d
 * keyword tokens, grouped by token d+1 in order of first appearance: a
 * group of one is a leaf, a larger group a nested unit.
 */
static void
push_children(JsonbParseState **st, const PlErrors *errs, int *set, int n, int d,
			  const char *base_uri)
{
	bool	   *done = palloc0(sizeof(bool) * n);
	int		   *group = palloc(sizeof(int) * n);

	check_stack_depth();
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		int			ng = 0;
		const PlError *e = &errs->items[set[i]];

		if (done[i])
			continue;
		for (int j = i; j < n; j++)
			if (!done[j] && (j == i || share_tokens(e, &errs->items[set[j]], d + 1)))
			{
				done[j] = true;
				group[ng++] = set[j];
			}
		if (ng == 1)
			push_unit(st, e, true, base_uri);
		else
			push_node(st, errs, group, ng, d + 1, base_uri);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* 'detailed': the root unit, failures nested where their keyword locations part. */
static Jsonb *
output_detailed(const PlErrors *errs, const char *base_uri)
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
	push_children(&st, errs, set, errs->count, 0, base_uri);
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

/* How many of the ruled-out branches (n locations) lie on keyword location kw? */
static int
ruled_out_count(const char *kw, char **branches, int n)
{
	int			count = 0;

	for (int i = 0; i < n; i++)
	{
		int			len = strlen(branches[i]);

		if (strncmp(kw, branches[i], len) == 0 && (kw[len] == '/' || kw[len] == '\0'))
			count++;
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
 * none.  base_uri is the root schema's absolute $id, or NULL.
 */
Jsonb *
pl_errors_output(const PlErrors *errs, PlOutputFormat format, const char *base_uri)
{
	JsonbParseState *st = NULL;

	if (format == PL_OUTPUT_LIST)
		return pl_errors_to_jsonb(errs);
	if (format == PL_OUTPUT_BEST)
	{
		if (errs->count == 0)
			return NULL;
		return JsonbValueToJsonb(push_unit(&st, &errs->items[best_index(errs)], false, NULL));
	}
	if (errs->count == 0)
		return valid_output();
	if (format == PL_OUTPUT_BASIC)
		return output_basic(errs, base_uri);
	return output_detailed(errs, base_uri);
}
