/*
 * pipeline.h: declarations shared by every subsystem of the extension.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "pg_compat.h"

/* GUCs (src/pipeline.c) */
extern bool pipeline_format_assertion;
extern int	pipeline_compat_cache_size;

/*
 * One violation: where in the record (instanceLocation, a JSON Pointer), which
 * rule (keywordLocation, a JSON Pointer into the spec, e.g.
 * "/schema/properties/email/format" or "/transform/2") and why.
 */
typedef struct PlError
{
	char	   *instance_location;
	char	   *keyword_location;
	char	   *message;
} PlError;

/* A growing list of violations, allocated in CurrentMemoryContext. */
typedef struct PlErrors
{
	int			count;
	int			capacity;
	PlError    *items;
} PlErrors;

/* src/errors.c */
extern char *pl_vformat(const char *fmt, va_list args) pg_attribute_printf(1, 0);
extern void pl_errors_init(PlErrors *errs);
extern void pl_errors_add(PlErrors *errs, const char *instance_location,
						  const char *keyword_location, const char *fmt,...)
			pg_attribute_printf(4, 5);
extern Jsonb *pl_errors_to_jsonb(const PlErrors *errs);
extern char *pl_errors_detail(const PlErrors *errs);
extern void pl_pointer_append_token(StringInfo ptr, const char *token, int len);
extern bool pl_subxact(void (*fn) (void *arg), void *arg, bool (*caught) (int sqlerrcode),
					   ErrorData **err);

/* murmur3's 64-bit finalizer: every input bit reaches every output bit. */
static inline uint64
pl_mix64(uint64 h)
{
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

#endif
