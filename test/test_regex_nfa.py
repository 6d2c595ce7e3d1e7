"""The position automaton (src/ecma_nfa.c) answers as PostgreSQL's engine.

Every pattern is matched twice against the same subjects: with the fast
paths (pipeline.regex_fast_paths on, the default) and with every pattern
sent to the engine (off).  The compat cache is off, so each statement
compiles its schema under the setting of the moment.  The patterns are
generated in the subset the automaton takes (sets, classes, escapes, ".",
groups, alternatives, quantifiers, "^" and "$" anywhere), plus every pattern
of the JSON-Schema-Test-Suite and the FHIR-shaped benchmark's datatypes;
the subjects mix ASCII, multibyte characters, line terminators and "".
A DEBUG2 message names the matcher each pattern compiled for, so the test
also checks that the automaton is the one being compared.
"""

import importlib.util
import json
import os
import pathlib
import random

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from regex_verdicts import verdicts

ROOT = pathlib.Path(__file__).resolve().parent.parent
AUTOMATON = "the position automaton"

ATOMS = ["a", "b", "é", "😀", "0", "9", " ", "-", "_", "x", ".", "\\.", "\\-", "\\d", "\\D", "\\w",
         "\\W", "\\s", "\\S", "[a-c]", "[^a]", "[^\\s]", "[ \\r\\n\\t\\S]", "[é-ü]", "[\\u2028\\n]",
         "[A-Za-z0-9\\-\\.]", "[😀-😂a]", "\\n", "\\r", "\\t", "\\u2028", "\\x41", "\\u00e9",
         "\\u{1F600}", "[]", "[^]", "(?:)", "{", "}", "]", "\\p{L}", "\\P{L}"]
ANCHORS = ["^", "$"]
QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,3}", "{2,}", "{0}", "*?", "+?", "??",
               "{1,2}?", "{3,5}"]
ALPHABET = ["a", "b", "c", "é", "ü", "😀", "😁", "0", "9", " ", "\n", "\r", "\t", "\u2028", "\u00a0",
            "-", ".", "A", "_", "x", "{", "]"]
SUBJECTS = ["", "a", "b", "ab", "ba", "aa", "abc", "é", "😀", "a\n", "\na", "\n", "\r\n", " ", "a b",
            "a  b", "0", "09", "1974-12-25", "1974-13-01", "-", ".", "x", "aé😀", "\u2028", "A-b.9",
            "a" * 70, "0" * 5, "abcabc", "{]}", "\t\u00a0", "é" * 3,
            # runs of printable ASCII broken at every offset of an 8-byte word
            "abcdefghijklmnop qrstuvwxyz~", "0123456789abcdef\x7f", "xxxxxxxx\x0byyyyyyyyyyyyyy",
            "a b c d e f g h i j k l m n o p", "zzzzzzzzzzzzzzzzzzzzzzzzé", "~~~~~~~~~~~~~~~~~~~~~~~\n",
            "aaaaaaaaa\u00a0bbbbbbbbbbbbbbbbbbbbbbbbbbb", "-" * 40 + " " + "-" * 7]


def pattern_strategy():
    """Random patterns in the automaton's subset (some exceed its 64 positions)."""
    atom = st.one_of(
        st.tuples(st.sampled_from(ATOMS), st.sampled_from(QUANTIFIERS)).map("".join),
        st.sampled_from(ANCHORS))

    def compound(inner):
        group = st.tuples(st.sampled_from(["(?:", "("]), inner, st.just(")"),
                          st.sampled_from(QUANTIFIERS)).map("".join)
        cat = st.lists(st.one_of(inner, group), min_size=1, max_size=4).map("".join)
        return st.one_of(group, cat, st.lists(cat, min_size=2, max_size=3).map("|".join))
    return st.recursive(atom, compound, max_leaves=10)


