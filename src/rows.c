/*-------------------------------------------------------------------------
 *
 * rows.c
 *	  Table rows as records: typed datums to JSON values and back.
 *
 * A row is validated as to_jsonb(NEW) would render it, but without calling
 * to_jsonb: each column's type is classified once per plan (PlColumn), and
 * each datum is rendered straight into a JsonbValue that points at the
 * datum's own bytes where it can (text, numeric, jsonb).  The rendering
 * follows datum_to_jsonb: numbers are numbers (a float's shortest text, NaN
 * and infinities as strings), date/timestamp/timestamptz use JSON's ISO
 * format, json is parsed, arrays nest by dimension, and any other type is
 * its text output.
 *
 * A transformed value goes back into its column by pl_value_to_datum.  What
 * cannot be stored (a string in an integer column, 3.5 in a smallint, a
 * date that does not parse, a value too long for varchar(n)) is returned as
 * a message, which the trigger reports as a violation of the step that wrote
 * the column, so a bad record is quarantined instead of aborting a COPY.
 * Built-in kinds are converted here without throwing.  What only the type
 * itself can judge (another type's input function, a domain's constraints)
 * runs "guarded": in a subtransaction whose data error (class 22 or 23)
 * becomes the message, any other error (a cancel) going on as it came.  On
 * PostgreSQL 16 and later input functions report soft errors and only domains
 * need the subtransaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/detoast.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "ascii.h"
#include "pg_compat.h"
#include "trigger.h"

/* Classify type typid (with typmod) for rendering and storing. */
void
pl_column_init(PlColumn *col, Oid typid, int32 typmod, MemoryContext cxt)
{
	Oid			elem;
	Oid			func;
	bool		varlena;

	col->typid = typid;
	col->typmod = typmod;
	col->basetype = getBaseTypeAndTypmod(typid, &col->typmod);
	col->is_domain = col->basetype != typid;
	col->domain_extra = NULL;
	col->cxt = cxt;
	col->bound = NULL;
	col->elem = NULL;
	get_typlenbyvalalign(col->basetype, &col->typlen, &col->typbyval, &col->typalign);
	switch (col->basetype)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			col->kind = PL_COL_TEXT;
			break;
		case INT2OID:
			col->kind = PL_COL_INT2;
			break;
		case INT4OID:
			col->kind = PL_COL_INT4;
			break;
		case INT8OID:
			col->kind = PL_COL_INT8;
			break;
		case NUMERICOID:
			col->kind = PL_COL_NUMERIC;
			if (col->typmod >= (int32) VARHDRSZ)
			{
				int			precision = ((col->typmod - VARHDRSZ) >> 16) & 0xffff;
				int			scale = (((col->typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
				MemoryContext old = MemoryContextSwitchTo(cxt);

				col->bound = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																 CStringGetDatum(psprintf("1e%d", precision - scale)),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
				MemoryContextSwitchTo(old);
			}
			break;
		case FLOAT4OID:
			col->kind = PL_COL_FLOAT4;
			break;
		case FLOAT8OID:
			col->kind = PL_COL_FLOAT8;
			break;
		case BOOLOID:
			col->kind = PL_COL_BOOL;
			break;
		case TIMESTAMPTZOID:
			col->kind = PL_COL_TIMESTAMPTZ;
			break;
		case TIMESTAMPOID:
			col->kind = PL_COL_TIMESTAMP;
			break;
		case DATEOID:
			col->kind = PL_COL_DATE;
			break;
		case UUIDOID:
			col->kind = PL_COL_UUID;
			break;
		case JSONOID:
			col->kind = PL_COL_JSON;
			break;
		case JSONBOID:
			col->kind = PL_COL_JSONB;
			break;
		default:
			elem = get_element_type(col->basetype);
			if (OidIsValid(elem) && col->typlen == -1)
			{
				col->kind = PL_COL_ARRAY;
				col->elem = MemoryContextAllocZero(cxt, sizeof(PlColumn));
				col->elem->name = col->name;
				col->elem->namelen = col->namelen;
				pl_column_init(col->elem, elem, col->typmod, cxt);
				break;
			}
			col->kind = type_is_rowtype(col->basetype) ? PL_COL_COMPOSITE : PL_COL_OTHER;
			getTypeOutputInfo(col->basetype, &func, &varlena);
			fmgr_info_cxt(func, &col->outfunc, cxt);
			getTypeInputInfo(col->basetype, &func, &col->ioparam);
			fmgr_info_cxt(func, &col->infunc, cxt);
			break;
	}
	col->guarded = col->is_domain || (col->elem && col->elem->guarded) ||
		(PL_INPUT_FUNCTIONS_RAISE && (col->kind == PL_COL_OTHER || col->kind == PL_COL_COMPOSITE));
}

/* The JSON kinds (PL_K_*) a column's values render as. */
uint8
pl_column_kinds(const PlColumn *col)
{
	switch (col->kind)
	{
		case PL_COL_INT2:
		case PL_COL_INT4:
		case PL_COL_INT8:
		case PL_COL_NUMERIC:
		case PL_COL_FLOAT4:
		case PL_COL_FLOAT8:
			return PL_K_NULL | PL_K_NUMBER;
		case PL_COL_BOOL:
			return PL_K_NULL | PL_K_BOOL;
		case PL_COL_JSON:
		case PL_COL_JSONB:
			return PL_K_ANY;
		case PL_COL_ARRAY:
			return PL_K_NULL | PL_K_ARRAY;
		case PL_COL_COMPOSITE:
			return PL_K_NULL | PL_K_OBJECT;
		default:
			return PL_K_NULL | PL_K_STRING;
	}
}

/* The JSON kinds a column can store (pl_value_to_datum may still refuse a value). */
uint8
pl_column_accepts(const PlColumn *col)
{
	switch (col->kind)
	{
		case PL_COL_TEXT:
		case PL_COL_OTHER:
		case PL_COL_COMPOSITE:
			return PL_K_NULL | PL_K_STRING | PL_K_NUMBER | PL_K_BOOL;
		case PL_COL_TIMESTAMPTZ:
		case PL_COL_TIMESTAMP:
		case PL_COL_DATE:
		case PL_COL_UUID:
			return PL_K_NULL | PL_K_STRING;
		default:
			return pl_column_kinds(col);
	}
}

/* The column's type as SQL shows it. */
const char *
pl_column_type_name(const PlColumn *col)
{
	return format_type_with_typemod(col->typid, col->is_domain ? -1 : col->typmod);
}

/* Set *out to the string s (NUL-terminated). */
static inline void
set_cstring(JsonbValue *out, char *s)
{
	out->type = jbvString;
	out->val.string.val = s;
	out->val.string.len = strlen(s);
}

/* Set *out to the number written as text s (a valid JSON number). */
static inline void
set_numeric_text(JsonbValue *out, char *s)
{
	out->type = jbvNumeric;
	out->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)));
}

