"""JSON Schema 2019-09: our own cases for what differs from 2020-12.

The official suite in ../shared has no 2019-09 files, so test/data/draft2019-09.json
holds cases in the suite's format: $recursiveRef/$recursiveAnchor, the array
form of items with additionalItems, keywords 2019-09 does not have
(prefixItems, $dynamicRef), and unevaluatedItems over the older items forms.
"""

import json
import pathlib

import pytest
from psycopg.types.json import Jsonb

DRAFT = "https://json-schema.org/draft/2019-09/schema"
CASES = json.loads((pathlib.Path(__file__).parent / "data" / "draft2019-09.json").read_text())


@pytest.mark.parametrize("group", CASES, ids=[g["description"] for g in CASES])
def test_group(conn, group):
    schema = dict(group["schema"], **{"$schema": DRAFT})
    name = "d2019_%d" % CASES.index(group)
    conn.execute("SELECT pipeline.define(%s, %s)", (name, Jsonb({"schema": schema})))
    for case in group["tests"]:
        got = conn.execute("SELECT pipeline.validate(%s, %s)", (Jsonb(case["data"]), name)).fetchone()[0]
        assert got == case["valid"], f'{group["description"]} / {case["description"]}'
        errors = conn.execute("SELECT pipeline.errors(%s, %s)", (Jsonb(case["data"]), name)).fetchone()[0]
        assert (errors == []) == case["valid"], errors
