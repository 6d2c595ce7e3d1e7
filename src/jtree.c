/*-------------------------------------------------------------------------
 *
 * jtree.c
 *	  The record transform steps work on: a lazily expanded jsonb tree.
 *
 * A PlDoc starts as one jbvBinary reference to the original jsonb (or a
 * row's columns, see trigger.c).  Reading a path walks binary containers in
 * place (getKeyJsonValueFromContainer, no allocation).  Writing a path
 * expands only the containers on the way down into jbvObject/jbvArray whose
 * children are again scalars or jbvBinary references, so a step that changes
 * one field of a 10-field record costs one 10-pair array.  The encoder at the
 * end writes such a tree back as jsonb in one exactly bounded allocation,
 * copying every unexpanded container's bytes verbatim (the jsonb container
 * format is position independent once int-aligned).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "transform.h"

/* ----------------------------------------------------------------
 * Reading and writing paths
 * ----------------------------------------------------------------
 */

/*
 * Fill *r from child index of container c, whose data starts at offset
 * (from the start of the children's data) and spans len bytes.
 */
static inline void
bin_fill(JsonbContainer *c, int index, const char *data, uint32 offset, uint32 len,
		 JsonbValue *r)
{
	JEntry		entry = c->children[index];

	switch (entry & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			r->type = jbvString;
			r->val.string.val = (char *) data + offset;
			r->val.string.len = len;
			break;
		case JENTRY_ISNUMERIC:
			r->type = jbvNumeric;
			r->val.numeric = (Numeric) (data + INTALIGN(offset));
			break;
		case JENTRY_ISBOOL_TRUE:
			r->type = jbvBool;
			r->val.boolean = true;
			break;
		case JENTRY_ISBOOL_FALSE:
			r->type = jbvBool;
			r->val.boolean = false;
			break;
		case JENTRY_ISNULL:
			r->type = jbvNull;
			break;
		default:
			r->type = jbvBinary;
			r->val.binary.data = (JsonbContainer *) (data + INTALIGN(offset));
			r->val.binary.len = len - (INTALIGN(offset) - offset);
			break;
	}
}

/* The root of jsonb jb as a tree value (a scalar root becomes that scalar). */
void
pl_jsonb_value(Jsonb *jb, JsonbValue *out)
{
	JsonbContainer *c = &jb->root;

	if (JsonContainerIsScalar(c))
	{
		const char *data = (const char *) &c->children[1];

		bin_fill(c, 0, data, 0, getJsonbLength(c, 0), out);
	}
	else
	{
		out->type = jbvBinary;
		out->val.binary.data = c;
		out->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* Start a record from a jsonb document (its scratch buffer is not cleared). */
void
pl_doc_init(PlDoc *doc, Jsonb *jb)
{
	doc->changed = false;
	doc->row = false;
	doc->bound = 0;
	doc->touched = NULL;
	doc->scratch.next = doc->buf.data;
	doc->scratch.end = doc->buf.data + PL_DOC_SCRATCH;
	pl_jsonb_value(jb, &doc->root);
}

/*
 * A copy of the n elements (size bytes each) at old with room for one more
 * at index i (a gap left there), from the record's scratch.
 */
void *
pl_grow_at(PlScratch *sc, const void *old, int n, Size size, int i)
{
	char	   *p = pl_scratch_alloc(sc, size * (n + 1));

	if (i > 0)
		memcpy(p, old, size * i);
	if (n > i)
		memcpy(p + size * (i + 1), (const char *) old + size * i, size * (n - i));
	return p;
}

/* Replace binary container *v by its expanded form (children stay binary). */
void
pl_expand(JsonbValue *v, PlScratch *sc)
{
	JsonbContainer *c = v->val.binary.data;
	int			n = JsonContainerSize(c);
	bool		is_object = JsonContainerIsObject(c);
	int			nchildren = is_object ? 2 * n : n;
	const char *data = (const char *) &c->children[nchildren];
	uint32		offset = 0;

	if (is_object)
	{
		JsonbPair  *pairs = pl_scratch_alloc(sc, sizeof(JsonbPair) * Max(n, 1));

		/* keys are strings: no type switch for them */
		for (int i = 0; i < n; i++)
		{
			JEntry		e = c->children[i];
			uint32		len = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - offset : JBE_OFFLENFLD(e);

			pairs[i].key.type = jbvString;
			pairs[i].key.val.string.val = (char *) data + offset;
			pairs[i].key.val.string.len = len;
			offset += len;
		}
		for (int i = 0; i < n; i++)
		{
			JEntry		e = c->children[n + i];
			uint32		len = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - offset : JBE_OFFLENFLD(e);

			bin_fill(c, n + i, data, offset, len, &pairs[i].value);
			pairs[i].order = i;
			offset += len;
		}
		v->type = jbvObject;
		v->val.object.nPairs = n;
		v->val.object.pairs = pairs;
	}
	else
	{
		JsonbValue *elems = pl_scratch_alloc(sc, sizeof(JsonbValue) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			JEntry		e = c->children[i];
			uint32		len = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) - offset : JBE_OFFLENFLD(e);

			bin_fill(c, i, data, offset, len, &elems[i]);
			offset += len;
		}
		v->type = jbvArray;
		v->val.array.nElems = n;
		v->val.array.elems = elems;
		v->val.array.rawScalar = false;
	}
}

/* Is v an object (expanded or binary)? */
bool
pl_is_object(const JsonbValue *v)
{
	return v->type == jbvObject ||
		(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data));
}

