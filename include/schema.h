/*
 * schema.h: JSON Schema compiled into a graph of SchemaNodes, and the
 * validator that walks jsonb documents against it.
 *
 * A schema is compiled once per spec version (src/schema_compile.c):
 * keywords become typed fields, bounds become Numerics, patterns become
 * compiled regexes, and every $ref becomes a pointer to its target node, so
 * validation (src/validate.c) does no lookups by name.
 */
#ifndef PIPELINE_SCHEMA_H
#define PIPELINE_SCHEMA_H

#include "nodes/pg_list.h"

#include "jsonb_read.h"
#include "numbers.h"
#include "ecma_regex.h"
#include "formats.h"
#include "pipeline.h"

/* Drafts, ordered by age */
#define PL_DRAFT4		4
#define PL_DRAFT6		6
#define PL_DRAFT7		7
#define PL_DRAFT2019	2019
#define PL_DRAFT2020	2020

/* Type bits of the "type" keyword */
#define PL_T_NULL		0x01
#define PL_T_BOOLEAN	0x02
#define PL_T_OBJECT		0x04
#define PL_T_ARRAY		0x08
#define PL_T_NUMBER		0x10
#define PL_T_STRING		0x20
#define PL_T_INTEGER	0x40

/*
 * A JSON value held in memory at compile time: the schema document itself,
 * and enum/const values the validator compares instances with.  Object pairs
 * are in jsonb key order (length, then bytes), like instance objects.
 */
typedef struct JNode JNode;

typedef struct JPair
{
	const char *key;
	int			keylen;
	JNode	   *value;
} JPair;

struct JNode
{
	JbType		type;
	bool		boolean;
	int			len;			/* string bytes */
	union						/* by type: one JNode fits a 64-byte chunk */
	{
		const char *str;		/* string, NUL-terminated copy */
		Numeric		num;
		JNode	  **items;
		JPair	   *pairs;
	};
	int			n;				/* array elements or object pairs */
	/* set on schema objects by the compiler */
	const char *pointer;		/* JSON Pointer within its document */
	const char *base;			/* base URI in effect here */
	int			draft;
	uint32		vocab;			/* PL_VOCAB_* bits in effect */
	struct SchemaNode *compiled;
};

typedef struct SchemaNode SchemaNode;
typedef struct PlApplicators PlApplicators;

/* Vocabularies a metaschema may turn off */
#define PL_VOCAB_APPLICATOR	0x01
#define PL_VOCAB_VALIDATION	0x02
#define PL_VOCAB_UNEVALUATED	0x04
#define PL_VOCAB_FORMAT_ASSERT	0x08
#define PL_VOCAB_ALL		(PL_VOCAB_APPLICATOR | PL_VOCAB_VALIDATION | PL_VOCAB_UNEVALUATED)

/* An entry of "properties" or "dependentSchemas", sorted in jsonb key order. */
typedef struct PlNamedSchema
{
	const char *key;
	int			keylen;
	bool		required;		/* "properties": also in "required" */
	SchemaNode *schema;
	SchemaNode *walk_to;		/* "properties": what the yes/no walk applies,
								 * schema past its $ref-only hops
								 * (pl_walk_target) */
} PlNamedSchema;

/* An entry of "patternProperties". */
typedef struct PlPatternSchema
{
	PlRegex		re;
	SchemaNode *schema;
} PlPatternSchema;

/* An entry of "dependentRequired": if key is present, so must names be. */
typedef struct PlDependency
{
	const char *key;
	int			keylen;
	int			nnames;
	JNode	  **names;			/* string JNodes */
} PlDependency;

/* One branch of a discriminated anyOf/oneOf: the value it requires. */
typedef struct PlDispatchEntry
{
	const JNode *value;
	int			branch;
} PlDispatchEntry;

/*
 * A discriminated anyOf/oneOf: every branch requires property key with a
 * const (or one-value enum) value, so on an object only the branches whose
 * value equals the instance's can pass.  String values are sorted in jsonb
 * key order for a binary search; other values are compared one by one.
 */
typedef struct PlDispatch
{
	const char *key;
	int			keylen;
	int			nstrings;
	PlDispatchEntry *strings;
	int			nothers;
	PlDispatchEntry *others;
} PlDispatch;

/* A list of subschemas (allOf, anyOf, oneOf, prefixItems). */
typedef struct PlSchemaList
{
	int			n;
	SchemaNode **items;
	PlDispatch *dispatch;		/* anyOf/oneOf told apart by a property, or NULL */
} PlSchemaList;

/*
 * In-place applicators other than "$ref" (SchemaNode.app): most subschemas
 * have none, and every subschema is compiled in every backend.
 */
struct PlApplicators
{
	PlSchemaList all_of;
	PlSchemaList any_of;
	PlSchemaList one_of;
	SchemaNode *not;
	SchemaNode *if_;
	SchemaNode *then_;
	SchemaNode *else_;
	SchemaNode *dynamic_ref;	/* static target of $dynamicRef / $recursiveRef */
	const char *dynamic_name;	/* anchor to look up in the dynamic scope, or NULL */
	bool		recursive_ref;	/* 2019-09 $recursiveRef */
};

