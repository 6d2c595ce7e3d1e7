/*
 * ecma_regex.h: ECMA-262 patterns ("pattern", "patternProperties", the
 * "regex" format, transform "replace") compiled for PostgreSQL's regex engine.
 */
#ifndef PIPELINE_ECMA_REGEX_H
#define PIPELINE_ECMA_REGEX_H

#include "lib/stringinfo.h"
#include "regex/regex.h"

#include "ecma_nfa.h"
#include "pg_compat.h"

/* One step of a PL_RE_SEQUENCE pattern: min..max characters of an ASCII set. */
typedef struct PlSeqItem
{
	uint64		set[2];			/* bitmap of the ASCII characters it accepts */
	int			min;
	int			max;			/* -1: unbounded */
} PlSeqItem;

/* A compiled pattern, with a fast path for patterns that need no engine. */
typedef struct PlRegex
{
	const char *source;			/* the ECMA-262 pattern as written */
	int			kind;			/* PL_RE_* below */
	const char *literal;		/* PL_RE_PREFIX/PL_RE_CONTAINS/PL_RE_EXACT: the literal */
	int			literal_len;
	int			nitems;			/* PL_RE_SEQUENCE: the steps */
	PlSeqItem  *items;
	bool		anchored_end;	/* PL_RE_SEQUENCE: the pattern ends with "$" */
	struct PlNfa *nfa;			/* PL_RE_NFA: the position automaton */
	regex_t		re;				/* PL_RE_ENGINE: compiled by pg_regcomp */
} PlRegex;

#define PL_RE_ENGINE	0		/* general case: PostgreSQL's engine */
#define PL_RE_ALWAYS	1		/* matches every string (e.g. "" or ".*") */
#define PL_RE_PREFIX	2		/* ^literal */
#define PL_RE_CONTAINS	3		/* literal (unanchored) */
#define PL_RE_EXACT		4		/* ^literal$ */
#define PL_RE_SEQUENCE	5		/* ^ then ASCII sets with counts, e.g. ^[A-Z]{3}-\d+$ */
#define PL_RE_NFA		6		/* no backreference, lookaround or \b: ecma_nfa.c */

/* pipeline.regex_fast_paths: off sends every pattern to the engine */
extern PGDLLIMPORT bool pipeline_regex_fast_paths;

/*
 * Translate ECMA-262 pattern src (UTF-8, len bytes) into a PostgreSQL ARE
 * with the same meaning (\d, \w, \s, \b, ., $, character classes and escapes as
 * ECMA defines them) and append it to out.  Returns true on success; on
 * failure returns false and sets *err to a palloc'd description of what cannot
 * be expressed or is malformed (for use in an errmsg).
 */
extern bool ecma_regex_translate(const char *src, int len, StringInfo out, char **err);

/*
 * Is ECMA-262 pattern src (UTF-8, len bytes) valid under the "u" flag (the
 * JSON Schema "regex" format)?  The translation's parser decides, with the
 * "u" flag's strict grammar (no Annex B leniency); what the engine cannot
 * express does not make a pattern invalid.  Raises no error for any input.
 */
extern bool ecma_regex_is_valid(const char *src, int len);

/*
 * Compile pattern src into *re, in CurrentMemoryContext.  Returns false and
 * sets *err (palloc'd) when the pattern is invalid or untranslatable.
 * A compiled regex must be released with pl_regex_free.
 */
extern bool pl_regex_compile(PlRegex *re, const char *src, int len, char **err);

/* pl_regex_match for every kind but PL_RE_NFA. */
extern bool pl_regex_match_other(PlRegex *re, const char *s, int len);

/*
 * Does the regex match anywhere in UTF-8 string s (len bytes)?  Interruptible.
 * Inline: an automaton, the usual kind on the validator's hot path, is run
 * without a second call.
 */
static inline bool
pl_regex_match(PlRegex *re, const char *s, int len)
{
	if (re->kind == PL_RE_NFA)
		return nfa_match(re->nfa, s, len);
	return pl_regex_match_other(re, s, len);
}

/* Release what pl_regex_compile allocated outside memory contexts. */
extern void pl_regex_free(PlRegex *re);

#endif
