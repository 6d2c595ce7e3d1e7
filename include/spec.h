/*
 * spec.h: a pipeline spec compiled (schema, transform steps, options), and
 * the per-backend cache of compiled specs by pipeline name.
 */
#ifndef PIPELINE_SPEC_H
#define PIPELINE_SPEC_H

#include "schema.h"

typedef enum PlOnError
{
	PL_ON_ERROR_RAISE,
	PL_ON_ERROR_QUARANTINE,
	PL_ON_ERROR_SKIP
} PlOnError;

struct PlTransform;
struct PlStatsLocal;

/* What a spec compiles against: registered schemas ("$ref") and formats. */
typedef struct PlResolver
{
	PlSchemaResolver schema;
	PlFormatResolver format;
} PlResolver;

/* One version of a pipeline, compiled. */
typedef struct PlSpec
{
	const char *name;			/* NULL for a spec being checked */
	int32		version;
	PlSchema   *schema;			/* NULL: every record passes */
	struct PlTransform *transform;	/* NULL: no steps */
	PlOnError	on_error;
	bool		formats_assert;
	double		max_reject_rate;	/* quality gate (src/gate.c); -1: none */
	int64		min_rows;
	int			pins;			/* calls walking it (pl_spec_pin) */
	bool		retired;		/* replaced while pinned: freed at the last unpin */
	struct PlStatsLocal *stats;	/* its counts (src/stats.c); NULL until the first call */
	MemoryContext cxt;
} PlSpec;

/* src/spec.c */
extern PlSpec *pl_spec_compile(Jsonb *spec, const PlResolver *resolve);
extern void pl_spec_free(PlSpec *spec);
extern void pl_spec_retire(PlSpec *spec);
extern void pl_spec_free_retired(void);
extern void pl_spec_pin(PlSpec *spec);
extern void pl_spec_unpin(PlSpec *spec);
extern Jsonb *pl_spec_transform(PlSpec *spec, Jsonb *doc, PlErrors *errs);
extern bool pl_spec_check(PlSpec *spec, Jsonb *doc, Jsonb **out, PlErrors *errs);

/* src/cache.c */
extern void pl_cache_init(void);
extern PlSpec *pl_cache_lookup(const char *name, FmgrInfo *flinfo);
extern PlSpec *pl_cache_lookup_text(text *name, int32 version, FmgrInfo *flinfo);
extern PlSpec *pl_cache_lookup_version(const char *name, int32 version, FmgrInfo *flinfo);
extern struct HTAB *pl_hash_create(const char *name, long nelem, Size keysize, Size entrysize,
								   MemoryContext cxt);

#endif
