/*-------------------------------------------------------------------------
 *
 * infer.c
 *	  pipeline.infer(profile, options): a JSON Schema from a profile.
 *
 * The profile (pipeline.profile) describes every field path of a set of
 * documents.  The schema built here accepts every one of those documents:
 * each path gets the union of the types seen there; an object requires the
 * members present in all of its occurrences; a string with few distinct
 * values gets an enum; bounds and formats hold for every value seen.  Bounds
 * come from the profile's float8 statistics, so only integer bounds below
 * 2^53 are exact; other bounds are widened to the integers around them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(pipeline_infer);

/* What infer may emit (the options argument). */
typedef struct InferOptions
{
	int			enum_max;		/* at most this many distinct strings become an enum; 0: none */
	bool		bounds;			/* minimum/maximum */
	bool		formats;		/* format */
	bool		required;		/* required */
} InferOptions;

/* One path of the profile, with the statistics infer uses. */
typedef struct InferField
{
	const char *path;
	int			end;			/* index just past its descendants (they follow it) */
	double		types[6];		/* null, boolean, number, string, array, object */
	double		integers;
	double		count;
	bool		has_range;
	double		min;
	double		max;
	JsonbValue	formats;		/* array or jbvNull */
	JsonbValue	values;			/* array or jbvNull */
} InferField;

static const char *const infer_type_names[] = {"null", "boolean", "number", "string", "array", "object"};

/* Raise the error for a profile infer cannot read. */
pg_attribute_noreturn()
static void
bad_profile(const char *detail, const char *path)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("profile is not a pipeline.profile() result"),
			 path ? errdetail("Field \"%s\": %s", path, detail) : errdetail("%s", detail)));
}

/* Member key of container c, or type jbvNull when absent. */
static JsonbValue
member(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (!getKeyJsonValueFromContainer(c, key, strlen(key), &v))
		v.type = jbvNull;
	return v;
}

/* Member key of container c as a number (0 when absent); path names it in errors. */
static double
number_member(JsonbContainer *c, const char *key, const char *path, bool *present)
{
	JsonbValue	v = member(c, key);

	if (present)
		*present = v.type == jbvNumeric;
	if (v.type == jbvNull)
		return 0;
	if (v.type != jbvNumeric)
		bad_profile(psprintf("\"%s\" is not a number.", key), path);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v.val.numeric)));
}

/* Member key of container c: an array of strings, or jbvNull. */
static JsonbValue
strings_member(JsonbContainer *c, const char *key, const char *path)
{
	JsonbValue	v = member(c, key);

	if (v.type != jbvNull && (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data)))
		bad_profile(psprintf("\"%s\" is not an array.", key), path);
	return v;
}

/* Read the statistics of one path (its profile object st). */
static void
read_field(InferField *f, const char *path, JsonbValue *st)
{
	JsonbContainer *c;
	JsonbValue	types;
	bool		has_max;

	if (st->type != jbvBinary || !JsonContainerIsObject(st->val.binary.data))
		bad_profile("its statistics are not an object.", path);
	c = st->val.binary.data;
	f->path = path;
	f->count = number_member(c, "count", path, NULL);
	f->integers = number_member(c, "integers", path, NULL);
	f->min = number_member(c, "min", path, &f->has_range);
	f->max = number_member(c, "max", path, &has_max);
	f->has_range &= has_max;
	types = member(c, "types");
	if (types.type != jbvBinary || !JsonContainerIsObject(types.val.binary.data))
		bad_profile("\"types\" is missing or not an object.", path);
	for (int t = 0; t < (int) lengthof(infer_type_names); t++)
		f->types[t] = number_member(types.val.binary.data, infer_type_names[t], path, NULL);
	f->formats = strings_member(c, "formats", path);
	f->values = strings_member(c, "values", path);
}

/* Order of JSON Pointers token by token, so a path's descendants follow it. */
static int
path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *) ((const InferField *) a)->path;
	const unsigned char *y = (const unsigned char *) ((const InferField *) b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	/* end of string first, then the end of a token, then any other byte */
#define RANK(c) ((c) == '\0' ? 0 : (c) == '/' ? 1 : (int) (c) + 2)
	return RANK(*x) - RANK(*y);
#undef RANK
}

