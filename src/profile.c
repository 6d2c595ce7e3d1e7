/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  pipeline.profile(jsonb): a parallel aggregate describing every field.
 *
 * The state is a hash table from field path to running statistics: how many
 * documents have the field, how many of them hold null, the JSON types seen,
 * min, max and mean of its numbers, and a HyperLogLog sketch for the
 * approximate number of distinct values, how many numbers are integers,
 * which formats every string satisfies, and the strings themselves while
 * there are few and short (for pipeline.infer).  Paths are JSON Pointers; the
 * elements of an array share one path, the array's path plus the token "*".  Every part of the
 * state merges exactly (counts add, min/max compare, sketches take the
 * register-wise maximum, value sets unite, format failures accumulate), so partial states from parallel workers combine
 * into the same answer a single scan gives.
 *
 * A document with a very large number of distinct paths could make the state
 * grow without bound; past PROFILE_MAX_PATHS new paths are not tracked and
 * the result says so.  A path too long for the hash key is cut at a
 * character boundary and marked with a trailing "~", so that infer can tell
 * it from a real one.  Numbers beyond float8's range are counted, but give
 * no min, max or mean (JSON has no infinity).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "formats.h"
#include "jsonb_read.h"
#include "numbers.h"
#include "pipeline.h"

PG_FUNCTION_INFO_V1(pipeline_profile_transfn);
PG_FUNCTION_INFO_V1(pipeline_profile_combinefn);
PG_FUNCTION_INFO_V1(pipeline_profile_serialfn);
PG_FUNCTION_INFO_V1(pipeline_profile_deserialfn);
PG_FUNCTION_INFO_V1(pipeline_profile_finalfn);

#define PROFILE_MAX_PATHS	10000
#define PROFILE_PATH_LEN	256		/* longer paths are cut (and so share stats) */
#define PROFILE_CUT_MARK	'~'		/* ends a cut path: no JSON Pointer ends with it */
#define HLL_BITS			10
#define HLL_REGISTERS		(1 << HLL_BITS)
#define PROFILE_MAX_VALUES	16		/* strings kept per path, for enums */
#define PROFILE_VALUE_LEN	48		/* longer strings are not kept */

/* The formats profile checks on every string, in the order infer prefers them. */
static const PlFormat profile_formats[] = {PL_FORMAT_UUID, PL_FORMAT_DATE_TIME, PL_FORMAT_DATE,
PL_FORMAT_IPV4, PL_FORMAT_EMAIL, PL_FORMAT_URI};
static const char *const profile_format_names[] = {"uuid", "date-time", "date", "ipv4", "email", "uri"};

/* Statistics of one path. */
typedef struct FieldStats
{
	char		path[PROFILE_PATH_LEN];	/* hash key */
	int64		count;			/* documents (array elements) with the field */
	int64		nulls;
	int64		types[6];		/* by JbType */
	int64		numbers;
	double		min;
	double		max;
	double		sum;
	uint8		hll[HLL_REGISTERS];
	int64		integers;		/* numbers with no fractional part */
	uint32		format_fails;	/* bit i: some string fails profile_formats[i] */
	bool		values_overflow;	/* more strings than kept, or a long one */
	int32		nvalues;
	uint8		value_lens[PROFILE_MAX_VALUES];
	char		values[PROFILE_MAX_VALUES][PROFILE_VALUE_LEN];
} FieldStats;

/* The aggregate state. */
typedef struct ProfileState
{
	HTAB	   *fields;
	int64		documents;
	bool		truncated;		/* paths were dropped past PROFILE_MAX_PATHS */
} ProfileState;

static const char *const type_names[] = {"null", "boolean", "number", "string", "array", "object"};

