/*
 * transform.h: transform steps compiled with a spec, and the mutable record
 * they are applied to.
 *
 * A spec's "transform" array becomes a PlTransform (src/transform_compile.c): every
 * argument checked, pointers split into tokens, regexes compiled, maps sorted,
 * constant values turned into JsonbValues, so applying a step does no parsing.
 *
 * Steps work on a PlDoc: a JsonbValue tree whose untouched parts stay
 * jbvBinary references into the original jsonb.  A container is expanded into
 * jbvObject/jbvArray only when a step writes below it, and pl_doc_encode
 * writes the tree back to a jsonb, copying unexpanded containers as bytes.
 * A record that no step changes is never re-encoded.
 */
#ifndef PIPELINE_TRANSFORM_H
#define PIPELINE_TRANSFORM_H

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "regex/regex.h"

#include "pg_compat.h"

#include "jsonb_read.h"
#include "schema.h"

typedef enum PlOp
{
	PL_OP_TRIM,
	PL_OP_COLLAPSE_WHITESPACE,
	PL_OP_LOWER,
	PL_OP_UPPER,
	PL_OP_NULLIF_EMPTY,
	PL_OP_TRUNCATE,
	PL_OP_REPLACE,
	PL_OP_COERCE,
	PL_OP_PARSE_TIMESTAMP,
	PL_OP_ROUND,
	PL_OP_CLAMP,
	PL_OP_SCALE,
	PL_OP_MAP,
	PL_OP_DEFAULT,
	PL_OP_SET,
	PL_OP_REMOVE,
	PL_OP_RENAME,
	PL_OP_COPY,
	PL_OP_CONCAT,
	PL_OP_KEEP,
	PL_OP_HASH,
	PL_OP_MASK
} PlOp;

/* Kinds of JSON value a step can leave at its path (for attach checks) */
#define PL_K_NULL		0x01
#define PL_K_BOOL		0x02
#define PL_K_NUMBER		0x04
#define PL_K_STRING		0x08
#define PL_K_OBJECT		0x10
#define PL_K_ARRAY		0x20
#define PL_K_ANY		0x3F

/* coerce "to" */
typedef enum PlCoerceTo
{
	PL_TO_INTEGER,
	PL_TO_NUMBER,
	PL_TO_BOOLEAN,
	PL_TO_STRING
} PlCoerceTo;

/* A JSON Pointer split into unescaped tokens. */
typedef struct PlPointer
{
	const char *text;			/* as written */
	int			ntokens;
	const char **tokens;		/* NUL-terminated, unescaped */
	int		   *lens;
} PlPointer;

/* One entry of a map's "values", keyed by the (maybe case-folded) string. */
typedef struct PlMapEntry
{
	const char *key;
	int			keylen;
	JsonbValue	value;
} PlMapEntry;

/* One byte more of a map key's hash (a caller folding a key hashes it on the way). */
static inline uint32
pl_map_hash_step(uint32 h, unsigned char c)
{
	return h * 31 + c;
}

/* Hash of a map key (as stored: folded when case is ignored) for its slots. */
static inline uint32
pl_map_hash(const char *key, int len)
{
	uint32		h = (uint32) len;

	for (int i = 0; i < len; i++)
		h = pl_map_hash_step(h, (unsigned char) key[i]);
	return h ^ (h >> 15);
}

/* A piece of a replacement: literal text, or a group reference. */
typedef struct PlReplPiece
{
	const char *text;			/* NULL for a group */
	int			len;
	int			group;
} PlReplPiece;

/* One format of parse_timestamp: iso8601, epoch, or strptime items. */
typedef struct PlTsFormat
{
	int			kind;
	int			nitems;
	const char *items;			/* strptime: (type, char) pairs */
} PlTsFormat;

