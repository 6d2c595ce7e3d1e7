/*
 * ecma_nfa.h: a position (Glushkov) automaton of up to 64 positions, run as
 * a tabulated DFA when its states are few and bit-parallel otherwise: the
 * fast matcher ecma_regex.c chooses for patterns without backreferences,
 * lookarounds or word boundaries.
 */
#ifndef PIPELINE_ECMA_NFA_H
#define PIPELINE_ECMA_NFA_H

#include "mb/pg_wchar.h"

/* An inclusive range of code points. */
typedef struct CpRange
{
	pg_wchar	lo;
	pg_wchar	hi;
} CpRange;

/* The syntax tree of a pattern, recorded while it is translated. */
typedef struct NfaTree NfaTree;

/* A compiled automaton (one allocation, in the regex's memory context). */
typedef struct PlNfa PlNfa;

/*
 * Recording: the translator calls these as it parses; every one accepts a
 * NULL tree (nothing recorded) and does nothing once the tree is refused.
 */
extern NfaTree *nfa_tree_create(void);
extern void nfa_tree_set(NfaTree *t, const CpRange *r, int n);
extern void nfa_tree_anchor(NfaTree *t, bool start);
extern void nfa_tree_open(NfaTree *t);
extern void nfa_tree_alternative(NfaTree *t);
extern void nfa_tree_close(NfaTree *t);
extern void nfa_tree_quantify(NfaTree *t, int min, int max);
extern void nfa_tree_refuse(NfaTree *t);
extern void nfa_tree_free(NfaTree *t);

/*
 * Build the automaton of a recorded tree, or NULL when the tree was refused
 * or needs more than 64 positions.  *always is set when the pattern matches
 * every string (it can match empty away from a "^" and "$" pair); no
 * automaton is built then.
 */
extern PlNfa *nfa_build(NfaTree *t, bool *always);

/* Does the automaton match anywhere in UTF-8 string s of len bytes? */
extern bool nfa_match(const PlNfa *a, const char *s, int len);

#endif