/* Is v an array (expanded or binary)? */
static inline bool
is_array(const JsonbValue *v)
{
	return v->type == jbvArray ||
		(v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data));
}

/* Array index named by token tok, -1 if it names none ("-" gives -2). */
static int
token_index(const char *tok, int len)
{
	int			n = 0;

	if (len == 1 && tok[0] == '-')
		return -2;
	if (len == 0 || len > 9 || (len > 1 && tok[0] == '0'))
		return -1;
	for (int i = 0; i < len; i++)
	{
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		n = n * 10 + (tok[i] - '0');
	}
	return n;
}

/*
 * Binary search for key among n keys sorted in jsonb order, the i-th at
 * keys + i * stride bytes with its length at lens + i * lenstride bytes
 * (object pairs, map entries, keep's keys).  Returns its index, or -1 with
 * *pos the insert point.
 */
int
pl_key_search(const char *const *keys, const int *lens, Size stride, Size lenstride,
			  int n, const char *key, int len, int *pos)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = pl_key_cmp(*(const char *const *) ((const char *) keys + mid * stride),
								   *(const int *) ((const char *) lens + mid * lenstride),
								   key, len);

		if (c == 0)
			return *pos = mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return -1;
}

/* Binary search for key in an expanded object; *pos gets the insert point. */
static JsonbPair *
object_find(const JsonbValue *obj, const char *key, int len, int *pos)
{
	const JsonbPair *p = obj->val.object.pairs;

	if (pl_key_search((const char *const *) &p->key.val.string.val, &p->key.val.string.len,
					  sizeof(JsonbPair), sizeof(JsonbPair), obj->val.object.nPairs, key, len, pos) < 0)
		return NULL;
	return &obj->val.object.pairs[*pos];
}

/* Read child tok of v into *out (a shallow copy); false if there is none. */
static bool
child_get(const JsonbValue *v, const char *tok, int len, JsonbValue *out)
{
	int			i;

	if (v->type == jbvObject)
	{
		JsonbPair  *p = object_find(v, tok, len, &i);

		if (p)
			*out = p->value;
		return p != NULL;
	}
	if (v->type == jbvArray)
	{
		i = token_index(tok, len);
		if (i < 0 || i >= v->val.array.nElems)
			return false;
		*out = v->val.array.elems[i];
		return true;
	}
	if (v->type != jbvBinary)
		return false;
	if (JsonContainerIsObject(v->val.binary.data))
		return getKeyJsonValueFromContainer(v->val.binary.data, tok, len, out) != NULL;
	i = token_index(tok, len);
	if (i < 0 || i >= (int) JsonContainerSize(v->val.binary.data))
		return false;
	{
		JsonbContainer *c = v->val.binary.data;
		const char *data = (const char *) &c->children[JsonContainerSize(c)];

		bin_fill(c, i, data, getJsonbOffset(c, i), getJsonbLength(c, i), out);
	}
	return true;
}

/* Read the value at pointer p into *out; false if the path leads nowhere. */
bool
pl_doc_get(const PlDoc *doc, const PlPointer *p, JsonbValue *out)
{
	JsonbValue	cur = doc->root;

	for (int i = 0; i < p->ntokens; i++)
		if (!child_get(&cur, p->tokens[i], p->lens[i], &cur))
			return false;
	*out = cur;
	return true;
}