/* Does a hold no applicator the validator reads ("then", "else" need "if")? */
static inline bool
pl_no_applicators(const PlApplicators *a)
{
	return a->all_of.n == 0 && a->any_of.n == 0 && a->one_of.n == 0 &&
		a->not == NULL && a->if_ == NULL && a->dynamic_ref == NULL;
}

/* Keyword presence bits (SchemaNode.has), so the walk skips absent groups */
#define PL_HAS_NUMBER_KW	0x0001	/* minimum .. multipleOf */
#define PL_HAS_STRING_KW	0x0002	/* minLength, maxLength, pattern, format */
#define PL_HAS_ARRAY_KW		0x0004
#define PL_HAS_OBJECT_KW	0x0008
#define PL_HAS_APPLICATOR	0x0010	/* allOf anyOf oneOf not if $ref ... */
#define PL_HAS_ENUM			0x0020
#define PL_HAS_CONST		0x0040

/*
 * Shapes of schema the validator decides from an element's JEntry alone,
 * without a JbRef or a call per element (SchemaNode.fast): "type" and
 * nothing else; or array keywords only (minItems, maxItems, a list-form-free
 * "items" of such a shape).  Either way no annotations, no dynamic scope.
 */
#define PL_FAST_TYPE		0x01
#define PL_FAST_ARRAY		0x02

/*
 * Shapes the yes/no walk (v_slot) decides without v_node's generic dispatch
 * (SchemaNode.walk), those of FHIR datatypes: "pattern", or "enum", with at
 * most "type" beside it; an object schema of "properties",
 * "additionalProperties" and "required" names that are all properties; an
 * array schema of "items" (not of a PL_FAST_* shape) with item counts.
 * "type", if any, allows the kind.
 */
#define PL_WALK_PATTERN		1
#define PL_WALK_OBJECT		2
#define PL_WALK_ARRAY		3
#define PL_WALK_ENUM		4

/* A bit per JEntry kind (string, numeric, false, true, null, container) */
#define PL_JENTRY_BIT(e)	(1 << (((e) & JENTRY_TYPEMASK) >> 28))

/* A resource (a schema with $id, or a document root), for dynamic scope. */
typedef struct PlResource
{
	const char *uri;
	SchemaNode *root;			/* the resource's own schema */
	int			ndynamic;
	const char **dynamic_names;	/* $dynamicAnchor names declared in it */
	SchemaNode **dynamic_targets;
	bool		recursive_anchor;	/* 2019-09 $recursiveAnchor: true at its root */
} PlResource;

struct SchemaNode
{
	uint32		has;			/* PL_HAS_* */
	int8		constant;		/* -1: normal; 0: always fails; 1: always passes */
	uint8		types;			/* PL_T_*; 0 = no "type" keyword */
	bool		unique_items;	/* (an array keyword: here, it fills a hole) */
	uint8		pattern_run;	/* PL_WALK_PATTERN: the automaton's nfa_accept_run,
								 * or 0 (here, it fills a hole too) */
	int			draft;
	int			nenum;
	PlResource *resource;		/* non-NULL when this node is a resource root */

	/* any instance */
	JNode	  **enum_values;
	JNode	   *const_value;

	/* numbers */
	PlNumber   *minimum;
	PlNumber   *maximum;
	PlNumber   *exclusive_minimum;
	PlNumber   *exclusive_maximum;
	PlNumber   *multiple_of;

	/* strings */
	int64		min_length;		/* -1 = absent */
	int64		max_length;
	PlRegex    *pattern;
	PlFormat	format;
	bool		format_assert;
	bool		content_base64;	/* draft-07 contentEncoding: "base64" */
	bool		content_json;	/* draft-07 contentMediaType: "application/json" */
	const char *format_name;
	PlCustomFormat *custom_format;	/* format PL_FORMAT_CUSTOM: the registered one */

	/* arrays */
	PlSchemaList prefix_items;	/* prefixItems, or the array form of items */
	SchemaNode *items;			/* for indexes past prefix_items */
	SchemaNode *contains;
	int64		min_contains;	/* default 1 */
	int64		max_contains;	/* -1 = absent */
	int64		min_items;
	int64		max_items;
	SchemaNode *unevaluated_items;

	/* objects */
	int			nprops;
	int			nrequired;
	PlNamedSchema *props;
	int16	   *props_by_len;	/* [L]: first of "properties" at least L bytes long
								 * (L up to props_maxlen + 1), or NULL */
	int			props_maxlen;
	int			npatterns;
	PlPatternSchema *patterns;
	SchemaNode *additional;
	JNode	  **required;
	int			ndepreq;
	int			ndepschemas;
	PlDependency *depreq;
	PlNamedSchema *depschemas;
	SchemaNode *property_names;
	int64		min_props;
	int64		max_props;
	SchemaNode *unevaluated_props;

