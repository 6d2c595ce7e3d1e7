/*
 * pg_compat.h: the few server APIs that differ between the PostgreSQL major
 * versions the extension builds against (15, 16, 17; 18 as far as its
 * headers show).  Every PG_VERSION_NUM test lives here, so the subsystems
 * call one name whatever the version.
 */
#ifndef PIPELINE_PG_COMPAT_H
#define PIPELINE_PG_COMPAT_H

#include "catalog/pg_proc_d.h"
#include "common/base64.h"
#include "common/jsonapi.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/datetime.h"

#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#include "varatt.h"				/* VARDATA, VARSIZE: out of postgres.h since 16 */
#endif

/* May role execute function fn?  16 folded pg_proc_aclcheck into object_aclcheck. */
static inline AclResult
pl_proc_aclcheck(Oid fn, Oid role, AclMode mode)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(ProcedureRelationId, fn, role, mode);
#else
	return pg_proc_aclcheck(fn, role, mode);
#endif
}

/* 18 replaced the noreturn attribute by a specifier; ours sit where both fit */
#if PG_VERSION_NUM >= 180000 && !defined(pg_attribute_noreturn)
#define pg_attribute_noreturn() pg_noreturn
#endif

/* A JSON lexer over len bytes in the database encoding, without escapes. */
static inline JsonLexContext *
pl_json_lexer(char *json, int len)
{
#if PG_VERSION_NUM >= 170000
	return makeJsonLexContextCstringLen(NULL, json, len, GetDatabaseEncoding(), false);
#else
	return makeJsonLexContextCstringLen(json, len, GetDatabaseEncoding(), false);
#endif
}

/* Decode base64 into dst; -1 when src is not base64 (18 takes uint8 *). */
static inline int
pl_b64_decode(const char *src, int len, char *dst, int dstlen)
{
#if PG_VERSION_NUM >= 180000
	return pg_b64_decode(src, len, (uint8 *) dst, dstlen);
#else
	return pg_b64_decode(src, len, dst, dstlen);
#endif
}

/* Round a timestamp to a column's typmod (raises on overflow, as before 16). */
static inline void
pl_adjust_timestamp(Timestamp *ts, int32 typmod)
{
#if PG_VERSION_NUM >= 160000
	(void) AdjustTimestampForTypmod(ts, typmod, NULL);
#else
	AdjustTimestampForTypmod(ts, typmod);
#endif
}

/*
 * Input functions report bad input softly since 16; before, they raise, so a
 * caller that must survive bad input calls them in a subtransaction.
 */
#define PL_INPUT_FUNCTIONS_RAISE (PG_VERSION_NUM < 160000)

/* Run an input function; false (with *err) on input it refuses softly. */
static inline bool
pl_input_call(FmgrInfo *flinfo, char *str, Oid ioparam, int32 typmod, Datum *d, char **err)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {.type = T_ErrorSaveContext, .details_wanted = true};

	if (!InputFunctionCallSafe(flinfo, str, ioparam, typmod, (Node *) &escontext, d))
	{
		*err = escontext.error_data->message;
		return false;
	}
#else
	*d = InputFunctionCall(flinfo, str, ioparam, typmod);
#endif
	return true;
}

/* DecodeDateTime (16 added an argument for error details). */
static inline int
pl_decode_datetime(char **field, int *ftype, int nf, int *dtype, struct pg_tm *tm, fsec_t *fsec, int *tz)
{
#if PG_VERSION_NUM >= 160000
	DateTimeErrorExtra extra;

	return DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tz, &extra);
#else
	return DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tz);
#endif
}

/* Insert an inserted row's index entries (16 added onlySummarizing, for HOT updates). */
static inline List *
pl_insert_index_tuples(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL, false);
#else
	return ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
#endif
}

/* This backend's local transaction id (moved into vxid in 17). */
static inline LocalTransactionId
pl_local_xid(void)
{
#if PG_VERSION_NUM >= 170000
	return MyProc->vxid.lxid;
#else
	return MyProc->lxid;
#endif
}

#endif
