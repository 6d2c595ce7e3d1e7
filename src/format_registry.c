/*-------------------------------------------------------------------------
 *
 * format_registry.c
 *	  The C side of pipeline.register_format(): checking a format before it
 *	  is stored, finding registered formats when a spec compiles, and
 *	  refusing to unregister one that a pipeline asserts.
 *
 * The table pipeline.formats and register_format()/unregister_format() are
 * SQL (see the install script).  Specs reach registered formats only
 * through the resolvers below, passed down to the compiler: the IMMUTABLE
 * compat functions pass none, so registrations never change their verdict.
 * A format is looked up once per compile of a spec, never per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "formats.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(pipeline_check_format);
PG_FUNCTION_INFO_V1(pipeline_check_format_users);

/* While _check_format_users compiles a spec: the name it watches, and where the compile asked for it. */
static const char *watched_format = NULL;
static char *watched_where = NULL;
static MemoryContext watched_cxt = NULL;

/*
 * The format registered under name, read as it is now; true and *def
 * filled (pattern copied into the current context) if there is one.
 */
bool
pl_registry_format(const char *name, const char *where, PlFormatDef *def)
{
	MemoryContext outer = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	bool		found = false;
	bool		isnull;

	SPI_connect();
	/* as it is now, like schemas in pl_registry_schema() */
	PushActiveSnapshot(GetCatalogSnapshot(InvalidOid));
	SPI_execute_with_args("SELECT f.pattern, f.function::pg_catalog.oid,"
						  " f.function IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_proc p"
						  " WHERE p.oid OPERATOR(pg_catalog.=) f.function"
						  " AND p.provolatile OPERATOR(pg_catalog.=) 'i' AND p.proparallel OPERATOR(pg_catalog.=) 's')"
						  " FROM pipeline.formats f"
						  " WHERE f.name OPERATOR(pg_catalog.=) $1",
						  1, argtypes, args, NULL, true, 1);
	PopActiveSnapshot();
	if (SPI_processed == 1)
	{
		char	   *pattern = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		Datum		check;

		/*
		 * a function dropped, or made VOLATILE, STABLE or parallel unsafe:
		 * say so, rather than fail on its OID at the call; 22023 like
		 * every reason a spec does not compile
		 */
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the function of format \"%s\" no longer exists or is no longer IMMUTABLE and PARALLEL SAFE", name),
					 errhint("Register the format again with an existing function, or unregister it.")));
		check = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		def->pattern = pattern ? MemoryContextStrdup(outer, pattern) : NULL;
		def->check = isnull ? InvalidOid : DatumGetObjectId(check);
		found = true;
	}
	SPI_finish();
	return found;
}

/* pl_registry_format, warning (at define time) of a format that is not registered. */
static bool
registry_format_or_warn(const char *name, const char *where, PlFormatDef *def)
{
	if (pl_registry_format(name, where, def))
		return true;
	ereport(WARNING,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("format \"%s\" at \"%s\" is neither built in nor registered", name, where),
			 errdetail("An unknown format is an annotation: it accepts every string."),
			 errhint("Register it with pipeline.register_format(), or correct its name.")));
	return false;
}

const PlResolver pl_registry_resolver = {pl_registry_schema, pl_registry_format};
const PlResolver pl_registry_define_resolver = {pl_registry_schema, registry_format_or_warn};

/* Refuse a name that cannot be registered: empty, or a built-in format's. */
static void
check_format_name(const char *name)
{
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("format name must not be empty")));
	if (pl_format_lookup(name, strlen(name)) != PL_FORMAT_UNKNOWN)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("format \"%s\" is built in", name),
				 errhint("Register the format under another name.")));
}

/* Refuse a pattern that does not compile (2201B), as "pattern" would. */
static void
check_format_pattern(const char *name, text *pattern)
{
	PlRegex		re;
	char	   *err = NULL;

	if (!pl_regex_compile(&re, VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid regular expression for format \"%s\": %s", name, err),
				 errdetail("The pattern was \"%s\".", text_to_cstring(pattern))));
	pl_regex_free(&re);
}

/* Does pg_proc row p take one text argument and return one boolean? */
static inline bool
is_format_signature(Form_pg_proc p)
{
	return p->prokind == PROKIND_FUNCTION && !p->proretset && p->pronargs == 1 &&
		p->proargtypes.values[0] == TEXTOID && p->prorettype == BOOLOID;
}