/* The type of v as a violation message names it. */
const char *
pl_value_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvBool:
			return "a boolean";
		case jbvNumeric:
			return "a number";
		case jbvString:
			return "a string";
		default:
			return pl_is_object(v) ? "an object" : "an array";
	}
}

/* Prefix of pointer p with n tokens, as text (for messages). */
static char *
pointer_prefix(const PlPointer *p, int n)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < n; i++)
		pl_pointer_append_token(&s, p->tokens[i], p->lens[i]);
	return s.data;
}

/* Note in a row record which column a step wrote (root pair of token tok). */
void
pl_doc_touch(PlDoc *doc, const PlPointer *p, int step)
{
	int			i;

	doc->changed = true;
	if (doc->row && p->ntokens > 0 &&
		object_find(&doc->root, p->tokens[0], p->lens[0], &i))
		doc->touched[i] = step;
}

/*
 * Why a value cannot be written at pointer p, or NULL if it can: the path
 * must run through objects (missing ones are created) or through existing
 * array elements ("-" last appends), and a row's columns are fixed.
 */
char *
pl_put_error(const PlDoc *doc, const PlPointer *p)
{
	JsonbValue	cur = doc->root;

	if (doc->row && p->ntokens == 0)
		return pstrdup("a step cannot replace the whole row");
	for (int t = 0; t < p->ntokens; t++)
	{
		const char *tok = p->tokens[t];
		int			len = p->lens[t];

		if (pl_is_object(&cur))
		{
			if (!child_get(&cur, tok, len, &cur))
				return doc->row && t == 0 ?
					psprintf("the row has no column \"%s\"", tok) : NULL;
		}
		else if (is_array(&cur))
		{
			if (token_index(tok, len) == -2 && t + 1 == p->ntokens)
				return NULL;	/* appends */
			if (!child_get(&cur, tok, len, &cur))
				return psprintf("cannot write %s: %s has no element \"%s\"", p->text,
								t == 0 ? "the record" : pointer_prefix(p, t), tok);
		}
		else
			return psprintf("cannot write %s: %s is %s", p->text,
							t == 0 ? "the record" : pointer_prefix(p, t),
							pl_value_kind(&cur));
	}
	return NULL;
}

/*
 * Insert key tok (len bytes, kept by reference) at index i of expanded
 * object obj, its value null; returns the new pair.
 */
JsonbPair *
pl_object_insert(PlScratch *sc, JsonbValue *obj, int i, const char *tok, int len)
{
	int			n = obj->val.object.nPairs;
	JsonbPair  *pair;

	obj->val.object.pairs = pl_grow_at(sc, obj->val.object.pairs, n, sizeof(JsonbPair), i);
	obj->val.object.nPairs = n + 1;
	pair = &obj->val.object.pairs[i];
	pair->key.type = jbvString;
	pair->key.val.string.val = (char *) tok;
	pair->key.val.string.len = len;
	pair->order = n;
	pair->value.type = jbvNull;
	return pair;
}

/*
 * The slot that holds the value at pointer p, for writing: containers on the
 * way are expanded.  With create (after put_error said yes), a missing key is
 * added (null, or an empty object on the way) and "-" appends to an array;
 * without, NULL if the path leads nowhere.
 */
JsonbValue *
pl_doc_slot(PlDoc *doc, const PlPointer *p, bool create)
{
	JsonbValue *cur = &doc->root;

	for (int t = 0; t < p->ntokens; t++)
	{
		const char *tok = p->tokens[t];
		int			len = p->lens[t];
		int			i;

		if (cur->type == jbvBinary)
			pl_expand(cur, &doc->scratch);
		if (cur->type == jbvObject)
		{
			JsonbPair  *pair = object_find(cur, tok, len, &i);

			if (pair == NULL)
			{
				if (!create)
					return NULL;
				pair = pl_object_insert(&doc->scratch, cur, i, tok, len);
				if (t + 1 < p->ntokens)
				{
					pair->value.type = jbvObject;
					pair->value.val.object.nPairs = 0;
					pair->value.val.object.pairs = pl_scratch_alloc(&doc->scratch, sizeof(JsonbPair));
				}
			}
			cur = &pair->value;
		}
		else if (cur->type == jbvArray)
		{
			int			n = cur->val.array.nElems;

			i = token_index(tok, len);
			if (i == -2 && create)
			{
				cur->val.array.elems = pl_grow_at(&doc->scratch, cur->val.array.elems, n,
												  sizeof(JsonbValue), n);
				cur->val.array.nElems = n + 1;
				cur = &cur->val.array.elems[n];
				cur->type = jbvNull;
				continue;
			}
			if (i < 0 || i >= n)
				return NULL;
			cur = &cur->val.array.elems[i];
		}
		else
			return NULL;
	}
	return cur;
}