/* A new empty state in the aggregate's memory context. */
static ProfileState *
profile_state_new(MemoryContext aggcxt)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	ProfileState *st = palloc0(sizeof(ProfileState));
	HASHCTL		ctl;

	ctl.keysize = PROFILE_PATH_LEN;
	ctl.entrysize = sizeof(FieldStats);
	ctl.hcxt = aggcxt;
	st->fields = hash_create("pipeline profile", 64, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * The hash key of path: the path, or past PROFILE_PATH_LEN its first whole
 * characters (a key must stay valid text) and PROFILE_CUT_MARK, which tells
 * infer that the path was cut.
 */
static void
profile_key(char *key, const char *path)
{
	int			len = strlen(path);

	if (len < PROFILE_PATH_LEN)
	{
		memcpy(key, path, len + 1);
		return;
	}
	len = pg_mbcliplen(path, len, PROFILE_PATH_LEN - 2);
	memcpy(key, path, len);
	key[len] = PROFILE_CUT_MARK;
	key[len + 1] = '\0';
}

/* The statistics of path, created on first sight; NULL once the cap is reached. */
static FieldStats *
profile_field(ProfileState *st, const char *path)
{
	char		key[PROFILE_PATH_LEN];
	FieldStats *f;
	bool		found;

	profile_key(key, path);
	f = hash_search(st->fields, key, HASH_FIND, NULL);
	if (f)
		return f;
	if (hash_get_num_entries(st->fields) >= PROFILE_MAX_PATHS)
	{
		st->truncated = true;
		return NULL;
	}
	f = hash_search(st->fields, key, HASH_ENTER, &found);
	memset((char *) f + PROFILE_PATH_LEN, 0, sizeof(FieldStats) - PROFILE_PATH_LEN);
	return f;
}

/* A 64-bit hash of a scalar value, for the distinct-count sketch. */
static uint64
value_hash(const JbRef *v)
{
	switch (v->type)
	{
		case JB_STRING:
			return hash_bytes_extended((const unsigned char *) v->str, v->len, 3);
		case JB_NUMBER:
			return DatumGetUInt64(DirectFunctionCall2(hash_numeric_extended,
													  NumericGetDatum(v->num), Int64GetDatum(5)));
		case JB_BOOL:
			return v->boolean ? UINT64CONST(0x9E3779B97F4A7C15) : UINT64CONST(0xC2B2AE3D27D4EB4F);
		default:
			return UINT64CONST(0x165667B19E3779F9);
	}
}

/* Add hash h to a HyperLogLog sketch: register by the top bits, rank of the rest. */
static void
hll_add(uint8 *hll, uint64 hash)
{
	uint64		h = pl_mix64(hash);
	int			reg = (int) (h >> (64 - HLL_BITS));
	uint64		rest = (h << HLL_BITS) | (UINT64CONST(1) << (HLL_BITS - 1));
	uint8		rank = (uint8) (64 - pg_leftmost_one_pos64(rest));	/* leading zeros + 1 */

	if (rank > hll[reg])
		hll[reg] = rank;
}

/* The HyperLogLog estimate, with linear counting for small cardinalities. */
static double
hll_estimate(const uint8 *hll)
{
	double		sum = 0;
	int			zeros = 0;
	double		m = HLL_REGISTERS;
	double		e;

	for (int i = 0; i < HLL_REGISTERS; i++)
	{
		sum += ldexp(1.0, -hll[i]);
		zeros += hll[i] == 0;
	}
	e = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}

/* Keep string s (len bytes) among f's values, or note that they overflow. */
static void
field_add_value(FieldStats *f, const char *s, int len)
{
	if (f->values_overflow)
		return;
	for (int i = 0; i < f->nvalues; i++)
		if (f->value_lens[i] == len && memcmp(f->values[i], s, len) == 0)
			return;
	if (len >= PROFILE_VALUE_LEN || f->nvalues == PROFILE_MAX_VALUES)
	{
		f->values_overflow = true;
		return;
	}
	memcpy(f->values[f->nvalues], s, len);
	f->value_lens[f->nvalues++] = (uint8) len;
}

/* Note in f which of the profiled formats string s (len bytes) fails. */
static void
field_check_formats(FieldStats *f, const char *s, int len)
{
	for (int i = 0; i < (int) lengthof(profile_formats); i++)
		if (!(f->format_fails & (1u << i)) && !pl_format_check(profile_formats[i], s, len))
			f->format_fails |= 1u << i;
}

/* Record scalar or container v at path into st, then its members. */
static void
profile_value(ProfileState *st, StringInfo path, const JbRef *v)
{
	FieldStats *f = profile_field(st, path->data);
	JbIter		it;
	JbRef		child;
	int			save = path->len;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (f)
	{
		f->count++;
		f->nulls += v->type == JB_NULL;
		f->types[v->type]++;
		if (v->type == JB_NUMBER && !numeric_is_nan(v->num))
		{
			double		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
															   NumericGetDatum(v->num)));

			f->min = f->numbers == 0 || d < f->min ? d : f->min;
			f->max = f->numbers == 0 || d > f->max ? d : f->max;
			f->sum += d;
			f->numbers++;
			f->integers += pl_numeric_is_integral(v->num);
		}
		if (v->type == JB_STRING)
		{
			field_add_value(f, v->str, v->len);
			field_check_formats(f, v->str, v->len);
		}
		if (v->type != JB_ARRAY && v->type != JB_OBJECT)
			hll_add(f->hll, value_hash(v));
	}
	if (v->type == JB_ARRAY)
	{
		appendStringInfoString(path, "/*");
		jb_iter_init(&it, v->cont, 0);
		while (jb_iter_next(&it, &child))
			profile_value(st, path, &child);
	}
	else if (v->type == JB_OBJECT)
	{
		JbIter		vals;
		JbRef		key = {0};
		int			n = jb_size(v);

		jb_iter_init(&it, v->cont, 0);
		jb_iter_init(&vals, v->cont, n);
		while (it.i < n && jb_iter_next(&it, &key) && jb_iter_next(&vals, &child))
		{
			pl_pointer_append_token(path, key.str, key.len);
			profile_value(st, path, &child);
			path->len = save;
			path->data[save] = '\0';
		}
	}
	path->len = save;
	path->data[save] = '\0';
}

