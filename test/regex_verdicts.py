"""A pattern's verdicts on subjects, with or without the regex fast paths.

Shared by the tests that compare the fast paths and the position automaton
with PostgreSQL's engine (test_regex_fast_paths.py, test_regex_nfa.py).
"""

import json

import psycopg


def verdicts(conn, pattern, subjects, fast):
    """The pattern's verdicts on the subjects, or None when it does not compile."""
    conn.execute("SET pipeline.regex_fast_paths = " + ("on" if fast else "off"))
    try:
        rows = conn.execute(
            "SELECT pipeline.jsonb_matches_schema(%s::json, to_jsonb(s))"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(s, i) ORDER BY i",
            (json.dumps({"pattern": pattern}), subjects)).fetchall()
    except psycopg.Error as e:   # an invalid or untranslatable pattern
        assert e.sqlstate in ("22023", "2201B"), e
        return None
    return [r[0] for r in rows]
