/*-------------------------------------------------------------------------
 *
 * ecma_regex.c
 *	  ECMA-262 regular expressions on PostgreSQL's regex engine.
 *
 * JSON Schema's "pattern" is an ECMA-262 regular expression.  We translate
 * it into an ARE (PostgreSQL's "advanced" flavour) with the same meaning and
 * run that with pg_regcomp/pg_regexec under the C collation.
 *
 * The translator reads the pattern with code-point semantics, as ECMA-262
 * does under the "u" flag (a surrogate pair is one character, \u{...} is a
 * code point), and with the lenient syntax of Annex B (identity escapes such
 * as \a, literal "]" and "{", legacy octal escapes, "\c" without a letter).
 * Every character class, including \d \w \s and ".", is computed here as a
 * set of code-point ranges and written out explicitly, so the result does not
 * depend on the engine's locale classes; \b and \B become the engine's \y
 * and \Y, whose word characters under the C collation are ECMA's [A-Za-z0-9_].
 *
 * What the engine cannot express with ECMA meaning is refused with a message:
 * unicode properties other than those we carry tables for, modifier groups,
 * and backreferences whose ECMA meaning the engine does not share (ECMA
 * matches a reference to a group that has not participated as empty, the
 * engine fails it; the engine has no references in or into lookarounds).
 * Repetition bounds above the engine's 255 are rewritten as nested bounds.
 *
 * The same parser decides the "regex" format (ecma_regex_is_valid): run
 * with check_only, it applies the "u" flag's strict grammar instead of
 * Annex B and reads past what the engine cannot express.  While translating
 * it also records the pattern's shape, from which pl_regex_compile picks a
 * fast path (a literal, a prefix, the whole string, a one-pass sequence of
 * ASCII sets) that needs no engine, and its syntax tree (ecma_nfa.c): a
 * pattern without backreferences, lookarounds or \b \B, of up to 64
 * character positions once bounded repetition is written out, runs on a
 * bit-parallel position automaton over the UTF-8 subject, in one pass and
 * without allocation.  Only the rest goes to the engine, whose cost per call
 * (widening the subject to pg_wchar, pg_regexec's setup and DFA cache) is
 * many times that of a short match.  pipeline.regex_fast_paths off sends
 * every pattern to the engine, for tests that compare the two.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <string.h>

#include "catalog/pg_collation_d.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "ascii.h"
#include "ecma_nfa.h"
#include "ecma_regex.h"
#include "pipeline.h"

#define MAX_CODE_POINT	0x10FFFF
#define ARE_DUPMAX		255		/* largest repetition bound the engine takes
								 * (its DUPMAX) */

/*
 * Cap on the pattern and on its translation, in bytes: the engine compiles
 * in memory a small multiple of the ARE's length, so 4 MB keeps the largest
 * pattern a spec may hold to tens of MB of compile memory.
 */
#define MAX_ARE_LEN		(4 * 1024 * 1024)

/*
 * Cap on the code-point ranges class escapes contribute: each is written out
 * in the ARE (a few bytes), so a million of them is about MAX_ARE_LEN; the
 * cap stops a pattern of many \p{...} early, before that text is built.
 */
#define MAX_SET_RANGES	1000000

/*
 * Subjects of up to this many characters are widened to pg_wchar on the
 * stack (512 bytes) instead of palloc: most validated strings (codes, names,
 * addresses) are shorter.
 */
#define LOCAL_SUBJECT	128

/*
 * A set of code points is merged (sorted, overlaps joined) when it reaches
 * this many ranges, before it grows further: a class listing many single
 * characters then stays small, while small sets are not sorted at all.
 */
#define CPSET_MERGE_AT	1024

/*
 * Largest repetition count the one-pass sequence matcher takes ({n,m} with n
 * and m up to this): it covers the fixed-width codes, ids and dates specs
 * use, keeps counts far from int overflow, and leaves larger ones to the
 * engine (as nested bounds).
 */
#define SEQ_MAX_COUNT	1000

/* The PL_RE_* kinds by number, for the debug message naming the matcher. */
static const char *const kind_names[] = {
	[PL_RE_ENGINE] = "the engine",
	[PL_RE_ALWAYS] = "no matcher (always)",
	[PL_RE_PREFIX] = "a prefix",
	[PL_RE_CONTAINS] = "a literal",
	[PL_RE_EXACT] = "an exact literal",
	[PL_RE_SEQUENCE] = "a one-pass sequence",
	[PL_RE_NFA] = "the position automaton"
};

/* Do patterns take the fast paths (off: all go to the engine, for tests)? */
bool		pipeline_regex_fast_paths = true;

/* A growable set of code points (ranges sorted and disjoint once normalized). */
typedef struct CpSet
{
	CpRange    *r;
	int			n;
	int			cap;
} CpSet;

/* ECMA \d */
static const CpRange digit_ranges[] = {{'0', '9'}};

/* ECMA \w */
static const CpRange word_ranges[] = {
	{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}
};