def seeded_patterns(n, seed):
    """n deterministic patterns in the subset, for a tally of the matchers."""
    rnd = random.Random(seed)

    def part(depth):
        r = rnd.random()
        if depth > 2 or r < 0.55:
            if rnd.random() < 0.1:
                return rnd.choice(ANCHORS)
            return rnd.choice(ATOMS) + rnd.choice(QUANTIFIERS)
        if r < 0.8:
            inner = "".join(part(depth + 1) for _ in range(rnd.randint(1, 3)))
            return rnd.choice(["(?:", "("]) + inner + ")" + rnd.choice(QUANTIFIERS)
        return "|".join("".join(part(depth + 1) for _ in range(rnd.randint(0, 3)))
                        for _ in range(rnd.randint(2, 3)))
    out = set()
    while len(out) < n:
        out.add("".join(part(0) for _ in range(rnd.randint(1, 4))))
    return sorted(out)


@pytest.fixture(scope="module")
def rconn(conn):
    """The module's connection, compiling every schema afresh, naming its matchers."""
    conn.execute("SET pipeline.compat_cache_size = 0")
    conn.execute("SET client_min_messages = debug2")
    conn.matchers = []
    conn.modes = []

    def notice(d):
        if "matched by" in d.message_primary:
            conn.matchers.append(d.message_primary)
        elif d.message_primary.startswith("position automaton"):
            conn.modes.append(d.message_primary)
    conn.add_notice_handler(notice)
    return conn


def compare(conn, pattern, subjects):
    """Both matchers' verdicts; the differences (subject, fast, engine) and the fast matcher."""
    conn.matchers.clear()
    fast = verdicts(conn, pattern, subjects, True)
    matcher = conn.matchers[0] if conn.matchers else None
    engine = verdicts(conn, pattern, subjects, False)
    assert (fast is None) == (engine is None), pattern
    if fast is None:
        return [], None
    assert matcher is not None and matcher.startswith(f'pattern "{pattern}" matched by'), conn.matchers
    return [(s, f, e) for s, f, e in zip(subjects, fast, engine) if f != e], matcher


def assert_same(conn, patterns, subjects, min_automaton):
    """Every pattern's verdicts agree; at least min_automaton used the automaton."""
    wrong = []
    used = 0
    for p in patterns:
        diff, matcher = compare(conn, p, subjects)
        wrong += [(p,) + d for d in diff]
        used += matcher is not None and matcher.endswith(AUTOMATON)
    assert not wrong, f"{len(wrong)} verdicts differ (pattern, subject, fast, engine): {wrong[:10]}"
    assert used >= min_automaton, f"only {used} patterns used the automaton"


@settings(max_examples=int(os.environ.get("REGEX_EXAMPLES", "400")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pattern=pattern_strategy(),
       extra=st.lists(st.lists(st.sampled_from(ALPHABET), max_size=30).map("".join), max_size=12))
def test_generated_patterns_agree_with_the_engine(rconn, pattern, extra):
    diff, _ = compare(rconn, pattern, SUBJECTS + extra)
    assert not diff, (pattern, diff)


def test_seeded_patterns_agree_with_the_engine(rconn):
    rnd = random.Random(7)
    subjects = SUBJECTS + ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 12)))
                           for _ in range(40)]
    assert_same(rconn, seeded_patterns(1500, 20261130), subjects, 500)


def test_stepped_positions_agree_with_the_engine(rconn):
    """Patterns whose DFA would be too big: the positions are stepped instead."""
    rnd = random.Random(11)
    patterns = ["[ab]*a[ab]{7}", "a[ab]{6}b$", "^(?:[ab]*a[ab]{5}|é.{6}😀)", "(?:a|^b)[ab]{8}(?:$|c)",
                "[^a]{0,3}a.{9}", "[ab]*b[ab]{7}c", "(?:x|[ab]{2}a)[ab]{6}"]
    subjects = SUBJECTS + ["".join(rnd.choice("ab" if k % 3 else "abé😀\n c") for _ in range(rnd.randint(5, 25)))
                           for k in range(120)]
    rconn.modes.clear()
    assert_same(rconn, patterns, subjects, len(patterns))
    stepped = [m for m in rconn.modes if m.endswith("stepped bit-parallel")]
    assert len(stepped) >= len(patterns), rconn.modes


