/*-------------------------------------------------------------------------
 *
 * ecma_nfa.c
 *	  A bit-parallel position automaton for ECMA-262 patterns.
 *
 * While ecma_regex.c translates a pattern it also records its syntax tree
 * here: character sets (a character, a class, an escape such as \s, "."),
 * "^" and "$", groups, alternatives and quantifiers.  Anything else (a
 * backreference, a lookaround, \b, \B) refuses the tree, and the pattern
 * goes to PostgreSQL's engine.  Only match or no match is asked, so
 * captures and laziness do not matter.
 *
 * The tree becomes a Glushkov (position) automaton: every character set of
 * the pattern, with bounded repetition written out, is a position, up to 64
 * so a state is one uint64.  For each part of the pattern the construction
 * computes its first and last positions, the positions that may follow each
 * position, and whether it matches empty.  "^" and "$" are conditions on
 * where a path may start or end: a first position reached through "^" may
 * begin a match at the subject's start only, a last one reached through "$"
 * end one at its end only, and no path crosses an anchor between two
 * characters.  Empty matches carry which of the two they need.
 *
 * Matching runs the automaton over the subject's code points, decoded from
 * UTF-8 in place, in one pass without backtracking or allocation: the state
 * after a character is the successors of the previous state that accept it,
 * plus the first positions (a match may begin anywhere).  Characters fall
 * into classes accepted by the same positions, found through a table of 128
 * bytes over ASCII and a sorted list of code-point spans above.  When the
 * states reachable from the start are few (the common case: FHIR's
 * datatype patterns need 3 to 18), they are tabulated at compile time as a
 * DFA over the classes, so a character costs one look-up, and a state that
 * stays on all printable ASCII skips it 8 bytes at a time.  Otherwise the
 * positions are stepped bit-parallel: successors are mostly the next
 * position or the same one (a sequence, a repeated set), taken for all
 * positions at once by a shift and a mask; the other edges are looked up
 * for the few positions that have them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "ecma_nfa.h"

#define NFA_MAX_POS		64		/* positions: one bit each in a uint64 */
#define NFA_MAX_NODES	256		/* nodes of a recorded tree */
#define NFA_MAX_DEPTH	32		/* nested groups of a recorded tree */
#define NFA_MAX_WORK	4096	/* subtrees built, repetition written out */
#define NFA_FIRST_WIDE	0x80	/* the first code point past the ASCII table */
#define NFA_MAX_CLASSES	255		/* character classes (ASCII's index is a uint8) */
#define DFA_MAX_STATES	64		/* states of a tabulated DFA */
#define DFA_MAX_CELLS	2048	/* and its transitions (4 kB of uint16) */
#define RUN_MIN_LO		0x60	/* on at least the bytes RUN_MIN_LO..RUN_LAST */

/*
 * The conditions an empty match may need, as a bit set over their four
 * combinations: none, the subject's start ("^"), its end ("$"), or both.
 */
#define EMPTY_ANY		(1 << 0)
#define EMPTY_START		(1 << 1)
#define EMPTY_END		(1 << 2)
#define EMPTY_BOTH		(1 << 3)

/* What a node of the tree is. */
typedef enum NfaNodeKind
{
	NODE_SET,					/* one character of a set */
	NODE_START,					/* "^" */
	NODE_END,					/* "$" */
	NODE_CAT,					/* its children in sequence */
	NODE_ALT					/* one of its children (each a NODE_CAT) */
} NfaNodeKind;

/* A node of the tree, with its quantifier. */
typedef struct NfaNode
{
	NfaNodeKind kind;
	int			min;			/* repetition: 1 and 1 unless quantified */
	int			max;			/* -1: unbounded */
	int			child;			/* NODE_CAT, NODE_ALT: first child, or -1 */
	int			last;			/* and last child */
	int			next;			/* next sibling, or -1 */
	int			leaf;			/* NODE_SET: its set in the tree's leaves */
} NfaNode;

/* A character set of the tree: sorted, disjoint code-point ranges. */
typedef struct NfaLeaf
{
	CpRange    *r;
	int			n;
} NfaLeaf;

struct NfaTree
{
	bool		refused;		/* the pattern is not for the automaton */
	int			nnodes;
	int			nleaves;
	int			depth;			/* open groups */
	int			alt[NFA_MAX_DEPTH + 1]; /* the open groups' NODE_ALT, root first */
	int			cat[NFA_MAX_DEPTH + 1]; /* and their current alternatives */
	NfaLeaf		leaves[NFA_MAX_POS];
	NfaNode		nodes[NFA_MAX_NODES];
};

