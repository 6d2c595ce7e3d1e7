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

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

#ifdef __SSE2__
/*
 * run_all for 16 bytes or more, 16 at a time: bytes compared as signed, so
 * those from 0x80 up (negative) fall below lo.
 */
static inline bool
run_all_sse2(const unsigned char *s, int len, int lo)
{
	const __m128i above = _mm_set1_epi8((char) (lo - 1));
	const __m128i below = _mm_set1_epi8((char) (RUN_LAST + 1));
	__m128i		ok = _mm_set1_epi8(-1);
	__m128i		v;

	for (int i = 0; i + 16 < len; i += 16)
	{
		v = _mm_loadu_si128((const __m128i *) (s + i));
		ok = _mm_and_si128(ok, _mm_and_si128(_mm_cmpgt_epi8(v, above), _mm_cmplt_epi8(v, below)));
	}
	v = _mm_loadu_si128((const __m128i *) (s + len - 16));
	ok = _mm_and_si128(ok, _mm_and_si128(_mm_cmpgt_epi8(v, above), _mm_cmplt_epi8(v, below)));
	return _mm_movemask_epi8(ok) == 0xFFFF;
}
#endif

/*
 * Are all len bytes at s (len > 0) in lo..RUN_LAST?  The tail is read through
 * a last word that ends at len, overlapping the one before (a byte read
 * twice is judged the same), so nothing past len is read.
 */
static inline bool
run_all(const unsigned char *s, int len, int lo)
{
	uint64		bad = 0;

	if (len < 4)
	{
		for (int i = 0; i < len; i++)
			bad |= s[i] < lo || s[i] > RUN_LAST;
		return bad == 0;
	}
	if (len < 8)
		return ((run_breaks(load_half(s), lo) | run_breaks(load_half(s + len - 4), lo)) &
				UINT64CONST(0x80808080)) == 0;
#ifdef __SSE2__
	if (len >= 16)
		return run_all_sse2(s, len, lo);
#endif
	for (int i = 0; i + 8 < len; i += 8)
		bad |= run_breaks(load_word(s + i), lo);
	return (bad | run_breaks(load_word(s + len - 8), lo)) == 0;
}

/*
 * Is s (len bytes) one run of bytes lo..RUN_LAST, lo an automaton's
 * nfa_accept_run: a subject it matches, decided by words without a step of
 * the automaton?  Up to a chunk (longer subjects are stepped, interruptibly).
 */
static inline bool
nfa_run_accepts(const char *s, int len, int lo)
{
	return len > 0 && len <= NFA_CHUNK && run_all((const unsigned char *) s, len, lo);
}

#endif