/* Is field f (in the sorted array) below path parent (plen bytes)? */
static inline bool
is_below(const InferField *f, const char *parent, int plen)
{
	return strncmp(f->path, parent, plen) == 0 && f->path[plen] == '/';
}

/*
 * Note where each field's descendants end (sorted by path, they follow it),
 * so that a field's members are found by skipping their subtrees: time
 * linear in the profile, however deep.
 */
static void
mark_subtrees(InferField *fields, int n)
{
	int		   *open = palloc(sizeof(int) * Max(n, 1));
	int			depth = 0;

	for (int i = 0; i < n; i++)
	{
		while (depth > 0 && !is_below(&fields[i], fields[open[depth - 1]].path,
									  strlen(fields[open[depth - 1]].path)))
			fields[open[--depth]].end = i;
		open[depth++] = i;
	}
	while (depth > 0)
		fields[open[--depth]].end = n;
	pfree(open);
}

/* The fields of profile, sorted by path; *n gets their number. */
static InferField *
read_fields(Jsonb *profile, int *n)
{
	JsonbValue	fields;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	InferField *out;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(profile))
		bad_profile("It is not an object.", NULL);
	fields = member(&profile->root, "fields");
	if (fields.type != jbvBinary || !JsonContainerIsObject(fields.val.binary.data))
		bad_profile("It has no \"fields\" object.", NULL);
	out = palloc(sizeof(InferField) * Max(JsonContainerSize(fields.val.binary.data), 1));
	*n = 0;
	it = JsonbIteratorInit(fields.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			read_field(&out[(*n)++], key, &v);
	}
	qsort(out, *n, sizeof(InferField), path_cmp);
	mark_subtrees(out, *n);
	return out;
}

/* Is field f (in the sorted array) a direct child of path parent (plen bytes)? */
static inline bool
is_child(const InferField *f, const char *parent, int plen)
{
	return strncmp(f->path, parent, plen) == 0 && f->path[plen] == '/' &&
		strchr(f->path + plen + 1, '/') == NULL;
}

/* Push a string key. */
static void
push_key(JsonbParseState **st, const char *key, int len)
{
	JsonbValue	k = {.type = jbvString,.val.string = {len, (char *) key}};

	pushJsonbValue(st, WJB_KEY, &k);
}

/* Push a string array element or value. */
static void
push_str(JsonbParseState **st, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v = {.type = jbvString,.val.string = {len, (char *) s}};

	pushJsonbValue(st, tok, &v);
}