/* profile_transfn(state, doc): add one document. */
Datum
pipeline_profile_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ProfileState *st;
	StringInfoData path;
	JbRef		root;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "profile_transfn called in non-aggregate context");
	st = PG_ARGISNULL(0) ? profile_state_new(aggcxt) : (ProfileState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	st->documents++;
	initStringInfo(&path);
	jb_root(PG_GETARG_JSONB_P(1), &root);
	profile_value(st, &path, &root);
	pfree(path.data);
	PG_RETURN_POINTER(st);
}

/* Merge the statistics of one path into another. */
static void
field_merge(FieldStats *dst, const FieldStats *src)
{
	if (src->numbers > 0)
	{
		dst->min = dst->numbers == 0 || src->min < dst->min ? src->min : dst->min;
		dst->max = dst->numbers == 0 || src->max > dst->max ? src->max : dst->max;
	}
	dst->count += src->count;
	dst->nulls += src->nulls;
	for (int i = 0; i < (int) lengthof(dst->types); i++)
		dst->types[i] += src->types[i];
	dst->numbers += src->numbers;
	dst->sum += src->sum;
	for (int i = 0; i < HLL_REGISTERS; i++)
		dst->hll[i] = Max(dst->hll[i], src->hll[i]);
	dst->integers += src->integers;
	dst->format_fails |= src->format_fails;
	dst->values_overflow |= src->values_overflow;
	for (int i = 0; i < Min(src->nvalues, PROFILE_MAX_VALUES); i++)
		field_add_value(dst, src->values[i], Min(src->value_lens[i], PROFILE_VALUE_LEN - 1));
}

/* Merge state src into dst. */
static void
profile_merge(ProfileState *dst, ProfileState *src)
{
	HASH_SEQ_STATUS seq;
	FieldStats *f;

	dst->documents += src->documents;
	dst->truncated |= src->truncated;
	hash_seq_init(&seq, src->fields);
	while ((f = hash_seq_search(&seq)) != NULL)
	{
		FieldStats *d = profile_field(dst, f->path);

		if (d)
			field_merge(d, f);
	}
}