/* Render the elements of one dimension of an array (to_jsonb's nesting). */
static void
array_dim(const PlColumn *elem, int dim, int ndims, const int *dims, Datum *values,
		  bool *nulls, int *k, JsonbValue *out)
{
	int			n = dims[dim];

	out->type = jbvArray;
	out->val.array.rawScalar = false;
	out->val.array.nElems = n;
	out->val.array.elems = palloc(sizeof(JsonbValue) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (dim + 1 < ndims)
			array_dim(elem, dim + 1, ndims, dims, values, nulls, k, &out->val.array.elems[i]);
		else
		{
			pl_datum_to_value(elem, values[*k], nulls[*k], &out->val.array.elems[i]);
			(*k)++;
		}
	}
}

/* Render datum d of column col as to_jsonb would. */
void
pl_datum_to_value(const PlColumn *col, Datum d, bool isnull, JsonbValue *out)
{
	if (isnull)
	{
		out->type = jbvNull;
		return;
	}
	switch (col->kind)
	{
		case PL_COL_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				out->type = jbvString;
				out->val.string.val = VARDATA_ANY(t);
				out->val.string.len = VARSIZE_ANY_EXHDR(t);
			}
			break;
		case PL_COL_INT2:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(DatumGetInt16(d));
			break;
		case PL_COL_INT4:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(DatumGetInt32(d));
			break;
		case PL_COL_INT8:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(DatumGetInt64(d));
			break;
		case PL_COL_NUMERIC:
			{
				Numeric		n = DatumGetNumeric(d);

				if (numeric_is_nan(n) || numeric_is_inf(n))
					set_cstring(out, DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n))));
				else
				{
					out->type = jbvNumeric;
					out->val.numeric = n;
				}
			}
			break;
		case PL_COL_FLOAT4:
		case PL_COL_FLOAT8:
			{
				float8		f = col->kind == PL_COL_FLOAT4 ? DatumGetFloat4(d) : DatumGetFloat8(d);
				char	   *s = col->kind == PL_COL_FLOAT4 ?
					DatumGetCString(DirectFunctionCall1(float4out, d)) : float8out_internal(f);

				if (isnan(f) || isinf(f))
					set_cstring(out, s);
				else
					set_numeric_text(out, s);
			}
			break;
		case PL_COL_BOOL:
			out->type = jbvBool;
			out->val.boolean = DatumGetBool(d);
			break;
		case PL_COL_TIMESTAMPTZ:
		case PL_COL_TIMESTAMP:
		case PL_COL_DATE:
			set_cstring(out, JsonEncodeDateTime(NULL, d, col->basetype, NULL));
			break;
		case PL_COL_UUID:
			set_cstring(out, DatumGetCString(DirectFunctionCall1(uuid_out, d)));
			break;
		case PL_COL_JSON:
			pl_jsonb_value(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															  CStringGetDatum(TextDatumGetCString(d)))), out);
			break;
		case PL_COL_JSONB:
			pl_jsonb_value(DatumGetJsonbP(d), out);
			break;
		case PL_COL_ARRAY:
			{
				ArrayType  *a = DatumGetArrayTypeP(d);
				Datum	   *values;
				bool	   *nulls;
				int			n;
				int			k = 0;

				deconstruct_array(a, col->elem->basetype, col->elem->typlen, col->elem->typbyval,
								  col->elem->typalign, &values, &nulls, &n);
				if (ARR_NDIM(a) <= 0 || n == 0)
				{
					out->type = jbvArray;
					out->val.array.rawScalar = false;
					out->val.array.nElems = 0;
					out->val.array.elems = palloc(sizeof(JsonbValue));
				}
				else
					array_dim(col->elem, 0, ARR_NDIM(a), ARR_DIMS(a), values, nulls, &k, out);
			}
			break;
		case PL_COL_COMPOSITE:
			pl_jsonb_value(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															  CStringGetDatum(TextDatumGetCString(DirectFunctionCall1(row_to_json, d))))),
						   out);
			break;
		case PL_COL_OTHER:
			set_cstring(out, OutputFunctionCall((FmgrInfo *) &col->outfunc, d));
			break;
	}
}