/* A step, compiled. */
typedef struct PlStep
{
	PlOp		op;
	int			index;			/* position in "transform" */
	const char *location;		/* "/transform/N" */
	PlPointer	path;
	PlPointer	other;			/* rename "to", copy "from" */
	int			nfrom;			/* concat "from" */
	PlPointer  *from;
	uint8		kinds;			/* PL_K_* this step may leave at path */
	int			root_key;		/* path's one token in PlTransform.root_keys, or -1 */
	union
	{
		int64		length;		/* truncate */
		int			digits;		/* round */
		PlCoerceTo	to;			/* coerce */
		const char *separator;	/* concat */
		const char *salt;		/* hash */
		struct
		{
			Numeric		min;	/* NULL: unbounded */
			Numeric		max;
		}			clamp;
		struct
		{
			Numeric		factor;
			Numeric		offset;
		}			scale;
		struct
		{
			regex_t		re;
			int			npieces;
			PlReplPiece *pieces;
		}			replace;
		struct
		{
			int			nformats;
			PlTsFormat *formats;
			pg_tz	   *tz;		/* NULL: UTC */
		}			ts;
		struct
		{
			int			n;
			PlMapEntry *entries;	/* sorted by (keylen, key) */
			bool		case_insensitive;
			bool		has_default;
			int			hashmask;	/* slots - 1 (a power of two less one) */
			int		   *slots;		/* by pl_map_hash: entry index + 1, 0 empty */
			JsonbValue	dflt;
		}			map;
		JsonbValue	value;		/* default, set */
		struct
		{
			int			n;
			const char **keys;	/* sorted by (length, bytes) */
			int		   *lens;
		}			keep;
		struct
		{
			int			keep_last;
			const char *chr;	/* one character, UTF-8 */
			int			chrlen;
		}			mask;
	}			u;
} PlStep;

/* At most this many distinct one-token paths are located once per record. */
#define PL_MAX_ROOT_KEYS	64

/*
 * A compiled "transform" array.  The distinct keys of one-token paths
 * ("/email") of value ops, default and set are listed, in jsonb key order,
 * so a record's root object is walked once for all of them (transform.c).
 */
typedef struct PlTransform
{
	int			nsteps;
	PlStep	   *steps;
	int			nroot_keys;
	const char **root_keys;
	int		   *root_key_lens;
} PlTransform;

/*
 * Per-record scratch memory: what steps allocate for a record (expanded
 * containers, new strings and numbers) comes from a buffer of the record's
 * PlDoc while it lasts, then from palloc.  Nothing is freed one by one: it
 * all goes with the record.
 */
typedef struct PlScratch
{
	char	   *next;
	char	   *end;			/* next == end: palloc */
} PlScratch;

/* Bytes of scratch a PlDoc holds: an orders record needs about a third. */
#define PL_DOC_SCRATCH	2048

/*
 * A record being transformed.  For a table row, root is an object whose keys
 * are the columns: they can be neither added nor removed (removing one sets it
 * to null), and touched[i] records the last step that wrote root pair i.  A
 * PlDoc zeroed instead of made by pl_doc_init allocates with palloc.
 */
typedef struct PlDoc
{
	JsonbValue	root;
	bool		changed;
	bool		row;
	int		   *touched;		/* row: per root pair, last step index or -1 */
	PlScratch	scratch;
	union
	{
		char		data[PL_DOC_SCRATCH];
		int64		align;
	}			buf;
} PlDoc;

/* size bytes for the record (MAXALIGNed), from its scratch while it lasts. */
static inline void *
pl_scratch_alloc(PlScratch *sc, Size size)
{
	char	   *p = sc->next;

	size = MAXALIGN(size);
	if ((Size) (sc->end - p) < size)
		return palloc(size);
	sc->next = p + size;
	return p;
}

/* Give back p, of size bytes, if it was sc's last allocation (a result that changed nothing). */
static inline void
pl_scratch_unget(PlScratch *sc, void *p, Size size)
{
	if ((char *) p + MAXALIGN(size) == sc->next)
		sc->next = p;
}

