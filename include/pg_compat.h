/*
 * pg_compat.h: the few server APIs that differ between the PostgreSQL major
 * versions the extension builds against (15, 16, 17; 18 as far as its
 * headers show).  Every PG_VERSION_NUM test lives here, so the subsystems
 * call one name whatever the version.
 */
#ifndef PIPELINE_PG_COMPAT_H
#define PIPELINE_PG_COMPAT_H

#include "common/base64.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/datetime.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARDATA, VARSIZE: out of postgres.h since 16 */
#endif

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

#endif