	/* applicators on the same instance */
	SchemaNode *ref;
	PlResource *ref_scope;		/* resource around $ref's target, if not its root */
	PlApplicators *app;			/* the others; compiled: NULL when there are none */

	/* does evaluating this node need annotation results (unevaluated*)? */
	bool		tracks;
	bool		required_in_props;	/* every "required" name is in "properties" */
	bool		scalar_leaf;	/* no applicators, scope or annotations: a scalar needs only v_leaf */
	bool		ref_only;		/* only "$ref": yes/no walks go straight to its target */
	uint8		fast;			/* PL_FAST_*: shapes the walk decides from JEntries */
	uint8		accept;			/* scalar JEntry kinds "type" passes outright, by PL_JENTRY_BIT */
	uint8		walk;			/* PL_WALK_*: shapes the yes/no walk decides in one step */
	uint8		mark;			/* compile-time cycle check: 0 new, 1 on path, 2 done */
};

/*
 * What the yes/no walk applies for s: past a schema that is only a "$ref"
 * (no scope to enter, SchemaNode.ref_only) to its target, which passes the
 * same values.  dynamic: the schema keeps a dynamic scope, so a $ref into
 * another resource must enter it.  Chains end: the compiler refuses cycles
 * of in-place applicators before it resolves them.
 */
static inline const SchemaNode *
pl_walk_target(const SchemaNode *s, bool dynamic)
{
	while (s->ref_only && (s->ref_scope == NULL || !dynamic))
		s = s->ref;
	return s;
}

/*
 * The absolute location of a reference target or resource root: the
 * canonical URI of its resource and its JSON Pointer there (both strings the
 * compiled schema keeps anyway).  Read only to report failures.
 */
typedef struct PlSchemaLocation
{
	const SchemaNode *node;
	const char *uri;
	const char *pointer;
} PlSchemaLocation;

/*
 * Block sizes of the contexts that hold a compiled spec for the backend's
 * life: 1 kB blocks, so that an allocation above 128 bytes gets a block of
 * exactly its size and no block is left mostly empty.
 */
#define PL_COMPILED_SIZES \
	ALLOCSET_SMALL_MINSIZE, ALLOCSET_SMALL_INITSIZE, ALLOCSET_SMALL_INITSIZE

/* A compiled schema and the memory that holds it. */
typedef struct PlSchema
{
	SchemaNode *root;
	bool		dynamic;		/* has $dynamicRef/$recursiveRef: keep the dynamic scope */
	int			nlocations;		/* sorted by node, for absoluteKeywordLocation */
	PlSchemaLocation *locations;
	MemoryContext cxt;
	int			nregex;			/* regexes to release with the context */
	PlRegex   **regexes;
} PlSchema;

/* src/jdom.c */
extern JNode *jnode_from_jsonb(Jsonb *jb);
extern JNode *jnode_from_jbref(const JbRef *v);
extern JNode *jnode_get(const JNode *obj, const char *key);
extern bool jnode_equals(const JNode *a, const JbRef *b);
extern bool jbref_equals(const JbRef *a, const JbRef *b);
extern uint32 jbref_hash(const JbRef *v);

/*
 * Where a "$ref" to an absolute URI that is not a built-in metaschema is
 * looked up: returns the document registered under uri, or NULL.
 */
typedef Jsonb *(*PlSchemaResolver) (const char *uri);

/*
 * Where a "format" that is not built in is looked up, where it asserts: true
 * and *def filled if name is registered.  where is the JSON Pointer of the
 * keyword (prefixed by its document's URI when not in the schema itself).
 */
typedef bool (*PlFormatResolver) (const char *name, const char *where, PlFormatDef *def);

/*
 * Options of one compilation.  ptr_prefix names where the schema sits in what
 * the user wrote ("/schema" in a spec, "" for a bare schema), for messages
 * and keywordLocations.  resolve is NULL when only the built-in metaschemas
 * may be referenced; resolve_format is NULL when only the built-in formats
 * assert (the IMMUTABLE compat functions).
 */
typedef struct PlCompileOptions
{
	const char *ptr_prefix;
	bool		formats_assert;
	int			default_draft;
	PlSchemaResolver resolve;
	PlFormatResolver resolve_format;
} PlCompileOptions;

/* src/schema_compile.c */
extern PlSchema *pl_schema_compile(Jsonb *schema, const PlCompileOptions *opts);
extern void pl_schema_free(PlSchema *schema);
extern const PlSchemaLocation *pl_schema_location(const PlSchema *schema, const SchemaNode *node);

/* src/schema_freeze.c */
extern SchemaNode *pl_schema_freeze(SchemaNode *root, List *nodes, PlSchemaLocation *locs, int nlocs,
									 MemoryContext keep);

/* src/validate.c */
extern bool pl_validate(PlSchema *schema, Jsonb *doc);
extern bool pl_validate_errors(PlSchema *schema, Jsonb *doc, const char *ptr_prefix,
							   PlErrors *errs);

#endif