/* profile_combinefn(a, b): merge two partial states (parallel aggregation). */
Datum
pipeline_profile_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ProfileState *a;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "profile_combinefn called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	a = PG_ARGISNULL(0) ? profile_state_new(aggcxt) : (ProfileState *) PG_GETARG_POINTER(0);
	profile_merge(a, (ProfileState *) PG_GETARG_POINTER(1));
	PG_RETURN_POINTER(a);
}

/* profile_serialfn(state): the state as bytea, for parallel workers. */
Datum
pipeline_profile_serialfn(PG_FUNCTION_ARGS)
{
	ProfileState *st = (ProfileState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	HASH_SEQ_STATUS seq;
	FieldStats *f;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->documents);
	pq_sendbyte(&buf, st->truncated);
	pq_sendint32(&buf, (int32) hash_get_num_entries(st->fields));
	hash_seq_init(&seq, st->fields);
	while ((f = hash_seq_search(&seq)) != NULL)
		pq_sendbytes(&buf, (const char *) f, sizeof(FieldStats));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* profile_deserialfn(bytea, internal): rebuild a state from profile_serialfn's bytes. */
Datum
pipeline_profile_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	ProfileState *st;
	StringInfoData buf;
	int32		n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "profile_deserialfn called in non-aggregate context");
	st = profile_state_new(aggcxt);
	buf.data = VARDATA_ANY(b);
	buf.len = buf.maxlen = VARSIZE_ANY_EXHDR(b);
	buf.cursor = 0;
	st->documents = pq_getmsgint64(&buf);
	st->truncated = pq_getmsgbyte(&buf);
	n = pq_getmsgint(&buf, 4);
	for (int i = 0; i < n; i++)
	{
		FieldStats	f;
		FieldStats *d;

		pq_copymsgbytes(&buf, (char *) &f, sizeof(FieldStats));
		f.path[PROFILE_PATH_LEN - 1] = '\0';
		if ((d = profile_field(st, f.path)) != NULL)
			field_merge(d, &f);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Push key: number (as numeric) onto an object under construction. */
static void
push_number(JsonbParseState **ps, const char *key, Numeric n)
{
	JsonbValue	k = {.type = jbvString,.val.string = {(int) strlen(key), (char *) key}};
	JsonbValue	v = {.type = jbvNumeric,.val.numeric = n};

	pushJsonbValue(ps, WJB_KEY, &k);
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/*
 * Push key: d (min, max, mean), unless a number beyond float8's range made
 * it infinite or NaN: JSON has no such numbers, and jsonb holding one would
 * not read back.
 */
static void
push_finite(JsonbParseState **ps, const char *key, double d)
{
	if (isfinite(d))
		push_number(ps, key, DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(d))));
}

/* qsort comparator: kept values (indexes into a FieldStats) by bytes. */
static int
value_cmp(const void *a, const void *b, void *arg)
{
	const FieldStats *f = arg;
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			c = memcmp(f->values[i], f->values[j], Min(f->value_lens[i], f->value_lens[j]));

	return c ? c : (int) f->value_lens[i] - (int) f->value_lens[j];
}