/* ----------------------------------------------------------------
 * Back into a column
 * ----------------------------------------------------------------
 */

/* The message for a value col cannot hold. */
static char *
cannot_store(const PlColumn *col, const JsonbValue *v)
{
	return psprintf("cannot store %s in column \"%s\" of type %s",
					pl_value_kind(v), col->name, pl_column_type_name(col));
}

/* The text a scalar is stored as in a text-like column; NULL for containers. */
static char *
scalar_text(const JsonbValue *v, int *len)
{
	char	   *s;

	switch (v->type)
	{
		case jbvString:
			*len = v->val.string.len;
			return v->val.string.val;
		case jbvNumeric:
			s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
			break;
		case jbvBool:
			s = v->val.boolean ? "true" : "false";
			break;
		default:
			return NULL;
	}
	*len = strlen(s);
	return s;
}

/* Store into text, varchar(n) or bpchar(n), checking the length. */
static bool
to_text(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	int			len;
	char	   *s = scalar_text(v, &len);

	if (s == NULL)
	{
		*err = cannot_store(col, v);
		return false;
	}
	*d = PointerGetDatum(cstring_to_text_with_len(s, len));
	if (col->typmod >= (int32) VARHDRSZ && col->basetype != TEXTOID)
	{
		int			max = col->typmod - VARHDRSZ;
		int			chars = pg_mbstrlen_with_len(s, len);

		/* bpchar, like its input, ignores trailing spaces beyond the length */
		while (chars > max && col->basetype == BPCHAROID && len > 0 && s[len - 1] == ' ')
		{
			len--;
			chars--;
		}
		if (chars > max)
		{
			*err = psprintf("value too long for column \"%s\" of type %s",
							col->name, pl_column_type_name(col));
			return false;
		}
		if (col->basetype == BPCHAROID)
			*d = DirectFunctionCall3(bpchar, PointerGetDatum(cstring_to_text_with_len(s, len)),
									 Int32GetDatum(col->typmod), BoolGetDatum(false));
	}
	return true;
}