/* Write v at pointer p (creating the key); false with *err if impossible. */
bool
pl_doc_put(PlDoc *doc, const PlPointer *p, const JsonbValue *v, char **err)
{
	*err = pl_put_error(doc, p);
	if (*err)
		return false;
	*pl_doc_slot(doc, p, true) = *v;
	return true;
}

/* Remove the value at p into *removed; false if there was none. */
bool
pl_doc_remove(PlDoc *doc, const PlPointer *p, JsonbValue *removed)
{
	PlPointer	parent = *p;
	JsonbValue *cont;
	const char *tok = p->tokens[p->ntokens - 1];
	int			len = p->lens[p->ntokens - 1];
	int			i;

	if (!pl_doc_get(doc, p, removed))
		return false;
	parent.ntokens--;
	cont = pl_doc_slot(doc, &parent, false);
	if (cont->type == jbvBinary)
		pl_expand(cont, &doc->scratch);
	if (doc->row && parent.ntokens == 0)
	{
		/* a column cannot go away: it becomes null */
		object_find(cont, tok, len, &i)->value.type = jbvNull;
	}
	else if (cont->type == jbvObject)
	{
		object_find(cont, tok, len, &i);
		memmove(&cont->val.object.pairs[i], &cont->val.object.pairs[i + 1],
				sizeof(JsonbPair) * (cont->val.object.nPairs - i - 1));
		cont->val.object.nPairs--;
	}
	else
	{
		i = token_index(tok, len);
		memmove(&cont->val.array.elems[i], &cont->val.array.elems[i + 1],
				sizeof(JsonbValue) * (cont->val.array.nElems - i - 1));
		cont->val.array.nElems--;
	}
	return true;
}

