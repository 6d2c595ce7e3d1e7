/*-------------------------------------------------------------------------
 *
 * schema_compile.c
 *	  Compile a JSON Schema into a graph of SchemaNodes, once per spec.
 *
 * Compilation runs in two passes over each schema document.  The index pass
 * walks every schema position (not enum values or other data), works out the
 * base URI and draft in effect there, and records resources ($id, document
 * roots) and anchors.  The compile pass turns a schema object into a
 * SchemaNode with every keyword decided: types become bits, bounds become
 * PlNumbers, patterns compiled regexes, "$ref" a pointer to its target's node.
 * Each schema object is compiled at most once (JNode.compiled), which both
 * shares targets and ties recursive references into cycles.
 *
 * Documents other than the schema itself are loaded on demand: the built-in
 * metaschemas, then whatever the caller's resolver finds (the registry of
 * pipeline.register_schema() for specs; nothing for the IMMUTABLE compat
 * functions).  Likewise a "format" that is not built in is looked up, where
 * it asserts, by the caller's format resolver (pipeline.register_format()).
 * The compiler works in a scratch context; the finished nodes are copied
 * into the context the caller keeps for the life of the compiled spec
 * (src/schema_freeze.c), where the regexes, registered formats and absolute
 * locations are made to begin with; the regexes' parts compiled outside
 * memory contexts are released by a reset callback on it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "metaschemas.h"
#include "schema.h"
#include "uri.h"

/* A resource: a schema with an $id, or the root of a document. */
typedef struct ResEntry
{
	const char *uri;			/* absolute URI without fragment */
	JNode	   *node;
	const char *doc;			/* URI of the loaded document holding it; NULL: the schema itself */
} ResEntry;

/* An anchor: "$anchor", "$dynamicAnchor", or a draft-07 "$id": "#name". */
typedef struct AnchorEntry
{
	const char *resource;		/* URI of the resource that declares it */
	const char *name;
	JNode	   *node;
	bool		dynamic;
} AnchorEntry;

/* State of one compilation. */
typedef struct Compiler
{
	const PlCompileOptions *opts;
	PlSchema   *schema;
	List	   *resources;		/* ResEntry * */
	List	   *anchors;		/* AnchorEntry * */
	List	   *regexes;		/* PlRegex * to free with the context */
	List	   *nodes;			/* every SchemaNode compiled, for the cycle check */
	List	   *formats;		/* FormatEntry *: registered formats found so far */
	MemoryContext keep;			/* the schema's context (the rest is scratch) */
	const char *doc;			/* document being indexed (NULL: the schema itself) */
	int			nlocations;		/* absolute locations noted (see note_location) */
	int			locations_cap;
	PlSchemaLocation *locations;
} Compiler;

/* A registered format, compiled once per compilation however often it is used. */
typedef struct FormatEntry
{
	const char *name;
	PlCustomFormat *format;
} FormatEntry;

static SchemaNode pl_true_node = {.constant = 1,.min_length = -1,.max_length = -1,.max_contains = -1,.min_items = -1,.max_items = -1,.min_props = -1,.max_props = -1};
static SchemaNode pl_false_node = {.constant = 0,.min_length = -1,.max_length = -1,.max_contains = -1,.min_items = -1,.max_items = -1,.min_props = -1,.max_props = -1};

static SchemaNode *compile_node(Compiler *c, JNode *n, const JNode *from);
static void index_schema(Compiler *c, JNode *n, const char *base, int draft,
						 uint32 vocab, const char *pointer);
static JNode *load_document(Compiler *c, const char *uri, int draft);

/* Append JSON Pointer token tok to ptr, escaping '~' and '/'. */
static char *
pointer_child(const char *ptr, const char *tok)
{
	StringInfoData buf;
	char	   *result;

	initStringInfo(&buf);
	appendStringInfoString(&buf, ptr);
	pl_pointer_append_token(&buf, tok, strlen(tok));
	/* keep only what is used: compiled specs live as long as the backend */
	result = pstrdup(buf.data);
	pfree(buf.data);
	return result;
}

/*
 * The URI of the loaded document (registered or built in) that holds node
 * at, or NULL when it is in the schema being compiled: every base URI in
 * effect is a resource's, and a resource knows its document.
 */
static const char *
document_of(Compiler *c, const JNode *at)
{
	ListCell   *lc;

	if (at == NULL || at->base == NULL)
		return NULL;
	foreach(lc, c->resources)
	{
		ResEntry   *e = lfirst(lc);

		if (strcmp(e->uri, at->base) == 0)
			return e->doc;
	}
	return NULL;
}

/*
 * Raise 22023 naming the JSON Pointer of the bad part of the schema, and the
 * document it is in when that is not the schema itself.
 */
pg_attribute_noreturn()
static void
pg_attribute_printf(4, 5)
compile_error(Compiler *c, const JNode *at, const char *keyword, const char *fmt,...)
{
	va_list		args;
	char	   *msg;
	const char *ptr = at && at->pointer ? at->pointer : "";
	const char *doc = document_of(c, at);

	va_start(args, fmt);
	msg = pl_vformat(fmt, args);
	va_end(args);
	if (keyword)
		ptr = pointer_child(ptr, keyword);
	if (doc)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 c->opts->ptr_prefix[0] ?
				 errmsg("spec %s: in schema \"%s\" at \"%s\": %s", c->opts->ptr_prefix, doc, ptr, msg) :
				 errmsg("invalid JSON Schema \"%s\" at \"%s\": %s", doc, ptr, msg)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 c->opts->ptr_prefix[0] ?
			 errmsg("spec %s%s: %s", c->opts->ptr_prefix, ptr, msg) :
			 errmsg("invalid JSON Schema at \"%s\": %s", ptr, msg)));
}

/* The draft a "$schema" URI names, or 0 if it names none we know. */
static int
draft_of_uri(const char *uri)
{
	static const struct
	{
		const char *prefix;
		int			draft;
	}			known[] = {
		{"https://json-schema.org/draft/2020-12/", PL_DRAFT2020},
		{"https://json-schema.org/draft/2019-09/", PL_DRAFT2019},
		{"http://json-schema.org/draft-07/", PL_DRAFT7},
		{"https://json-schema.org/draft-07/", PL_DRAFT7},
		{"http://json-schema.org/draft-06/", PL_DRAFT6},
		{"https://json-schema.org/draft-06/", PL_DRAFT6},
		{"http://json-schema.org/draft-04/", PL_DRAFT4},
		{"https://json-schema.org/draft-04/", PL_DRAFT4},
	};

	for (int i = 0; i < (int) lengthof(known); i++)
		if (strncmp(uri, known[i].prefix, strlen(known[i].prefix)) == 0)
			return known[i].draft;
	return 0;
}

/* Record a resource; a second resource of the same URI is an error. */
static void
add_resource(Compiler *c, const char *uri, JNode *n)
{
	ListCell   *lc;
	ResEntry   *e;

	foreach(lc, c->resources)
	{
		e = lfirst(lc);
		if (strcmp(e->uri, uri) == 0 && e->node != n)
			compile_error(c, n, NULL, "duplicate schema identifier \"%s\"", uri);
	}
	e = palloc(sizeof(ResEntry));
	e->uri = uri;
	e->node = n;
	e->doc = c->doc;
	c->resources = lappend(c->resources, e);
}

/* Record an anchor of resource res. */
static void
add_anchor(Compiler *c, const char *res, const char *name, JNode *n, bool dynamic)
{
	AnchorEntry *e = palloc(sizeof(AnchorEntry));

	e->resource = res;
	e->name = name;
	e->node = n;
	e->dynamic = dynamic;
	c->anchors = lappend(c->anchors, e);
}

/* The resource node registered under uri, or NULL. */
static JNode *
find_resource(Compiler *c, const char *uri)
{
	ListCell   *lc;

	foreach(lc, c->resources)
	{
		ResEntry   *e = lfirst(lc);

		if (strcmp(e->uri, uri) == 0)
			return e->node;
	}
	return NULL;
}

