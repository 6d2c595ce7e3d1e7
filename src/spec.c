/*-------------------------------------------------------------------------
 *
 * spec.c
 *	  Compile a pipeline spec: its schema, transform steps and options.
 *
 * A spec is {"schema": ..., "transform": [...], "on_error": ..., "formats": ...}.
 * Everything that can be wrong with it is found here, at define time, and
 * reported as 22023 with the JSON Pointer of the bad part.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "ops.h"
#include "spec.h"
#include "stats.h"
#include "transform.h"

/* Raise 22023 about the spec member at JSON Pointer ptr. */
pg_attribute_noreturn()
static void
spec_error(const char *ptr, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 ptr[0] ? errmsg("spec %s: %s", ptr, msg) : errmsg("spec: %s", msg),
			 detail ? errdetail("%s", detail) : 0));
}

/* The string member key of spec, checked against the allowed values. */
static int
spec_choice(const JNode *spec, const char *key, const char *const *allowed, int dflt)
{
	JNode	   *v = jnode_get(spec, key);
	char		ptr[64];

	snprintf(ptr, sizeof(ptr), "/%s", key);
	if (v == NULL)
		return dflt;
	if (v->type == JB_STRING)
		for (int i = 0; allowed[i]; i++)
			if (strcmp(v->str, allowed[i]) == 0)
				return i;
	spec_error(ptr, psprintf("\"%s\" must be one of %s", key,
							 strcmp(key, "formats") == 0 ? "\"assert\", \"annotate\"" :
							 "\"raise\", \"quarantine\", \"skip\""), NULL);
}

/* Reject members of the spec that are not ours. */
static void
spec_check_members(const JNode *spec)
{
	static const char *const known[] = {"schema", "transform", "on_error", "formats", "description",
	"max_reject_rate", "min_rows"};

	for (int i = 0; i < spec->n; i++)
	{
		int			k;

		for (k = 0; k < (int) lengthof(known); k++)
			if (strcmp(spec->pairs[i].key, known[k]) == 0)
				break;
		if (k == lengthof(known))
		{
			StringInfoData ptr;

			initStringInfo(&ptr);
			pl_pointer_append_token(&ptr, spec->pairs[i].key, spec->pairs[i].keylen);
			spec_error(ptr.data, psprintf("unknown member \"%s\"", spec->pairs[i].key),
					   "A spec has the members \"schema\", \"transform\", \"on_error\", \"formats\", \"description\", \"max_reject_rate\" and \"min_rows\".");
		}
	}
}

/*
 * Compile the transform member (NULL when there are no steps) into cxt.
 * The compiler reads the spec's JNode tree in the current (scratch)
 * context; the compiled steps it returns hold copies of what they need.
 */
static struct PlTransform *
spec_check_transform(const JNode *spec, MemoryContext cxt)
{
	JNode	   *t = jnode_get(spec, "transform");

	if (t == NULL)
		return NULL;
	if (t->type != JB_ARRAY)
		spec_error("/transform", "\"transform\" must be an array of steps", NULL);
	if (t->n == 0)
		return NULL;
	return pl_transform_compile(t, cxt);
}

/* Compile the "schema" member, if any, into a context under cxt. */
static PlSchema *
spec_compile_schema(Jsonb *spec_jb, bool formats_assert, const PlResolver *resolve,
					MemoryContext cxt)
{
	JsonbValue	v;
	JsonbValue *sv;
	PlCompileOptions opts = {"/schema", formats_assert, PL_DRAFT2020, resolve->schema, resolve->format};
	Jsonb	   *member;
	MemoryContext old;
	PlSchema   *schema;

	sv = getKeyJsonValueFromContainer(&spec_jb->root, "schema", 6, &v);
	if (sv == NULL)
		return NULL;
	if (sv->type != jbvBinary && sv->type != jbvBool)
		spec_error("/schema", "\"schema\" must be a JSON Schema (an object or a boolean)", NULL);
	member = JsonbValueToJsonb(sv);
	old = MemoryContextSwitchTo(cxt);
	schema = pl_schema_compile(member, &opts);
	MemoryContextSwitchTo(old);
	return schema;
}

/*
 * Compile a whole spec into a new memory context (child of the current one);
 * resolve finds the documents its schema "$ref"s by absolute URI and the
 * formats registered by name.  The spec's own JNode tree is only read here:
 * it lives in a scratch context, deleted once the schema and the steps are
 * copied out.
 */