/* A span of code points whose characters are accepted by the same positions. */
typedef struct NfaSpan
{
	pg_wchar	lo;				/* the span runs up to the next span's lo */
	int			cls;			/* its class */
} NfaSpan;

/*
 * The automaton.  Characters fall into classes (at most NFA_MAX_CLASSES),
 * each accepted by one set of positions.  When the states reachable from
 * the start are few, they are numbered and their transitions on each class
 * tabulated (a DFA of uint16 row offsets): a character then costs a table
 * look-up.  Otherwise the positions are stepped bit-parallel.
 */
struct PlNfa
{
	uint64		first;			/* positions a match may begin with anywhere */
	uint64		first_start;	/* and at the subject's start only */
	uint64		last;			/* positions a match may end with anywhere */
	uint64		last_end;		/* and at the subject's end only */
	uint64		shift;			/* positions p followed by p + 1 */
	uint64		self;			/* positions followed by themselves */
	uint64		exc;			/* positions with other successors */
	bool		match_empty;	/* the empty subject matches */
	int			nspans;
	int			nclasses;
	const uint64 *follow;		/* per position, those other successors */
	const uint64 *masks;		/* per class, the positions accepting it */
	const NfaSpan *spans;		/* from NFA_FIRST_WIDE up, sorted */
	const uint16 *dfa;			/* row of a state (state * nclasses) and class
								 * to the next state's row; NULL: no DFA */
	const bool *final;			/* per DFA row: the subject matches if it ends
								 * in that state */
	const uint8 *run;			/* per DFA row: the state stays on all bytes
								 * run..RUN_LAST; 0 if not worth skipping */
	uint8		accept_run;		/* a non-empty subject of bytes accept_run..
								 * RUN_LAST all matches; 0: no such run */
	uint8		ascii[128];		/* ASCII character to its class */
};

/* The tables of an automaton being assembled, before their one allocation. */
typedef struct NfaTables
{
	uint64		follow[NFA_MAX_POS];
	uint64		masks[NFA_MAX_CLASSES];
	NfaSpan    *spans;
	uint16	   *dfa;
	bool	   *final;
	uint8	   *run;
	int			nstates;
} NfaTables;

/* The sets the construction computes for a part of the pattern. */
typedef struct Glu
{
	uint64		first;			/* first positions, anywhere */
	uint64		first_start;	/* first positions at the subject's start */
	uint64		last;			/* last positions, anywhere */
	uint64		last_end;		/* last positions at the subject's end */
	uint8		empty;			/* EMPTY_* conditions of its empty matches */
} Glu;

/* The state of one construction. */
typedef struct GluBuild
{
	const NfaTree *t;
	int			npos;
	int			work;			/* subtrees built so far */
	uint8		leaf_of[NFA_MAX_POS];	/* each position's set */
	uint64		follow[NFA_MAX_POS];	/* each position's successors */
} GluBuild;

/* The part that matches only the empty string, anywhere. */
static const Glu glu_empty = {0, 0, 0, 0, EMPTY_ANY};

/* Add a node of the given kind to the tree; -1 (and refused) when full. */
static int
tree_node(NfaTree *t, NfaNodeKind kind)
{
	NfaNode    *nd;

	if (t->nnodes == NFA_MAX_NODES)
	{
		t->refused = true;
		return -1;
	}
	nd = &t->nodes[t->nnodes];
	nd->kind = kind;
	nd->min = nd->max = 1;
	nd->child = nd->last = nd->next = nd->leaf = -1;
	return t->nnodes++;
}

/* Append node k to parent's children. */
static void
tree_append(NfaTree *t, int parent, int k)
{
	NfaNode    *p = &t->nodes[parent];

	if (p->last < 0)
		p->child = k;
	else
		t->nodes[p->last].next = k;
	p->last = k;
}

/* Add a node to the current alternative; -1 when nothing is recorded. */
static int
tree_add(NfaTree *t, NfaNodeKind kind)
{
	int			k;

	if (t == NULL || t->refused)
		return -1;
	k = tree_node(t, kind);
	if (k >= 0)
		tree_append(t, t->cat[t->depth], k);
	return k;
}