/* Make v safe to place twice in a tree: an expanded container becomes binary. */
void
pl_freeze(JsonbValue *v)
{
	if (v->type == jbvObject || v->type == jbvArray)
	{
		Jsonb	   *jb = pl_doc_encode(v);

		v->type = jbvBinary;
		v->val.binary.data = &jb->root;
		v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* Put v back at p, where pl_doc_remove took it from. */
void
pl_doc_restore(PlDoc *doc, const PlPointer *p, const JsonbValue *v)
{
	PlPointer	parent = *p;
	JsonbValue *cont;
	int			i;

	parent.ntokens--;
	cont = pl_doc_slot(doc, &parent, false);
	if (cont->type == jbvArray)
	{
		i = token_index(p->tokens[p->ntokens - 1], p->lens[p->ntokens - 1]);
		cont->val.array.elems = pl_grow_at(&doc->scratch, cont->val.array.elems,
										   cont->val.array.nElems, sizeof(JsonbValue), i);
		cont->val.array.elems[i] = *v;
		cont->val.array.nElems++;
	}
	else
		*pl_doc_slot(doc, p, true) = *v;
}

/* ----------------------------------------------------------------
 * Encoding a tree as jsonb (the format of src/backend/utils/adt/jsonb_util.c)
 *
 * One pass into one buffer sized by enc_bound: a container's JEntries are
 * filled in as its children are written, runs of keys that lie back to back
 * in the original (an expanded object whose keys were not changed) are
 * copied with one memcpy, and unexpanded containers are copied as bytes.
 * The whole encoding is checked against jsonb's size limit once, up front,
 * so no offset inside it can exceed that limit either.
 * ----------------------------------------------------------------
 */

/* Where an encoding is written: a buffer sized by enc_bound, so no checks. */
typedef struct EncBuf
{
	char	   *data;
	uint32		len;
} EncBuf;

static Size enc_bound(const JsonbValue *v);
static void enc_container(EncBuf *buf, const JsonbValue *v, bool raw_scalar);

/* Is v an expanded container (the encoder recurses only into those)? */
static inline bool
is_expanded(const JsonbValue *v)
{
	return v->type == jbvObject || v->type == jbvArray;
}

/* An upper bound of the bytes child v takes encoded (alignment padding included). */
static pg_attribute_always_inline Size
enc_bound_child(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return v->val.string.len;
		case jbvNumeric:
			return VARSIZE_ANY(v->val.numeric) + 3;
		case jbvBinary:
			return v->val.binary.len + 3;
		case jbvObject:
		case jbvArray:
			return enc_bound(v);
		default:
			return 0;
	}
}

/* An upper bound of the bytes expanded container v takes encoded. */
static Size
enc_bound(const JsonbValue *v)
{
	Size		n = 3 + sizeof(uint32);

	check_stack_depth();
	if (v->type == jbvObject)
	{
		for (int i = 0; i < v->val.object.nPairs; i++)
			n += v->val.object.pairs[i].key.val.string.len +
				enc_bound_child(&v->val.object.pairs[i].value);
		return n + 2 * sizeof(JEntry) * v->val.object.nPairs;
	}
	for (int i = 0; i < v->val.array.nElems; i++)
		n += enc_bound_child(&v->val.array.elems[i]);
	return n + sizeof(JEntry) * v->val.array.nElems;
}

/* Copy len bytes (w <= len <= 2 * w) as two overlapping moves of w bytes. */
static inline void
copy_ends(char *d, const char *s, uint32 len, uint32 w)
{
	memmove(d, s, w);
	memmove(d + len - w, s + len - w, w);
}

/*
 * Append len bytes.  Up to 16 (most keys and scalars of a record) with two
 * overlapping fixed-size moves instead of a call to memcpy.
 */
static inline void
enc_bytes(EncBuf *buf, const void *p, uint32 len)
{
	char	   *d = buf->data + buf->len;
	const char *s = p;

	if (len > 16)
		memcpy(d, s, len);
	else if (len >= 8)
		copy_ends(d, s, len, 8);
	else if (len >= 4)
		copy_ends(d, s, len, 4);
	else
		for (uint32 i = 0; i < len; i++)
			d[i] = s[i];
	buf->len += len;
}

/*
 * Pad with zeros to an int boundary, before a numeric or a container: four
 * zero bytes are written, which what follows (4 bytes at least) covers.
 */
static inline void
enc_pad(EncBuf *buf)
{
	static const uint32 zero = 0;

	memcpy(buf->data + buf->len, &zero, sizeof(uint32));
	buf->len = INTALIGN(buf->len);
}

/* The JEntry of child i, of type bits type, len bytes, ending at data offset end. */
static inline JEntry
enc_jentry(int i, JEntry type, uint32 len, uint32 end)
{
	if (i % JB_OFFSET_STRIDE == 0)
		return type | end | JENTRY_HAS_OFF;
	return type | len;
}

/*
 * Append child v; returns its JEntry type bits (its length is measured by the
 * caller).  Forced inline: the compiler keeps calls in the recursion cycle
 * with enc_container, which cost more than the work for a scalar.
 */
static pg_attribute_always_inline JEntry
enc_child(EncBuf *buf, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return JENTRY_ISNULL;
		case jbvBool:
			return v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
		case jbvString:
			enc_bytes(buf, v->val.string.val, v->val.string.len);
			return JENTRY_ISSTRING;
		case jbvNumeric:
			enc_pad(buf);
			enc_bytes(buf, v->val.numeric, VARSIZE_ANY(v->val.numeric));
			return JENTRY_ISNUMERIC;
		case jbvBinary:
			enc_pad(buf);
			enc_bytes(buf, v->val.binary.data, v->val.binary.len);
			return JENTRY_ISCONTAINER;
		case jbvObject:
		case jbvArray:
			enc_pad(buf);
			enc_container(buf, v, false);
			return JENTRY_ISCONTAINER;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return 0;
}

/*
 * Append an object's keys (strings, children 0..n-1 of the container whose
 * data starts at base); keys that follow each other in memory are copied
 * at once.
 */
static void
enc_keys(EncBuf *buf, const JsonbPair *pairs, int n, JEntry *je, uint32 base)
{
	const char *run;
	uint32		runlen = 0;

	if (n == 0)
		return;
	run = pairs[0].key.val.string.val;
	for (int i = 0; i < n; i++)
	{
		const JsonbValue *k = &pairs[i].key;

		if (run + runlen != k->val.string.val)
		{
			enc_bytes(buf, run, runlen);
			run = k->val.string.val;
			runlen = 0;
		}
		runlen += k->val.string.len;
		je[i] = enc_jentry(i, JENTRY_ISSTRING, k->val.string.len,
						   buf->len + runlen - base);
	}
	enc_bytes(buf, run, runlen);
}

/* Append children vals[0..n) (a stride of step bytes) as entries first.. of je. */
static void
enc_children(EncBuf *buf, const char *vals, Size step, int n, JEntry *je, int first,
			 uint32 base)
{
	for (int i = 0; i < n; i++)
	{
		uint32		start = buf->len;
		JEntry		type = enc_child(buf, (const JsonbValue *) (vals + i * step));

		je[first + i] = enc_jentry(first + i, type, buf->len - start, buf->len - base);
	}
}

/* Write an expanded array or object (or a one-element raw scalar array). */
static void
enc_container(EncBuf *buf, const JsonbValue *v, bool raw_scalar)
{
	uint32		header;
	int			nchildren;
	JEntry	   *je;
	uint32		base;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (v->type == jbvObject)
	{
		header = v->val.object.nPairs | JB_FOBJECT;
		nchildren = 2 * v->val.object.nPairs;
	}
	else if (raw_scalar)
	{
		header = 1 | JB_FARRAY | JB_FSCALAR;
		nchildren = 1;
	}
	else
	{
		header = v->val.array.nElems | JB_FARRAY;
		nchildren = v->val.array.nElems;
	}
	enc_bytes(buf, &header, sizeof(uint32));
	/* the buffer is int-aligned and so is this offset: JEntries are aligned */
	je = (JEntry *) (buf->data + buf->len);
	buf->len += nchildren * sizeof(JEntry);
	base = buf->len;

	if (raw_scalar)
		enc_children(buf, (const char *) v, sizeof(JsonbValue), 1, je, 0, base);
	else if (v->type == jbvObject)
	{
		int			n = v->val.object.nPairs;

		enc_keys(buf, v->val.object.pairs, n, je, base);
		enc_children(buf, (const char *) &v->val.object.pairs[0].value, sizeof(JsonbPair),
					 n, je, n, base);
	}
	else
		enc_children(buf, (const char *) v->val.array.elems, sizeof(JsonbValue),
					 nchildren, je, 0, base);
}

/*
 * An upper bound of enc_bound of binary object v once expanded: the binary
 * form holds the header, the JEntries, the keys and each value's bytes; the
 * expanded form's bound adds 3 (header) and at most 3 per value (padding
 * counted for a numeric or container where the binary form may have less).
 */
Size
pl_expanded_bound(const JsonbValue *v)
{
	Assert(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data));
	return v->val.binary.len + 3 + 3 * (Size) JsonContainerSize(v->val.binary.data);
}