/* Store a number into an integer column of the given range. */
static bool
to_int(const PlColumn *col, const JsonbValue *v, int64 lo, int64 hi, int64 *out, char **err)
{
	if (v->type != jbvNumeric)
	{
		*err = cannot_store(col, v);
		return false;
	}
	if (!pl_numeric_to_int64(v->val.numeric, out) || *out < lo || *out > hi)
	{
		*err = psprintf("%s does not fit column \"%s\" of type %s",
						numeric_normalize(v->val.numeric), col->name, pl_column_type_name(col));
		return false;
	}
	return true;
}

/* Is v the string s (of len bytes)? */
static inline bool
string_is(const JsonbValue *v, const char *s, int len)
{
	return v->type == jbvString && v->val.string.len == len && memcmp(v->val.string.val, s, len) == 0;
}

/*
 * The strings a numeric NaN or infinity is rendered as (to_jsonb's), back
 * into the column: any numeric takes NaN, only an unbounded one infinity.
 */
static bool
numeric_special(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	const char *s = string_is(v, "NaN", 3) ? "NaN" : string_is(v, "Infinity", 8) ? "Infinity" :
		string_is(v, "-Infinity", 9) ? "-Infinity" : NULL;

	if (s == NULL)
	{
		*err = cannot_store(col, v);
		return false;
	}
	if (col->bound && s[0] != 'N')
	{
		*err = psprintf("%s does not fit column \"%s\" of type %s", s, col->name, pl_column_type_name(col));
		return false;
	}
	*d = DirectFunctionCall3(numeric_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return true;
}

/* Store a number into numeric(p, s) or numeric, checking the precision. */
static bool
to_numeric(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	if (v->type != jbvNumeric)
		return numeric_special(col, v, d, err);
	*d = NumericGetDatum(v->val.numeric);
	if (col->bound)
	{
		int			scale = (((col->typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
		Datum		r = DirectFunctionCall2(numeric_round, *d, Int32GetDatum(scale));

		if (pl_numeric_cmp(DatumGetNumeric(DirectFunctionCall1(numeric_abs, r)), col->bound) >= 0)
		{
			*err = psprintf("%s does not fit column \"%s\" of type %s",
							numeric_normalize(v->val.numeric), col->name, pl_column_type_name(col));
			return false;
		}
		*d = DirectFunctionCall2(numeric, *d, Int32GetDatum(col->typmod));
	}
	return true;
}

/*
 * The least magnitude a float4 rounds to infinity (FLT_MAX and half its
 * last place): float4in takes anything below, rounded (3.4028235e38, as
 * float4out prints FLT_MAX).
 */
#define FLOAT4_ROUNDS_TO_INF 0x1.ffffffp+127

/*
 * Does number n, f as a float8, become zero in col although it is not
 * (float4in and float8in refuse such an input as out of range)?
 */
static inline bool
float_underflows(const PlColumn *col, float8 f, Numeric n)
{
	if (f != 0 && (col->kind != PL_COL_FLOAT4 || (float4) f != 0))
		return false;
	return DatumGetInt32(DirectFunctionCall1(numeric_int4,
											 DirectFunctionCall1(numeric_sign, NumericGetDatum(n)))) != 0;
}

/* Store a number (or "NaN", "Infinity", "-Infinity") into a float column. */
static bool
to_float(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	float8		f;

	if (string_is(v, "NaN", 3))
		f = get_float8_nan();
	else if (string_is(v, "Infinity", 8))
		f = get_float8_infinity();
	else if (string_is(v, "-Infinity", 9))
		f = -get_float8_infinity();
	else if (v->type == jbvNumeric)
	{
		f = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											   NumericGetDatum(v->val.numeric)));
		if (isinf(f) || (col->kind == PL_COL_FLOAT4 && fabs(f) >= FLOAT4_ROUNDS_TO_INF) ||
			float_underflows(col, f, v->val.numeric))
		{
			*err = psprintf("%s does not fit column \"%s\" of type %s",
							numeric_normalize(v->val.numeric), col->name, pl_column_type_name(col));
			return false;
		}
	}
	else
	{
		*err = cannot_store(col, v);
		return false;
	}
	*d = col->kind == PL_COL_FLOAT4 ? Float4GetDatum((float4) f) : Float8GetDatum(f);
	return true;
}

/*
 * The special values of the date/time parser ("infinity", "-infinity",
 * "epoch", as dtype says) in col's type, as date_in and timestamp_in read
 * them: a step copying an infinite timestamp writes back what it read.
 */
static bool
special_datetime(const PlColumn *col, int dtype, Datum *d)
{
	Timestamp	ts;
	DateADT		date;

	if (dtype == DTK_LATE)
	{
		TIMESTAMP_NOEND(ts);
		DATE_NOEND(date);
	}
	else if (dtype == DTK_EARLY)
	{
		TIMESTAMP_NOBEGIN(ts);
		DATE_NOBEGIN(date);
	}
	else if (dtype == DTK_EPOCH)
	{
		ts = SetEpochTimestamp();
		date = UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE;
	}
	else
		return false;
	*d = col->kind == PL_COL_DATE ? DateADTGetDatum(date) : TimestampGetDatum(ts);
	return true;
}

/* Store a date/time string, read by PostgreSQL's own parser (without throwing). */
static bool
to_datetime(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	char	   *str;
	int			nf;
	int			dtype;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			dterr;

	if (v->type != jbvString)
	{
		*err = cannot_store(col, v);
		return false;
	}
	str = pnstrdup(v->val.string.val, v->val.string.len);
	dterr = v->val.string.len > MAXDATELEN ? DTERR_BAD_FORMAT :
		ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = pl_decode_datetime(field, ftype, nf, &dtype, &tm, &fsec, &tz);
	if (dterr == 0 && special_datetime(col, dtype, d))
		return true;
	if (dterr == 0 && dtype == DTK_DATE)
	{
		Timestamp	ts;

		if (col->kind == PL_COL_DATE)
		{
			if (IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday))
			{
				DateADT		date = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;

				if (IS_VALID_DATE(date))
				{
					*d = DateADTGetDatum(date);
					return true;
				}
			}
		}
		else if (tm2timestamp(&tm, fsec, col->kind == PL_COL_TIMESTAMPTZ ? &tz : NULL, &ts) == 0 &&
				 IS_VALID_TIMESTAMP(ts))
		{
			if (col->typmod >= 0)
				pl_adjust_timestamp(&ts, col->typmod);
			*d = TimestampGetDatum(ts);
			return true;
		}
	}
	*err = psprintf("cannot store \"%s\" in column \"%s\" of type %s",
					str, col->name, pl_column_type_name(col));
	return false;
}

/* Store a UUID string (32 hex digits, hyphens between groups of four, maybe braces). */
static bool
to_uuid(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));
	const char *s = v->val.string.val;
	int			len = v->type == jbvString ? v->val.string.len : 0;
	int			n = 0;

	if (len >= 2 && s[0] == '{' && s[len - 1] == '}')
	{
		s++;
		len -= 2;
	}
	for (int i = 0; v->type == jbvString && i < len && n < 32; i++)
	{
		int			h = hex_value(s[i]);

		if (h < 0)
		{
			if (s[i] != '-' || n == 0 || n % 4 != 0 || s[i - 1] == '-' || i + 1 == len)
				break;
			continue;
		}
		if (n % 2 == 0)
			u->data[n / 2] = h << 4;
		else
			u->data[n / 2] |= h;
		n++;
		if (n == 32 && i + 1 == len)
		{
			*d = UUIDPGetDatum(u);
			return true;
		}
	}
	*err = v->type == jbvString ?
		psprintf("cannot store \"%s\" in column \"%s\" of type uuid",
				 pnstrdup(v->val.string.val, v->val.string.len), col->name) :
		cannot_store(col, v);
	return false;
}