/* Push key: a float8 that holds an integer, as a JSON number. */
static void
push_bound(JsonbParseState **st, const char *key, double d)
{
	JsonbValue	v = {.type = jbvNumeric};

	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(d)));
	push_key(st, key, strlen(key));
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* The JSON Pointer token tok (len bytes) unescaped ("~1" is "/", "~0" is "~"). */
static char *
unescape_token(const char *tok, int len, int *outlen)
{
	char	   *out = palloc(len + 1);
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		if (tok[i] == '~' && i + 1 < len && (tok[i + 1] == '0' || tok[i + 1] == '1'))
			out[n++] = tok[++i] == '0' ? '~' : '/';
		else
			out[n++] = tok[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Push "type": the types seen at f ("integer" when every number was one). */
static void
push_types(JsonbParseState **st, const InferField *f)
{
	const char *names[lengthof(infer_type_names)];
	int			n = 0;

	for (int t = 0; t < (int) lengthof(infer_type_names); t++)
		if (f->types[t] > 0)
			names[n++] = (t == 2 && f->integers == f->types[2]) ? "integer" : infer_type_names[t];
	if (n == 0)
		return;
	push_key(st, "type", 4);
	if (n == 1)
	{
		push_str(st, WJB_VALUE, names[0], strlen(names[0]));
		return;
	}
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		push_str(st, WJB_ELEM, names[i], strlen(names[i]));
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/*
 * Push minimum and maximum of f's numbers: exact for integers below 2^53,
 * otherwise the integers around them (float8 statistics may be off by an ulp).
 */
static void
push_range(JsonbParseState **st, const InferField *f)
{
	const double limit = 9007199254740992.0;	/* 2^53 */
	bool		exact = f->integers == f->types[2];
	double		lo = floor(f->min);
	double		hi = ceil(f->max);

	if (!f->has_range || f->types[2] == 0 || !(fabs(lo) < limit / 2 && fabs(hi) < limit / 2))
		return;
	if (!exact && lo == f->min)
		lo -= 1;
	if (!exact && hi == f->max)
		hi += 1;
	push_bound(st, "minimum", lo);
	push_bound(st, "maximum", hi);
}

/* Push "format" (the first format every string has) and "enum" (few strings, nothing else). */
static void
push_string_rules(JsonbParseState **st, const InferField *f, const InferOptions *opts)
{
	JsonbContainer *vals = f->values.type == jbvBinary ? f->values.val.binary.data : NULL;
	bool		only_strings = f->types[0] + f->types[3] == f->count;

	if (f->types[3] == 0)
		return;
	if (opts->formats && f->formats.type == jbvBinary && JsonContainerSize(f->formats.val.binary.data) > 0)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(f->formats.val.binary.data, 0);

		if (v->type != jbvString)
			bad_profile("\"formats\" holds a non-string.", f->path);
		push_key(st, "format", 6);
		pushJsonbValue(st, WJB_VALUE, v);
	}
	if (vals == NULL || !only_strings || (int) JsonContainerSize(vals) > opts->enum_max)
		return;
	push_key(st, "enum", 4);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < (int) JsonContainerSize(vals); i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(vals, i);

		if (v->type != jbvString)
			bad_profile("\"values\" holds a non-string.", f->path);
		pushJsonbValue(st, WJB_ELEM, v);
	}
	if (f->types[0] > 0)
		pushJsonbValue(st, WJB_ELEM, &(JsonbValue) {.type = jbvNull});
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/*
 * Was path cut short by the profile?  It keeps 255 bytes and ends a cut path
 * with "~" (which ends no JSON Pointer); older profiles cut at 255 bytes.
 * Such paths are not described.
 */
static inline bool
path_was_cut(const char *path)
{
	size_t		len = strlen(path);

	return len >= 255 || (len > 0 && path[len - 1] == '~');
}

static JsonbValue *push_schema(JsonbParseState **st, InferField *fields, int n, int i,
							   const InferOptions *opts, bool root);

/* Is child c of f the elements of f's arrays ("*" when f held arrays)? */
static inline bool
is_items(const InferField *f, const InferField *c, int plen)
{
	return f->types[4] > 0 && strcmp(c->path + plen + 1, "*") == 0;
}

/*
 * The member name (unescaped, *len bytes) of c if it is a child of f (plen
 * bytes of path) that makes a property; NULL for a deeper field or one
 * whose path the profile cut.
 */
static char *
member_name(const InferField *f, const InferField *c, int plen, int *len)
{
	const char *tok = c->path + plen + 1;

	if (!is_child(c, f->path, plen) || path_was_cut(c->path))
		return NULL;
	return unescape_token(tok, strlen(tok), len);
}

/*
 * Push "properties" (f's children that are object members, from index i+1)
 * and "required" (those present in every object at f).
 */
static void
push_members(JsonbParseState **st, InferField *fields, int n, int i, const InferOptions *opts)
{
	const InferField *f = &fields[i];
	int			plen = strlen(f->path);
	int			nreq = 0;

	push_key(st, "properties", 10);
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (int j = i + 1; j < f->end; j = fields[j].end)
	{
		int			len;
		char	   *name = member_name(f, &fields[j], plen, &len);

		if (name == NULL)
			continue;
		push_key(st, name, len);
		push_schema(st, fields, n, j, opts, false);
		nreq += fields[j].count == f->types[5] && !is_items(f, &fields[j], plen);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
	if (nreq == 0 || !opts->required)
		return;
	push_key(st, "required", 8);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int j = i + 1; j < f->end; j = fields[j].end)
	{
		int			len;
		char	   *name;

		if (fields[j].count != f->types[5] || is_items(f, &fields[j], plen) ||
			(name = member_name(f, &fields[j], plen, &len)) == NULL)
			continue;
		push_str(st, WJB_ELEM, name, len);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* Push "items": the schema of f's "*" child, if its arrays had elements. */
static void
push_items(JsonbParseState **st, InferField *fields, int n, int i, const InferOptions *opts)
{
	const InferField *f = &fields[i];
	int			plen = strlen(f->path);

	for (int j = i + 1; j < f->end; j = fields[j].end)
		if (is_items(f, &fields[j], plen) && is_child(&fields[j], f->path, plen) &&
			!path_was_cut(fields[j].path))
		{
			push_key(st, "items", 5);
			push_schema(st, fields, n, j, opts, false);
			return;
		}
}

/*
 * Push the schema of fields[i] and, through its members, of its
 * descendants; returns the finished object.
 */
static JsonbValue *
push_schema(JsonbParseState **st, InferField *fields, int n, int i,
			const InferOptions *opts, bool root)
{
	const InferField *f = &fields[i];

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (root)
	{
		push_key(st, "$schema", 7);
		push_str(st, WJB_VALUE, "https://json-schema.org/draft/2020-12/schema", 44);
	}
	push_types(st, f);
	if (opts->bounds)
		push_range(st, f);
	push_string_rules(st, f, opts);
	if (f->types[5] > 0)
		push_members(st, fields, n, i, opts);
	if (f->types[4] > 0)
		push_items(st, fields, n, i, opts);
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* The enum_max option: an integer from 0 to 16 (the profile keeps 16 strings). */
static int
enum_max_option(const JsonbValue *v)
{
	double		d = -1;

	if (v->type == jbvNumeric)
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (d < 0 || d > 16 || d != floor(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("infer option \"enum_max\" must be an integer from 0 to 16")));
	return (int) d;
}

/* Option value v as a boolean; key names it in errors. */
static bool
bool_option(const char *key, const JsonbValue *v)
{
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("infer option \"%s\" must be a boolean", key)));
	return v->val.boolean;
}

/* Read the options argument into opts (defaults first); unknown keys are errors. */
static void
read_options(Jsonb *options, InferOptions *opts)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	opts->enum_max = 10;
	opts->bounds = opts->formats = opts->required = true;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("infer options must be a JSON object")));
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok != WJB_VALUE)
			continue;
		else if (strcmp(key, "bounds") == 0)
			opts->bounds = bool_option(key, &v);
		else if (strcmp(key, "formats") == 0)
			opts->formats = bool_option(key, &v);
		else if (strcmp(key, "required") == 0)
			opts->required = bool_option(key, &v);
		else if (strcmp(key, "enum_max") == 0)
			opts->enum_max = enum_max_option(&v);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown infer option \"%s\"", key),
					 errhint("The options are \"enum_max\", \"bounds\", \"formats\" and \"required\".")));
	}
}

/*
 * infer(profile, options): a JSON Schema (2020-12) that every document the
 * profile describes passes.  A profile of no documents gives a schema that
 * accepts anything.
 */
Datum
pipeline_infer(PG_FUNCTION_ARGS)
{
	Jsonb	   *profile = PG_GETARG_JSONB_P(0);
	InferOptions opts;
	InferField *fields;
	int			n;
	JsonbParseState *st = NULL;

	read_options(PG_GETARG_JSONB_P(1), &opts);
	fields = read_fields(profile, &n);
	if (n == 0 || fields[0].path[0] != '\0')
	{
		/* no documents: a root that says nothing */
		fields = palloc0(sizeof(InferField));
		fields[0].path = "";
		fields[0].end = 1;
		fields[0].formats.type = fields[0].values.type = jbvNull;
		n = 1;
	}
	PG_RETURN_JSONB_P(JsonbValueToJsonb(push_schema(&st, fields, n, 0, &opts, true)));
}
