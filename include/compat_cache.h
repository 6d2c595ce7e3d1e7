/*
 * compat_cache.h: the backend-wide cache of schemas compiled for the
 * pg_jsonschema-compatible functions, by schema text.
 */
#ifndef PIPELINE_COMPAT_CACHE_H
#define PIPELINE_COMPAT_CACHE_H

#include "schema.h"

/* What identifies a compiled schema: its text and the format switch. */
typedef struct PlCompatKey
{
	const char *text;
	int			len;
	bool		formats;
} PlCompatKey;

/* src/compat_cache.c */
extern PlSchema *pl_compat_cache_find(const PlCompatKey *key, const char **text);
extern bool pl_compat_cache_add(const PlCompatKey *key, PlSchema *schema, const char **text);
extern uint64 pl_compat_cache_evictions(void);

#endif