/* A new tree: the root group with one empty alternative. */
NfaTree *
nfa_tree_create(void)
{
	NfaTree    *t = palloc(sizeof(NfaTree));

	t->refused = false;
	t->nnodes = t->nleaves = t->depth = 0;
	t->alt[0] = tree_node(t, NODE_ALT);
	t->cat[0] = tree_node(t, NODE_CAT);
	tree_append(t, t->alt[0], t->cat[0]);
	return t;
}

/* qsort comparator: ranges by lower bound. */
static int
range_cmp(const void *a, const void *b)
{
	pg_wchar	la = ((const CpRange *) a)->lo;
	pg_wchar	lb = ((const CpRange *) b)->lo;

	return la < lb ? -1 : la > lb ? 1 : 0;
}

/* Record one character of the set r[0..n) (any order, overlaps allowed). */
void
nfa_tree_set(NfaTree *t, const CpRange *r, int n)
{
	NfaLeaf    *leaf;
	int			k;
	int			m = 0;

	if (t != NULL && t->nleaves == NFA_MAX_POS)
		t->refused = true;
	if ((k = tree_add(t, NODE_SET)) < 0)
		return;
	leaf = &t->leaves[t->nleaves];
	leaf->r = palloc(Max(n, 1) * sizeof(CpRange));
	if (n > 0)
		memcpy(leaf->r, r, n * sizeof(CpRange));
	qsort(leaf->r, n, sizeof(CpRange), range_cmp);
	for (int i = 1; i < n; i++)
	{
		if (leaf->r[i].lo <= leaf->r[m].hi + 1)
			leaf->r[m].hi = Max(leaf->r[m].hi, leaf->r[i].hi);
		else
			leaf->r[++m] = leaf->r[i];
	}
	leaf->n = n > 0 ? m + 1 : 0;
	t->nodes[k].leaf = t->nleaves++;
}

/* Record "^" (start) or "$". */
void
nfa_tree_anchor(NfaTree *t, bool start)
{
	tree_add(t, start ? NODE_START : NODE_END);
}

/* Record the opening of a group (capturing or not: captures do not matter). */
void
nfa_tree_open(NfaTree *t)
{
	int			a;
	int			c;

	if (t != NULL && t->depth == NFA_MAX_DEPTH)
		t->refused = true;
	if ((a = tree_add(t, NODE_ALT)) < 0 || (c = tree_node(t, NODE_CAT)) < 0)
		return;
	tree_append(t, a, c);
	t->depth++;
	t->alt[t->depth] = a;
	t->cat[t->depth] = c;
}

/* Record "|": a new alternative of the current group. */
void
nfa_tree_alternative(NfaTree *t)
{
	int			c;

	if (t == NULL || t->refused || (c = tree_node(t, NODE_CAT)) < 0)
		return;
	tree_append(t, t->alt[t->depth], c);
	t->cat[t->depth] = c;
}

/* Record the ")" of the current group. */
void
nfa_tree_close(NfaTree *t)
{
	if (t != NULL && !t->refused && t->depth > 0)
		t->depth--;
}

/* Record quantifier {min,max} (max < 0: unbounded) on the last atom. */
void
nfa_tree_quantify(NfaTree *t, int min, int max)
{
	int			k;

	if (t == NULL || t->refused)
		return;
	k = t->nodes[t->cat[t->depth]].last;
	if (k < 0)
	{
		t->refused = true;
		return;
	}
	t->nodes[k].min = min;
	t->nodes[k].max = max;
}

/* The pattern holds what the automaton does not take. */
void
nfa_tree_refuse(NfaTree *t)
{
	if (t != NULL)
		t->refused = true;
}

/* Release a tree. */
void
nfa_tree_free(NfaTree *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->nleaves; i++)
		pfree(t->leaves[i].r);
	pfree(t);
}

/* The conditions of an empty match of x then y: each pair's conditions joined. */
static uint8
empty_cat(uint8 x, uint8 y)
{
	uint8		r = 0;

	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			if ((x >> i) & (y >> j) & 1)
				r |= 1 << (i | j);
	return r;
}

/* Make every position of from followed by the positions to. */
static void
glu_link(GluBuild *b, uint64 from, uint64 to)
{
	while (from)
	{
		b->follow[pg_rightmost_one_pos64(from)] |= to;
		from &= from - 1;
	}
}