def test_printable_runs_broken_at_every_offset(rconn):
    """States that stay on printable ASCII skip it 8 bytes at a time: a byte
    that breaks the run must be found wherever it sits in a word."""
    patterns = ["^[ \\r\\n\\t\\S]+$", "^\\S*$", "^[^\\s]+(\\s[^\\s]+)*$", "^[a-z ]*$", "b[^~]{3}$"]
    subjects = ["a" * k + brk + "b" * (n - k - 1)
                for n in range(1, 34) for k in range(n) for brk in ["\x0b", "\x7f", "é", " ", "\n", "~"]]
    assert_same(rconn, patterns, subjects, len(patterns) - 1)   # "^[a-z ]*$" is a sequence


def _bigdocs():
    spec = importlib.util.spec_from_file_location("bigdocs", ROOT / "bench" / "bigdocs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _strings(node, out):
    """Every string in a JSON value, keys included."""
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, list):
        for v in node:
            _strings(v, out)
    elif isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            _strings(v, out)
    return out


def test_fhir_patterns_use_the_automaton_and_agree(rconn):
    mod = _bigdocs()
    patterns = sorted({d["pattern"] for d in mod.DATATYPES.values() if "pattern" in d})
    subjects = sorted(_strings(mod.fhir_patient(), set())) + SUBJECTS + ["x" * 64, "x" * 65, "a\u2028b"]
    assert_same(rconn, patterns, subjects, 0)
    for p in patterns:
        _, matcher = compare(rconn, p, [""])
        assert matcher.split(" matched by ")[1] in (AUTOMATON, "a one-pass sequence"), matcher


def _suite_patterns(root):
    """The patterns ("pattern" values, "patternProperties" names) and strings of the suite."""
    patterns, strings = set(), set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            if isinstance(node.get("patternProperties"), dict):
                patterns.update(node["patternProperties"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    for f in sorted(pathlib.Path(root, "tests").rglob("*.json")):
        for case in json.loads(f.read_text()):
            walk(case["schema"])
            for t in case["tests"]:
                _strings(t["data"], strings)
    return sorted(patterns), sorted(s for s in strings if "\0" not in s)


@pytest.mark.skipif(not os.environ.get("JSON_SCHEMA_TEST_SUITE"), reason="JSON_SCHEMA_TEST_SUITE not set")
def test_suite_patterns_agree_with_the_engine(rconn):
    patterns, strings = _suite_patterns(os.environ["JSON_SCHEMA_TEST_SUITE"])
    assert len(patterns) > 20
    assert_same(rconn, patterns, strings + SUBJECTS, 10)


@pytest.mark.parametrize("pattern, subject, verdict", [
    ("^[^\\s]+(\\s[^\\s]+)*$", "ab cd", True),
    ("^[^\\s]+(\\s[^\\s]+)*$", "ab  cd", False),
    ("^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$", "1974-12-25", True),
    ("^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$", "1974-12-32", False),
    ("^[ \\r\\n\\t\\S]+$", "héllo 😀\n", True),
    ("^[ \\r\\n\\t\\S]+$", "a\u00a0b", False),
    ("(^a|b)c", "xbc", True),
    ("(^a|b)c", "xac", False),
    ("a(?:$|b)", "xa", True),
    ("a(?:$|b)", "xac", False),
    ("a^b", "ab", False),
    ("(?:^|x)$", "", True),
    ("^$|a", "b", False),
    ("(?:a|^)(?:$|b)", "", True),
    ("(?:^a|b)+c", "abbc", True),
    ("(?:^a|b)+c", "xaac", False),
    ("é{2}$", "aéé", True),
    ("😀.😀", "😀\n😀", False),
])
def test_automaton_examples(rconn, pattern, subject, verdict):
    rconn.execute("SET pipeline.regex_fast_paths = on")
    rconn.matchers.clear()
    got = rconn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, to_jsonb(%s::text))",
                        (json.dumps({"pattern": pattern}), subject)).fetchone()[0]
    assert got is verdict
    assert rconn.matchers and rconn.matchers[0].endswith(AUTOMATON), rconn.matchers


def test_fast_paths_setting_is_for_superusers(connect):
    c = connect()
    c.execute("SELECT pipeline.jsonb_matches_schema('{}', '1')")   # loads the library
    c.execute("CREATE ROLE regex_nfa_user")
    try:
        c.execute("SET ROLE regex_nfa_user")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SET pipeline.regex_fast_paths = off")
    finally:
        c.execute("RESET ROLE")
        c.execute("DROP ROLE regex_nfa_user")