/* What value v adds to its container's encoded size bound (its JEntry not included). */
Size
pl_value_bound(const JsonbValue *v)
{
	return enc_bound_child(v);
}

/* Encode tree v as a jsonb datum into a buffer of bound bytes (VARHDRSZ included). */
static Jsonb *
encode_within(const JsonbValue *v, Size bound)
{
	bool		raw_scalar = !is_expanded(v) && v->type != jbvBinary;
	EncBuf		buf;

	if (bound > VARHDRSZ + JENTRY_OFFLENMASK + 3)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transformed record exceeds the maximum jsonb size of %d bytes",
						JENTRY_OFFLENMASK)));
	buf.data = palloc(bound);
	buf.len = VARHDRSZ;
	if (v->type == jbvBinary)
		enc_bytes(&buf, v->val.binary.data, v->val.binary.len);
	else
		enc_container(&buf, v, raw_scalar);
	/* an overrun of a bound is a bug that must not go unseen in any build */
	if (unlikely(buf.len > bound))
		elog(PANIC, "jsonb encoding overran its bound: %u > %zu", buf.len, bound);
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}

/* Encode tree v as a jsonb datum. */
Jsonb *
pl_doc_encode(const JsonbValue *v)
{
	bool		raw_scalar = !is_expanded(v) && v->type != jbvBinary;

	return encode_within(v, VARHDRSZ + enc_bound_child(v) +
						 (raw_scalar ? sizeof(uint32) + sizeof(JEntry) : 0));
}

/*
 * Encode doc's root, without the sizing pass when the root-slot path kept a
 * bound (transform.c: the expanded root's, plus what each write added; what
 * a write replaced stays counted).  A bound over jsonb's limit is measured
 * again: the record itself may be under it.
 */
Jsonb *
pl_doc_encode_doc(const PlDoc *doc)
{
	if (doc->bound == 0 || doc->bound > JENTRY_OFFLENMASK || doc->root.type != jbvObject)
		return pl_doc_encode(&doc->root);
	Assert(doc->bound >= enc_bound(&doc->root));
	return encode_within(&doc->root, VARHDRSZ + doc->bound);
}