/* src/jtree.c */
extern void pl_jsonb_value(Jsonb *jb, JsonbValue *out);
extern void pl_doc_init(PlDoc *doc, Jsonb *jb);
extern void *pl_grow_at(PlScratch *sc, const void *old, int n, Size size, int i);
extern void pl_expand(JsonbValue *v, PlScratch *sc);
extern JsonbPair *pl_object_insert(PlScratch *sc, JsonbValue *obj, int i, const char *tok, int len);
extern int	pl_key_search(const char *const *keys, const int *lens, Size stride, Size lenstride,
						  int n, const char *key, int len, int *pos);
extern bool pl_is_object(const JsonbValue *v);
extern const char *pl_value_kind(const JsonbValue *v);
extern bool pl_doc_get(const PlDoc *doc, const PlPointer *p, JsonbValue *out);
extern char *pl_put_error(const PlDoc *doc, const PlPointer *p);
extern JsonbValue *pl_doc_slot(PlDoc *doc, const PlPointer *p, bool create);
extern bool pl_doc_put(PlDoc *doc, const PlPointer *p, const JsonbValue *v, char **err);
extern bool pl_doc_remove(PlDoc *doc, const PlPointer *p, JsonbValue *removed);
extern void pl_doc_restore(PlDoc *doc, const PlPointer *p, const JsonbValue *v);
extern void pl_doc_touch(PlDoc *doc, const PlPointer *p, int step);
extern void pl_freeze(JsonbValue *v);
extern Jsonb *pl_doc_encode(const JsonbValue *v);

/* src/transform_compile.c */
extern PlTransform *pl_transform_compile(const JNode *steps, MemoryContext keep);
extern void pl_regex_free_with(regex_t *re, MemoryContext cxt, MemoryContextCallback *cb);

/* src/transform_freeze.c */
extern PlTransform *pl_transform_freeze(PlTransform *t, MemoryContext keep);

/* src/transform.c */
extern bool pl_transform_apply(const PlTransform *t, PlDoc *doc, PlErrors *errs);
extern Jsonb *pl_transform_jsonb(const PlTransform *t, Jsonb *doc, PlErrors *errs, bool *ok);

/*
 * Value ops.  transform.c calls both files; transform_time.c uses the
 * string helpers of transform_ops.c, never the other way round.
 */

/* The longest string a step may produce: what a jsonb string can hold. */
#define PL_MAX_STRING	JENTRY_OFFLENMASK

/* src/transform_ops.c */
extern bool pl_step_value(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err);
extern char *pl_case_map(const char *s, int len, bool upper, int *outlen);
extern int	pl_space_len(const char *s, int len);
extern void pl_trim_ends(const char **s, int *len);

/*
 * Narrow [*s, *s + *len) to its part without leading and trailing
 * whitespace.  Inline for the common case, printable ASCII at both ends
 * (every trim of every record asks).
 */
static inline void
pl_trim_bytes(const char **s, int *len)
{
	if (*len > 0 && (unsigned char) ((*s)[0] - 0x21) < 0x5F &&
		(unsigned char) ((*s)[*len - 1] - 0x21) < 0x5F)
		return;
	pl_trim_ends(s, len);
}

/*
 * trim: strip leading and trailing whitespace of a string.  Inline: the most
 * frequent step, applied by transform.c without a call when nothing changes.
 */
static inline bool
pl_op_trim(JsonbValue *v)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;

	if (v->type != jbvString)
		return false;
	pl_trim_bytes(&s, &len);
	if (len == v->val.string.len)
		return false;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
	return true;
}

/* src/transform_time.c */
extern void pl_ts_compile(PlStep *s, const JNode *formats, const JNode *tz, const char *ptr);
extern bool pl_ts_value(const PlStep *s, JsonbValue *v, PlScratch *sc, char **err);

#endif