/* ECMA \s: WhiteSpace (TAB VT FF SP NBSP ZWNBSP and Unicode Zs) and LineTerminator */
static const CpRange space_ranges[] = {
	{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680},
	{0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
	{0x3000, 0x3000}, {0xFEFF, 0xFEFF}
};

/* ECMA LineTerminator, the characters "." does not match */
static const CpRange line_terminator_ranges[] = {
	{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}
};

/* \p{Any} and \p{ASCII} */
static const CpRange any_ranges[] = {{0, MAX_CODE_POINT}};
static const CpRange ascii_ranges[] = {{0, 0x7F}};

/*
 * General categories L (Letter) and Nd (Decimal_Number), generated from the
 * Unicode 14.0 character database.
 */
static const CpRange letter_ranges[] = {
	{0x41, 0x5A}, {0x61, 0x7A}, {0xAA, 0xAA}, {0xB5, 0xB5}, {0xBA, 0xBA},
	{0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x2C1}, {0x2C6, 0x2D1},
	{0x2E0, 0x2E4}, {0x2EC, 0x2EC}, {0x2EE, 0x2EE}, {0x370, 0x374},
	{0x376, 0x377}, {0x37A, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386},
	{0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5},
	{0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556}, {0x559, 0x559},
	{0x560, 0x588}, {0x5D0, 0x5EA}, {0x5EF, 0x5F2}, {0x620, 0x64A},
	{0x66E, 0x66F}, {0x671, 0x6D3}, {0x6D5, 0x6D5}, {0x6E5, 0x6E6},
	{0x6EE, 0x6EF}, {0x6FA, 0x6FC}, {0x6FF, 0x6FF}, {0x710, 0x710},
	{0x712, 0x72F}, {0x74D, 0x7A5}, {0x7B1, 0x7B1}, {0x7CA, 0x7EA},
	{0x7F4, 0x7F5}, {0x7FA, 0x7FA}, {0x800, 0x815}, {0x81A, 0x81A},
	{0x824, 0x824}, {0x828, 0x828}, {0x840, 0x858}, {0x860, 0x86A},
	{0x870, 0x887}, {0x889, 0x88E}, {0x8A0, 0x8C9}, {0x904, 0x939},
	{0x93D, 0x93D}, {0x950, 0x950}, {0x958, 0x961}, {0x971, 0x980},
	{0x985, 0x98C}, {0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0},
	{0x9B2, 0x9B2}, {0x9B6, 0x9B9}, {0x9BD, 0x9BD}, {0x9CE, 0x9CE},
	{0x9DC, 0x9DD}, {0x9DF, 0x9E1}, {0x9F0, 0x9F1}, {0x9FC, 0x9FC},
	{0xA05, 0xA0A}, {0xA0F, 0xA10}, {0xA13, 0xA28}, {0xA2A, 0xA30},
	{0xA32, 0xA33}, {0xA35, 0xA36}, {0xA38, 0xA39}, {0xA59, 0xA5C},
	{0xA5E, 0xA5E}, {0xA72, 0xA74}, {0xA85, 0xA8D}, {0xA8F, 0xA91},
	{0xA93, 0xAA8}, {0xAAA, 0xAB0}, {0xAB2, 0xAB3}, {0xAB5, 0xAB9},
	{0xABD, 0xABD}, {0xAD0, 0xAD0}, {0xAE0, 0xAE1}, {0xAF9, 0xAF9},
	{0xB05, 0xB0C}, {0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30},
	{0xB32, 0xB33}, {0xB35, 0xB39}, {0xB3D, 0xB3D}, {0xB5C, 0xB5D},
	{0xB5F, 0xB61}, {0xB71, 0xB71}, {0xB83, 0xB83}, {0xB85, 0xB8A},
	{0xB8E, 0xB90}, {0xB92, 0xB95}, {0xB99, 0xB9A}, {0xB9C, 0xB9C},
	{0xB9E, 0xB9F}, {0xBA3, 0xBA4}, {0xBA8, 0xBAA}, {0xBAE, 0xBB9},
	{0xBD0, 0xBD0}, {0xC05, 0xC0C}, {0xC0E, 0xC10}, {0xC12, 0xC28},
	{0xC2A, 0xC39}, {0xC3D, 0xC3D}, {0xC58, 0xC5A}, {0xC5D, 0xC5D},
	{0xC60, 0xC61}, {0xC80, 0xC80}, {0xC85, 0xC8C}, {0xC8E, 0xC90},
	{0xC92, 0xCA8}, {0xCAA, 0xCB3}, {0xCB5, 0xCB9}, {0xCBD, 0xCBD},
	{0xCDD, 0xCDE}, {0xCE0, 0xCE1}, {0xCF1, 0xCF2}, {0xD04, 0xD0C},
	{0xD0E, 0xD10}, {0xD12, 0xD3A}, {0xD3D, 0xD3D}, {0xD4E, 0xD4E},
	{0xD54, 0xD56}, {0xD5F, 0xD61}, {0xD7A, 0xD7F}, {0xD85, 0xD96},
	{0xD9A, 0xDB1}, {0xDB3, 0xDBB}, {0xDBD, 0xDBD}, {0xDC0, 0xDC6},
	{0xE01, 0xE30}, {0xE32, 0xE33}, {0xE40, 0xE46}, {0xE81, 0xE82},
	{0xE84, 0xE84}, {0xE86, 0xE8A}, {0xE8C, 0xEA3}, {0xEA5, 0xEA5},
	{0xEA7, 0xEB0}, {0xEB2, 0xEB3}, {0xEBD, 0xEBD}, {0xEC0, 0xEC4},
	{0xEC6, 0xEC6}, {0xEDC, 0xEDF}, {0xF00, 0xF00}, {0xF40, 0xF47},
	{0xF49, 0xF6C}, {0xF88, 0xF8C}, {0x1000, 0x102A}, {0x103F, 0x103F},
	{0x1050, 0x1055}, {0x105A, 0x105D}, {0x1061, 0x1061}, {0x1065, 0x1066},
	{0x106E, 0x1070}, {0x1075, 0x1081}, {0x108E, 0x108E}, {0x10A0, 0x10C5},
	{0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA}, {0x10FC, 0x1248},
	{0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D},
	{0x1260, 0x1288}, {0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5},
	{0x12B8, 0x12BE}, {0x12C0, 0x12C0}, {0x12C2, 0x12C5}, {0x12C8, 0x12D6},
	{0x12D8, 0x1310}, {0x1312, 0x1315}, {0x1318, 0x135A}, {0x1380, 0x138F},
	{0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1401, 0x166C}, {0x166F, 0x167F},
	{0x1681, 0x169A}, {0x16A0, 0x16EA}, {0x16F1, 0x16F8}, {0x1700, 0x1711},
	{0x171F, 0x1731}, {0x1740, 0x1751}, {0x1760, 0x176C}, {0x176E, 0x1770},
	{0x1780, 0x17B3}, {0x17D7, 0x17D7}, {0x17DC, 0x17DC}, {0x1820, 0x1878},
	{0x1880, 0x1884}, {0x1887, 0x18A8}, {0x18AA, 0x18AA}, {0x18B0, 0x18F5},
	{0x1900, 0x191E}, {0x1950, 0x196D}, {0x1970, 0x1974}, {0x1980, 0x19AB},
	{0x19B0, 0x19C9}, {0x1A00, 0x1A16}, {0x1A20, 0x1A54}, {0x1AA7, 0x1AA7},
	{0x1B05, 0x1B33}, {0x1B45, 0x1B4C}, {0x1B83, 0x1BA0}, {0x1BAE, 0x1BAF},
	{0x1BBA, 0x1BE5}, {0x1C00, 0x1C23}, {0x1C4D, 0x1C4F}, {0x1C5A, 0x1C7D},
	{0x1C80, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1CE9, 0x1CEC},
	{0x1CEE, 0x1CF3}, {0x1CF5, 0x1CF6}, {0x1CFA, 0x1CFA}, {0x1D00, 0x1DBF},
	{0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D},
	{0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
	{0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
	{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB},
	{0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2071, 0x2071},
	{0x207F, 0x207F}, {0x2090, 0x209C}, {0x2102, 0x2102}, {0x2107, 0x2107},
	{0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124},
	{0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2139},
	{0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184},
	{0x2C00, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0x2D00, 0x2D25},
	{0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}, {0x2D30, 0x2D67}, {0x2D6F, 0x2D6F},
	{0x2D80, 0x2D96}, {0x2DA0, 0x2DA6}, {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6},
	{0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6}, {0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6},
	{0x2DD8, 0x2DDE}, {0x2E2F, 0x2E2F}, {0x3005, 0x3006}, {0x3031, 0x3035},
	{0x303B, 0x303C}, {0x3041, 0x3096}, {0x309D, 0x309F}, {0x30A1, 0x30FA},
	{0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x31A0, 0x31BF},
	{0x31F0, 0x31FF}, {0x3400, 0x4DBF}, {0x4E00, 0xA48C}, {0xA4D0, 0xA4FD},
	{0xA500, 0xA60C}, {0xA610, 0xA61F}, {0xA62A, 0xA62B}, {0xA640, 0xA66E},
	{0xA67F, 0xA69D}, {0xA6A0, 0xA6E5}, {0xA717, 0xA71F}, {0xA722, 0xA788},
	{0xA78B, 0xA7CA}, {0xA7D0, 0xA7D1}, {0xA7D3, 0xA7D3}, {0xA7D5, 0xA7D9},
	{0xA7F2, 0xA801}, {0xA803, 0xA805}, {0xA807, 0xA80A}, {0xA80C, 0xA822},
	{0xA840, 0xA873}, {0xA882, 0xA8B3}, {0xA8F2, 0xA8F7}, {0xA8FB, 0xA8FB},
	{0xA8FD, 0xA8FE}, {0xA90A, 0xA925}, {0xA930, 0xA946}, {0xA960, 0xA97C},
	{0xA984, 0xA9B2}, {0xA9CF, 0xA9CF}, {0xA9E0, 0xA9E4}, {0xA9E6, 0xA9EF},
	{0xA9FA, 0xA9FE}, {0xAA00, 0xAA28}, {0xAA40, 0xAA42}, {0xAA44, 0xAA4B},
	{0xAA60, 0xAA76}, {0xAA7A, 0xAA7A}, {0xAA7E, 0xAAAF}, {0xAAB1, 0xAAB1},
	{0xAAB5, 0xAAB6}, {0xAAB9, 0xAABD}, {0xAAC0, 0xAAC0}, {0xAAC2, 0xAAC2},
	{0xAADB, 0xAADD}, {0xAAE0, 0xAAEA}, {0xAAF2, 0xAAF4}, {0xAB01, 0xAB06},
	{0xAB09, 0xAB0E}, {0xAB11, 0xAB16}, {0xAB20, 0xAB26}, {0xAB28, 0xAB2E},
	{0xAB30, 0xAB5A}, {0xAB5C, 0xAB69}, {0xAB70, 0xABE2}, {0xAC00, 0xD7A3},
	{0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB}, {0xF900, 0xFA6D}, {0xFA70, 0xFAD9},
	{0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFB1D, 0xFB1D}, {0xFB1F, 0xFB28},
	{0xFB2A, 0xFB36}, {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41},
	{0xFB43, 0xFB44}, {0xFB46, 0xFBB1}, {0xFBD3, 0xFD3D}, {0xFD50, 0xFD8F},
	{0xFD92, 0xFDC7}, {0xFDF0, 0xFDFB}, {0xFE70, 0xFE74}, {0xFE76, 0xFEFC},
	{0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0xFF66, 0xFFBE}, {0xFFC2, 0xFFC7},
	{0xFFCA, 0xFFCF}, {0xFFD2, 0xFFD7}, {0xFFDA, 0xFFDC}, {0x10000, 0x1000B},
	{0x1000D, 0x10026}, {0x10028, 0x1003A}, {0x1003C, 0x1003D},
	{0x1003F, 0x1004D}, {0x10050, 0x1005D}, {0x10080, 0x100FA},
	{0x10280, 0x1029C}, {0x102A0, 0x102D0}, {0x10300, 0x1031F},
	{0x1032D, 0x10340}, {0x10342, 0x10349}, {0x10350, 0x10375},
	{0x10380, 0x1039D}, {0x103A0, 0x103C3}, {0x103C8, 0x103CF},
	{0x10400, 0x1049D}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
	{0x10500, 0x10527}, {0x10530, 0x10563}, {0x10570, 0x1057A},
	{0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595},
	{0x10597, 0x105A1}, {0x105A3, 0x105B1}, {0x105B3, 0x105B9},
	{0x105BB, 0x105BC}, {0x10600, 0x10736}, {0x10740, 0x10755},
	{0x10760, 0x10767}, {0x10780, 0x10785}, {0x10787, 0x107B0},
	{0x107B2, 0x107BA}, {0x10800, 0x10805}, {0x10808, 0x10808},
	{0x1080A, 0x10835}, {0x10837, 0x10838}, {0x1083C, 0x1083C},
	{0x1083F, 0x10855}, {0x10860, 0x10876}, {0x10880, 0x1089E},
	{0x108E0, 0x108F2}, {0x108F4, 0x108F5}, {0x10900, 0x10915},
	{0x10920, 0x10939}, {0x10980, 0x109B7}, {0x109BE, 0x109BF},
	{0x10A00, 0x10A00}, {0x10A10, 0x10A13}, {0x10A15, 0x10A17},
	{0x10A19, 0x10A35}, {0x10A60, 0x10A7C}, {0x10A80, 0x10A9C},
	{0x10AC0, 0x10AC7}, {0x10AC9, 0x10AE4}, {0x10B00, 0x10B35},
	{0x10B40, 0x10B55}, {0x10B60, 0x10B72}, {0x10B80, 0x10B91},
	{0x10C00, 0x10C48}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2},
	{0x10D00, 0x10D23}, {0x10E80, 0x10EA9}, {0x10EB0, 0x10EB1},
	{0x10F00, 0x10F1C}, {0x10F27, 0x10F27}, {0x10F30, 0x10F45},
	{0x10F70, 0x10F81}, {0x10FB0, 0x10FC4}, {0x10FE0, 0x10FF6},
	{0x11003, 0x11037}, {0x11071, 0x11072}, {0x11075, 0x11075},
	{0x11083, 0x110AF}, {0x110D0, 0x110E8}, {0x11103, 0x11126},
	{0x11144, 0x11144}, {0x11147, 0x11147}, {0x11150, 0x11172},
	{0x11176, 0x11176}, {0x11183, 0x111B2}, {0x111C1, 0x111C4},
	{0x111DA, 0x111DA}, {0x111DC, 0x111DC}, {0x11200, 0x11211},
	{0x11213, 0x1122B}, {0x11280, 0x11286}, {0x11288, 0x11288},
	{0x1128A, 0x1128D}, {0x1128F, 0x1129D}, {0x1129F, 0x112A8},
	{0x112B0, 0x112DE}, {0x11305, 0x1130C}, {0x1130F, 0x11310},
	{0x11313, 0x11328}, {0x1132A, 0x11330}, {0x11332, 0x11333},
	{0x11335, 0x11339}, {0x1133D, 0x1133D}, {0x11350, 0x11350},
	{0x1135D, 0x11361}, {0x11400, 0x11434}, {0x11447, 0x1144A},
	{0x1145F, 0x11461}, {0x11480, 0x114AF}, {0x114C4, 0x114C5},
	{0x114C7, 0x114C7}, {0x11580, 0x115AE}, {0x115D8, 0x115DB},
	{0x11600, 0x1162F}, {0x11644, 0x11644}, {0x11680, 0x116AA},
	{0x116B8, 0x116B8}, {0x11700, 0x1171A}, {0x11740, 0x11746},
	{0x11800, 0x1182B}, {0x118A0, 0x118DF}, {0x118FF, 0x11906},
	{0x11909, 0x11909}, {0x1190C, 0x11913}, {0x11915, 0x11916},
	{0x11918, 0x1192F}, {0x1193F, 0x1193F}, {0x11941, 0x11941},
	{0x119A0, 0x119A7}, {0x119AA, 0x119D0}, {0x119E1, 0x119E1},
	{0x119E3, 0x119E3}, {0x11A00, 0x11A00}, {0x11A0B, 0x11A32},
	{0x11A3A, 0x11A3A}, {0x11A50, 0x11A50}, {0x11A5C, 0x11A89},
	{0x11A9D, 0x11A9D}, {0x11AB0, 0x11AF8}, {0x11C00, 0x11C08},
	{0x11C0A, 0x11C2E}, {0x11C40, 0x11C40}, {0x11C72, 0x11C8F},
	{0x11D00, 0x11D06}, {0x11D08, 0x11D09}, {0x11D0B, 0x11D30},
	{0x11D46, 0x11D46}, {0x11D60, 0x11D65}, {0x11D67, 0x11D68},
	{0x11D6A, 0x11D89}, {0x11D98, 0x11D98}, {0x11EE0, 0x11EF2},
	{0x11FB0, 0x11FB0}, {0x12000, 0x12399}, {0x12480, 0x12543},
	{0x12F90, 0x12FF0}, {0x13000, 0x1342E}, {0x14400, 0x14646},
	{0x16800, 0x16A38}, {0x16A40, 0x16A5E}, {0x16A70, 0x16ABE},
	{0x16AD0, 0x16AED}, {0x16B00, 0x16B2F}, {0x16B40, 0x16B43},
	{0x16B63, 0x16B77}, {0x16B7D, 0x16B8F}, {0x16E40, 0x16E7F},
	{0x16F00, 0x16F4A}, {0x16F50, 0x16F50}, {0x16F93, 0x16F9F},
	{0x16FE0, 0x16FE1}, {0x16FE3, 0x16FE3}, {0x17000, 0x187F7},
	{0x18800, 0x18CD5}, {0x18D00, 0x18D08}, {0x1AFF0, 0x1AFF3},
	{0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1B000, 0x1B122},
	{0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB},
	{0x1BC00, 0x1BC6A}, {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88},
	{0x1BC90, 0x1BC99}, {0x1D400, 0x1D454}, {0x1D456, 0x1D49C},
	{0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6},
	{0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB},
	{0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A},
	{0x1D50D, 0x1D514}, {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539},
	{0x1D53B, 0x1D53E}, {0x1D540, 0x1D544}, {0x1D546, 0x1D546},
	{0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D6C0},
	{0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714},
	{0x1D716, 0x1D734}, {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E},
	{0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8}, {0x1D7AA, 0x1D7C2},
	{0x1D7C4, 0x1D7CB}, {0x1DF00, 0x1DF1E}, {0x1E100, 0x1E12C},
	{0x1E137, 0x1E13D}, {0x1E14E, 0x1E14E}, {0x1E290, 0x1E2AD},
	{0x1E2C0, 0x1E2EB}, {0x1E7E0, 0x1E7E6}, {0x1E7E8, 0x1E7EB},
	{0x1E7ED, 0x1E7EE}, {0x1E7F0, 0x1E7FE}, {0x1E800, 0x1E8C4},
	{0x1E900, 0x1E943}, {0x1E94B, 0x1E94B}, {0x1EE00, 0x1EE03},
	{0x1EE05, 0x1EE1F}, {0x1EE21, 0x1EE22}, {0x1EE24, 0x1EE24},
	{0x1EE27, 0x1EE27}, {0x1EE29, 0x1EE32}, {0x1EE34, 0x1EE37},
	{0x1EE39, 0x1EE39}, {0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42},
	{0x1EE47, 0x1EE47}, {0x1EE49, 0x1EE49}, {0x1EE4B, 0x1EE4B},
	{0x1EE4D, 0x1EE4F}, {0x1EE51, 0x1EE52}, {0x1EE54, 0x1EE54},
	{0x1EE57, 0x1EE57}, {0x1EE59, 0x1EE59}, {0x1EE5B, 0x1EE5B},
	{0x1EE5D, 0x1EE5D}, {0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62},
	{0x1EE64, 0x1EE64}, {0x1EE67, 0x1EE6A}, {0x1EE6C, 0x1EE72},
	{0x1EE74, 0x1EE77}, {0x1EE79, 0x1EE7C}, {0x1EE7E, 0x1EE7E},
	{0x1EE80, 0x1EE89}, {0x1EE8B, 0x1EE9B}, {0x1EEA1, 0x1EEA3},
	{0x1EEA5, 0x1EEA9}, {0x1EEAB, 0x1EEBB}, {0x20000, 0x2A6DF},
	{0x2A700, 0x2B738}, {0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1},
	{0x2CEB0, 0x2EBE0}, {0x2F800, 0x2FA1D}, {0x30000, 0x3134A}
};

static const CpRange decimal_number_ranges[] = {
	{0x30, 0x39}, {0x660, 0x669}, {0x6F0, 0x6F9}, {0x7C0, 0x7C9},
	{0x966, 0x96F}, {0x9E6, 0x9EF}, {0xA66, 0xA6F}, {0xAE6, 0xAEF},
	{0xB66, 0xB6F}, {0xBE6, 0xBEF}, {0xC66, 0xC6F}, {0xCE6, 0xCEF},
	{0xD66, 0xD6F}, {0xDE6, 0xDEF}, {0xE50, 0xE59}, {0xED0, 0xED9},
	{0xF20, 0xF29}, {0x1040, 0x1049}, {0x1090, 0x1099}, {0x17E0, 0x17E9},
	{0x1810, 0x1819}, {0x1946, 0x194F}, {0x19D0, 0x19D9}, {0x1A80, 0x1A89},
	{0x1A90, 0x1A99}, {0x1B50, 0x1B59}, {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49},
	{0x1C50, 0x1C59}, {0xA620, 0xA629}, {0xA8D0, 0xA8D9}, {0xA900, 0xA909},
	{0xA9D0, 0xA9D9}, {0xA9F0, 0xA9F9}, {0xAA50, 0xAA59}, {0xABF0, 0xABF9},
	{0xFF10, 0xFF19}, {0x104A0, 0x104A9}, {0x10D30, 0x10D39},
	{0x11066, 0x1106F}, {0x110F0, 0x110F9}, {0x11136, 0x1113F},
	{0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459},
	{0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9},
	{0x11730, 0x11739}, {0x118E0, 0x118E9}, {0x11950, 0x11959},
	{0x11C50, 0x11C59}, {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9},
	{0x16A60, 0x16A69}, {0x16AC0, 0x16AC9}, {0x16B50, 0x16B59},
	{0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9},
	{0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9}
};

/* A unicode property that \p{...} may name, with the code points it covers. */
typedef struct UnicodeProperty
{
	const char *name;
	bool		is_category;	/* may be written gc=NAME */
	const CpRange *ranges;
	int			nranges;
} UnicodeProperty;

static const UnicodeProperty unicode_properties[] = {
	{"L", true, letter_ranges, lengthof(letter_ranges)},
	{"Letter", true, letter_ranges, lengthof(letter_ranges)},
	{"Nd", true, decimal_number_ranges, lengthof(decimal_number_ranges)},
	{"Decimal_Number", true, decimal_number_ranges, lengthof(decimal_number_ranges)},
	{"digit", true, decimal_number_ranges, lengthof(decimal_number_ranges)},
	{"Any", false, any_ranges, lengthof(any_ranges)},
	{"ASCII", false, ascii_ranges, lengthof(ascii_ranges)}
};

/* What was parsed last, which decides what a following quantifier means. */
typedef enum AtomKind
{
	ATOM_NONE,					/* nothing: start of group, "|", quantifier */
	ATOM_ASSERTION,				/* ^ $ \b \B lookbehind: not quantifiable */
	ATOM_LOOKAHEAD,				/* quantifiable (Annex B), same as unquantified */
	ATOM_PLAIN					/* character, class, group, backreference */
} AtomKind;

/* The kinds of group; the whole pattern is the root group. */
typedef enum GroupKind
{
	GROUP_ROOT,
	GROUP_CAPTURE,
	GROUP_PLAIN,
	GROUP_AHEAD,
	GROUP_NEG_AHEAD,
	GROUP_BEHIND,
	GROUP_NEG_BEHIND
} GroupKind;

/* A group of the pattern, kept to decide what a backreference means. */
typedef struct GroupNode
{
	GroupKind	kind;
	int			parent;			/* enclosing group, -1 for the root */
	int			alt_start;		/* first group of its current alternative */
	int			jump;			/* an ancestor, past closed always-taken groups */
	int			nalts;			/* alternatives so far */
	int			src_start;		/* offset of its "(" in the pattern */
	int			out_start;		/* offset of its translation in the output */
	int			caps_before;	/* capturing groups opened before it */
	int			backrefs_before;	/* backreferences emitted before it */
	int			pg_number;		/* the engine's number for a capture, else 0 */
	bool		open;			/* its ")" is not parsed yet */
	bool		optional;		/* quantified with a minimum of 0 */
	bool		nullable;		/* a finished alternative can match empty */
	bool		seq_nullable;	/* the current alternative, so far, can too */
	bool		in_lookaround;	/* it or an enclosing group is a lookaround */
	bool		in_lookbehind;	/* it or an enclosing group is a lookbehind */
} GroupNode;

/* A named capturing group. */
typedef struct GroupName
{
	int			start;			/* offset of the name in the pattern */
	int			len;
	int			number;			/* ECMA group number */
} GroupName;

/* What an escape sequence stands for. */
typedef enum EscapeKind
{
	ESC_CHAR,
	ESC_SET,
	ESC_WORD_BOUNDARY,
	ESC_NOT_WORD_BOUNDARY,
	ESC_BACKREF
} EscapeKind;

/* A parsed escape sequence. */
typedef struct Escape
{
	EscapeKind	kind;
	pg_wchar	c;				/* ESC_CHAR */
	int			group;			/* ESC_BACKREF: ECMA group number */
	const CpRange *ranges;		/* ESC_SET, or its complement if negated */
	int			nranges;
	bool		negated;
} Escape;

/* What a step of a plain-sequence pattern matches. */
typedef enum ShapeKind
{
	SHAPE_CHAR,					/* one character */
	SHAPE_SET,					/* one character of a set */
	SHAPE_DOT					/* ".": any character but a line terminator */
} ShapeKind;

/* One atom of a plain-sequence pattern, with its counts. */
typedef struct ShapeStep
{
	ShapeKind	kind;
	pg_wchar	c;				/* SHAPE_CHAR: the character */
	bool		ascii;			/* item.set holds all it matches */
	bool		lazy;			/* its quantifier is lazy */
	bool		quantified;
	PlSeqItem	item;			/* that ASCII set, and the counts */
} ShapeStep;

/*
 * The shape of the pattern, recorded while it is translated, for the fast
 * paths: while "simple", the pattern is an optional "^", atoms of one
 * character (a character, a set, ".") each with a quantifier or none, and an
 * optional "$" at the end.
 */
typedef struct Shape
{
	bool		simple;
	bool		anchored_start;
	bool		anchored_end;
	ShapeStep  *steps;
	int			nsteps;
	int			maxsteps;
} Shape;

/* The state of one translation. */
typedef struct EcmaParser
{
	const pg_wchar *p;			/* the pattern, as code points */
	int			len;
	int			pos;
	StringInfo	out;
	char	  **err;
	Shape	   *shape;			/* the shape being recorded, or NULL */
	NfaTree    *tree;			/* the syntax tree being recorded, or NULL */
	bool		check_only;		/* validity only (the "regex" format): the "u"
								 * flag's grammar without Annex B, and what the
								 * engine cannot express is no error */
	int			ncaps;			/* capturing groups in the whole pattern */
	bool		has_backrefs;	/* the pattern has backreference escapes */
	int			nbackrefs;		/* backreferences emitted so far */
	int			set_ranges;		/* ranges class escapes contributed so far */
	GroupName  *names;			/* named groups, sorted by name */
	int			nnames;
	GroupNode  *nodes;			/* every group opened so far; 0 is the root */
	int			nnodes;
	int			maxnodes;
	int		   *stack;			/* the open groups, outermost first */
	int			depth;
	int			cur;			/* innermost open group */
	int		   *cap_node;		/* ECMA group number to node, -1 before it */
	int			ecma_caps;		/* capturing groups opened so far */
	int			pg_caps;		/* of those, the ones the engine numbers */
	AtomKind	atom;			/* what was parsed last */
	int			atom_start;		/* its offset in the output */
	int			atom_node;		/* its group, or -1 */
	int			atom_caps;		/* ecma_caps before it */
	int			atom_backrefs;	/* nbackrefs before it */
	bool		atom_nullable;	/* it (with its quantifier) can match empty */
	bool		atom_pending;	/* not yet folded into its group's nullability */
} EcmaParser;

/* Record a translation error in *ps->err; returns false for the caller to pass on. */
pg_attribute_printf(2, 3)
static bool
ps_error(EcmaParser *ps, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	*ps->err = pl_vformat(fmt, args);
	va_end(args);
	return false;
}

/* The code point at pos + k, or 0 past the end. */
static inline pg_wchar
peek(EcmaParser *ps, int k)
{
	return ps->pos + k < ps->len ? ps->p[ps->pos + k] : 0;
}

/* The pattern's code points [start, end) as a palloc'd UTF-8 string, for messages. */
static char *
pattern_text(EcmaParser *ps, int start, int end)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = start; i < end && i < ps->len; i++)
	{
		unsigned char utf8[8];

		unicode_to_utf8(ps->p[i], utf8);
		appendBinaryStringInfo(&buf, (char *) utf8, pg_utf_mblen(utf8));
	}
	return buf.data;
}