PlSpec *
pl_spec_compile(Jsonb *spec_jb, const PlResolver *resolve)
{
	static const char *const on_error[] = {"raise", "quarantine", "skip", NULL};
	static const char *const formats[] = {"assert", "annotate", NULL};
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pipeline spec",
											  PL_COMPILED_SIZES);
	MemoryContext scratch = AllocSetContextCreate(cxt, "pipeline spec compiler",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	PlSpec	   *spec = MemoryContextAllocZero(cxt, sizeof(PlSpec));
	JNode	   *top = jnode_from_jsonb(spec_jb);

	spec->cxt = cxt;
	if (top->type != JB_OBJECT)
		spec_error("", "a spec must be a JSON object", NULL);
	spec_check_members(top);
	spec->on_error = (PlOnError) spec_choice(top, "on_error", on_error, PL_ON_ERROR_RAISE);
	spec->formats_assert = spec_choice(top, "formats", formats, 0) == 0;
	pl_gate_parse(spec, top);
	spec->transform = spec_check_transform(top, cxt);
	spec->schema = spec_compile_schema(spec_jb, spec->formats_assert, resolve, cxt);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	return spec;
}

/* Free a compiled spec. */
void
pl_spec_free(PlSpec *spec)
{
	pl_stats_detach(spec);
	MemoryContextDelete(spec->cxt);
}

/*
 * Specs retired while a registered format's function ran: the validation
 * that called it may still be walking one of them, unpinned (validate()).
 */
static List *retired_in_format_calls = NIL;

/* Free the specs retired during format calls (none is running now). */
static void
spec_free_retired_in_format_calls(void)
{
	List	   *specs = retired_in_format_calls;
	ListCell   *lc;

	retired_in_format_calls = NIL;
	foreach(lc, specs)
		pl_spec_free((PlSpec *) lfirst(lc));
	list_free(specs);
}

/*
 * Free the specs retired during format calls once none runs: no validation
 * is then walking one unpinned (user code inside a walk runs only in format
 * functions).  Called by every cache refresh, so a statement whose format
 * function redefines pipelines row after row keeps one row's specs, not all.
 */
void
pl_spec_free_retired(void)
{
	if (retired_in_format_calls != NIL && pl_format_calls_running == 0)
		spec_free_retired_in_format_calls();
}

/*
 * The cache no longer holds spec: free it now, or, while a call is still
 * walking it (a trigger whose row ran code that redefined the pipeline), at
 * that call's unpin, or, while a format function runs (it may have
 * redefined the pipeline its validation walks), at the next cache refresh
 * or retire outside one (pl_spec_free_retired).
 */
void
pl_spec_retire(PlSpec *spec)
{
	MemoryContext old;

	if (spec->pins > 0)
		spec->retired = true;
	else if (pl_format_calls_running > 0)
	{
		old = MemoryContextSwitchTo(TopMemoryContext);
		retired_in_format_calls = lappend(retired_in_format_calls, spec);
		MemoryContextSwitchTo(old);
	}
	else
	{
		pl_spec_free(spec);
		spec_free_retired_in_format_calls();
	}
}

/* Keep spec alive for the duration of a call. */
void
pl_spec_pin(PlSpec *spec)
{
	spec->pins++;
}

/* End a call's pin; the last unpin of a retired spec frees it. */
void
pl_spec_unpin(PlSpec *spec)
{
	if (--spec->pins == 0 && spec->retired)
		pl_spec_free(spec);
}

/*
 * Apply the spec's transform steps to doc; returns doc itself when nothing
 * changed.  A step that fails changes nothing and adds a violation to errs
 * (if given); the later steps still run.
 */
Jsonb *
pl_spec_transform(PlSpec *spec, Jsonb *doc, PlErrors *errs)
{
	bool		ok;

	return pl_transform_jsonb(spec->transform, doc, errs, &ok);
}

/*
 * Transform doc and validate the result; *out gets the transformed document.
 * With errs, every violation is collected; without, stops at the first.
 */
bool
pl_spec_check(PlSpec *spec, Jsonb *doc, Jsonb **out, PlErrors *errs)
{
	bool		ok;
	Jsonb	   *t = pl_transform_jsonb(spec->transform, doc, errs, &ok);

	if (out)
		*out = t;
	if (spec->schema == NULL)
		return ok;
	if (errs)
		return pl_validate_errors(spec->schema, t, "/schema", errs) && ok;
	return ok && pl_validate(spec->schema, t);
}