/*
 * May role owner change what a format function runs, for the registering
 * role?  Only the registering role itself (or a role whose rights it has)
 * and superusers: any other owner could later replace the function's body
 * and have it run with the rights of every role that validates.
 */
static inline bool
is_trusted_owner(Oid owner)
{
	return superuser_arg(owner) || has_privs_of_role(GetUserId(), owner);
}

/*
 * Refuse a function that cannot check format name: not (text) RETURNS
 * boolean, not IMMUTABLE (compiled specs keep the verdict's rule for the
 * life of a backend) and PARALLEL SAFE (validate() is), one the
 * registering role may not execute (as CREATE TRIGGER checks its
 * function), or one owned by a role it does not trust.
 */
static void
check_format_function(const char *name, Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	AclResult	acl;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	p = (Form_pg_proc) GETSTRUCT(tup);
	if (!is_format_signature(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("function %s cannot check format \"%s\"", format_procedure(fn), name),
				 errdetail("A format function takes one argument of type text and returns boolean.")));
	if (p->provolatile != PROVOLATILE_IMMUTABLE || p->proparallel != PROPARALLEL_SAFE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("function %s of format \"%s\" must be IMMUTABLE and PARALLEL SAFE",
						format_procedure(fn), name),
				 errdetail("Compiled pipelines keep a format's checks for the life of a session, and validate() may run in parallel workers."),
				 errhint("If it only looks at its argument, declare it so with ALTER FUNCTION ... IMMUTABLE PARALLEL SAFE.")));
	if (!is_trusted_owner(p->proowner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function %s of format \"%s\" is owned by role \"%s\"",
						format_procedure(fn), name, GetUserNameFromId(p->proowner, false)),
				 errdetail("Its owner could replace it, and it would run with the rights of every role that validates."),
				 errhint("Register a function owned by you or by a superuser.")));
	ReleaseSysCache(tup);
	acl = pl_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FUNCTION, get_func_name(fn));
}

/*
 * _check_format(name, pattern, check): raise the error of what is wrong
 * with registering name with exactly one of pattern and check.
 */
Datum
pipeline_check_format(PG_FUNCTION_ARGS)
{
	char	   *name;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) == PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a format needs a name and either a pattern or a function")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_format_name(name);
	if (!PG_ARGISNULL(1))
		check_format_pattern(name, PG_GETARG_TEXT_PP(1));
	else
		check_format_function(name, PG_GETARG_OID(2));
	PG_RETURN_VOID();
}

/*
 * The registry as a format resolver that notes where the watched name was
 * asked for, and answers for it that it is not registered (it may be
 * broken: its function dropped).
 */
static bool
format_watching(const char *name, const char *where, PlFormatDef *def)
{
	if (watched_format && strcmp(name, watched_format) == 0)
	{
		if (watched_where == NULL)
			watched_where = MemoryContextStrdup(watched_cxt, where);
		return false;
	}
	return pl_registry_format(name, where, def);
}

/* Compile spec arg with the watching format resolver and throw it away. */
static void
compile_watching_format(void *arg)
{
	static const PlResolver watching = {pl_registry_schema, format_watching};

	pl_spec_free(pl_spec_compile((Jsonb *) arg, &watching));
}

/*
 * _check_format_users(name): refuse (2BP01, naming the pipeline and where)
 * to unregister a format that the current version of a pipeline asserts:
 * its checks would silently stop.  A pipeline that does not compile is left
 * alone.
 */
Datum
pipeline_check_format_users(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	  **names;
	Jsonb	  **specs;

	/* a registered schema may hold the "format": every pipeline is compiled */
	int			n = pl_registry_current_specs(NULL, &names, &specs);

	watched_cxt = CurrentMemoryContext;
	for (int i = 0; i < n; i++)
	{
		watched_format = name;
		watched_where = NULL;
		(void) pl_try_invalid(compile_watching_format, specs[i], NULL);
		watched_format = NULL;
		if (watched_where)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot unregister format \"%s\" because pipeline \"%s\" asserts it", name, names[i]),
					 errdetail("Its current version checks the format at \"%s\".", watched_where),
					 errhint("Define a version of the pipeline without the format, or with \"formats\": \"annotate\", first.")));
	}
	PG_RETURN_VOID();
}
