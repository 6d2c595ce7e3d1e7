/*
 * ecma_nfa.h: a position (Glushkov) automaton of up to 64 positions, run as
 * a tabulated DFA when its states are few and bit-parallel otherwise: the
 * fast matcher ecma_regex.c chooses for patterns without backreferences,
 * lookarounds or word boundaries.
 */
#ifndef PIPELINE_ECMA_NFA_H
#define PIPELINE_ECMA_NFA_H

#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"

#define NFA_CHUNK		(64 * 1024) /* subject bytes between interrupt checks */
#define RUN_FIRST		0x20	/* runs of printable ASCII are skipped 8 bytes */
#define RUN_LAST		0x7E	/* at a time where a state keeps to itself */

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

/*
 * The lowest byte lo such that every non-empty subject of bytes lo..RUN_LAST
 * matches the automaton (the start state goes on them to a final state that
 * keeps to itself), or 0: for nfa_run_accepts.
 */
extern int	nfa_accept_run(const PlNfa *a);

/*
 * The bytes of word x (a subject's bytes, the first lowest) outside
 * lo..RUN_LAST, as high bits: a byte below lo (lo <= 128) sets it in
 * (x - lo * ones) & ~x, one above RUN_LAST in (x + (127 - RUN_LAST) * ones)
 * | x.  Borrows and carries run upwards only, so the lowest bit set is exact.
 */
static inline uint64
run_breaks(uint64 x, int lo)
{
	const uint64 ones = UINT64CONST(0x0101010101010101);

	return (((x - ones * lo) & ~x) | ((x + ones * (127 - RUN_LAST)) | x)) & (ones << 7);
}

/* The 8 bytes at s as a word, the first lowest (whatever the machine's order). */
static inline uint64
load_word(const unsigned char *s)
{
	uint64		x;

	memcpy(&x, s, sizeof(x));
#ifdef WORDS_BIGENDIAN
	x = pg_bswap64(x);
#endif
	return x;
}

/* The 4 bytes at s as a word, the first lowest. */
static inline uint64
load_half(const unsigned char *s)
{
	uint32		x;

	memcpy(&x, s, sizeof(x));
#ifdef WORDS_BIGENDIAN
	x = pg_bswap32(x);
#endif
	return x;
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
 * Is s (len bytes) one run of bytes lo..RUN_LAST, lo an automaton's
 * nfa_accept_run: a subject it matches, decided by words without a step of
 * the automaton?  Up to a chunk (longer subjects are stepped, interruptibly).
 */
static inline bool
nfa_run_accepts(const char *s, int len, int lo)
{
	return len > 0 && len <= NFA_CHUNK && skip_run((const unsigned char *) s, 0, len, lo) == len;
}

#endif