/* Store any value into a json or jsonb column. */
static void
store_json(const PlColumn *col, const JsonbValue *v, Datum *d)
{
	Jsonb	   *jb = pl_doc_encode(v);

	if (col->kind == PL_COL_JSONB)
		*d = JsonbPGetDatum(jb);
	else
		*d = CStringGetTextDatum(JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
}

static bool convert(const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err);

/* Is v a JSON array (expanded or in place)? */
static inline bool
is_json_array(const JsonbValue *v)
{
	return v->type == jbvArray || (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data));
}

/*
 * The dimensions of array c as an array literal nests them (along its first
 * elements, at most MAXDIM); with elements that are JSON themselves, one.
 */
static int
nested_dims(const PlColumn *col, JsonbContainer *c, int *dims)
{
	bool		json = col->elem->kind == PL_COL_JSON || col->elem->kind == PL_COL_JSONB;
	int			ndims = 0;

	for (;;)
	{
		JsonbValue *e;

		dims[ndims++] = JsonContainerSize(c);
		if (json || ndims == MAXDIM || dims[ndims - 1] == 0)
			return ndims;
		e = getIthJsonbValueFromContainer(c, 0);
		if (e->type != jbvBinary || !JsonContainerIsArray(e->val.binary.data))
			return ndims;
		c = e->val.binary.data;
	}
}