/*
 * x then y.  A path never crosses an anchor between two characters (that
 * would need the start after one, or the end before one): y's positions
 * that need the start follow nothing, x's that need the end precede nothing.
 */
static Glu
glu_cat(GluBuild *b, Glu x, Glu y)
{
	Glu			r = x;

	glu_link(b, x.last, y.first);
	if (x.empty & EMPTY_ANY)
	{
		r.first |= y.first;
		r.first_start |= y.first_start;
	}
	if (x.empty & EMPTY_START)
		r.first_start |= y.first | y.first_start;
	r.last = y.last;
	r.last_end = y.last_end;
	if (y.empty & EMPTY_ANY)
	{
		r.last |= x.last;
		r.last_end |= x.last_end;
	}
	if (y.empty & EMPTY_END)
		r.last_end |= x.last | x.last_end;
	r.empty = empty_cat(x.empty, y.empty);
	return r;
}

/* x or y. */
static Glu
glu_alt(Glu x, Glu y)
{
	x.first |= y.first;
	x.first_start |= y.first_start;
	x.last |= y.last;
	x.last_end |= y.last_end;
	x.empty |= y.empty;
	return x;
}

/* x one or more times: its first positions also follow its last ones. */
static Glu
glu_plus(GluBuild *b, Glu x)
{
	glu_link(b, x.last, x.first);
	return x;
}

static bool glu_node(GluBuild *b, int k, Glu *out);

/* Build node k once, its quantifier aside. */
static bool
glu_once(GluBuild *b, int k, Glu *out)
{
	const NfaNode *nd = &b->t->nodes[k];
	Glu			g;

	if (++b->work > NFA_MAX_WORK)
		return false;
	*out = glu_empty;
	switch (nd->kind)
	{
		case NODE_SET:
			if (b->npos == NFA_MAX_POS)
				return false;
			b->leaf_of[b->npos] = nd->leaf;
			out->first = out->last = UINT64CONST(1) << b->npos++;
			out->empty = 0;
			return true;
		case NODE_START:
			out->empty = EMPTY_START;
			return true;
		case NODE_END:
			out->empty = EMPTY_END;
			return true;
		case NODE_CAT:
			for (int c = nd->child; c >= 0; c = b->t->nodes[c].next)
			{
				if (!glu_node(b, c, &g))
					return false;
				*out = glu_cat(b, *out, g);
			}
			return true;
		case NODE_ALT:
			for (int c = nd->child; c >= 0; c = b->t->nodes[c].next)
			{
				if (!glu_node(b, c, &g))
					return false;
				*out = c == nd->child ? g : glu_alt(*out, g);
			}
			return true;
	}
	return false;
}

/*
 * Build node k with its quantifier, written out: x{n,m} is n copies of x,
 * then (x(x(...)?)?)? for the m - n optional ones, so each copy leads only
 * to the next; x{n,} is n - 1 copies then x+ (x* for n = 0).
 */
static bool
glu_node(GluBuild *b, int k, Glu *out)
{
	const NfaNode *nd = &b->t->nodes[k];
	int			copies = nd->max < 0 ? Max(nd->min, 1) : nd->max;
	Glu			r = glu_empty;
	Glu			tail = glu_empty;
	Glu		   *g;

	check_stack_depth();
	if (nd->min == 1 && nd->max == 1)
		return glu_once(b, k, out);
	if (nd->min > NFA_MAX_POS || copies > NFA_MAX_POS)
		return false;
	g = palloc(Max(copies, 1) * sizeof(Glu));
	for (int i = 0; i < copies; i++)
	{
		if (!glu_once(b, k, &g[i]))
		{
			pfree(g);
			return false;
		}
	}
	if (nd->max < 0)
	{
		g[copies - 1] = glu_plus(b, g[copies - 1]);
		if (nd->min == 0)
			tail = glu_alt(g[0], glu_empty);
	}
	else
		for (int j = nd->max - 1; j >= nd->min; j--)
			tail = glu_alt(glu_cat(b, g[j], tail), glu_empty);
	for (int i = 0; i < nd->min; i++)
		r = glu_cat(b, r, g[i]);
	*out = glu_cat(b, r, tail);
	pfree(g);
	return true;
}

