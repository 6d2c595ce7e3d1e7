"""Hostile patterns give the same verdicts with the fast paths as with
PostgreSQL's engine (pipeline.regex_fast_paths = off), and stay cancellable.

The patterns sit where the position automaton's limits are (64 positions,
repetition written out, huge counts), nest quantifiers, write non-BMP
characters and surrogate pairs as escapes, and alternate with empty
branches; a pattern registered as a custom format goes through the same
matchers.  Each is compared on subjects at the same boundaries (63, 64 and
65 characters, surrogate-pair characters, long runs).
"""

import json
import time

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

PATTERNS = [
    "a{1000000}", "a{0,1000000}", "(?:a{1000}){1000}", "(a*)*b", "(a+)+$", "((a*)*)*", "(?:a?){64}",
    "(?:a?){65}", "[ab]{63}", "[ab]{64}", "[ab]{65}", "a{64}", "a{65}", "a{63}b", "a{64}b", "^a{0,64}$",
    "^a{0,63}$", "\\ud83d\\ude00", "[\\ud83d\\ude00]", "[\\ud800-\\udfff]", "\\ud800",
    "[\\ud83d\\ude00-\\ud83d\\ude02]", "\\u{1F600}", "[^\\u{1F600}]", "a||b", "(|a)*", "(?:|)*", "|",
    "^|$", "(?:a|)+b", "(?:)*", "x*?y", "^(?:a|b|)$", "[]", "[^]", "[^]*", "(?:[^]|a)+$", "\\u0000",
    "[\\u0000-\\u{10FFFF}]", ".{3}$", "^.$", "\\S+$", "[\\s\\S]{2}", "(?:a{2}){0,40}", "a{2,1}",
    "a{5,}b{5,}c{5,}", "(?:(?:(?:(?:a?)*)*)*)*$", "^(?:a{10}){7}$", "^(?:(?:ab){16}){2}$",
    "^(?:(?:ab){16}){2}c$", "\\cJ", "[\\d-z]",
]
SUBJECTS = ["", "a", "b", "ab", "aaab", "😀", "😁", "a" * 63, "a" * 64, "a" * 65, "a" * 64 + "b",
            "a" * 63 + "b", "a" * 70, "ab" * 32, "ab" * 32 + "c", "ab" * 31, "a" * 1000 + "c", "\n",
            "é😀\u2028", "aaaaabbbbbccccc", "ab" * 5000]


@pytest.fixture(scope="module")
def rconn(conn):
    conn.execute("SET pipeline.compat_cache_size = 0")
    return conn


def verdicts(conn, pattern, subjects, fast):
    """The verdicts, or the SQLSTATE of a pattern that does not compile."""
    conn.execute("SET pipeline.regex_fast_paths = " + ("on" if fast else "off"))
    try:
        return [r[0] for r in conn.execute(
            "SELECT pipeline.jsonb_matches_schema(%s::json, to_jsonb(s))"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(s, i) ORDER BY i",
            (json.dumps({"pattern": pattern}), subjects)).fetchall()]
    except psycopg.Error as e:
        assert e.sqlstate in ("22023", "2201B"), e
        return e.sqlstate


@pytest.mark.parametrize("pattern", PATTERNS)
def test_hostile_patterns_agree_with_the_engine(rconn, pattern):
    assert verdicts(rconn, pattern, SUBJECTS, True) == verdicts(rconn, pattern, SUBJECTS, False)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(["a", "b", "(?:", ")", "|", "*", "+", "?", "{64}", "{0,65}",
                                       "{1,3}", "\\u{1F600}", "\\ud83d\\ude00", "[^a]", ".", "^", "$"]),
                      min_size=1, max_size=12),
       extra=st.lists(st.text(alphabet="ab😀\n", max_size=80), max_size=5))
def test_generated_hostile_patterns_agree(rconn, parts, extra):
    pattern = "".join(parts)
    subjects = SUBJECTS[:16] + extra
    assert verdicts(rconn, pattern, subjects, True) == verdicts(rconn, pattern, subjects, False), pattern


@pytest.mark.parametrize("fast", ["on", "off"])
def test_long_subjects_are_cancellable(rconn, fast):
    """A long subject against a pattern of many positions ends by statement_timeout or in time."""
    rconn.execute("SET pipeline.regex_fast_paths = " + fast)
    rconn.execute("SET statement_timeout = '2s'")
    try:
        for pattern, subject in [("(?:a|a)*c", "a" * 3_000_000), ("(?:a?){65}x", "a" * 3_000_000),
                                 ("[ab]*a[ab]{20}$", "ab" * 1_500_000 + "c")]:
            t0 = time.monotonic()
            try:
                rconn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, to_jsonb(%s::text))",
                              (json.dumps({"pattern": pattern}), subject))
            except psycopg.errors.QueryCanceled:
                pass
            assert time.monotonic() - t0 < 10, pattern
    finally:
        rconn.execute("RESET statement_timeout")


def test_registered_pattern_format_agrees(rconn):
    """A custom format's pattern goes through the same matchers."""
    rconn.execute("SELECT pipeline.register_format('hostile-re', '^(?:a?){65}$')")
    try:
        rconn.execute("""SELECT pipeline.define('hostile_re', '{"schema": {"format": "hostile-re"}}')""")
        got = {}
        for fast in ("on", "off"):
            rconn.execute("SET pipeline.regex_fast_paths = " + fast)
            rconn.execute("SELECT pipeline.register_format('hostile-re', '^(?:a?){65}$')")  # recompile
            got[fast] = [rconn.execute("SELECT pipeline.validate(to_jsonb(%s::text), 'hostile_re')", (s,)).fetchone()[0]
                         for s in ("a" * 65, "a" * 66, "", "b")]
        assert got["on"] == got["off"] == [True, False, True, False]
    finally:
        rconn.execute("SELECT pipeline.drop('hostile_re')")
        rconn.execute("SELECT pipeline.unregister_format('hostile-re')")