/* qsort comparator: ranges by lower bound. */
static int
cprange_cmp(const void *a, const void *b)
{
	pg_wchar	la = ((const CpRange *) a)->lo;
	pg_wchar	lb = ((const CpRange *) b)->lo;

	return la < lb ? -1 : la > lb ? 1 : 0;
}

/* Sort the ranges of s and merge those that overlap or touch. */
static void
cpset_normalize(CpSet *s)
{
	int			n = 0;

	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(CpRange), cprange_cmp);
	for (int i = 1; i < s->n; i++)
	{
		if (s->r[i].lo <= s->r[n].hi + 1)
			s->r[n].hi = Max(s->r[n].hi, s->r[i].hi);
		else
			s->r[++n] = s->r[i];
	}
	s->n = n + 1;
}

/* Add the range [lo, hi] to set s (merging ranges when it grows large). */
static void
cpset_add(CpSet *s, pg_wchar lo, pg_wchar hi)
{
	if (s->n == s->cap)
	{
		if (s->cap >= CPSET_MERGE_AT)
			cpset_normalize(s);
		if (s->n >= s->cap / 2)
		{
			s->cap = s->cap ? s->cap * 2 : 16;
			s->r = s->r ? repalloc(s->r, s->cap * sizeof(CpRange))
				: palloc(s->cap * sizeof(CpRange));
		}
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
}

/* Add sorted disjoint ranges r[0..n), or everything outside them if negated. */
static void
cpset_add_ranges(CpSet *s, const CpRange *r, int n, bool negated)
{
	pg_wchar	next = 0;

	if (!negated)
	{
		for (int i = 0; i < n; i++)
			cpset_add(s, r[i].lo, r[i].hi);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		if (r[i].lo > next)
			cpset_add(s, next, r[i].lo - 1);
		next = r[i].hi + 1;
	}
	if (next <= MAX_CODE_POINT)
		cpset_add(s, next, MAX_CODE_POINT);
}

/* Replace s by its complement within [0, MAX_CODE_POINT]. */
static void
cpset_complement(CpSet *s)
{
	CpRange    *old;
	int			n;

	cpset_normalize(s);
	old = s->r;
	n = s->n;
	s->r = NULL;
	s->n = s->cap = 0;
	cpset_add_ranges(s, old, n, true);
	if (old)
		pfree(old);
}

/* Append code point c as an ARE atom matching just c, in or out of brackets. */
static void
emit_char(StringInfo out, pg_wchar c)
{
	if (is_digit(c) || is_alpha(c) || c == ' ')
		appendStringInfoChar(out, (char) c);
	else if (c > ' ' && c < 0x7F)
	{
		appendStringInfoChar(out, '\\');
		appendStringInfoChar(out, (char) c);
	}
	else if (c <= 0xFFFF)
		appendStringInfo(out, "\\u%04X", (unsigned int) c);
	else
		appendStringInfo(out, "\\U%08X", (unsigned int) c);
}

/* Append the inside of a bracket expression for ranges r[0..n). */
static void
emit_ranges(StringInfo out, const CpRange *r, int n)
{
	for (int i = 0; i < n; i++)
	{
		emit_char(out, r[i].lo);
		if (r[i].hi > r[i].lo + 1)
			appendStringInfoChar(out, '-');
		if (r[i].hi > r[i].lo)
			emit_char(out, r[i].hi);
	}
}

/* Append set s as one ARE atom: a character or a bracket expression. */
static void
emit_set(StringInfo out, CpSet *s)
{
	int			ncomplement;

	cpset_normalize(s);
	if (s->n == 0)
	{
		appendStringInfoString(out, "[^\\u0000-\\U0010FFFF]");
		return;
	}
	if (s->n == 1 && s->r[0].lo == s->r[0].hi)
	{
		emit_char(out, s->r[0].lo);
		return;
	}
	ncomplement = s->n - 1 + (s->r[0].lo > 0) +
		(s->r[s->n - 1].hi < MAX_CODE_POINT);
	if (ncomplement > 0 && ncomplement < s->n)
	{
		CpSet		complement = {0};

		cpset_add_ranges(&complement, s->r, s->n, true);
		appendStringInfoString(out, "[^");
		emit_ranges(out, complement.r, complement.n);
		pfree(complement.r);
	}
	else
	{
		appendStringInfoChar(out, '[');
		emit_ranges(out, s->r, s->n);
	}
	appendStringInfoChar(out, ']');
}

/* Append the set an escape such as \d or \P{L} stands for. */
static void
emit_escape_set(StringInfo out, const Escape *e)
{
	CpSet		s = {0};

	cpset_add_ranges(&s, e->ranges, e->nranges, e->negated);
	emit_set(out, &s);
	if (s.r)
		pfree(s.r);
}

/* Append the ARE quantifier for {min,max} (max < 0: unbounded). */
static void
emit_bounds(StringInfo out, int min, int max, bool lazy)
{
	if (min == 0 && max < 0)
		appendStringInfoChar(out, '*');
	else if (min == 1 && max < 0)
		appendStringInfoChar(out, '+');
	else if (min == 0 && max == 1)
		appendStringInfoChar(out, '?');
	else if (max < 0)
		appendStringInfo(out, "{%d,}", min);
	else if (min == max)
		appendStringInfo(out, "{%d}", min);
	else
		appendStringInfo(out, "{%d,%d}", min, max);
	if (lazy)
		appendStringInfoChar(out, '?');
}

/*
 * Append atom repeated exactly n times (exact) or 0 to n times, nesting
 * bounded repeats where n exceeds ARE_DUPMAX: a{n} is (?:a{255}){n/255}a{n%255}.
 */
static void
emit_nested(StringInfo out, const char *atom, int n, bool exact, bool lazy)
{
	StringInfoData cur;
	StringInfoData tail;

	initStringInfo(&cur);
	initStringInfo(&tail);
	appendStringInfoString(&cur, atom);
	while (n > ARE_DUPMAX)
	{
		int			rest = n % ARE_DUPMAX;
		StringInfoData next;

		initStringInfo(&next);
		if (rest > 0)
		{
			appendStringInfoString(&next, cur.data);
			emit_bounds(&next, exact ? rest : 0, rest, lazy);
		}
		appendStringInfoString(&next, tail.data);
		pfree(tail.data);
		tail = next;

		initStringInfo(&next);
		appendStringInfo(&next, "(?:%s", cur.data);
		emit_bounds(&next, exact ? ARE_DUPMAX : 0, ARE_DUPMAX, lazy);
		appendStringInfoChar(&next, ')');
		pfree(cur.data);
		cur = next;
		n /= ARE_DUPMAX;
	}
	appendStringInfoString(out, cur.data);
	emit_bounds(out, exact ? n : 0, n, lazy);
	appendStringInfoString(out, tail.data);
	pfree(cur.data);
	pfree(tail.data);
}

/* Fold the last atom into the nullability of the current alternative. */
static void
finish_atom(EcmaParser *ps)
{
	if (ps->atom_pending)
		ps->nodes[ps->cur].seq_nullable &= ps->atom_nullable;
	ps->atom_pending = false;
}

/* Note that an atom of the given kind starts here in the output. */
static void
begin_atom(EcmaParser *ps, AtomKind kind)
{
	finish_atom(ps);
	ps->atom = kind;
	ps->atom_start = ps->out->len;
	ps->atom_node = -1;
	ps->atom_caps = ps->ecma_caps;
	ps->atom_backrefs = ps->nbackrefs;
	ps->atom_nullable = (kind == ATOM_ASSERTION);
	ps->atom_pending = true;
}

/* Add ASCII characters lo..hi to bitmap set. */
static void
seq_set_add(uint64 *set, int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		set[c >> 6] |= UINT64CONST(1) << (c & 63);
}

/* Does bitmap set hold ASCII character c? */
static inline bool
seq_set_has(const uint64 *set, unsigned char c)
{
	return c < 128 && (set[c >> 6] >> (c & 63)) & 1;
}

/* The pattern is no plain sequence (a group, an alternative, an assertion...). */
static inline void
shape_break(EcmaParser *ps)
{
	if (ps->shape)
		ps->shape->simple = false;
}

/* Append a step matching once to the shape; NULL when none is recorded. */
static ShapeStep *
shape_add(EcmaParser *ps, ShapeKind kind)
{
	Shape	   *sh = ps->shape;
	ShapeStep  *st;

	if (sh == NULL || !sh->simple)
		return NULL;
	if (sh->nsteps == sh->maxsteps)
	{
		sh->maxsteps = sh->maxsteps ? sh->maxsteps * 2 : 8;
		sh->steps = sh->steps ? repalloc(sh->steps, sh->maxsteps * sizeof(ShapeStep))
			: palloc(sh->maxsteps * sizeof(ShapeStep));
	}
	st = &sh->steps[sh->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->item.min = st->item.max = 1;
	return st;
}

/* Record a set of code points r[0..n) (or their complement) in the tree. */
static void
tree_set(EcmaParser *ps, const CpRange *r, int n, bool negated)
{
	CpSet		s = {0};

	if (ps->tree == NULL || !negated)
	{
		nfa_tree_set(ps->tree, r, n);
		return;
	}
	cpset_add_ranges(&s, r, n, true);
	nfa_tree_set(ps->tree, s.r, s.n);
	if (s.r)
		pfree(s.r);
}

/* Record a literal character c in the shape and the tree. */
static void
shape_char(EcmaParser *ps, pg_wchar c)
{
	ShapeStep  *st = shape_add(ps, SHAPE_CHAR);
	CpRange		r = {c, c};

	nfa_tree_set(ps->tree, &r, 1);
	if (st == NULL)
		return;
	st->c = c;
	st->ascii = c < 0x80;
	if (st->ascii)
		seq_set_add(st->item.set, c, c);
}

/* Record a set r[0..n) (or its complement) in the shape and the tree. */
static void
shape_set(EcmaParser *ps, const CpRange *r, int n, bool negated)
{
	ShapeStep  *st = shape_add(ps, SHAPE_SET);

	tree_set(ps, r, n, negated);
	if (st == NULL)
		return;
	st->ascii = !negated;
	for (int i = 0; i < n && st->ascii; i++)
	{
		st->ascii = r[i].hi < 0x80;
		if (st->ascii)
			seq_set_add(st->item.set, r[i].lo, r[i].hi);
	}
}

/* Record "^" or "$" at ps->pos: an anchor if first or last, else no sequence. */
static void
shape_anchor(EcmaParser *ps, pg_wchar c)
{
	nfa_tree_anchor(ps->tree, c == '^');
	if (ps->shape == NULL)
		return;
	if (c == '^' && ps->pos == 0)
		ps->shape->anchored_start = true;
	else if (c == '$' && ps->pos == ps->len - 1)
		ps->shape->anchored_end = true;
	else
		shape_break(ps);
}

/* Record quantifier {min,max} on the last step of the shape. */
static void
shape_quantify(EcmaParser *ps, int min, int max, bool lazy)
{
	Shape	   *sh = ps->shape;
	ShapeStep  *st;

	nfa_tree_quantify(ps->tree, min, max);
	if (sh == NULL || !sh->simple)
		return;
	st = sh->nsteps > 0 ? &sh->steps[sh->nsteps - 1] : NULL;
	if (st == NULL || st->quantified || sh->anchored_end)
	{
		shape_break(ps);
		return;
	}
	st->quantified = true;
	st->lazy = lazy;
	st->item.min = min;
	st->item.max = max;
}

/* Decode UTF-8 src into ps->p. */
static bool
decode_pattern(EcmaParser *ps, const char *src, int len)
{
	const unsigned char *s = (const unsigned char *) src;
	pg_wchar   *p;
	int			n = 0;

	if (len > MAX_ARE_LEN)
		return ps_error(ps, "pattern is too long");
	p = palloc((len + 1) * sizeof(pg_wchar));
	ps->p = p;
	for (int i = 0; i < len;)
	{
		int			l = pg_utf_mblen(s + i);

		if (l > len - i || !pg_utf8_islegal(s + i, l))
			return ps_error(ps, "pattern is not valid UTF-8");
		p[n++] = utf8_to_unicode(s + i);
		i += l;
	}
	ps->len = n;
	return true;
}

/* Is c allowed in a group name (at its start if first)? */
static bool
is_name_char(pg_wchar c, bool first)
{
	return is_alpha(c) || c == '_' || c == '$' || c >= 0x80 ||
		(!first && is_digit(c));
}

/* qsort_arg comparator: group names by their text in the pattern. */
static int
group_name_cmp(const void *a, const void *b, void *arg)
{
	const GroupName *na = (const GroupName *) a;
	const GroupName *nb = (const GroupName *) b;
	const pg_wchar *p = ((EcmaParser *) arg)->p;

	for (int i = 0; i < na->len && i < nb->len; i++)
	{
		if (p[na->start + i] != p[nb->start + i])
			return p[na->start + i] < p[nb->start + i] ? -1 : 1;
	}
	return na->len - nb->len;
}

/* The length of a "\uXXXX" or "\u{X...}" escape at offset i, or 0. */
static int
name_escape_length(EcmaParser *ps, int i)
{
	int			k = i + 3;

	if (i + 2 >= ps->len || ps->p[i] != '\\' || ps->p[i + 1] != 'u')
		return 0;
	if (ps->p[i + 2] != '{')
	{
		for (k = i + 2; k < i + 6 && k < ps->len && hex_value(ps->p[k]) >= 0; k++)
			;
		return k == i + 6 ? 6 : 0;
	}
	while (k < ps->len && hex_value(ps->p[k]) >= 0)
		k++;
	return k > i + 3 && k < ps->len && ps->p[k] == '}' ? k + 1 - i : 0;
}

/*
 * Record the name of group number at offset start (just after "(?<"); its
 * characters may be written as \u escapes (names are compared as written).
 */
static bool
scan_group_name(EcmaParser *ps, int start, int number, int *maxnames)
{
	int			i = start;
	int			k;

	while (i < ps->len && ps->p[i] != '>')
	{
		if ((k = name_escape_length(ps, i)) > 0)
			i += k;
		else if (is_name_char(ps->p[i], i == start))
			i++;
		else
			break;
	}
	if (i == start || i >= ps->len || ps->p[i] != '>')
		return ps_error(ps, "invalid capture group name at character %d", start + 1);
	if (ps->nnames == *maxnames)
	{
		*maxnames = *maxnames ? *maxnames * 2 : 8;
		ps->names = ps->names ? repalloc(ps->names, *maxnames * sizeof(GroupName))
			: palloc(*maxnames * sizeof(GroupName));
	}
	ps->names[ps->nnames].start = start;
	ps->names[ps->nnames].len = i - start;
	ps->names[ps->nnames].number = number;
	ps->nnames++;
	return true;
}

/*
 * Count the capturing groups and collect the group names: ECMA needs both
 * before parsing, to tell a backreference from an octal escape and to
 * resolve \k<name> ahead of its group.
 */
static bool
scan_groups(EcmaParser *ps)
{
	const pg_wchar *p = ps->p;
	bool		in_class = false;
	int			count = 0;
	int			maxnames = 0;

	for (int i = 0; i < ps->len; i++)
	{
		if (p[i] == '\\' && !in_class && i + 1 < ps->len &&
			((p[i + 1] >= '1' && p[i + 1] <= '9') || p[i + 1] == 'k'))
			ps->has_backrefs = true;
		if (p[i] == '\\')
			i++;
		else if (in_class)
			in_class = (p[i] != ']');
		else if (p[i] == '[')
			in_class = true;
		else if (p[i] == '(' && (i + 1 >= ps->len || p[i + 1] != '?'))
			count++;
		else if (p[i] == '(' && i + 2 < ps->len && p[i + 2] == '<' &&
				 (i + 3 >= ps->len || (p[i + 3] != '=' && p[i + 3] != '!')))
		{
			if (!scan_group_name(ps, i + 3, ++count, &maxnames))
				return false;
		}
	}
	ps->ncaps = count;
	if (ps->nnames > 1)
	{
		qsort_arg(ps->names, ps->nnames, sizeof(GroupName), group_name_cmp, ps);
		for (int i = 1; i < ps->nnames; i++)
		{
			if (group_name_cmp(&ps->names[i - 1], &ps->names[i], ps) == 0)
				return ps_error(ps, "duplicate capture group name \"%s\"",
								pattern_text(ps, ps->names[i].start,
											 ps->names[i].start + ps->names[i].len));
		}
	}
	ps->cap_node = palloc((count + 1) * sizeof(int));
	for (int i = 0; i <= count; i++)
		ps->cap_node[i] = -1;
	return true;
}

/* The ECMA number of the group named by pattern[start, start+len), or 0. */
static int
find_group_name(EcmaParser *ps, int start, int len)
{
	GroupName	key = {start, len, 0};
	int			lo = 0;
	int			hi = ps->nnames - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = group_name_cmp(&key, &ps->names[mid], ps);

		if (cmp == 0)
			return ps->names[mid].number;
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Make e stand for ranges r[0..n), or their complement if negated. */
static void
set_escape_ranges(Escape *e, const CpRange *r, int n, bool negated)
{
	e->kind = ESC_SET;
	e->ranges = r;
	e->nranges = n;
	e->negated = negated;
}

/*
 * Read a legacy octal escape (Annex B) whose first digit is at offset i:
 * up to three digits when the first is 0-3, two otherwise.
 */
static pg_wchar
parse_octal(EcmaParser *ps, int i)
{
	pg_wchar	v = ps->p[i] - '0';
	int			maxdigits = v <= 3 ? 3 : 2;
	int			ndigits = 1;

	for (i++; ndigits < maxdigits && i < ps->len &&
		 ps->p[i] >= '0' && ps->p[i] <= '7'; i++, ndigits++)
		v = v * 8 + (ps->p[i] - '0');
	ps->pos = i;
	return v;
}

/*
 * Parse "\" followed by a digit 1-9 at offset start: a backreference when
 * its number names a group of the pattern (and we are outside a class),
 * else a legacy octal escape, or an identity escape for 8 and 9.
 */
static void
parse_decimal_escape(EcmaParser *ps, int start, bool in_class, Escape *e)
{
	pg_wchar	first = ps->p[start + 1];

	if (!in_class)
	{
		int			i = start + 1;
		int			v = 0;

		for (; i < ps->len && is_digit(ps->p[i]); i++)
		{
			if (v <= ps->ncaps)
				v = v * 10 + (ps->p[i] - '0');
		}
		if (v <= ps->ncaps)
		{
			e->kind = ESC_BACKREF;
			e->group = v;
			ps->pos = i;
			return;
		}
	}
	if (first >= '8')
		ps->pos = start + 2;
	else
		e->c = parse_octal(ps, start + 1);
}

/*
 * Parse the rest of "\c" (ps->pos is just past the "c"): a control escape
 * if a letter follows (or, in a class, a digit or "_"), else Annex B reads
 * the backslash alone as a literal and the "c" as the next character.
 */
static void
parse_control_escape(EcmaParser *ps, bool in_class, Escape *e)
{
	pg_wchar	l = peek(ps, 0);

	if (is_alpha(l) || (in_class && (is_digit(l) || l == '_')))
	{
		e->c = l % 32;
		ps->pos++;
	}
	else
	{
		e->c = '\\';
		ps->pos--;
	}
}

/* Parse the rest of "\x": two hex digits, else "x" itself. */
static void
parse_hex_escape(EcmaParser *ps, Escape *e)
{
	int			h1 = hex_value(peek(ps, 0));
	int			h2 = hex_value(peek(ps, 1));

	if (ps->pos + 1 < ps->len && h1 >= 0 && h2 >= 0)
	{
		e->c = h1 * 16 + h2;
		ps->pos += 2;
	}
}

/* Read four hex digits at offset i into *v. */
static bool
read_hex4(EcmaParser *ps, int i, pg_wchar *v)
{
	*v = 0;
	if (i + 4 > ps->len)
		return false;
	for (int k = 0; k < 4; k++)
	{
		int			h = hex_value(ps->p[i + k]);

		if (h < 0)
			return false;
		*v = *v * 16 + h;
	}
	return true;
}

/*
 * Parse the rest of "\u" at offset start: \u{hex} (a code point), \uHHHH
 * (joined with a following \uHHHH into one code point if the two form a
 * surrogate pair), else "u" itself.
 */
static bool
parse_unicode_escape(EcmaParser *ps, int start, Escape *e)
{
	pg_wchar	v = 0;
	pg_wchar	low;

	if (peek(ps, 0) == '{')
	{
		int			i = ps->pos + 1;

		for (; i < ps->len && hex_value(ps->p[i]) >= 0; i++)
		{
			if (v <= MAX_CODE_POINT)
				v = v * 16 + hex_value(ps->p[i]);
		}
		if (i == ps->pos + 1 || i >= ps->len || ps->p[i] != '}')
			return true;
		if (v > MAX_CODE_POINT)
			return ps_error(ps, "unicode escape \"%s\" is out of range",
							pattern_text(ps, start, i + 1));
		e->c = v;
		ps->pos = i + 1;
		return true;
	}
	if (!read_hex4(ps, ps->pos, &v))
		return true;
	ps->pos += 4;
	if (is_utf16_surrogate_first(v) && peek(ps, 0) == '\\' && peek(ps, 1) == 'u' &&
		read_hex4(ps, ps->pos + 2, &low) && is_utf16_surrogate_second(low))
	{
		v = surrogate_pair_to_codepoint(v, low);
		ps->pos += 6;
	}
	e->c = v;
	return true;
}

/* Is name a well-formed property "Name" or "Name=Value" (letters, digits, "_")? */
static bool
property_name_ok(const char *name)
{
	const char *eq = strchr(name, '=');

	return name[0] != '\0' && name[0] != '=' &&
		(eq == NULL || (eq[1] != '\0' && strchr(eq + 1, '=') == NULL));
}

/*
 * Parse the rest of "\p" or "\P" at offset start.  \p{Name} must name a
 * property we have data for (checking only, any well-formed name does);
 * "\p" without a well-formed "{...}" is an identity escape (Annex B, so not
 * when checking).
 */
static bool
parse_property_escape(EcmaParser *ps, int start, Escape *e)
{
	int			i = ps->pos + 1;
	char	   *name;
	char	   *value;

	if (peek(ps, 0) != '{')
		return !ps->check_only || ps_error(ps, "invalid property escape");
	while (i < ps->len && (is_alpha(ps->p[i]) || is_digit(ps->p[i]) ||
						   ps->p[i] == '_' || ps->p[i] == '='))
		i++;
	if (i >= ps->len || ps->p[i] != '}')
		return !ps->check_only || ps_error(ps, "invalid property escape");
	name = pattern_text(ps, ps->pos + 1, i);
	if (ps->check_only && !property_name_ok(name))
		return ps_error(ps, "invalid property escape");
	value = name;
	if (strncmp(name, "gc=", 3) == 0)
		value = name + 3;
	else if (strncmp(name, "General_Category=", 17) == 0)
		value = name + 17;
	for (int k = 0; k < (int) lengthof(unicode_properties); k++)
	{
		const UnicodeProperty *prop = &unicode_properties[k];

		if (strcmp(prop->name, value) == 0 && (value == name || prop->is_category))
		{
			set_escape_ranges(e, prop->ranges, prop->nranges, ps->p[start + 1] == 'P');
			ps->pos = i + 1;
			return true;
		}
	}
	ps->pos = i + 1;
	/* checking only: stands for some set, which a class range must refuse */
	set_escape_ranges(e, any_ranges, lengthof(any_ranges), false);
	return ps->check_only ||
		ps_error(ps, "unicode property escape \"%s\" is not supported",
				 pattern_text(ps, start, i + 1));
}

/* Parse the rest of "\k<name>" at offset start into a backreference. */
static bool
parse_named_reference(EcmaParser *ps, int start, Escape *e)
{
	int			i = ps->pos + 1;

	if (peek(ps, 0) != '<')
		return ps_error(ps, "invalid named reference at character %d", start + 1);
	while (i < ps->len && ps->p[i] != '>')
		i++;
	if (i >= ps->len)
		return ps_error(ps, "invalid named reference at character %d", start + 1);
	e->kind = ESC_BACKREF;
	e->group = find_group_name(ps, ps->pos + 1, i - ps->pos - 1);
	if (e->group == 0)
		return ps_error(ps, "reference \"%s\" to an undefined group name",
						pattern_text(ps, start, i + 1));
	ps->pos = i + 1;
	return true;
}

/* The character of ControlEscape \f \n \r \t or \v, given its letter. */
static inline pg_wchar
control_escape_char(pg_wchar letter)
{
	static const char letters[] = "fnrtv";
	static const pg_wchar chars[] = {'\f', '\n', '\r', '\t', '\v'};

	return chars[strchr(letters, (int) letter) - letters];
}

/*
 * Is the escape at offset start, parsed into e (ps->pos just after it), one
 * the "u" flag allows?  Annex B reads the others leniently: an identity
 * escape of any character, octal, "\c", "\x" or "\u" alone as literals.
 */
static bool
unicode_mode_escape_ok(EcmaParser *ps, int start, bool in_class, const Escape *e)
{
	pg_wchar	c = ps->p[start + 1];
	pg_wchar	next = start + 2 < ps->len ? ps->p[start + 2] : 0;

	switch (c)
	{
		case 'c':
			return is_alpha(next);
		case 'x':
			return ps->pos == start + 4;
		case 'u':
			return ps->pos > start + 2;
		case '0':
			return !is_digit(next);
		case 'B':
			return !in_class;
		case '-':
			return in_class;
	}
	if ((c >= '1' && c <= '9') || c == 'k')
		return e->kind == ESC_BACKREF;
	return c > 0 && c < 0x80 &&
		(strchr("dDwWsSpPbfnrtv", (int) c) != NULL || strchr("^$\\.*+?()[]{}|/", (int) c) != NULL);
}

/* Parse the escape sequence at ps->pos (a backslash) into *e. */
static bool
parse_escape(EcmaParser *ps, bool in_class, Escape *e)
{
	int			start = ps->pos;
	pg_wchar	c;

	if (start + 1 >= ps->len)
		return ps_error(ps, "pattern ends with an unfinished escape");
	c = ps->p[start + 1];
	ps->pos = start + 2;
	e->kind = ESC_CHAR;
	e->c = c;
	switch (c)
	{
		case 'd':
		case 'D':
			set_escape_ranges(e, digit_ranges, lengthof(digit_ranges), c == 'D');
			break;
		case 'w':
		case 'W':
			set_escape_ranges(e, word_ranges, lengthof(word_ranges), c == 'W');
			break;
		case 's':
		case 'S':
			set_escape_ranges(e, space_ranges, lengthof(space_ranges), c == 'S');
			break;
		case 'p':
		case 'P':
			if (!parse_property_escape(ps, start, e))
				return false;
			break;
		case 'b':
			if (in_class)
				e->c = 0x08;
			else
				e->kind = ESC_WORD_BOUNDARY;
			break;
		case 'B':
			if (!in_class)
				e->kind = ESC_NOT_WORD_BOUNDARY;
			break;
		case 'f':
		case 'n':
		case 'r':
		case 't':
		case 'v':
			e->c = control_escape_char(c);
			break;
		case 'c':
			parse_control_escape(ps, in_class, e);
			break;
		case 'x':
			parse_hex_escape(ps, e);
			break;
		case 'u':
			if (!parse_unicode_escape(ps, start, e))
				return false;
			break;
		case 'k':
			if (ps->nnames > 0 && in_class)
				return ps_error(ps, "invalid escape \"\\k\" in character class at character %d",
								start + 1);
			if (ps->nnames > 0 && !parse_named_reference(ps, start, e))
				return false;
			break;
		case '0':
			e->c = parse_octal(ps, start + 1);
			break;
		default:
			if (c >= '1' && c <= '9')
				parse_decimal_escape(ps, start, in_class, e);
			break;
	}
	if (ps->check_only && !unicode_mode_escape_ok(ps, start, in_class, e))
		return ps_error(ps, "invalid escape at character %d", start + 1);
	if (e->kind == ESC_SET && (ps->set_ranges += e->nranges) > MAX_SET_RANGES)
		return ps_error(ps, "pattern is too complex to translate");
	return true;
}

/* Open a group of the given kind inside the current one and emit its opening. */
static void
push_group(EcmaParser *ps, GroupKind kind)
{
	GroupNode  *parent;
	GroupNode	node = {0};
	bool		lookbehind = (kind == GROUP_BEHIND || kind == GROUP_NEG_BEHIND);
	bool		lookahead = (kind == GROUP_AHEAD || kind == GROUP_NEG_AHEAD);

	finish_atom(ps);
	shape_break(ps);
	if (lookahead || lookbehind)
		nfa_tree_refuse(ps->tree);
	else
		nfa_tree_open(ps->tree);
	parent = &ps->nodes[ps->cur];
	node.kind = kind;
	node.parent = ps->cur;
	node.jump = ps->cur;
	node.alt_start = ps->nnodes + 1;
	node.nalts = 1;
	node.src_start = ps->pos;
	node.out_start = ps->out->len;
	node.caps_before = ps->ecma_caps;
	node.backrefs_before = ps->nbackrefs;
	node.seq_nullable = true;
	node.open = true;
	node.in_lookaround = parent->in_lookaround || lookahead || lookbehind;
	node.in_lookbehind = parent->in_lookbehind || lookbehind;
	if (kind == GROUP_CAPTURE)
	{
		if (ps->ecma_caps >= ps->ncaps)
			elog(ERROR, "capturing group count mismatch in pattern translation");
		ps->cap_node[++ps->ecma_caps] = ps->nnodes;
		if (!node.in_lookaround)
			node.pg_number = ++ps->pg_caps;
	}
	if (ps->nnodes == ps->maxnodes)
	{
		ps->maxnodes *= 2;
		ps->nodes = repalloc(ps->nodes, ps->maxnodes * sizeof(GroupNode));
		ps->stack = repalloc(ps->stack, ps->maxnodes * sizeof(int));
	}
	ps->nodes[ps->nnodes] = node;
	ps->cur = ps->nnodes++;
	ps->stack[ps->depth++] = ps->cur;

	switch (kind)
	{
		case GROUP_AHEAD:
			appendStringInfoString(ps->out, "(?=");
			break;
		case GROUP_NEG_AHEAD:
			appendStringInfoString(ps->out, "(?!");
			break;
		case GROUP_BEHIND:
			appendStringInfoString(ps->out, "(?<=");
			break;
		case GROUP_NEG_BEHIND:
			appendStringInfoString(ps->out, "(?<!");
			break;
		default:
			/* the engine numbers captures only outside lookarounds */
			appendStringInfoString(ps->out, node.pg_number ? "(" : "(?:");
			break;
	}
	ps->atom = ATOM_NONE;
}

/*
 * The length of a modifiers prefix "ims-ims:" (each flag at most once, at
 * least one) at offset i, just after "(?"; 0 if there is none.
 */
static int
modifiers_length(EcmaParser *ps, int i)
{
	static const char flags[] = "ims";
	int			seen = 0;
	bool		minus = false;
	int			k;

	for (k = i; k < ps->len && ps->p[k] != ':'; k++)
	{
		const char *flag = ps->p[k] < 0x80 && ps->p[k] != 0 ? strchr(flags, (int) ps->p[k]) : NULL;

		if (ps->p[k] == '-' && !minus)
			minus = true;
		else if (flag == NULL || (seen & (1 << (flag - flags))))
			return 0;
		else
			seen |= 1 << (flag - flags);
	}
	return k < ps->len && seen != 0 ? k + 1 - i : 0;
}

/* Parse "(" and the group syntax after it. */
static bool
open_group(EcmaParser *ps)
{
	int			start = ps->pos;
	pg_wchar	c1 = peek(ps, 2);
	pg_wchar	c2 = peek(ps, 3);
	GroupKind	kind = GROUP_CAPTURE;
	int			skip = 1;

	if (peek(ps, 1) == '?')
	{
		skip = 3;
		if (c1 == ':')
			kind = GROUP_PLAIN;
		else if (c1 == '=')
			kind = GROUP_AHEAD;
		else if (c1 == '!')
			kind = GROUP_NEG_AHEAD;
		else if (c1 == '<' && c2 == '=')
			kind = GROUP_BEHIND, skip = 4;
		else if (c1 == '<' && c2 == '!')
			kind = GROUP_NEG_BEHIND, skip = 4;
		else if (c1 == '<')
		{
			/* a named group; scan_groups checked the name and its ">" */
			for (skip = 3; ps->p[start + skip] != '>'; skip++)
				;
			skip++;
		}
		else if (modifiers_length(ps, start + 2) == 0)
			return ps_error(ps, "invalid group at character %d", start + 1);
		else if (!ps->check_only)
			return ps_error(ps, "modifier groups such as \"(?i:\" are not supported");
		else
			kind = GROUP_PLAIN, skip = 2 + modifiers_length(ps, start + 2);
	}
	push_group(ps, kind);
	ps->pos += skip;
	return true;
}

/* Parse ")" closing the current group. */
static bool
close_group(EcmaParser *ps)
{
	GroupNode  *node = &ps->nodes[ps->cur];

	if (ps->cur == 0)
		return ps_error(ps, "unmatched \")\" at character %d", ps->pos + 1);
	finish_atom(ps);
	nfa_tree_close(ps->tree);
	node->open = false;
	node->nullable |= node->seq_nullable;
	appendStringInfoChar(ps->out, ')');
	if (node->kind == GROUP_AHEAD || node->kind == GROUP_NEG_AHEAD)
		ps->atom = ATOM_LOOKAHEAD;
	else if (node->kind == GROUP_BEHIND || node->kind == GROUP_NEG_BEHIND)
		ps->atom = ATOM_ASSERTION;
	else
		ps->atom = ATOM_PLAIN;
	ps->atom_start = node->out_start;
	ps->atom_node = ps->cur;
	ps->atom_caps = node->caps_before;
	ps->atom_backrefs = node->backrefs_before;
	ps->atom_nullable = node->nullable || ps->atom != ATOM_PLAIN;
	ps->atom_pending = true;
	ps->cur = node->parent;
	ps->depth--;
	ps->pos++;
	return true;
}

/* The innermost open group holding node g: the last one opened before it. */
static int
open_ancestor(EcmaParser *ps, int g)
{
	int			lo = 0;
	int			hi = ps->depth - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (ps->stack[mid] <= g)
			lo = mid;
		else
			hi = mid - 1;
	}
	return ps->stack[lo];
}

/*
 * Does every closed group between g and its innermost open ancestor always
 * take part in a match of that ancestor's current alternative (no optional
 * quantifier, a single alternative)?  Jump pointers skip such groups, with
 * path compression, so repeated references cost next to nothing.
 */
static bool
path_is_certain(EcmaParser *ps, int g)
{
	GroupNode  *nodes = ps->nodes;
	int			top = nodes[g].parent;
	int			next;

	while (!nodes[top].open && !nodes[top].optional && nodes[top].nalts == 1)
		top = nodes[top].jump;
	for (int x = nodes[g].parent; x != top; x = next)
	{
		next = nodes[x].jump;
		nodes[x].jump = top;
	}
	return nodes[top].open;
}

/*
 * Translate a backreference to ECMA group k (pattern text [start, end)).  In
 * ECMA a reference to a group that has not matched matches the empty string,
 * while the engine's fails; so we resolve it statically: empty when the group
 * cannot have matched (it is ahead, encloses us, or lies in another
 * alternative), the engine's \N when it certainly has, and refused when that
 * depends on the input.
 */
static bool
emit_backref(EcmaParser *ps, int k, int start, int end)
{
	GroupNode  *nodes = ps->nodes;
	int			g = ps->cap_node[k];

	shape_break(ps);
	nfa_tree_refuse(ps->tree);
	if (nodes[ps->cur].in_lookbehind && !ps->check_only)
		return ps_error(ps, "backreference \"%s\" inside a lookbehind is not supported",
						pattern_text(ps, start, end));
	begin_atom(ps, ATOM_PLAIN);
	ps->atom_nullable = true;
	if (g < 0 || nodes[g].open || g < nodes[open_ancestor(ps, g)].alt_start)
	{
		appendStringInfoString(ps->out, "(?:)");
		return true;
	}
	if (ps->check_only)
		return true;
	if (nodes[g].in_lookaround || nodes[ps->cur].in_lookaround)
		return ps_error(ps, "backreference \"%s\" into or inside a lookaround is not supported",
						pattern_text(ps, start, end));
	if (nodes[g].optional || !path_is_certain(ps, g))
		return ps_error(ps, "backreference \"%s\" to a group that may not participate in the match is not supported",
						pattern_text(ps, start, end));
	appendStringInfo(ps->out, "(?:\\%d)", nodes[g].pg_number);
	ps->nbackrefs++;
	return true;
}

/* Parse an escape outside a character class. */
static bool
parse_atom_escape(EcmaParser *ps)
{
	int			start = ps->pos;
	Escape		e;

	if (!parse_escape(ps, false, &e))
		return false;
	switch (e.kind)
	{
		case ESC_CHAR:
			begin_atom(ps, ATOM_PLAIN);
			emit_char(ps->out, e.c);
			shape_char(ps, e.c);
			break;
		case ESC_SET:
			begin_atom(ps, ATOM_PLAIN);
			emit_escape_set(ps->out, &e);
			shape_set(ps, e.ranges, e.nranges, e.negated);
			break;
		case ESC_WORD_BOUNDARY:
			shape_break(ps);
			nfa_tree_refuse(ps->tree);
			begin_atom(ps, ATOM_ASSERTION);
			appendStringInfoString(ps->out, "\\y");
			break;
		case ESC_NOT_WORD_BOUNDARY:
			shape_break(ps);
			nfa_tree_refuse(ps->tree);
			begin_atom(ps, ATOM_ASSERTION);
			appendStringInfoString(ps->out, "\\Y");
			break;
		case ESC_BACKREF:
			return emit_backref(ps, e.group, start, ps->pos);
	}
	return true;
}

/* Parse one class atom (a character or an escape) into *e. */
static bool
parse_class_atom(EcmaParser *ps, Escape *e)
{
	if (ps->p[ps->pos] == '\\')
		return parse_escape(ps, true, e);
	e->kind = ESC_CHAR;
	e->c = ps->p[ps->pos++];
	return true;
}

/* Add class atom e to set s. */
static void
add_class_atom(CpSet *s, const Escape *e)
{
	if (e->kind == ESC_SET)
		cpset_add_ranges(s, e->ranges, e->nranges, e->negated);
	else
		cpset_add(s, e->c, e->c);
}

/* Parse a character class "[...]" and emit it as one bracket expression. */
static bool
parse_class(EcmaParser *ps)
{
	int			start = ps->pos;
	bool		negated = false;
	CpSet		set = {0};

	ps->pos++;
	if (peek(ps, 0) == '^')
	{
		negated = true;
		ps->pos++;
	}
	for (;;)
	{
		Escape		a;
		Escape		b;

		CHECK_FOR_INTERRUPTS();
		if (ps->pos >= ps->len)
			return ps_error(ps, "unterminated character class at character %d", start + 1);
		if (ps->p[ps->pos] == ']')
			break;
		if (!parse_class_atom(ps, &a))
			return false;
		if (peek(ps, 0) != '-' || peek(ps, 1) == ']' || ps->pos + 1 >= ps->len)
		{
			add_class_atom(&set, &a);
			continue;
		}
		ps->pos++;
		if (!parse_class_atom(ps, &b))
			return false;
		if ((a.kind == ESC_SET || b.kind == ESC_SET) && ps->check_only)
			return ps_error(ps, "class escape in a range in character class at character %d",
							start + 1);
		if (a.kind == ESC_SET || b.kind == ESC_SET)
		{
			/* Annex B: a class escape in a range means the three atoms */
			add_class_atom(&set, &a);
			cpset_add(&set, '-', '-');
			add_class_atom(&set, &b);
		}
		else if (a.c > b.c)
			return ps_error(ps, "range out of order in character class at character %d",
							start + 1);
		else
			cpset_add(&set, a.c, b.c);
	}
	ps->pos++;
	if (negated)
		cpset_complement(&set);
	begin_atom(ps, ATOM_PLAIN);
	emit_set(ps->out, &set);
	shape_set(ps, set.r, set.n, false);
	if (set.r)
		pfree(set.r);
	return true;
}

/* Write the last atom {min,max} when a bound exceeds what the engine takes. */
static bool
repeat_large(EcmaParser *ps, int min, int max, bool lazy)
{
	StringInfo	out = ps->out;
	char	   *atom;

	if (ps->check_only)
		return true;
	if (ps->ecma_caps != ps->atom_caps)
		return ps_error(ps, "a repetition count above %d on a capturing group is not supported",
						ARE_DUPMAX);
	atom = pstrdup(out->data + ps->atom_start);
	out->len = ps->atom_start;
	out->data[out->len] = '\0';
	if (min > 0)
		emit_nested(out, atom, min, true, lazy);
	if (max < 0)
	{
		appendStringInfoString(out, atom);
		emit_bounds(out, 0, -1, lazy);
	}
	else if (max > min)
		emit_nested(out, atom, max - min, false, lazy);
	pfree(atom);
	return true;
}

/* Apply quantifier {min,max} (max < 0: unbounded) starting at offset start. */
static bool
apply_quantifier(EcmaParser *ps, int start, int min, int max)
{
	bool		lazy = (peek(ps, 0) == '?');

	if (lazy)
		ps->pos++;
	if (ps->atom == ATOM_NONE || ps->atom == ATOM_ASSERTION ||
		(ps->atom == ATOM_LOOKAHEAD && ps->check_only))
		return ps_error(ps, "nothing to repeat at character %d", start + 1);
	if (max >= 0 && min > max)
		return ps_error(ps, "numbers out of order in quantifier at character %d", start + 1);
	if (ps->atom == ATOM_LOOKAHEAD)
	{
		/* a repeated lookahead means itself, or nothing if it may repeat 0 times */
		if (min == 0)
		{
			ps->out->len = ps->atom_start;
			ps->out->data[ps->out->len] = '\0';
		}
	}
	else
	{
		/*
		 * The engine cannot repeat a group it must dissect (one holding
		 * captures or backreferences, in a pattern with backreferences) at
		 * least twice where the repetitions would have to match empty.
		 */
		if (min >= 2 && ps->atom_nullable && ps->has_backrefs && !ps->check_only &&
			(ps->ecma_caps != ps->atom_caps || ps->nbackrefs != ps->atom_backrefs))
			return ps_error(ps, "quantifier at character %d: repeating a possibly empty group with captures or backreferences at least twice is not supported",
							start + 1);
		if (ps->atom_node >= 0 && min == 0)
			ps->nodes[ps->atom_node].optional = true;
		if (min > ARE_DUPMAX || max > ARE_DUPMAX)
		{
			if (!repeat_large(ps, min, max, lazy))
				return false;
		}
		else
			emit_bounds(ps->out, min, max, lazy);
	}
	if (min == 0)
		ps->atom_nullable = true;
	ps->atom = ATOM_NONE;
	shape_quantify(ps, min, max, lazy);
	return true;
}

/* Read a decimal number at offset *i, saturating at INT_MAX; false if none. */
static bool
read_count(EcmaParser *ps, int *i, int *v)
{
	int			start = *i;

	*v = 0;
	for (; *i < ps->len && is_digit(ps->p[*i]); (*i)++)
		*v = (*v > (PG_INT32_MAX - 9) / 10) ? PG_INT32_MAX : *v * 10 + (ps->p[*i] - '0');
	return *i > start;
}

/*
 * If a braced quantifier {n}, {n,} or {n,m} starts at ps->pos, apply it and
 * set *done; otherwise (Annex B) the "{" is a literal character.
 */
static bool
parse_braced_quantifier(EcmaParser *ps, bool *done)
{
	int			start = ps->pos;
	int			i = start + 1;
	int			min;
	int			max;

	*done = false;
	if (!read_count(ps, &i, &min))
		return true;
	max = min;
	if (i < ps->len && ps->p[i] == ',')
	{
		i++;
		if (!read_count(ps, &i, &max))
			max = -1;
	}
	if (i >= ps->len || ps->p[i] != '}')
		return true;
	*done = true;
	ps->pos = i + 1;
	return apply_quantifier(ps, start, min, max);
}

/* Emit literal character c as an atom. */
static void
emit_literal(EcmaParser *ps, pg_wchar c)
{
	begin_atom(ps, ATOM_PLAIN);
	emit_char(ps->out, c);
	shape_char(ps, c);
	ps->pos++;
}

/* Emit ECMA's ".": any character but a line terminator. */
static void
emit_dot(EcmaParser *ps)
{
	Escape		e;

	set_escape_ranges(&e, line_terminator_ranges, lengthof(line_terminator_ranges), true);
	begin_atom(ps, ATOM_PLAIN);
	emit_escape_set(ps->out, &e);
	shape_add(ps, SHAPE_DOT);
	tree_set(ps, e.ranges, e.nranges, true);
	ps->pos++;
}

/* Parse one term of the pattern: an atom, assertion, quantifier, "|" or ")". */
static bool
parse_term(EcmaParser *ps)
{
	pg_wchar	c = ps->p[ps->pos];
	bool		done;

	switch (c)
	{
		case '|':
			shape_break(ps);
			nfa_tree_alternative(ps->tree);
			finish_atom(ps);
			ps->nodes[ps->cur].nullable |= ps->nodes[ps->cur].seq_nullable;
			ps->nodes[ps->cur].seq_nullable = true;
			ps->nodes[ps->cur].nalts++;
			ps->nodes[ps->cur].alt_start = ps->nnodes;
			appendStringInfoChar(ps->out, '|');
			ps->atom = ATOM_NONE;
			ps->pos++;
			return true;
		case '(':
			return open_group(ps);
		case ')':
			return close_group(ps);
		case '^':
		case '$':
			shape_anchor(ps, c);
			begin_atom(ps, ATOM_ASSERTION);
			appendStringInfoChar(ps->out, (char) c);
			ps->pos++;
			return true;
		case '*':
			ps->pos++;
			return apply_quantifier(ps, ps->pos - 1, 0, -1);
		case '+':
			ps->pos++;
			return apply_quantifier(ps, ps->pos - 1, 1, -1);
		case '?':
			ps->pos++;
			return apply_quantifier(ps, ps->pos - 1, 0, 1);
		case '{':
			if (!parse_braced_quantifier(ps, &done))
				return false;
			if (!done && ps->check_only)
				return ps_error(ps, "incomplete quantifier at character %d", ps->pos + 1);
			if (!done)
				emit_literal(ps, c);
			return true;
		case '[':
			return parse_class(ps);
		case '.':
			emit_dot(ps);
			return true;
		case '\\':
			return parse_atom_escape(ps);
		case ']':
		case '}':
			if (ps->check_only)
				return ps_error(ps, "lone \"%c\" at character %d", (char) c, ps->pos + 1);
			emit_literal(ps, c);
			return true;
		default:
			emit_literal(ps, c);
			return true;
	}
}

/* Translate the decoded pattern in ps, appending to ps->out. */
static bool
translate_pattern(EcmaParser *ps)
{
	ps->maxnodes = 8;
	ps->nodes = palloc0(ps->maxnodes * sizeof(GroupNode));
	ps->stack = palloc(ps->maxnodes * sizeof(int));
	ps->stack[0] = 0;
	ps->depth = 1;
	ps->nodes[0].kind = GROUP_ROOT;
	ps->nodes[0].parent = -1;
	ps->nodes[0].nalts = 1;
	ps->nodes[0].open = true;
	ps->nodes[0].seq_nullable = true;
	ps->nnodes = 1;
	ps->cur = 0;
	ps->atom = ATOM_NONE;
	while (ps->pos < ps->len)
	{
		CHECK_FOR_INTERRUPTS();
		if (!parse_term(ps))
			return false;
		if (ps->out->len > MAX_ARE_LEN)
			return ps_error(ps, "pattern is too complex to translate");
	}
	if (ps->cur != 0)
		return ps_error(ps, "missing \")\" for the group at character %d",
						ps->nodes[ps->cur].src_start + 1);
	return true;
}

/* Release the parser's working memory. */
static void
free_parser(EcmaParser *ps)
{
	if (ps->p)
		pfree((pg_wchar *) ps->p);
	if (ps->names)
		pfree(ps->names);
	if (ps->cap_node)
		pfree(ps->cap_node);
	if (ps->nodes)
		pfree(ps->nodes);
	if (ps->stack)
		pfree(ps->stack);
}

/*
 * Run the parser over src, appending the translation to out (and recording
 * the pattern's shape in *shape and its syntax tree in tree unless they are
 * NULL).  On failure out is left as it was and *err describes the problem.
 */
static bool
run_parser(const char *src, int len, StringInfo out, char **err, bool check_only,
		   Shape *shape, NfaTree *tree)
{
	EcmaParser	ps;
	int			saved_len = out->len;
	bool		ok;

	memset(&ps, 0, sizeof(ps));
	ps.out = out;
	ps.err = err;
	ps.check_only = check_only;
	ps.shape = shape;
	ps.tree = tree;
	ok = decode_pattern(&ps, src, len) && scan_groups(&ps) && translate_pattern(&ps);
	if (!ok)
	{
		out->len = saved_len;
		out->data[saved_len] = '\0';
	}
	free_parser(&ps);
	return ok;
}

/* Translate ECMA-262 pattern src into an equivalent ARE appended to out. */
bool
ecma_regex_translate(const char *src, int len, StringInfo out, char **err)
{
	return run_parser(src, len, out, err, false, NULL, NULL);
}

/*
 * Is src a valid ECMA-262 pattern under the "u" flag?  The translation's own
 * parser decides, strictly (no Annex B) and blind to the engine's limits.
 */
bool
ecma_regex_is_valid(const char *src, int len)
{
	StringInfoData out;
	char	   *err = NULL;
	bool		ok;

	initStringInfo(&out);
	ok = run_parser(src, len, &out, &err, true, NULL, NULL);
	pfree(out.data);
	if (err)
		pfree(err);
	return ok;
}

/* Do two ASCII sets share a character? */
static inline bool
seq_sets_overlap(const uint64 *a, const uint64 *b)
{
	return (a[0] & b[0]) || (a[1] & b[1]);
}

/*
 * A pattern of one "." repeated any number of times (".*", "^.*", ".*$",
 * lazily or not) matches every string; "^.*$" does not ("." stops at line
 * terminators).
 */
static bool
shape_always(PlRegex *re, const Shape *sh)
{
	const ShapeStep *st = sh->nsteps == 1 ? &sh->steps[0] : NULL;

	if (st == NULL || st->kind != SHAPE_DOT || st->item.min != 0 || st->item.max != -1 ||
		(sh->anchored_start && sh->anchored_end))
		return false;
	re->kind = PL_RE_ALWAYS;
	return true;
}

/*
 * A pattern of characters each matched once, with optional anchors, is a
 * literal to find (or nothing: it matches every string), at the start, or as
 * the whole string; a literal anchored at the end only is left to the engine.
 */
static bool
shape_literal(PlRegex *re, const Shape *sh)
{
	StringInfoData lit;

	for (int k = 0; k < sh->nsteps; k++)
		if (sh->steps[k].kind != SHAPE_CHAR || sh->steps[k].quantified)
			return false;
	if (sh->anchored_end && !sh->anchored_start && sh->nsteps > 0)
		return false;
	initStringInfo(&lit);
	for (int k = 0; k < sh->nsteps; k++)
	{
		unsigned char utf8[8];

		unicode_to_utf8(sh->steps[k].c, utf8);
		appendBinaryStringInfo(&lit, (char *) utf8, pg_utf_mblen(utf8));
	}
	re->literal = lit.data;
	re->literal_len = lit.len;
	if (sh->anchored_start && sh->anchored_end)
		re->kind = PL_RE_EXACT;
	else if (lit.len == 0)
		re->kind = PL_RE_ALWAYS;
	else if (sh->anchored_start)
		re->kind = PL_RE_PREFIX;
	else
		re->kind = PL_RE_CONTAINS;
	return true;
}

/*
 * A pattern "^" then ASCII sets with greedy counts up to SEQ_MAX_COUNT (and
 * an optional "$"), such as ^[A-Z]{3}-\d{4,6}$, where greedy matching is
 * exact: every step of variable length is last, or followed by a required
 * step whose set it does not share.  It matches in one pass over the bytes.
 */
static bool
shape_sequence(PlRegex *re, const Shape *sh)
{
	PlSeqItem  *items;

	if (!sh->anchored_start)
		return false;
	for (int k = 0; k < sh->nsteps; k++)
	{
		const ShapeStep *st = &sh->steps[k];

		if (!st->ascii || st->lazy || st->item.min > SEQ_MAX_COUNT || st->item.max > SEQ_MAX_COUNT)
			return false;
		if (k + 1 < sh->nsteps && st->item.min != st->item.max &&
			(sh->steps[k + 1].item.min == 0 ||
			 seq_sets_overlap(st->item.set, sh->steps[k + 1].item.set)))
			return false;
	}
	items = palloc(sizeof(PlSeqItem) * Max(sh->nsteps, 1));
	for (int k = 0; k < sh->nsteps; k++)
		items[k] = sh->steps[k].item;
	re->kind = PL_RE_SEQUENCE;
	re->items = items;
	re->nitems = sh->nsteps;
	re->anchored_end = sh->anchored_end;
	return true;
}

/* Take a fast path for a pattern of the recorded shape, if there is one. */
static bool
shape_fast_path(PlRegex *re, const Shape *sh)
{
	return sh->simple &&
		(shape_always(re, sh) || shape_literal(re, sh) || shape_sequence(re, sh));
}

/* Match a PL_RE_SEQUENCE pattern: each step greedily, in one pass. */
static bool
sequence_match(const PlRegex *re, const char *s, int len)
{
	int			pos = 0;

	for (int k = 0; k < re->nitems; k++)
	{
		const PlSeqItem *item = &re->items[k];
		int			start = pos;
		/* where the step stops at the latest: its maximum, or the subject's end */
		int			stop = (item->max < 0 || item->max > len - pos) ? len : pos + item->max;

		while (pos < stop && seq_set_has(item->set, (unsigned char) s[pos]))
			pos++;
		if (pos - start < item->min)
			return false;
	}
	return !re->anchored_end || pos == len;
}

/*
 * Take the position automaton for the recorded tree, if it fits.  It
 * decodes subjects as UTF-8, the only encoding the database's strings and
 * the pattern then share.
 */
static bool
tree_fast_path(PlRegex *re, NfaTree *tree)
{
	bool		always;

	if (GetDatabaseEncoding() != PG_UTF8)
		return false;
	re->nfa = nfa_build(tree, &always);
	if (always)
		re->kind = PL_RE_ALWAYS;
	else if (re->nfa != NULL)
		re->kind = PL_RE_NFA;
	return always || re->nfa != NULL;
}

/* Compile translated pattern are with pg_regcomp into re->re. */
static bool
compile_engine(PlRegex *re, StringInfo are, char **err)
{
	pg_wchar   *wide = palloc((are->len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(are->data, wide, are->len);
	int			rc;
	char		msg[128];

	rc = pg_regcomp(&re->re, wide, wlen, REG_ADVANCED | REG_NOSUB, C_COLLATION_OID);
	pfree(wide);
	if (rc == REG_OKAY)
		return true;
	/* a cancel request makes the engine give up with REG_CANCEL: honour it */
	CHECK_FOR_INTERRUPTS();
	pg_regerror(rc, &re->re, msg, sizeof(msg));
	*err = psprintf("invalid regular expression: %s", msg);
	return false;
}

/*
 * Compile ECMA-262 pattern src into *re: translate it, then take a fast path
 * or compile the translation with the engine.
 */
bool
pl_regex_compile(PlRegex *re, const char *src, int len, char **err)
{
	StringInfoData are;
	Shape		shape = {.simple = pipeline_regex_fast_paths};
	NfaTree    *tree = pipeline_regex_fast_paths ? nfa_tree_create() : NULL;
	bool		ok;

	memset(re, 0, sizeof(*re));
	re->source = pnstrdup(src, len);
	initStringInfo(&are);
	if (!run_parser(src, len, &are, err, false, &shape, tree))
		ok = false;
	else if (shape_fast_path(re, &shape) || tree_fast_path(re, tree))
		ok = true;
	else
	{
		re->kind = PL_RE_ENGINE;
		ok = compile_engine(re, &are, err);
	}
	if (ok)
		ereport(DEBUG2,
				(errmsg_internal("pattern \"%s\" matched by %s", re->source,
								 kind_names[re->kind])));
	pfree(are.data);
	if (shape.steps)
		pfree(shape.steps);
	nfa_tree_free(tree);
	return ok;
}

/* Raise the error for a failed pg_regexec. */
pg_attribute_noreturn()
static void
report_exec_failure(PlRegex *re, int rc)
{
	char		msg[128];

	/* REG_CANCEL: let the pending cancel or timeout win */
	CHECK_FOR_INTERRUPTS();
	pg_regerror(rc, &re->re, msg, sizeof(msg));
	ereport(ERROR,
			(errcode(rc == REG_ESPACE || rc == REG_ETOOBIG ?
					 ERRCODE_PROGRAM_LIMIT_EXCEEDED :
					 ERRCODE_INVALID_REGULAR_EXPRESSION),
			 errmsg("regular expression failed: %s", msg),
			 errdetail("The pattern was \"%s\".", re->source)));
}

/* Match UTF-8 string s against an engine-compiled regex. */
static bool
engine_match(PlRegex *re, const char *s, int len)
{
	pg_wchar	local[LOCAL_SUBJECT];
	pg_wchar   *wide = local;
	int			wlen;
	int			rc;

	if (len >= LOCAL_SUBJECT)
		wide = palloc_extended(((Size) len + 1) * sizeof(pg_wchar), MCXT_ALLOC_HUGE);
	wlen = pg_mb2wchar_with_len(s, wide, len);
	rc = pg_regexec(&re->re, wide, wlen, 0, NULL, 0, NULL, 0);
	if (wide != local)
		pfree(wide);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	report_exec_failure(re, rc);
}

/* Does re match anywhere in UTF-8 string s of len bytes?  (Automata: inline in pl_regex_match.) */
bool
pl_regex_match_other(PlRegex *re, const char *s, int len)
{
	switch (re->kind)
	{
		case PL_RE_ALWAYS:
			return true;
		case PL_RE_EXACT:
			return len == re->literal_len && memcmp(s, re->literal, len) == 0;
		case PL_RE_PREFIX:
			return len >= re->literal_len && memcmp(s, re->literal, re->literal_len) == 0;
		case PL_RE_CONTAINS:
			return memmem(s, len, re->literal, re->literal_len) != NULL;
		case PL_RE_SEQUENCE:
			return sequence_match(re, s, len);
		case PL_RE_NFA:
			return nfa_match(re->nfa, s, len);
		case PL_RE_ENGINE:
			return engine_match(re, s, len);
	}
	elog(ERROR, "unrecognized regex kind %d", re->kind);
	return false;				/* keep compiler quiet */
}

/* Release the engine's compiled form (malloc'd, outside memory contexts). */
void
pl_regex_free(PlRegex *re)
{
	if (re->kind == PL_RE_ENGINE)
		pg_regfree(&re->re);
}