/* Does the set of leaf hold code point c? */
static bool
leaf_has(const NfaLeaf *leaf, pg_wchar c)
{
	int			lo = 0;
	int			hi = leaf->n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (c < leaf->r[mid].lo)
			hi = mid - 1;
		else if (c > leaf->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Do leaves x and y hold the same set? */
static bool
leaf_equal(const NfaLeaf *x, const NfaLeaf *y)
{
	return x->n == y->n && memcmp(x->r, y->r, x->n * sizeof(CpRange)) == 0;
}

/*
 * Each leaf's positions into leaf_pos, those of a leaf equal to an earlier
 * one under the earlier one (a repeated class is classed once).
 */
static void
leaf_positions(const GluBuild *b, uint64 *leaf_pos)
{
	for (int i = 0; i < b->npos; i++)
		leaf_pos[b->leaf_of[i]] |= UINT64CONST(1) << i;
	for (int i = 1; i < b->t->nleaves; i++)
		for (int j = 0; j < i && leaf_pos[i]; j++)
			if (leaf_pos[j] && leaf_equal(&b->t->leaves[i], &b->t->leaves[j]))
			{
				leaf_pos[j] |= leaf_pos[i];
				leaf_pos[i] = 0;
			}
}

/* The positions whose set holds code point c. */
static uint64
positions_of(const GluBuild *b, const uint64 *leaf_pos, pg_wchar c)
{
	uint64		m = 0;

	for (int i = 0; i < b->t->nleaves; i++)
		if (leaf_pos[i] && leaf_has(&b->t->leaves[i], c))
			m |= leaf_pos[i];
	return m;
}

/* Split the successors into the shift, self and exception masks. */
static void
nfa_edges(PlNfa *a, const GluBuild *b, uint64 *follow)
{
	for (int p = 0; p < b->npos; p++)
	{
		uint64		bit = UINT64CONST(1) << p;
		uint64		next = bit << 1;	/* 0 for the 64th position */

		follow[p] = b->follow[p];
		if (follow[p] & bit)
			a->self |= bit;
		if (follow[p] & next)
			a->shift |= bit;
		follow[p] &= ~(bit | next);
		if (follow[p])
			a->exc |= bit;
	}
}

/* The class of characters accepted by positions m (added if new); -1 if full. */
static int
class_of(PlNfa *a, NfaTables *tb, uint64 m)
{
	for (int k = 0; k < a->nclasses; k++)
		if (tb->masks[k] == m)
			return k;
	if (a->nclasses == NFA_MAX_CLASSES)
		return -1;
	tb->masks[a->nclasses] = m;
	return a->nclasses++;
}

/* Class each ASCII character by the positions accepting it. */
static void
nfa_ascii(PlNfa *a, NfaTables *tb, const GluBuild *b, const uint64 *leaf_pos)
{
	for (int c = 0; c < 128; c++)
		a->ascii[c] = class_of(a, tb, positions_of(b, leaf_pos, c));
}

/* qsort comparator for code points. */
static int
wchar_cmp(const void *a, const void *b)
{
	pg_wchar	x = *(const pg_wchar *) a;
	pg_wchar	y = *(const pg_wchar *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The spans of code points from NFA_FIRST_WIDE up over which the accepting
 * positions do not change, with their classes, into tb->spans; false when
 * there are too many classes.
 */
static bool
nfa_spans(PlNfa *a, NfaTables *tb, const GluBuild *b, const uint64 *leaf_pos)
{
	int			nb = 1;
	int			prev = -1;
	pg_wchar   *bounds;

	for (int i = 0; i < b->t->nleaves; i++)
		nb += 2 * b->t->leaves[i].n;
	bounds = palloc(nb * sizeof(pg_wchar));
	nb = 0;
	bounds[nb++] = NFA_FIRST_WIDE;
	for (int i = 0; i < b->t->nleaves; i++)
		for (int j = 0; j < b->t->leaves[i].n && leaf_pos[i]; j++)
		{
			const CpRange *r = &b->t->leaves[i].r[j];

			if (r->lo > NFA_FIRST_WIDE)
				bounds[nb++] = r->lo;
			if (r->hi + 1 > NFA_FIRST_WIDE)
				bounds[nb++] = r->hi + 1;
		}
	qsort(bounds, nb, sizeof(pg_wchar), wchar_cmp);
	tb->spans = palloc(nb * sizeof(NfaSpan));
	for (int i = 0; i < nb; i++)
	{
		int			k;

		if (i > 0 && bounds[i] == bounds[i - 1])
			continue;
		CHECK_FOR_INTERRUPTS();
		k = class_of(a, tb, positions_of(b, leaf_pos, bounds[i]));

		if (k < 0)
		{
			pfree(bounds);
			return false;
		}
		if (k == prev)
			continue;
		tb->spans[a->nspans].lo = bounds[i];
		tb->spans[a->nspans++].cls = prev = k;
	}
	pfree(bounds);
	return true;
}

/* The successors of the positions of state d. */
static inline uint64
nfa_step(const PlNfa *a, uint64 d)
{
	uint64		r = ((d & a->shift) << 1) | (d & a->self);
	uint64		x = d & a->exc;

	while (x)
	{
		r |= a->follow[pg_rightmost_one_pos64(x)];
		x &= x - 1;
	}
	return r;
}

/* The DFA state of positions m (added if new, after the start state 0); -1 if full. */
static int
dfa_state(uint64 *states, int *n, uint64 m)
{
	for (int k = 1; k < *n; k++)
		if (states[k] == m)
			return k;
	if (*n == DFA_MAX_STATES)
		return -1;
	states[*n] = m;
	return (*n)++;
}

/* For each DFA state, the printable ASCII bytes it stays in state on, from the top. */
static void
dfa_runs(const PlNfa *a, NfaTables *tb)
{
	tb->run = palloc0(tb->nstates * a->nclasses * sizeof(uint8));
	for (int row = 0; row < tb->nstates * a->nclasses; row += a->nclasses)
	{
		int			lo = RUN_LAST + 1;

		while (lo > RUN_FIRST && tb->dfa[row + a->ascii[lo - 1]] == row)
			lo--;
		tb->run[row] = lo <= RUN_MIN_LO ? lo : 0;
	}
}

/*
 * The lowest byte lo such that the start state goes on every byte
 * lo..RUN_LAST to one final state that keeps to itself on them all: then a
 * non-empty subject of such bytes matches (FHIR's "^\\S*$" and the like).
 * 0 if there is none.
 */
static uint8
dfa_accept_run(const PlNfa *a, const NfaTables *tb)
{
	int			to = tb->dfa[a->ascii[RUN_LAST]];
	int			lo = RUN_LAST + 1;

	if (!tb->final[to])
		return 0;
	while (lo > RUN_FIRST && tb->dfa[a->ascii[lo - 1]] == to && tb->dfa[to + a->ascii[lo - 1]] == to)
		lo--;
	return lo <= RUN_LAST ? lo : 0;
}

/*
 * Tabulate the DFA whose states are the sets of positions reachable from
 * the start (state 0, before any character), if it is small.  A state that
 * holds a last position has matched: it stays there.
 */
static void
nfa_dfa(PlNfa *a, NfaTables *tb)
{
	uint64		states[DFA_MAX_STATES];
	uint16	   *dfa = palloc(DFA_MAX_CELLS * sizeof(uint16));
	bool	   *final = palloc0(DFA_MAX_CELLS * sizeof(bool));
	int			n = 1;

	for (int st = 0; st < n; st++)
	{
		bool		matched = st > 0 && (states[st] & a->last);
		uint64		next = st == 0 ? a->first | a->first_start :
			nfa_step(a, states[st]) | a->first;

		if ((st + 1) * a->nclasses > DFA_MAX_CELLS)
			n = -1;
		final[st * a->nclasses] = st == 0 ? a->match_empty :
			(states[st] & (a->last | a->last_end)) != 0;
		for (int k = 0; k < a->nclasses && n > 0; k++)
		{
			int			to = matched ? st : dfa_state(states, &n, next & tb->masks[k]);

			if (to < 0)
				n = -1;
			else
				dfa[st * a->nclasses + k] = to * a->nclasses;
		}
	}
	if (n < 0)
	{
		/* too many states: step the positions instead */
		pfree(dfa);
		pfree(final);
		return;
	}
	tb->dfa = dfa;
	tb->final = final;
	tb->nstates = n;
	dfa_runs(a, tb);
	a->accept_run = dfa_accept_run(a, tb);
}

/* Copy len bytes of src to *p, moving *p past them (aligned); returns where. */
static void *
take(char **p, const void *src, Size len)
{
	void	   *at = memcpy(*p, src, len);

	*p += MAXALIGN(len);
	return at;
}

/* Copy automaton a and its tables into one allocation. */
static PlNfa *
nfa_layout(const PlNfa *a, const NfaTables *tb, int npos)
{
	Size		cells = tb->nstates * a->nclasses;
	Size		size = MAXALIGN(sizeof(PlNfa)) + MAXALIGN(npos * sizeof(uint64)) +
		MAXALIGN(a->nclasses * sizeof(uint64)) + MAXALIGN(a->nspans * sizeof(NfaSpan)) +
		MAXALIGN(cells * sizeof(uint16)) + MAXALIGN(cells * sizeof(bool)) +
		MAXALIGN(cells * sizeof(uint8));
	char	   *p = palloc(size);
	PlNfa	   *out = (PlNfa *) p;

	*out = *a;
	p += MAXALIGN(sizeof(PlNfa));
	out->follow = take(&p, tb->follow, npos * sizeof(uint64));
	out->masks = take(&p, tb->masks, a->nclasses * sizeof(uint64));
	out->spans = take(&p, tb->spans, a->nspans * sizeof(NfaSpan));
	if (tb->nstates > 0)
	{
		out->dfa = take(&p, tb->dfa, cells * sizeof(uint16));
		out->final = take(&p, tb->final, cells * sizeof(bool));
		out->run = take(&p, tb->run, cells * sizeof(uint8));
	}
	return out;
}

/* Release the tables of an assembly. */
static void
nfa_tables_free(NfaTables *tb)
{
	if (tb->spans)
		pfree(tb->spans);
	if (tb->nstates > 0)
	{
		pfree(tb->dfa);
		pfree(tb->final);
		pfree(tb->run);
	}
}

/* Lay out the automaton of a finished construction; NULL if too many classes. */
static PlNfa *
nfa_assemble(const GluBuild *b, const Glu *g)
{
	uint64		leaf_pos[NFA_MAX_POS] = {0};
	NfaTables	tb = {0};
	PlNfa		a = {0};
	PlNfa	   *out = NULL;

	leaf_positions(b, leaf_pos);
	a.first = g->first;
	a.first_start = g->first_start;
	a.last = g->last;
	a.last_end = g->last_end;
	a.match_empty = (g->empty & EMPTY_BOTH) != 0;
	a.follow = tb.follow;
	nfa_edges(&a, b, tb.follow);
	nfa_ascii(&a, &tb, b, leaf_pos);
	if (nfa_spans(&a, &tb, b, leaf_pos))
	{
		nfa_dfa(&a, &tb);
		out = nfa_layout(&a, &tb, b->npos);
		ereport(DEBUG2,
				(errmsg_internal("position automaton of %d positions and %d character classes, %s",
								 b->npos, a.nclasses, tb.nstates > 0 ?
								 psprintf("tabulated in %d states", tb.nstates) :
								 "stepped bit-parallel")));
	}
	nfa_tables_free(&tb);
	return out;
}

/* Build the automaton of tree t (see ecma_nfa.h). */
PlNfa *
nfa_build(NfaTree *t, bool *always)
{
	GluBuild	b;
	Glu			g;

	*always = false;
	if (t == NULL || t->refused)
		return NULL;
	memset(&b, 0, sizeof(b));
	b.t = t;
	if (!glu_node(&b, t->alt[0], &g))
		return NULL;
	if (g.empty & (EMPTY_ANY | EMPTY_START | EMPTY_END))
	{
		/* an empty match at any offset, at 0 or at the end: always found */
		*always = true;
		return NULL;
	}
	return nfa_assemble(&b, &g);
}

/*
 * The class of the non-ASCII character at s[i], plus its length in bytes
 * times WIDE_LEN (no address taken: the ASCII loops keep i in a register).
 */
#define WIDE_LEN	256
static pg_noinline int
wide_class(const PlNfa *a, const unsigned char *s, int len, int i)
{
	int			l = pg_utf_mblen(s + i);
	pg_wchar	c = 0xFFFD;		/* a truncated sequence (never in valid text) */
	int			lo = 0;
	int			hi = a->nspans - 1;

	if (l <= len - i)
		c = utf8_to_unicode(s + i);
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (a->spans[mid].lo <= c)
			lo = mid;
		else
			hi = mid - 1;
	}
	return a->spans[lo].cls + Min(l, len - i) * WIDE_LEN;
}

/* The class of the character at s[*i]; *i moves past it. */
static inline int
char_class(const PlNfa *a, const unsigned char *s, int len, int *i)
{
	unsigned char c = s[*i];
	int			w;

	if (c < 0x80)
	{
		(*i)++;
		return a->ascii[c];
	}
	w = wide_class(a, s, len, *i);
	*i += w / WIDE_LEN;
	return w % WIDE_LEN;
}

/*
 * The offset of the first byte from i on (i < end) outside lo..RUN_LAST, or
 * end: 8 bytes at a time.  The last few are read through the word that ends
 * at end (the bytes before i masked out of it); a subject of 4 to 7 bytes
 * (then i < end < 8, and s is its start) through two overlapping halves.
 */
static pg_attribute_always_inline int
skip_run(const unsigned char *s, int i, int end, int lo)
{
	uint64		m;

	for (; end - i >= 8; i += 8)
		if ((m = run_breaks(load_word(s + i), lo)) != 0)
			return i + pg_rightmost_one_pos64(m) / 8;
	if (i == end)
		return end;
	if (end >= 8)
	{
		m = run_breaks(load_word(s + end - 8), lo) & (~UINT64CONST(0) << ((i - (end - 8)) * 8));
		return m ? end - 8 + pg_rightmost_one_pos64(m) / 8 : end;
	}
	if (end < 4)
	{
		while (i < end && s[i] >= lo && s[i] <= RUN_LAST)
			i++;
		return i;
	}
	m = run_breaks(load_half(s) | load_half(s + end - 4) << ((end - 4) * 8), lo) &
		(~UINT64CONST(0) << (i * 8)) & (~UINT64CONST(0) >> ((8 - end) * 8));
	return m ? pg_rightmost_one_pos64(m) / 8 : end;
}

/*
 * Run the tabulated DFA over the subject, a chunk of NFA_CHUNK bytes between
 * interrupt checks.  A state that keeps to itself on printable ASCII skips
 * it 8 bytes at a time.
 */
static pg_noinline bool
dfa_match(const PlNfa *a, const unsigned char *s, int len)
{
	const uint16 *dfa = a->dfa;
	int			row = 0;
	int			i = 0;
	int			end = Min(len, NFA_CHUNK);

	for (;;)
	{
		unsigned char c;

		if (i < end && a->run[row])
			i = skip_run(s, i, end, a->run[row]);
		if (unlikely(i >= end))
		{
			if (i >= len)
				return a->final[row];
			CHECK_FOR_INTERRUPTS();
			end = Min(len, i + NFA_CHUNK);
			continue;
		}
		c = s[i];
		if (likely(c < 0x80))
		{
			row = dfa[row + a->ascii[c]];
			i++;
		}
		else
		{
			int			w = wide_class(a, s, len, i);

			row = dfa[row + w % WIDE_LEN];
			i += w / WIDE_LEN;
		}
	}
}

/*
 * Step the positions bit-parallel over the subject, stopping once decided
 * (out of line: the DFA's loop keeps its registers).
 */
static pg_noinline bool
positions_match(const PlNfa *a, const unsigned char *s, int len)
{
	int			i = 0;
	int			check_at = NFA_CHUNK;
	uint64		d;

	if (len == 0)
		return a->match_empty;
	d = (a->first | a->first_start) & a->masks[char_class(a, s, len, &i)];
	for (;;)
	{
		if (d & a->last)
			return true;
		if (i >= len)
			return (d & a->last_end) != 0;
		if (d == 0 && a->first == 0)
			return false;
		if (i >= check_at)
		{
			CHECK_FOR_INTERRUPTS();
			check_at = i + NFA_CHUNK;
		}
		d = (nfa_step(a, d) | a->first) & a->masks[char_class(a, s, len, &i)];
	}
}

/* The automaton's accepting run (see nfa_run_accepts), or 0. */
int
nfa_accept_run(const PlNfa *a)
{
	return a->accept_run;
}

/*
 * Does the automaton match anywhere in UTF-8 string s of len bytes?  A
 * subject that is one accepting run (up to a chunk) is decided by words.
 */
bool
nfa_match(const PlNfa *a, const char *s, int len)
{
	if (a->accept_run && nfa_run_accepts(s, len, a->accept_run))
		return true;
	if (a->dfa)
		return dfa_match(a, (const unsigned char *) s, len);
	return positions_match(a, (const unsigned char *) s, len);
}