/*
 * Convert the elements of c, at dimension dim, into values and nulls from
 * *k on; false (with *err) when c's arrays are not all of dims' lengths or
 * an element does not convert.
 */
static bool
array_elements(const PlColumn *col, JsonbContainer *c, int dim, int ndims, const int *dims,
			   Datum *values, bool *nulls, int *k, char **err)
{
	if ((int) JsonContainerSize(c) != dims[dim])
	{
		*err = psprintf("cannot store arrays of different lengths in column \"%s\" of type %s",
						col->name, pl_column_type_name(col));
		return false;
	}
	for (int i = 0; i < dims[dim]; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(c, i);

		if (dim + 1 < ndims && !is_json_array(e))
		{
			*err = psprintf("cannot store arrays of different depths in column \"%s\" of type %s",
							col->name, pl_column_type_name(col));
			return false;
		}
		if (dim + 1 < ndims ?
			!array_elements(col, e->val.binary.data, dim + 1, ndims, dims, values, nulls, k, err) :
			!convert(col->elem, e, &values[*k], &nulls[*k], err))
			return false;
		if (dim + 1 == ndims)
			(*k)++;
	}
	return true;
}

/*
 * Store a JSON array into an array column: nested arrays of equal lengths
 * are the dimensions (to_jsonb's rendering of a multidimensional array).
 */
static bool
to_array(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	Jsonb	   *jb;
	int			ndims;
	int			dims[MAXDIM];
	int			lbs[MAXDIM];
	int64		n = 1;
	int			k = 0;
	Datum	   *values;
	bool	   *nulls;

	if (!is_json_array(v))
	{
		*err = cannot_store(col, v);
		return false;
	}
	jb = pl_doc_encode(v);
	ndims = nested_dims(col, &jb->root, dims);
	for (int i = 0; i < ndims; i++)
	{
		n *= dims[i];
		lbs[i] = 1;
		/* each element takes a JEntry at least: more are arrays of different lengths */
		n = Min(n, (int64) VARSIZE(jb));
	}
	values = palloc(sizeof(Datum) * Max(n, 1));
	nulls = palloc(sizeof(bool) * Max(n, 1));
	if (!array_elements(col, &jb->root, 0, ndims, dims, values, nulls, &k, err))
		return false;
	*d = PointerGetDatum(construct_md_array(values, nulls, k > 0 ? ndims : 0, dims, lbs,
											col->elem->basetype, col->elem->typlen,
											col->elem->typbyval, col->elem->typalign));
	return true;
}

/* Store a string, number or boolean through the type's input function. */
static bool
to_other(const PlColumn *col, const JsonbValue *v, Datum *d, char **err)
{
	int			len;
	char	   *s = scalar_text(v, &len);

	if (s == NULL)
	{
		*err = cannot_store(col, v);
		return false;
	}
	return pl_input_call((FmgrInfo *) &col->infunc, pnstrdup(s, len), col->ioparam, col->typmod, d, err);
}