/* Push key: an array of the n strings strs (lens[i] bytes each). */
static void
push_string_array(JsonbParseState **ps, const char *key, const char *const *strs, const int *lens, int n)
{
	JsonbValue	k = {.type = jbvString,.val.string = {(int) strlen(key), (char *) key}};

	pushJsonbValue(ps, WJB_KEY, &k);
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	v = {.type = jbvString,.val.string = {lens[i], (char *) strs[i]}};

		pushJsonbValue(ps, WJB_ELEM, &v);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

/*
 * Push "formats": the profiled formats every string satisfies (when any),
 * and "values": the distinct strings, sorted, when all were kept.
 */
static void
push_strings(JsonbParseState **ps, const FieldStats *f)
{
	const char *strs[Max(PROFILE_MAX_VALUES, lengthof(profile_formats))];
	int			lens[lengthof(strs)];
	int			idx[PROFILE_MAX_VALUES];
	int			n = 0;

	for (int i = 0; i < (int) lengthof(profile_formats); i++)
		if (!(f->format_fails & (1u << i)))
		{
			strs[n] = profile_format_names[i];
			lens[n++] = strlen(profile_format_names[i]);
		}
	if (n > 0)
		push_string_array(ps, "formats", strs, lens, n);
	if (f->values_overflow)
		return;
	for (int i = 0; i < f->nvalues; i++)
		idx[i] = i;
	qsort_arg(idx, f->nvalues, sizeof(int), value_cmp, (void *) f);
	for (int i = 0; i < f->nvalues; i++)
	{
		strs[i] = f->values[idx[i]];
		lens[i] = f->value_lens[idx[i]];
	}
	push_string_array(ps, "values", strs, lens, f->nvalues);
}

/* Push the statistics of one path as a jsonb object value. */
static void
push_field(JsonbParseState **ps, const FieldStats *f)
{
	JsonbValue	k = {.type = jbvString};

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	push_number(ps, "count", int64_to_numeric(f->count));
	push_number(ps, "nulls", int64_to_numeric(f->nulls));
	k.val.string.val = "types";
	k.val.string.len = 5;
	pushJsonbValue(ps, WJB_KEY, &k);
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	for (int t = 0; t < (int) lengthof(type_names); t++)
		if (f->types[t] > 0)
			push_number(ps, type_names[t], int64_to_numeric(f->types[t]));
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	if (f->numbers > 0)
	{
		push_finite(ps, "min", f->min);
		push_finite(ps, "max", f->max);
		push_finite(ps, "mean", f->sum / f->numbers);
		push_number(ps, "integers", int64_to_numeric(f->integers));
	}
	if (f->count > f->types[JB_ARRAY] + f->types[JB_OBJECT])
		push_number(ps, "distinct", int64_to_numeric((int64) rint(hll_estimate(f->hll))));
	if (f->types[JB_STRING] > 0)
		push_strings(ps, f);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* qsort comparator: FieldStats pointers by path. */
static int
field_path_cmp(const void *a, const void *b)
{
	return strcmp((*(FieldStats *const *) a)->path, (*(FieldStats *const *) b)->path);
}

/*
 * profile_finalfn(state): {"documents": n, "fields": {path: stats, ...}}
 * (and "truncated": true when paths were dropped).
 */
Datum
pipeline_profile_finalfn(PG_FUNCTION_ARGS)
{
	ProfileState *st = PG_ARGISNULL(0) ? NULL : (ProfileState *) PG_GETARG_POINTER(0);
	JsonbParseState *ps = NULL;
	JsonbValue	k = {.type = jbvString};
	HASH_SEQ_STATUS seq;
	FieldStats **fields;
	FieldStats *f;
	int			n = 0;

	if (st == NULL)
		PG_RETURN_NULL();
	fields = palloc(sizeof(FieldStats *) * Max(hash_get_num_entries(st->fields), 1));
	hash_seq_init(&seq, st->fields);
	while ((f = hash_seq_search(&seq)) != NULL)
		fields[n++] = f;
	qsort(fields, n, sizeof(FieldStats *), field_path_cmp);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_number(&ps, "documents", int64_to_numeric(st->documents));
	if (st->truncated)
	{
		JsonbValue	t = {.type = jbvBool,.val.boolean = true};

		k.val.string.val = "truncated";
		k.val.string.len = 9;
		pushJsonbValue(&ps, WJB_KEY, &k);
		pushJsonbValue(&ps, WJB_VALUE, &t);
	}
	k.val.string.val = "fields";
	k.val.string.len = 6;
	pushJsonbValue(&ps, WJB_KEY, &k);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		k.val.string.val = fields[i]->path;
		k.val.string.len = strlen(fields[i]->path);
		pushJsonbValue(&ps, WJB_KEY, &k);
		push_field(&ps, fields[i]);
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL)));
}
