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
 * Where the tokens of a keywordLocation from byte mark on lie in absolute
 * terms: base is the absolute URI of the schema reached at mark, as
 * "<resource URI>#<JSON Pointer>" (fragment percent-encoded), or NULL when it
 * has none; outer is where the tokens before mark lie.  A chain of these is
 * built only for failures, when the errors ask for it (PlErrors.absolute).
 */
typedef struct PlAbsLocation
{
	const char *base;
	int			mark;
	const struct PlAbsLocation *outer;
} PlAbsLocation;

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
	const PlAbsLocation *absolute;	/* where keyword_location lies, or NULL */
} PlError;

/* A growing list of violations, allocated in CurrentMemoryContext. */
typedef struct PlErrors
{
	int			count;
	int			capacity;
	PlError    *items;
	bool		absolute;		/* record PlError.absolute (set before validating) */
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
extern void pl_append_fragment(StringInfo buf, const char *ptr, int len);
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