/* Convert v into a datum of col (see pl_value_to_datum); may raise if col->guarded. */
static bool
convert(const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err)
{
	int64		i;
	bool		ok = true;

	*isnull = v->type == jbvNull;
	*d = (Datum) 0;
	if (*isnull)
	{
		if (col->not_null)
		{
			*err = psprintf("column \"%s\" cannot be null", col->name);
			return false;
		}
	}
	else
		switch (col->kind)
		{
			case PL_COL_TEXT:
				ok = to_text(col, v, d, err);
				break;
			case PL_COL_INT2:
				if ((ok = to_int(col, v, PG_INT16_MIN, PG_INT16_MAX, &i, err)))
					*d = Int16GetDatum((int16) i);
				break;
			case PL_COL_INT4:
				if ((ok = to_int(col, v, PG_INT32_MIN, PG_INT32_MAX, &i, err)))
					*d = Int32GetDatum((int32) i);
				break;
			case PL_COL_INT8:
				if ((ok = to_int(col, v, PG_INT64_MIN, PG_INT64_MAX, &i, err)))
					*d = Int64GetDatum(i);
				break;
			case PL_COL_NUMERIC:
				ok = to_numeric(col, v, d, err);
				break;
			case PL_COL_FLOAT4:
			case PL_COL_FLOAT8:
				ok = to_float(col, v, d, err);
				break;
			case PL_COL_BOOL:
				if (v->type != jbvBool)
				{
					*err = cannot_store(col, v);
					return false;
				}
				*d = BoolGetDatum(v->val.boolean);
				break;
			case PL_COL_TIMESTAMPTZ:
			case PL_COL_TIMESTAMP:
			case PL_COL_DATE:
				ok = to_datetime(col, v, d, err);
				break;
			case PL_COL_UUID:
				ok = to_uuid(col, v, d, err);
				break;
			case PL_COL_JSON:
			case PL_COL_JSONB:
				store_json(col, v, d);
				break;
			case PL_COL_ARRAY:
				ok = to_array(col, v, d, err);
				break;
			case PL_COL_COMPOSITE:
			case PL_COL_OTHER:
				ok = to_other(col, v, d, err);
				break;
		}
	if (ok && col->is_domain)
		domain_check(*d, *isnull, col->typid, &((PlColumn *) col)->domain_extra, col->cxt);
	return ok;
}

/* Is code an error about the data (22xxx, 23xxx) rather than about the session? */
static bool
is_data_error(int code)
{
	return ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(code) == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION;
}

typedef bool (*PlStoreFn) (const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err);

/* A store function's call, for pl_subxact. */
typedef struct StoreCall
{
	PlStoreFn	fn;
	const PlColumn *col;
	const JsonbValue *v;
	Datum	   *d;
	bool	   *isnull;
	char	  **err;
	bool		ok;
} StoreCall;

static void
store_call(void *arg)
{
	StoreCall  *c = arg;

	c->ok = c->fn(c->col, c->v, c->d, c->isnull, c->err);
}

/*
 * Run fn in a subtransaction: the data error it raises becomes *err (false);
 * any other error is raised again once the subtransaction is rolled back.
 */
static bool
guarded(PlStoreFn fn, const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err)
{
	StoreCall	c = {fn, col, v, d, isnull, err, false};
	ErrorData  *edata;

	if (pl_subxact(store_call, &c, is_data_error, &edata))
		return c.ok;
	*err = edata->message;
	return false;
}

/*
 * Convert JSON value v into a datum of column col.  Returns false with *err
 * set when the value cannot be stored there (the type's input function or
 * the domain refuses it: guarded, see above).
 */
bool
pl_value_to_datum(const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err)
{
	if (col->guarded)
		return guarded(convert, col, v, d, isnull, err);
	return convert(col, v, d, isnull, err);
}

/* domain_check as a PlStoreFn: *d and *isnull are the value. */
static bool
check_domain(const PlColumn *col, const JsonbValue *v, Datum *d, bool *isnull, char **err)
{
	domain_check(*d, *isnull, col->typid, &((PlColumn *) col)->domain_extra, col->cxt);
	return true;
}

/* Does domain column col accept d?  If not, false with *err set (see pl_domain_accepts). */
bool
pl_domain_check(const PlColumn *col, Datum d, bool isnull, char **err)
{
	return guarded(check_domain, col, NULL, &d, &isnull, err);
}

/*
 * Are a and b the same value of col, byte for byte?  A compressed or
 * out-of-line value is compared by its content, but only when the sizes
 * agree, so an unchanged column costs one comparison.
 */
bool
pl_datum_same(const PlColumn *col, Datum a, bool anull, Datum b, bool bnull)
{
	struct varlena *x;
	struct varlena *y;

	if (anull || bnull)
		return anull && bnull;
	if (datumIsEqual(a, b, col->typbyval, col->typlen))
		return true;
	if (col->typlen != -1 ||
		!(VARATT_IS_EXTENDED(DatumGetPointer(a)) || VARATT_IS_EXTENDED(DatumGetPointer(b))) ||
		toast_raw_datum_size(a) != toast_raw_datum_size(b))
		return false;
	x = PG_DETOAST_DATUM_PACKED(a);
	y = PG_DETOAST_DATUM_PACKED(b);
	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}