/* The anchor named name in resource res, or NULL. */
static AnchorEntry *
find_anchor(Compiler *c, const char *res, const char *name)
{
	ListCell   *lc;

	foreach(lc, c->anchors)
	{
		AnchorEntry *e = lfirst(lc);

		if (strcmp(e->resource, res) == 0 && strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

/* The URI without its fragment. */
static char *
strip_fragment(const char *uri)
{
	char	   *res;
	char	   *frag;

	uri_split_fragment(uri, &res, &frag);
	return res;
}

/* Index each schema of an object of schemas (properties, $defs, ...). */
static void
index_map(Compiler *c, JNode *map, const char *base, int draft, uint32 vocab,
		  const char *ptr)
{
	if (map == NULL || map->type != JB_OBJECT)
		return;
	for (int i = 0; i < map->n; i++)
		index_schema(c, map->pairs[i].value, base, draft, vocab,
					 pointer_child(ptr, map->pairs[i].key));
}

/* Index each schema of an array of schemas (allOf, prefixItems, ...). */
static void
index_list(Compiler *c, JNode *list, const char *base, int draft, uint32 vocab,
		   const char *ptr)
{
	char		idx[16];

	if (list == NULL || list->type != JB_ARRAY)
		return;
	for (int i = 0; i < list->n; i++)
	{
		snprintf(idx, sizeof(idx), "%d", i);
		index_schema(c, list->items[i], base, draft, vocab, pointer_child(ptr, idx));
	}
}

/* Keywords whose value is one schema. */
static const char *const single_schema_keywords[] = {
	"additionalProperties", "additionalItems", "unevaluatedItems",
	"unevaluatedProperties", "contains", "propertyNames", "not", "if", "then",
	"else", "contentSchema"
};

/* Keywords whose value is an object of schemas. */
static const char *const map_schema_keywords[] = {
	"properties", "patternProperties", "$defs", "definitions",
	"dependentSchemas", "dependencies"
};

/* Keywords whose value is an array of schemas. */
static const char *const list_schema_keywords[] = {
	"allOf", "anyOf", "oneOf", "prefixItems"
};

/*
 * Does keyword kw hold schemas in draft?  Where it does not, it is an
 * unknown keyword: its value is data, looked at only if a "$ref" reaches
 * into it ("$defs" in draft-07 and older, for one).
 */
static inline bool
schema_keyword_in_draft(const char *kw, int draft)
{
	if (draft < PL_DRAFT2019 &&
		(strcmp(kw, "$defs") == 0 || strcmp(kw, "dependentSchemas") == 0 ||
		 strcmp(kw, "contentSchema") == 0 || strncmp(kw, "unevaluated", 11) == 0))
		return false;
	if (draft < PL_DRAFT2020 && strcmp(kw, "prefixItems") == 0)
		return false;
	if (draft < PL_DRAFT7 && (strcmp(kw, "if") == 0 || strcmp(kw, "then") == 0 ||
							  strcmp(kw, "else") == 0))
		return false;
	return draft >= PL_DRAFT6 || (strcmp(kw, "contains") != 0 && strcmp(kw, "propertyNames") != 0);
}

/* Index the subschemas of schema object n. */
static void
index_children(Compiler *c, JNode *n, const char *base, int draft, uint32 vocab)
{
	JNode	   *items = jnode_get(n, "items");

	for (int i = 0; i < (int) lengthof(single_schema_keywords); i++)
	{
		JNode	   *sub = schema_keyword_in_draft(single_schema_keywords[i], draft) ?
			jnode_get(n, single_schema_keywords[i]) : NULL;

		if (sub)
			index_schema(c, sub, base, draft, vocab,
						 pointer_child(n->pointer, single_schema_keywords[i]));
	}
	for (int i = 0; i < (int) lengthof(map_schema_keywords); i++)
	{
		JNode	   *map = schema_keyword_in_draft(map_schema_keywords[i], draft) ?
			jnode_get(n, map_schema_keywords[i]) : NULL;

		if (map)
			index_map(c, map, base, draft, vocab,
					  pointer_child(n->pointer, map_schema_keywords[i]));
	}
	for (int i = 0; i < (int) lengthof(list_schema_keywords); i++)
	{
		JNode	   *list = schema_keyword_in_draft(list_schema_keywords[i], draft) ?
			jnode_get(n, list_schema_keywords[i]) : NULL;

		if (list)
			index_list(c, list, base, draft, vocab,
					   pointer_child(n->pointer, list_schema_keywords[i]));
	}
	if (items && items->type == JB_ARRAY)
		index_list(c, items, base, draft, vocab, pointer_child(n->pointer, "items"));
	else if (items)
		index_schema(c, items, base, draft, vocab, pointer_child(n->pointer, "items"));
}

/* Apply n's identifier keyword ($id, or draft-04 id); returns the new base. */
static const char *
index_identifier(Compiler *c, JNode *n, const char *base, int draft)
{
	JNode	   *id = jnode_get(n, draft <= PL_DRAFT4 ? "id" : "$id");
	char	   *res;
	char	   *frag;

	if (id == NULL || id->type != JB_STRING)
		return base;

	/*
	 * Before 2019-09, "$ref" hides its siblings, "$id" included; except at
	 * the root of a schema given inline (no retrieval URI), where the "$id"
	 * is the only base there is (as Python jsonschema and ajv take it).
	 */
	if (draft <= PL_DRAFT7 && jnode_get(n, "$ref") && !(base == NULL && n->pointer[0] == '\0'))
		return base;
	uri_split_fragment(uri_resolve(base, id->str), &res, &frag);
	if (draft >= PL_DRAFT2019 && frag && frag[0] != '\0')
		compile_error(c, n, "$id", "\"$id\" must not contain a non-empty fragment");
	if (draft <= PL_DRAFT7 && id->str[0] == '#')
	{
		/* a draft-07 "$id": "#name" is a plain-name anchor */
		if (frag && frag[0] != '\0' && frag[0] != '/')
			add_anchor(c, base ? strip_fragment(base) : "", frag, n, false);
		return base;
	}
	add_resource(c, res, n);
	if (frag && frag[0] != '\0' && frag[0] != '/')
		add_anchor(c, res, frag, n, false);
	return res;
}

/* Record $anchor and $dynamicAnchor of n, in resource base. */
static void
index_anchors(Compiler *c, JNode *n, const char *base, int draft)
{
	JNode	   *a = jnode_get(n, "$anchor");
	JNode	   *d = jnode_get(n, "$dynamicAnchor");
	const char *res = base ? base : "";

	if (draft < PL_DRAFT2019)
		return;
	if (a && a->type == JB_STRING)
		add_anchor(c, res, a->str, n, false);
	if (d && d->type == JB_STRING && draft >= PL_DRAFT2020)
		add_anchor(c, res, d->str, n, true);
}

/*
 * The vocabularies a custom metaschema declares in "$vocabulary", and (in
 * *draft) the draft of the metaschema itself.  Core is always on; a
 * vocabulary that is not listed is off.
 */
static uint32
metaschema_vocabularies(Compiler *c, JNode *n, const char *uri, int *draft)
{
	static const struct
	{
		const char *suffix;
		uint32		bit;
	}			vocabs[] = {
		{"/vocab/applicator", PL_VOCAB_APPLICATOR},
		{"/vocab/validation", PL_VOCAB_VALIDATION},
		{"/vocab/unevaluated", PL_VOCAB_UNEVALUATED},
		{"/vocab/format-assertion", PL_VOCAB_FORMAT_ASSERT},
	};
	char	   *res = strip_fragment(uri);
	JNode	   *meta = find_resource(c, res);
	JNode	   *declared;
	JNode	   *meta_schema;
	uint32		bits = 0;

	if (meta == NULL && (meta = load_document(c, res, *draft)) == NULL)
		compile_error(c, n, "$schema", "metaschema \"%s\" is not known", uri);
	meta_schema = jnode_get(meta, "$schema");
	if (meta_schema && meta_schema->type == JB_STRING && draft_of_uri(meta_schema->str))
		*draft = draft_of_uri(meta_schema->str);
	declared = jnode_get(meta, "$vocabulary");
	if (declared == NULL || declared->type != JB_OBJECT)
		return PL_VOCAB_ALL;
	for (int i = 0; i < declared->n; i++)
		for (int k = 0; k < (int) lengthof(vocabs); k++)
		{
			const char *key = declared->pairs[i].key;
			int			klen = declared->pairs[i].keylen;
			int			slen = strlen(vocabs[k].suffix);

			if (klen >= slen && strcmp(key + klen - slen, vocabs[k].suffix) == 0)
				bits |= vocabs[k].bit;
		}
	return bits;
}

/*
 * Index schema n at JSON Pointer pointer: record its base URI, draft and
 * vocabularies, its resources and anchors, then its subschemas.
 */
static void
index_schema(Compiler *c, JNode *n, const char *base, int draft, uint32 vocab,
			 const char *pointer)
{
	JNode	   *schema_kw;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->pointer)				/* reached twice (a document indexed again) */
		return;
	n->pointer = pointer;
	n->draft = draft;
	n->vocab = vocab;
	n->base = base;
	if (n->type != JB_OBJECT)
		return;
	schema_kw = jnode_get(n, "$schema");
	if (schema_kw && schema_kw->type == JB_STRING && draft_of_uri(schema_kw->str))
		n->draft = draft = draft_of_uri(schema_kw->str);
	else if (schema_kw && schema_kw->type == JB_STRING)
	{
		vocab = metaschema_vocabularies(c, n, schema_kw->str, &draft);
		n->draft = draft;
		n->vocab = vocab;
	}
	n->base = base = index_identifier(c, n, base, draft);
	index_anchors(c, n, base, draft);
	index_children(c, n, base, draft, vocab);
}

/* Parse text as jsonb (the built-in metaschemas). */
static Jsonb *
jsonb_from_text(const char *text)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

/* Load the document named uri (built in, then registered); NULL if none. */
static JNode *
load_document(Compiler *c, const char *uri, int draft)
{
	const char *text = pl_builtin_schema(uri);
	Jsonb	   *jb = text ? jsonb_from_text(text) :
		c->opts->resolve ? c->opts->resolve(uri) : NULL;
	JNode	   *doc;
	const char *outer = c->doc;

	if (jb == NULL)
		return NULL;
	doc = jnode_from_jsonb(jb);
	c->doc = pstrdup(uri);
	add_resource(c, c->doc, doc);
	index_schema(c, doc, c->doc, draft, PL_VOCAB_ALL, "");
	c->doc = outer;
	return doc;
}

/* Follow JSON Pointer ptr (already percent-decoded) from node n; NULL if absent. */
static JNode *
follow_pointer(JNode *n, const char *ptr)
{
	StringInfoData tok;

	initStringInfo(&tok);
	while (n && *ptr == '/')
	{
		ptr++;
		resetStringInfo(&tok);
		for (; *ptr && *ptr != '/'; ptr++)
		{
			if (*ptr == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				appendStringInfoChar(&tok, *++ptr == '0' ? '~' : '/');
			else
				appendStringInfoChar(&tok, *ptr);
		}
		if (n->type == JB_OBJECT)
			n = jnode_get(n, tok.data);
		else if (n->type == JB_ARRAY && tok.len > 0 && strspn(tok.data, "0123456789") == (size_t) tok.len &&
				 (tok.len == 1 || tok.data[0] != '0') && tok.len < 10 && atoi(tok.data) < n->n)
			n = n->items[atoi(tok.data)];
		else
			n = NULL;
	}
	return (n && *ptr == '\0') ? n : NULL;
}

/* Give node t, reached by a pointer, the base and draft of where it lies. */
static void
adopt_context(JNode *t, const JNode *from, const char *pointer)
{
	if (t->pointer == NULL)
	{
		t->pointer = pointer;
		t->base = from->base;
		t->draft = from->draft;
		t->vocab = from->vocab;
	}
}

/*
 * Give t, reached from n through keyword kw (then tok, if not NULL), the
 * context of where it lies; its pointer is built only if the index pass did
 * not reach it (compiled specs keep every string for the backend's life).
 */
static void
adopt_child(JNode *t, const JNode *n, const char *kw, const char *tok)
{
	if (t->pointer == NULL)
		adopt_context(t, n, tok ? pointer_child(pointer_child(n->pointer, kw), tok) :
					  pointer_child(n->pointer, kw));
}

/* Resolve reference ref written in schema n to the schema node it names. */
static JNode *
resolve_ref(Compiler *c, JNode *n, const char *keyword, const char *ref)
{
	char	   *target = uri_resolve(n->base, ref);
	char	   *res;
	char	   *frag;
	JNode	   *doc;
	JNode	   *t;
	AnchorEntry *a;

	uri_split_fragment(target, &res, &frag);
	doc = find_resource(c, res);
	if (doc == NULL && res[0] != '\0')
		doc = load_document(c, res, n->draft);
	if (doc == NULL)
		compile_error(c, n, keyword, "reference \"%s\" resolves to no known schema", ref);
	if (frag == NULL || frag[0] == '\0')
		return doc;
	if (frag[0] == '/')
	{
		t = follow_pointer(doc, frag);
		if (t == NULL)
			compile_error(c, n, keyword, "reference \"%s\" resolves to no schema", ref);
		/* doc may be a resource inside its document: keep pointers document-wide */
		adopt_context(t, doc, doc->pointer && doc->pointer[0] ? psprintf("%s%s", doc->pointer, frag) : frag);
		return t;
	}
	a = find_anchor(c, res, frag);
	if (a == NULL)
		compile_error(c, n, keyword, "reference \"%s\" names no anchor", ref);
	return a->node;
}

/* The value of keyword kw of n if it has the JSON type want; error if another type. */
static JNode *
get_typed(Compiler *c, JNode *n, const char *kw, JbType want, const char *what)
{
	JNode	   *v = jnode_get(n, kw);

	if (v && v->type != want)
		compile_error(c, n, kw, "value must be %s", what);
	return v;
}

/* A keyword holding a non-negative integer (1.0 counts), or -1 when absent. */
static int64
get_count(Compiler *c, JNode *n, const char *kw)
{
	JNode	   *v = jnode_get(n, kw);
	int64		i;

	if (v == NULL)
		return -1;
	if (v->type != JB_NUMBER || !pl_numeric_is_integral(v->num))
		compile_error(c, n, kw, "value must be a non-negative integer");
	if (!pl_numeric_to_int64(v->num, &i))
		i = numeric_is_nan(v->num) ? -1 : PG_INT64_MAX;
	if (i < 0)
		compile_error(c, n, kw, "value must be a non-negative integer");
	return i;
}

/* A keyword holding a number, prepared as a PlNumber, or NULL when absent. */
static PlNumber *
get_number(Compiler *c, JNode *n, const char *kw)
{
	JNode	   *v = get_typed(c, n, kw, JB_NUMBER, "a number");
	PlNumber   *pn;

	if (v == NULL)
		return NULL;
	pn = palloc(sizeof(PlNumber));
	pl_number_init(pn, v->num);
	return pn;
}

/* The child schema at keyword kw of n, compiled, or NULL when absent. */
static SchemaNode *
get_schema(Compiler *c, JNode *n, const char *kw)
{
	JNode	   *v = jnode_get(n, kw);

	if (v == NULL)
		return NULL;
	adopt_child(v, n, kw, NULL);
	return compile_node(c, v, n);
}

/* Compile an array of schemas at keyword kw (allOf, anyOf, ...). */
static void
get_schema_list(Compiler *c, JNode *n, const char *kw, PlSchemaList *out)
{
	JNode	   *v = jnode_get(n, kw);

	if (v == NULL)
		return;
	if (v->type != JB_ARRAY || v->n == 0)
		compile_error(c, n, kw, "value must be a non-empty array of schemas");
	out->n = v->n;
	out->items = palloc(sizeof(SchemaNode *) * v->n);
	for (int i = 0; i < v->n; i++)
	{
		char		idx[16];

		snprintf(idx, sizeof(idx), "%d", i);
		adopt_child(v->items[i], n, kw, idx);
		out->items[i] = compile_node(c, v->items[i], n);
	}
}

/* Compile an object of schemas at keyword kw (properties, dependentSchemas). */
static int
get_schema_map(Compiler *c, JNode *n, const char *kw, PlNamedSchema **out)
{
	JNode	   *v = get_typed(c, n, kw, JB_OBJECT, "an object of schemas");
	PlNamedSchema *m;

	if (v == NULL)
		return 0;
	m = palloc(sizeof(PlNamedSchema) * Max(v->n, 1));
	for (int i = 0; i < v->n; i++)
	{
		m[i].key = v->pairs[i].key;
		m[i].keylen = v->pairs[i].keylen;
		m[i].required = false;
		adopt_child(v->pairs[i].value, n, kw, v->pairs[i].key);
		m[i].schema = compile_node(c, v->pairs[i].value, n);
		m[i].walk_to = m[i].schema;
	}
	*out = m;
	return v->n;
}

/*
 * Compile pattern src into re (in the schema's context: regexes are kept as
 * compiled, not copied), or fail naming where it was written.
 */
static void
compile_regex(Compiler *c, JNode *at, const char *kw, PlRegex *re, const JNode *src)
{
	char	   *err = NULL;
	MemoryContext old = MemoryContextSwitchTo(c->keep);
	bool		ok = pl_regex_compile(re, src->str, src->len, &err);

	MemoryContextSwitchTo(old);
	if (!ok)
		compile_error(c, at, kw, "invalid regular expression \"%.*s%s\": %s",
					  pg_mbcliplen(src->str, src->len, 64), src->str,
					  src->len > 64 ? "..." : "", err);
	c->regexes = lappend(c->regexes, re);
}

/* The "type" keyword as PL_T_* bits. */
static uint8
compile_type(Compiler *c, JNode *n)
{
	static const char *const names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
	JNode	   *t = jnode_get(n, "type");
	uint8		bits = 0;
	int			count = t && t->type == JB_ARRAY ? t->n : 1;

	if (t == NULL)
		return 0;
	for (int i = 0; i < count; i++)
	{
		JNode	   *name = t->type == JB_ARRAY ? t->items[i] : t;
		int			k;

		if (name->type != JB_STRING)
			compile_error(c, n, "type", "value must be a type name or an array of type names");
		for (k = 0; k < (int) lengthof(names); k++)
			if (strcmp(name->str, names[k]) == 0)
				break;
		if (k == lengthof(names))
			compile_error(c, n, "type", "unknown type \"%s\"", name->str);
		bits |= (uint8) (1 << k);
	}
	/* "integer" is a kind of "number" */
	return (bits & PL_T_NUMBER) ? (bits | PL_T_INTEGER) : bits;
}

/* enum, const, and the type keyword. */
static void
compile_generic(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *e = jnode_get(n, "enum");

	s->types = compile_type(c, n);
	if (e)
	{
		if (e->type != JB_ARRAY)
			compile_error(c, n, "enum", "value must be an array");
		s->nenum = e->n;
		s->enum_values = e->items;
		s->has |= PL_HAS_ENUM;
	}
	if (n->draft >= PL_DRAFT6 && (s->const_value = jnode_get(n, "const")) != NULL)
		s->has |= PL_HAS_CONST;
}

/* minimum, maximum, exclusive bounds (number or draft-04 boolean), multipleOf. */
static void
compile_numeric(Compiler *c, JNode *n, SchemaNode *s)
{
	s->minimum = get_number(c, n, "minimum");
	s->maximum = get_number(c, n, "maximum");
	if (n->draft <= PL_DRAFT4)
	{
		JNode	   *emin = get_typed(c, n, "exclusiveMinimum", JB_BOOL, "a boolean");
		JNode	   *emax = get_typed(c, n, "exclusiveMaximum", JB_BOOL, "a boolean");

		if (emin && emin->boolean)
			s->exclusive_minimum = s->minimum, s->minimum = NULL;
		if (emax && emax->boolean)
			s->exclusive_maximum = s->maximum, s->maximum = NULL;
	}
	else
	{
		s->exclusive_minimum = get_number(c, n, "exclusiveMinimum");
		s->exclusive_maximum = get_number(c, n, "exclusiveMaximum");
	}
	s->multiple_of = get_number(c, n, "multipleOf");
	if (s->multiple_of && (numeric_is_nan(s->multiple_of->num) ||
						   DatumGetBool(DirectFunctionCall2(numeric_le, NumericGetDatum(s->multiple_of->num),
															DirectFunctionCall1(int4_numeric, Int32GetDatum(0))))))
		compile_error(c, n, "multipleOf", "value must be a number greater than 0");
	if (s->minimum || s->maximum || s->exclusive_minimum || s->exclusive_maximum || s->multiple_of)
		s->has |= PL_HAS_NUMBER_KW;
}

/* ---------------------------------------------------------------------
 * Registered formats (pipeline.register_format): the caller's resolver
 * says what a name is, at compile time only
 * ---------------------------------------------------------------------
 */

/* Where keyword "format" of n is, for the resolver's messages (palloc'd). */
static char *
format_where(Compiler *c, const JNode *n)
{
	const char *doc = document_of(c, n);
	char	   *ptr = pointer_child(n->pointer ? n->pointer : "", "format");
	char	   *where = doc ? psprintf("%s#%s", doc, ptr) : psprintf("%s%s", c->opts->ptr_prefix, ptr);

	pfree(ptr);
	return where;
}

/*
 * The registered format that "format" (fmt) of n names, compiled; NULL if
 * the resolver knows none by that name.  Each name is resolved once per
 * compilation.
 */
static PlCustomFormat *
custom_format(Compiler *c, JNode *n, const JNode *fmt)
{
	PlFormatDef def = {NULL, InvalidOid};
	FormatEntry *e;
	char	   *where;
	bool		found;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, c->formats)
		if (strcmp(((FormatEntry *) lfirst(lc))->name, fmt->str) == 0)
			return ((FormatEntry *) lfirst(lc))->format;
	where = format_where(c, n);
	found = (int) strlen(fmt->str) == fmt->len && c->opts->resolve_format(fmt->str, where, &def);
	pfree(where);
	if (!found)
		return NULL;
	e = palloc(sizeof(FormatEntry));
	e->name = fmt->str;
	/* the validator reads the format: it lives in the kept context */
	old = MemoryContextSwitchTo(c->keep);
	if (def.pattern)
	{
		e->format = palloc0(sizeof(PlCustomFormat));
		e->format->pattern = palloc0(sizeof(PlRegex));
	}
	else
		e->format = pl_custom_format_function(def.check);
	MemoryContextSwitchTo(old);
	if (def.pattern)
	{
		JNode		src = {.type = JB_STRING,.str = def.pattern,.len = strlen(def.pattern)};

		compile_regex(c, n, "format", e->format->pattern, &src);
	}
	c->formats = lappend(c->formats, e);
	return e->format;
}

/* minLength, maxLength, pattern, format. */
static void
compile_string(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *pattern = get_typed(c, n, "pattern", JB_STRING, "a string");
	JNode	   *format = get_typed(c, n, "format", JB_STRING, "a string");
	bool		asserts = c->opts->formats_assert || (n->vocab & PL_VOCAB_FORMAT_ASSERT);

	if (!(n->vocab & PL_VOCAB_VALIDATION))
		pattern = NULL;
	else
	{
		s->min_length = get_count(c, n, "minLength");
		s->max_length = get_count(c, n, "maxLength");
	}
	if (pattern)
	{
		s->pattern = MemoryContextAllocZero(c->keep, sizeof(PlRegex));
		compile_regex(c, n, "pattern", s->pattern, pattern);
	}
	if (format)
	{
		s->format = pl_format_lookup(format->str, format->len);
		s->format_name = format->str;
		s->format_assert = asserts;
		if (s->format == PL_FORMAT_UNKNOWN && asserts && c->opts->resolve_format &&
			(s->custom_format = custom_format(c, n, format)) != NULL)
			s->format = PL_FORMAT_CUSTOM;
	}
	if (n->draft <= PL_DRAFT7)
	{
		/*
		 * draft-07 lets implementations assert these; later drafts only
		 * annotate.  Like formats, they assert only where formats do.
		 */
		JNode	   *enc = get_typed(c, n, "contentEncoding", JB_STRING, "a string");
		JNode	   *media = get_typed(c, n, "contentMediaType", JB_STRING, "a string");

		s->content_base64 = asserts && enc && pg_strcasecmp(enc->str, "base64") == 0;
		s->content_json = asserts && media && pg_strcasecmp(media->str, "application/json") == 0;
	}
	if (s->min_length >= 0 || s->max_length >= 0 || s->pattern ||
		s->content_base64 || s->content_json ||
		(s->format != PL_FORMAT_UNKNOWN && s->format_assert))
		s->has |= PL_HAS_STRING_KW;
}

/* Array keywords; "items" has two forms before 2020-12. */
static void
compile_array(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *items = jnode_get(n, "items");

	if (n->draft >= PL_DRAFT2020)
	{
		get_schema_list(c, n, "prefixItems", &s->prefix_items);
		s->items = get_schema(c, n, "items");
	}
	else if (items && items->type == JB_ARRAY)
	{
		get_schema_list(c, n, "items", &s->prefix_items);
		s->items = get_schema(c, n, "additionalItems");
	}
	else
		s->items = get_schema(c, n, "items");
	if (n->draft >= PL_DRAFT6)
		s->contains = get_schema(c, n, "contains");
	s->min_contains = n->draft >= PL_DRAFT2019 ? get_count(c, n, "minContains") : -1;
	s->max_contains = n->draft >= PL_DRAFT2019 ? get_count(c, n, "maxContains") : -1;
	if (s->min_contains < 0)
		s->min_contains = 1;
	if (n->vocab & PL_VOCAB_VALIDATION)
	{
		s->min_items = get_count(c, n, "minItems");
		s->max_items = get_count(c, n, "maxItems");
		s->unique_items = get_typed(c, n, "uniqueItems", JB_BOOL, "a boolean") &&
			jnode_get(n, "uniqueItems")->boolean;
	}
	if (n->draft >= PL_DRAFT2019)
		s->unevaluated_items = get_schema(c, n, "unevaluatedItems");
	if (s->prefix_items.n || s->items || s->contains || s->min_items >= 0 ||
		s->max_items >= 0 || s->unique_items || s->unevaluated_items)
		s->has |= PL_HAS_ARRAY_KW;
}

/* An array of strings (required, a dependency list). */
static JNode **
get_string_list(Compiler *c, JNode *n, const char *kw, JNode *v, int *count)
{
	if (v->type != JB_ARRAY)
		compile_error(c, n, kw, "value must be an array of strings");
	for (int i = 0; i < v->n; i++)
		if (v->items[i]->type != JB_STRING)
			compile_error(c, n, kw, "value must be an array of strings");
	*count = v->n;
	return v->items;
}

/* qsort comparator: string JNodes in jsonb key order (length, then bytes). */
static int
jnode_key_cmp(const void *a, const void *b)
{
	const JNode *x = *(const JNode *const *) a;
	const JNode *y = *(const JNode *const *) b;

	return pl_key_cmp(x->str, x->len, y->str, y->len);
}

/*
 * A copy of names sorted in jsonb key order without duplicates, so the
 * validator checks them in one merge pass over an object's keys.
 */
static JNode **
sorted_names(JNode **names, int *count)
{
	JNode	  **sorted = palloc(sizeof(JNode *) * Max(*count, 1));
	int			n = 0;

	memcpy(sorted, names, sizeof(JNode *) * *count);
	qsort(sorted, *count, sizeof(JNode *), jnode_key_cmp);
	for (int i = 0; i < *count; i++)
		if (n == 0 || jnode_key_cmp(&sorted[n - 1], &sorted[i]) != 0)
			sorted[n++] = sorted[i];
	*count = n;
	return sorted;
}

/* dependentRequired, dependentSchemas, and draft-07 "dependencies" (either form). */
static void
compile_dependencies(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *deps = get_typed(c, n, "dependencies", JB_OBJECT, "an object");
	JNode	   *req = n->draft >= PL_DRAFT2019 ? get_typed(c, n, "dependentRequired", JB_OBJECT, "an object") : NULL;
	int			total = (deps ? deps->n : 0) + (req ? req->n : 0);

	if (n->draft >= PL_DRAFT2019)
		s->ndepschemas = get_schema_map(c, n, "dependentSchemas", &s->depschemas);
	if (total == 0)
		return;
	s->depreq = palloc0(sizeof(PlDependency) * total);
	for (int i = 0; req && i < req->n; i++)
	{
		PlDependency *d = &s->depreq[s->ndepreq++];

		d->key = req->pairs[i].key;
		d->keylen = req->pairs[i].keylen;
		d->names = get_string_list(c, n, "dependentRequired", req->pairs[i].value, &d->nnames);
	}
	for (int i = 0; deps && i < deps->n; i++)
	{
		JNode	   *v = deps->pairs[i].value;

		if (v->type == JB_ARRAY)
		{
			PlDependency *d = &s->depreq[s->ndepreq++];

			d->key = deps->pairs[i].key;
			d->keylen = deps->pairs[i].keylen;
			d->names = get_string_list(c, n, "dependencies", v, &d->nnames);
			continue;
		}
		if (s->ndepschemas == 0 || s->depschemas == NULL)
			s->depschemas = palloc(sizeof(PlNamedSchema) * deps->n);
		else
			s->depschemas = repalloc(s->depschemas, sizeof(PlNamedSchema) * (s->ndepschemas + deps->n));
		adopt_child(v, n, "dependencies", deps->pairs[i].key);
		s->depschemas[s->ndepschemas].key = deps->pairs[i].key;
		s->depschemas[s->ndepschemas].keylen = deps->pairs[i].keylen;
		s->depschemas[s->ndepschemas].schema = compile_node(c, v, n);
		s->depschemas[s->ndepschemas].walk_to = s->depschemas[s->ndepschemas].schema;
		s->ndepschemas++;
	}
}

/* patternProperties: each key a regex. */
static void
compile_pattern_properties(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *pp = get_typed(c, n, "patternProperties", JB_OBJECT, "an object of schemas");

	if (pp == NULL)
		return;
	s->npatterns = pp->n;
	s->patterns = MemoryContextAllocZero(c->keep, sizeof(PlPatternSchema) * Max(pp->n, 1));
	for (int i = 0; i < pp->n; i++)
	{
		JNode		key = {.type = JB_STRING,.str = pp->pairs[i].key,.len = pp->pairs[i].keylen};
		JNode		at = {.pointer = pointer_child(pointer_child(n->pointer, "patternProperties"), key.str),.base = n->base};

		compile_regex(c, &at, NULL, &s->patterns[i].re, &key);
		adopt_context(pp->pairs[i].value, n, at.pointer);
		s->patterns[i].schema = compile_node(c, pp->pairs[i].value, n);
	}
}

/*
 * Mark the "properties" that are also "required" (both in jsonb key order),
 * and note whether every required name is one, so the validator can check
 * "required" in the same pass over the object's keys.
 */
static void
mark_required_properties(SchemaNode *s)
{
	int			p = 0;
	int			found = 0;

	for (int r = 0; r < s->nrequired; r++)
	{
		const JNode *name = s->required[r];

		while (p < s->nprops && pl_key_cmp(s->props[p].key, s->props[p].keylen, name->str, name->len) < 0)
			p++;
		if (p < s->nprops && pl_key_cmp(s->props[p].key, s->props[p].keylen, name->str, name->len) == 0)
		{
			s->props[p].required = true;
			found++;
		}
	}
	s->required_in_props = s->nrequired > 0 && found == s->nrequired;
}

/* Longest property name given a length index (longer ones: the merge). */
#define PROPS_INDEX_MAXLEN 64

/*
 * Index "properties" (sorted by length, then bytes) by name length, so the
 * validator finds a key's entry by comparing it only with names as long.
 */
static void
index_props_by_length(SchemaNode *s)
{
	int			maxlen = s->nprops > 0 ? s->props[s->nprops - 1].keylen : 0;
	int			p = 0;

	if (s->nprops == 0 || maxlen > PROPS_INDEX_MAXLEN)
		return;
	s->props_maxlen = maxlen;
	s->props_by_len = palloc(sizeof(int16) * (maxlen + 2));
	for (int len = 0; len <= maxlen + 1; len++)
	{
		while (p < s->nprops && s->props[p].keylen < len)
			p++;
		s->props_by_len[len] = (int16) p;
	}
}

/* Object keywords. */
static void
compile_object(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *required = jnode_get(n, "required");

	s->nprops = get_schema_map(c, n, "properties", &s->props);
	compile_pattern_properties(c, n, s);
	s->additional = get_schema(c, n, "additionalProperties");
	if (required && (n->vocab & PL_VOCAB_VALIDATION))
		s->required = sorted_names(get_string_list(c, n, "required", required, &s->nrequired),
								   &s->nrequired);
	mark_required_properties(s);
	index_props_by_length(s);
	compile_dependencies(c, n, s);
	if (n->draft >= PL_DRAFT6)
		s->property_names = get_schema(c, n, "propertyNames");
	if (n->vocab & PL_VOCAB_VALIDATION)
	{
		s->min_props = get_count(c, n, "minProperties");
		s->max_props = get_count(c, n, "maxProperties");
	}
	if (n->draft >= PL_DRAFT2019)
		s->unevaluated_props = get_schema(c, n, "unevaluatedProperties");
	if (s->nprops || s->npatterns || s->additional || s->nrequired || s->ndepreq ||
		s->ndepschemas || s->property_names || s->min_props >= 0 || s->max_props >= 0 ||
		s->unevaluated_props)
		s->has |= PL_HAS_OBJECT_KW;
}

/* ---- absolute locations (absoluteKeywordLocation of errors()) ---- */

/* Does uri start with a scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":")? */
static inline bool
uri_is_absolute(const char *uri)
{
	const char *p = uri;

	if (uri == NULL || !isalpha((unsigned char) *p))
		return false;
	while (isalnum((unsigned char) *p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

/*
 * Note where s, compiled from t, lies in absolute terms: the canonical URI
 * of t's resource and t's pointer inside it (when that URI is absolute), so
 * a failure past a reference to s, or inside the resource s roots, can say
 * where it is.  Both strings are the compiler's own; nothing is built.  A
 * boolean schema is shared, so a reference to one gets a copy of its own.
 * Returns s or that copy.
 */
static SchemaNode *
note_location(Compiler *c, const JNode *t, SchemaNode *s)
{
	const JNode *res = uri_is_absolute(t->base) ? find_resource(c, t->base) : NULL;
	size_t		len = res && res->pointer ? strlen(res->pointer) : 0;
	PlSchemaLocation *loc;

	if (res == NULL || res->pointer == NULL || t->pointer == NULL ||
		strncmp(t->pointer, res->pointer, len) != 0 || (t->pointer[len] != '/' && t->pointer[len] != '\0'))
		return s;
	if (s->constant >= 0)
	{
		/* the freeze copies no constant node: make it where it stays */
		SchemaNode *copy = MemoryContextAlloc(c->keep, sizeof(SchemaNode));

		*copy = *s;
		s = copy;
	}
	if (c->nlocations == c->locations_cap)
	{
		c->locations_cap = c->locations_cap ? c->locations_cap * 2 : 8;
		c->locations = c->locations ?
			repalloc(c->locations, sizeof(PlSchemaLocation) * c->locations_cap) :
			palloc(sizeof(PlSchemaLocation) * c->locations_cap);
	}
	loc = &c->locations[c->nlocations++];
	loc->node = s;
	loc->uri = t->base;
	loc->pointer = t->pointer + len;
	return s;
}

/* qsort/bsearch order of locations: by node address. */
static int
location_cmp(const void *a, const void *b)
{
	uintptr_t	x = (uintptr_t) ((const PlSchemaLocation *) a)->node;
	uintptr_t	y = (uintptr_t) ((const PlSchemaLocation *) b)->node;

	return x < y ? -1 : x > y;
}

/* Keep the noted locations in the schema: sorted, each node once. */
static void
keep_locations(Compiler *c, PlSchema *schema)
{
	int			n = 0;

	if (c->nlocations == 0)
		return;
	qsort(c->locations, c->nlocations, sizeof(PlSchemaLocation), location_cmp);
	for (int i = 0; i < c->nlocations; i++)
		if (n == 0 || c->locations[n - 1].node != c->locations[i].node)
			c->locations[n++] = c->locations[i];
	schema->locations = MemoryContextAlloc(c->keep, sizeof(PlSchemaLocation) * n);
	memcpy(schema->locations, c->locations, sizeof(PlSchemaLocation) * n);
	schema->nlocations = n;
	pfree(c->locations);
}

/* The absolute location noted for node, or NULL (read only to report failures). */
const PlSchemaLocation *
pl_schema_location(const PlSchema *schema, const SchemaNode *node)
{
	PlSchemaLocation key = {.node = node};

	if (schema->nlocations == 0)
		return NULL;
	return bsearch(&key, schema->locations, schema->nlocations, sizeof(PlSchemaLocation),
				   location_cmp);
}

/* ---- end of absolute locations ---- */

/* The node a reference keyword names, compiled (located, for errors()). */
static SchemaNode *
compile_ref(Compiler *c, JNode *n, const char *kw, JNode **target)
{
	JNode	   *ref = get_typed(c, n, kw, JB_STRING, "a string");

	if (ref == NULL)
		return NULL;
	*target = resolve_ref(c, n, kw, ref->str);
	return note_location(c, *target, compile_node(c, *target, n));
}

/*
 * The resource that contains target when target is not a resource root
 * itself: following a reference into the middle of a resource still enters
 * that resource's dynamic scope.
 */
static PlResource *
enclosing_resource(Compiler *c, JNode *n, JNode *target)
{
	JNode	   *root = find_resource(c, target->base ? target->base : "");

	if (root == NULL || root == target)
		return NULL;
	return compile_node(c, root, n)->resource;
}

/* $dynamicRef (2020-12) and $recursiveRef (2019-09). */
static void
compile_dynamic_ref(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *target = NULL;
	JNode	   *ref;

	if (n->draft >= PL_DRAFT2020 && (s->app->dynamic_ref = compile_ref(c, n, "$dynamicRef", &target)))
	{
		char	   *res;
		char	   *frag;
		JNode	   *anchor;

		ref = jnode_get(n, "$dynamicRef");
		uri_split_fragment(ref->str, &res, &frag);
		anchor = target ? jnode_get(target, "$dynamicAnchor") : NULL;
		if (frag && anchor && anchor->type == JB_STRING && strcmp(anchor->str, frag) == 0)
			s->app->dynamic_name = anchor->str;
	}
	else if (n->draft == PL_DRAFT2019 && (s->app->dynamic_ref = compile_ref(c, n, "$recursiveRef", &target)))
	{
		JNode	   *anchor = jnode_get(target, "$recursiveAnchor");

		s->app->recursive_ref = anchor && anchor->type == JB_BOOL && anchor->boolean;
	}
}

/* In-place applicators: allOf, anyOf, oneOf, not, if/then/else, references. */
static void
compile_applicators(Compiler *c, JNode *n, SchemaNode *s)
{
	JNode	   *target;

	get_schema_list(c, n, "allOf", &s->app->all_of);
	get_schema_list(c, n, "anyOf", &s->app->any_of);
	get_schema_list(c, n, "oneOf", &s->app->one_of);
	s->app->not = get_schema(c, n, "not");
	if (n->draft >= PL_DRAFT7)
	{
		s->app->if_ = get_schema(c, n, "if");
		s->app->then_ = get_schema(c, n, "then");
		s->app->else_ = get_schema(c, n, "else");
	}
	s->ref = compile_ref(c, n, "$ref", &target);
	if (s->ref)
		s->ref_scope = enclosing_resource(c, n, target);
	compile_dynamic_ref(c, n, s);
	if (s->ref || !pl_no_applicators(s->app))
		s->has |= PL_HAS_APPLICATOR;
}

/* Compile every schema of a definitions keyword, so errors show at define time. */
static void
compile_definitions(Compiler *c, JNode *n, const char *kw)
{
	JNode	   *defs = get_typed(c, n, kw, JB_OBJECT, "an object of schemas");

	for (int i = 0; defs && i < defs->n; i++)
	{
		adopt_context(defs->pairs[i].value, n,
					  pointer_child(pointer_child(n->pointer, kw), defs->pairs[i].key));
		compile_node(c, defs->pairs[i].value, n);
	}
}

/* If n is a resource root, build its PlResource (dynamic anchors, for dynamic scope). */
static void
compile_resource(Compiler *c, JNode *n, SchemaNode *s)
{
	ListCell   *lc;
	PlResource *r = NULL;
	JNode	   *ra = jnode_get(n, "$recursiveAnchor");

	foreach(lc, c->resources)
	{
		ResEntry   *e = lfirst(lc);

		if (e->node != n)
			continue;
		r = palloc0(sizeof(PlResource));
		r->uri = n->base ? n->base : e->uri;
		break;
	}
	if (r == NULL)
		return;
	r->root = s;
	r->recursive_anchor = ra && ra->type == JB_BOOL && ra->boolean;
	s->resource = r;
	note_location(c, n, s);
	foreach(lc, c->anchors)
	{
		AnchorEntry *a = lfirst(lc);

		if (!a->dynamic || strcmp(a->resource, r->uri) != 0)
			continue;
		r->dynamic_names = r->ndynamic ? repalloc(r->dynamic_names, sizeof(char *) * (r->ndynamic + 1)) : palloc(sizeof(char *));
		r->dynamic_targets = r->ndynamic ? repalloc(r->dynamic_targets, sizeof(SchemaNode *) * (r->ndynamic + 1)) : palloc(sizeof(SchemaNode *));
		r->dynamic_names[r->ndynamic] = a->name;
		r->dynamic_targets[r->ndynamic++] = note_location(c, a->node, compile_node(c, a->node, n));
	}
}

/* Compile schema n (an object or a boolean); from gives context to unindexed nodes. */
static SchemaNode *
compile_node(Compiler *c, JNode *n, const JNode *from)
{
	SchemaNode *s;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->type == JB_BOOL)
		return n->boolean ? &pl_true_node : &pl_false_node;
	if (n->type != JB_OBJECT)
		compile_error(c, n, NULL, "a schema must be an object or a boolean");
	if (n->compiled)
		return n->compiled;
	if (n->base == NULL && from)
		adopt_context(n, from, from->pointer);
	s = palloc0(sizeof(SchemaNode));
	s->app = palloc0(sizeof(PlApplicators));
	n->compiled = s;
	c->nodes = lappend(c->nodes, s);
	s->constant = -1;
	s->draft = n->draft;
	s->min_length = s->max_length = s->max_contains = -1;
	s->min_items = s->max_items = s->min_props = s->max_props = -1;
	compile_resource(c, n, s);
	if (n->draft <= PL_DRAFT7 && jnode_get(n, "$ref"))
	{
		/* before 2019-09, "$ref" hides its siblings */
		compile_applicators(c, n, s);
		compile_definitions(c, n, "definitions");
		return s;
	}
	if (schema_keyword_in_draft("$defs", n->draft))
		compile_definitions(c, n, "$defs");
	compile_definitions(c, n, "definitions");
	if (n->vocab & PL_VOCAB_VALIDATION)
	{
		compile_generic(c, n, s);
		compile_numeric(c, n, s);
	}
	compile_string(c, n, s);
	compile_array(c, n, s);
	compile_object(c, n, s);
	compile_applicators(c, n, s);
	s->tracks = s->unevaluated_items || s->unevaluated_props;
	if (s->has == 0 && s->types == 0 && s->resource == NULL)
		s->constant = 1;
	return s;
}

/*
 * The scalar JEntry kinds that pass "type" bits without a look at the value
 * (every one when there is no "type"); integers and containers need a look.
 */
static uint8
accepted_entries(uint8 types)
{
	uint8		accept = 0;

	if (types == 0 || (types & PL_T_STRING))
		accept |= PL_JENTRY_BIT(JENTRY_ISSTRING);
	if (types == 0 || (types & PL_T_NUMBER))
		accept |= PL_JENTRY_BIT(JENTRY_ISNUMERIC);
	if (types == 0 || (types & PL_T_BOOLEAN))
		accept |= PL_JENTRY_BIT(JENTRY_ISBOOL_FALSE) | PL_JENTRY_BIT(JENTRY_ISBOOL_TRUE);
	if (types == 0 || (types & PL_T_NULL))
		accept |= PL_JENTRY_BIT(JENTRY_ISNULL);
	return accept;
}

/* Which PL_WALK_* shape s has, if any (s: no constant, resource or annotations). */
static uint8
walk_shape(const SchemaNode *s)
{
	if (s->has == PL_HAS_STRING_KW && s->pattern && s->min_length < 0 && s->max_length < 0 &&
		!s->content_base64 && !s->content_json && !(s->format_assert && s->format != PL_FORMAT_UNKNOWN))
		return PL_WALK_PATTERN;
	if (s->has == PL_HAS_ENUM)
		return PL_WALK_ENUM;
	if (s->has == PL_HAS_OBJECT_KW && (s->types == 0 || (s->types & PL_T_OBJECT)) &&
		s->min_props < 0 && s->max_props < 0 && s->npatterns == 0 && s->property_names == NULL &&
		s->ndepreq == 0 && s->ndepschemas == 0 && (s->nrequired == 0 || s->required_in_props))
		return PL_WALK_OBJECT;
	if (s->has == PL_HAS_ARRAY_KW && (s->types == 0 || (s->types & PL_T_ARRAY)) &&
		s->prefix_items.n == 0 && s->contains == NULL && !s->unique_items && s->items &&
		s->items->constant != 1 && !s->items->fast)
		return PL_WALK_ARRAY;
	return 0;
}

/* Decide which PL_FAST_* shape s has (its items' shape first). */
static uint8
fast_shape(SchemaNode *s)
{
	if (s == NULL || s->constant >= 0 || s->resource || s->tracks)
		return 0;
	s->scalar_leaf = !(s->has & PL_HAS_APPLICATOR);
	s->ref_only = s->has == PL_HAS_APPLICATOR && s->types == 0 && s->ref &&
		pl_no_applicators(s->app);
	s->accept = accepted_entries(s->types);
	if (s->has == 0)
		s->fast = PL_FAST_TYPE;
	else if (s->has == PL_HAS_ARRAY_KW && s->prefix_items.n == 0 && s->contains == NULL &&
			 !s->unique_items && s->unevaluated_items == NULL &&
			 (s->items == NULL || s->items->constant == 1 || fast_shape(s->items)))
		s->fast = PL_FAST_ARRAY;
	if (!s->fast)
		s->walk = walk_shape(s);
	if (s->walk == PL_WALK_PATTERN && s->pattern->kind == PL_RE_NFA)
		s->pattern_run = nfa_accept_run(s->pattern->nfa);
	return s->fast;
}

/*
 * Point each "properties" entry of s at what the yes/no walk applies there
 * (pl_walk_target), so a key's value goes to its datatype in one step.  Once
 * every node's shape is known and cycles are refused.
 */
static void
resolve_walk_targets(SchemaNode *s, bool dynamic)
{
	for (int p = 0; p < s->nprops; p++)
		s->props[p].walk_to = (SchemaNode *) pl_walk_target(s->props[p].schema, dynamic);
}

/* How deep $ref and allOf are followed to find a discriminator. */
#define DISPATCH_DEPTH 8

/* The one value s allows (const, or a one-value enum), through $ref and allOf. */
static const JNode *
only_value(const SchemaNode *s, int depth)
{
	const JNode *v = NULL;

	if (s == NULL || s->constant >= 0 || depth > DISPATCH_DEPTH)
		return NULL;
	if (s->has & PL_HAS_CONST)
		return s->const_value;
	if ((s->has & PL_HAS_ENUM) && s->nenum == 1)
		return s->enum_values[0];
	v = only_value(s->ref, depth + 1);
	for (int i = 0; v == NULL && i < s->app->all_of.n; i++)
		v = only_value(s->app->all_of.items[i], depth + 1);
	return v;
}

/*
 * What every object passing s has as the value of key: a const of key's
 * "properties" schema, in s or in what s applies in place ($ref, allOf).
 */
static const JNode *
key_value(const SchemaNode *s, const char *key, int keylen, int depth)
{
	const JNode *v = NULL;

	if (s == NULL || s->constant >= 0 || depth > DISPATCH_DEPTH)
		return NULL;
	for (int i = 0; v == NULL && i < s->nprops; i++)
		if (pl_key_cmp(s->props[i].key, s->props[i].keylen, key, keylen) == 0)
			v = only_value(s->props[i].schema, 0);
	if (v == NULL)
		v = key_value(s->ref, key, keylen, depth + 1);
	for (int i = 0; v == NULL && i < s->app->all_of.n; i++)
		v = key_value(s->app->all_of.items[i], key, keylen, depth + 1);
	return v;
}

/* Does every object passing s have key (required by s or in place)? */
static bool
requires_key(const SchemaNode *s, const char *key, int keylen, int depth)
{
	if (s == NULL || s->constant >= 0 || depth > DISPATCH_DEPTH)
		return false;
	for (int i = 0; i < s->nrequired; i++)
		if (pl_key_cmp(s->required[i]->str, s->required[i]->len, key, keylen) == 0)
			return true;
	if (requires_key(s->ref, key, keylen, depth + 1))
		return true;
	for (int i = 0; i < s->app->all_of.n; i++)
		if (requires_key(s->app->all_of.items[i], key, keylen, depth + 1))
			return true;
	return false;
}

/* qsort comparator: string dispatch entries in key order, then by branch. */
static int
dispatch_entry_cmp(const void *a, const void *b)
{
	const PlDispatchEntry *x = a;
	const PlDispatchEntry *y = b;
	int			cmp = pl_key_cmp(x->value->str, x->value->len, y->value->str, y->value->len);

	return cmp != 0 ? cmp : x->branch - y->branch;
}

/* The dispatch table of list on key, or NULL if some branch has no value for it. */
static PlDispatch *
dispatch_on(const PlSchemaList *list, const char *key, int keylen)
{
	PlDispatch *d;

	for (int b = 0; b < list->n; b++)
		if (!requires_key(list->items[b], key, keylen, 0) ||
			key_value(list->items[b], key, keylen, 0) == NULL)
			return NULL;
	d = palloc0(sizeof(PlDispatch));
	d->key = key;
	d->keylen = keylen;
	d->strings = palloc(sizeof(PlDispatchEntry) * list->n);
	d->others = palloc(sizeof(PlDispatchEntry) * list->n);
	for (int b = 0; b < list->n; b++)
	{
		const JNode *v = key_value(list->items[b], key, keylen, 0);
		PlDispatchEntry *e = v->type == JB_STRING ? &d->strings[d->nstrings++] : &d->others[d->nothers++];

		e->value = v;
		e->branch = b;
	}
	qsort(d->strings, d->nstrings, sizeof(PlDispatchEntry), dispatch_entry_cmp);
	return d;
}

/* Try each key s (a node of the first branch, or one it applies in place) requires. */
static PlDispatch *
find_dispatch(const PlSchemaList *list, const SchemaNode *s, int depth)
{
	PlDispatch *d = NULL;

	if (s == NULL || s->constant >= 0 || depth > DISPATCH_DEPTH)
		return NULL;
	for (int i = 0; d == NULL && i < s->nrequired; i++)
		d = dispatch_on(list, s->required[i]->str, s->required[i]->len);
	if (d == NULL)
		d = find_dispatch(list, s->ref, depth + 1);
	for (int i = 0; d == NULL && i < s->app->all_of.n; i++)
		d = find_dispatch(list, s->app->all_of.items[i], depth + 1);
	return d;
}

/*
 * Give s's anyOf and oneOf a dispatch table when one property tells their
 * branches apart (after compilation: branches may be references back up).
 */
static void
compile_dispatch(SchemaNode *s)
{
	if (s->app->any_of.n > 1)
		s->app->any_of.dispatch = find_dispatch(&s->app->any_of, s->app->any_of.items[0], 0);
	if (s->app->one_of.n > 1)
		s->app->one_of.dispatch = find_dispatch(&s->app->one_of, s->app->one_of.items[0], 0);
}

static void check_in_place_cycles(Compiler *c, SchemaNode *s);

/* Check every schema of a list for in-place cycles. */
static void
check_list_cycles(Compiler *c, const PlSchemaList *list)
{
	for (int i = 0; i < list->n; i++)
		check_in_place_cycles(c, list->items[i]);
}

/*
 * Refuse schemas that apply themselves to the same instance forever: a
 * cycle of in-place applicators ($ref, allOf, anyOf, oneOf, not, if/then/else,
 * dependentSchemas) that never descends into a property or item would
 * recurse until the stack runs out on some instance.
 */
static void
check_in_place_cycles(Compiler *c, SchemaNode *s)
{
	check_stack_depth();
	if (s == NULL || s->constant >= 0 || s->mark == 2)
		return;
	if (s->mark == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 c->opts->ptr_prefix[0] ?
				 errmsg("spec %s: schema references itself without descending into the instance",
						c->opts->ptr_prefix) :
				 errmsg("invalid JSON Schema: schema references itself without descending into the instance"),
				 errdetail("A cycle of \"$ref\", \"allOf\", \"anyOf\", \"oneOf\", \"not\" or \"if\" would never end.")));
	s->mark = 1;
	check_in_place_cycles(c, s->ref);
	check_in_place_cycles(c, s->app->dynamic_ref);
	check_list_cycles(c, &s->app->all_of);
	check_list_cycles(c, &s->app->any_of);
	check_list_cycles(c, &s->app->one_of);
	check_in_place_cycles(c, s->app->not);
	check_in_place_cycles(c, s->app->if_);
	check_in_place_cycles(c, s->app->then_);
	check_in_place_cycles(c, s->app->else_);
	for (int i = 0; i < s->ndepschemas; i++)
		check_in_place_cycles(c, s->depschemas[i].schema);
	s->mark = 2;
}

/* Release regexes compiled outside memory contexts when the schema goes. */
static void
free_regexes(void *arg)
{
	PlSchema   *schema = (PlSchema *) arg;

	for (int i = 0; i < schema->nregex; i++)
		pl_regex_free(schema->regexes[i]);
	schema->nregex = 0;
}

/* Move the list of compiled regexes into the schema, for free_regexes. */
static void
keep_regexes(Compiler *c, PlSchema *schema)
{
	ListCell   *lc;
	int			i = 0;

	schema->regexes = MemoryContextAlloc(schema->cxt, sizeof(PlRegex *) * Max(list_length(c->regexes), 1));
	foreach(lc, c->regexes)
		schema->regexes[i++] = lfirst(lc);
	schema->nregex = i;
}

/*
 * Compile a JSON Schema.  The result lives in a new memory context, a child
 * of CurrentMemoryContext; reparent it to keep it.  Raises 22023 on a bad
 * schema.  The compiler works in a scratch context under it, deleted once
 * the nodes are copied out (pl_schema_freeze).
 */
PlSchema *
pl_schema_compile(Jsonb *jb, const PlCompileOptions *opts)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "pipeline compiled schema",
											  PL_COMPILED_SIZES);
	MemoryContext scratch = AllocSetContextCreate(cxt, "pipeline schema compiler",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	PlSchema   *schema = palloc0(sizeof(PlSchema));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	Compiler	c = {0};
	JNode	   *root;

	schema->cxt = cxt;
	cb->func = free_regexes;
	cb->arg = schema;
	MemoryContextRegisterResetCallback(cxt, cb);
	MemoryContextSwitchTo(scratch);
	c.opts = opts;
	c.schema = schema;
	c.keep = cxt;
	root = jnode_from_jsonb(jb);
	add_resource(&c, "", root);
	index_schema(&c, root, NULL, opts->default_draft, PL_VOCAB_ALL, "");
	PG_TRY();
	{
		ListCell   *lc;

		schema->root = compile_node(&c, root, NULL);
		foreach(lc, c.nodes)
		{
			SchemaNode *node = lfirst(lc);

			check_in_place_cycles(&c, node);
			fast_shape(node);
			compile_dispatch(node);
			schema->dynamic |= node->app->dynamic_name != NULL || node->app->recursive_ref;
		}
		foreach(lc, c.nodes)
			resolve_walk_targets(lfirst(lc), schema->dynamic);
		schema->root = pl_schema_freeze(schema->root, c.nodes, c.locations, c.nlocations, cxt);
		keep_locations(&c, schema);
	}
	PG_FINALLY();
	{
		keep_regexes(&c, schema);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	return schema;
}

/* Free a compiled schema and everything it holds. */
void
pl_schema_free(PlSchema *schema)
{
	MemoryContextDelete(schema->cxt);
}
