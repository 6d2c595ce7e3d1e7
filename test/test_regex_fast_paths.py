"""Patterns that skip PostgreSQL's regex engine (a literal to find, a prefix,
the whole string, "match everything", a one-pass sequence of ASCII sets with
counts) answer as the engine does.

Each pattern is compiled with the fast paths and again with
pipeline.regex_fast_paths off, which sends every pattern to the engine (the
compat cache is off, so each statement compiles afresh).  Seeded random
patterns over the atoms the fast paths take (and some they do not) are
matched against subjects chosen to sit on their edges; every verdict must
agree.
"""

import json
import random

import pytest

from regex_verdicts import verdicts

ATOMS = ["a", "b", "A", "Z", "0", "9", "-", "_", " ", "é", "😀", "{", ".", ".*", ".+",
         "\\d", "\\w", "\\s", "\\D", "\\.", "\\-", "\\n", "\\x41", "\\u00e9",
         "[a-z]", "[A-Z0-9]", "[^a]", "[\\d_]", "[a-]", "[é]",
         "*", "+", "?", "{2}", "{1,3}", "{0,}", "{2,1000}", "{1001}", "*?", "+?"]
FIXED = ["", "^", "$", "^$", ".*", "^.*", ".*$", ".*?", "^.*$", "abc", "^abc", "abc$",
         "^abc$", "^[A-Z]{3}-\\d{4,6}$", "^\\d+$", "^[a-z]+$", "^\\w*$", "a\\.b", "^é+$",
         "^a*a$", "^[a-z]*[0-9]$", "^\\d{2,}-$"]
SUBJECTS = ["", "a", "b", "abc", "aaa", "ABC-1234", "ABC-123456", "A", "0", "09", "a-b", "a.b",
            "é", "éé", "😀", "a\nb", "\n", "abc\n", " ", "_", "a b", "Z9_", "a" * 24, "ab" * 30,
            "1" * 1000, "x" + "a" * 1001, "-", "--a", "a-", "0a", "a0", "ABC-12", "abcé", "AA",
            "12-", "123-", "{"]


def patterns(n=1500, seed=20240501):
    rnd = random.Random(seed)
    out = set(FIXED)
    while len(out) < n:
        p = "".join(rnd.choice(ATOMS) for _ in range(rnd.randint(1, 6)))
        out.add(("^" if rnd.random() < 0.5 else "") + p + ("$" if rnd.random() < 0.4 else ""))
    return sorted(out)


def test_fast_paths_agree_with_the_engine(conn):
    compared = 0
    wrong = []
    conn.execute("SET pipeline.compat_cache_size = 0")
    for p in patterns():
        fast = verdicts(conn, p, SUBJECTS, True)
        if fast is None:
            continue
        engine = verdicts(conn, p, SUBJECTS, False)
        assert engine is not None, p
        compared += 1
        wrong += [(p, s, f, e) for s, f, e in zip(SUBJECTS, fast, engine) if f != e]
    assert compared > 800, f"only {compared} patterns compiled"
    assert not wrong, f"{len(wrong)} verdicts differ (pattern, subject, fast, engine): {wrong[:10]}"


@pytest.mark.parametrize("pattern, subject, verdict", [
    ("^[A-Z]{3}-\\d{4,6}$", "ABC-1234", True),
    ("^[A-Z]{3}-\\d{4,6}$", "ABC-1234567", False),
    ("^abc$", "abc\n", False),
    ("ab\\.c", "xab.cx", True),
    ("^é", "éa", True),
    (".*", "\n", True),
    ("^.*$", "a\nb", False),
])
def test_fast_path_examples(conn, pattern, subject, verdict):
    conn.execute("SET pipeline.regex_fast_paths = on")
    got = conn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, to_jsonb(%s::text))",
                       (json.dumps({"pattern": pattern}), subject)).fetchone()[0]
    assert got is verdict
