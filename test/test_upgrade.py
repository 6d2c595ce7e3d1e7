"""The upgrade path: 0.1.0 + ALTER EXTENSION pipeline UPDATE == a fresh install.

Two databases: one gets version 0.1.0 (sql/pipeline--0.1.0.sql, frozen) and
is updated with sql/pipeline--0.1.0--0.2.0.sql; the other gets the current
version fresh (sql/pipeline--0.2.0.sql).  Every object of the extension is
then described from the catalogs and the descriptions must be equal:

  functions and aggregates: definition (pg_get_functiondef), volatility,
      strictness, parallel safety, return type, SECURITY DEFINER, SET
      options, ACL, comment; aggregates' support functions and state type;
  tables, sequences, views, indexes: kind, columns (type, NOT NULL,
      default), constraints, indexes, view definitions, triggers, ACL,
      comment, and whether pg_dump dumps their data (extconfig);
  the schema's ACL, and the set of objects that belong to the extension.

When this test fails, a change went into sql/pipeline--0.2.0.sql without the
same change in sql/pipeline--0.1.0--0.2.0.sql (or the other way round): the
message lists each object and field that differ.
"""

import psycopg
import pytest
from psycopg import sql

DEFAULT_VERSION = "0.2.0"

QUERIES = {
    "function": """
        SELECT p.oid::regprocedure::text,
               jsonb_build_object(
                 'kind', p.prokind,
                 'definition', CASE WHEN p.prokind = 'a' THEN NULL ELSE pg_get_functiondef(p.oid) END,
                 'volatility', p.provolatile, 'strict', p.proisstrict, 'parallel', p.proparallel,
                 'returns', pg_get_function_result(p.oid), 'security_definer', p.prosecdef,
                 'config', p.proconfig, 'acl', p.proacl::text[], 'leakproof', p.proleakproof,
                 'cost', p.procost, 'rows', p.prorows,
                 'comment', obj_description(p.oid, 'pg_proc'),
                 'aggregate', (SELECT jsonb_build_object(
                                 'transfn', a.aggtransfn::regprocedure::text,
                                 'finalfn', a.aggfinalfn::text, 'combinefn', a.aggcombinefn::text,
                                 'serialfn', a.aggserialfn::text, 'deserialfn', a.aggdeserialfn::text,
                                 'stype', format_type(a.aggtranstype, NULL), 'init', a.agginitval,
                                 'finalmodify', a.aggfinalmodify)
                               FROM pg_aggregate a WHERE a.aggfnoid = p.oid))
          FROM pg_proc p WHERE p.pronamespace = 'pipeline'::regnamespace""",
    "relation": """
        SELECT c.relname,
               jsonb_build_object(
                 'kind', c.relkind, 'acl', c.relacl::text[], 'options', c.reloptions,
                 'persistence', c.relpersistence,
                 'comment', obj_description(c.oid, 'pg_class'),
                 'view', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                 'index', CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END,
                 'columns', (SELECT jsonb_agg(jsonb_build_object(
                                 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                 'not_null', a.attnotnull, 'identity', a.attidentity,
                                 'generated', a.attgenerated, 'acl', a.attacl::text[],
                                 'default', pg_get_expr(d.adbin, d.adrelid),
                                 'comment', col_description(c.oid, a.attnum)) ORDER BY a.attnum)
                             FROM pg_attribute a
                             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                 'constraints', (SELECT jsonb_object_agg(k.conname, pg_get_constraintdef(k.oid))
                                   FROM pg_constraint k WHERE k.conrelid = c.oid),
                 'triggers', (SELECT jsonb_object_agg(t.tgname, pg_get_triggerdef(t.oid))
                                FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
                 'dumped', (SELECT jsonb_build_object('config', true,
                                     'condition', e.extcondition[array_position(e.extconfig, c.oid)])
                              FROM pg_extension e
                             WHERE e.extname = 'pipeline' AND c.oid = ANY (e.extconfig)))
          FROM pg_class c WHERE c.relnamespace = 'pipeline'::regnamespace""",
    "type": """
        SELECT t.typname, jsonb_build_object('type', t.typtype, 'acl', t.typacl::text[])
          FROM pg_type t
         WHERE t.typnamespace = 'pipeline'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid)
           AND t.typelem = 0""",
    "schema": """
        SELECT n.nspname, jsonb_build_object('acl', n.nspacl::text[],
                                             'comment', obj_description(n.oid, 'pg_namespace'))
          FROM pg_namespace n WHERE n.nspname = 'pipeline'""",
    "member": """
        SELECT pg_describe_object(d.classid, d.objid, d.objsubid), jsonb_build_object('member', true)
          FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND d.refclassid = 'pg_extension'::regclass
         WHERE e.extname = 'pipeline' AND d.deptype = 'e'""",
    "extension": """
        SELECT e.extname, jsonb_build_object('version', e.extversion, 'relocatable', e.extrelocatable,
                                             'schema', e.extnamespace::regnamespace::text)
          FROM pg_extension e WHERE e.extname = 'pipeline'""",
}


def describe(conn):
    """{(kind, name): description} of every object of the extension."""
    out = {}
    for kind, q in QUERIES.items():
        for name, desc in conn.execute(q).fetchall():
            out[(kind, name)] = desc
    return out


def differences(upgraded, fresh):
    """Readable lines: what the upgraded database has that differs."""
    lines = []
    for key in sorted(set(upgraded) | set(fresh)):
        kind, name = key
        a, b = upgraded.get(key), fresh.get(key)
        if a is None:
            lines.append(f"{kind} {name}: in a fresh install only (missing from the upgrade script)")
        elif b is None:
            lines.append(f"{kind} {name}: after the upgrade only (not in the fresh install script)")
        elif a != b:
            for field in sorted(set(a) | set(b)):
                if a.get(field) != b.get(field):
                    lines.append(f"{kind} {name}: {field} differs\n"
                                 f"    upgraded: {a.get(field)!r}\n    fresh:    {b.get(field)!r}")
    return lines


@pytest.fixture(scope="module")
def databases(_admin, dbname):
    """(upgraded, fresh) connections: 0.1.0 then UPDATE, and a fresh install."""
    names = (f"{dbname}_up"[:63], f"{dbname}_new"[:63])
    for n in names:
        _admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)))
        _admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(n)))
    conns = [psycopg.connect(dbname=n, autocommit=True) for n in names]
    yield conns
    for c in conns:
        c.close()
    for n in names:
        _admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)))


def test_upgrade_equals_fresh_install(databases):
    up, new = databases
    up.execute("CREATE EXTENSION pipeline VERSION '0.1.0'")
    # data made under 0.1.0 survives the update
    up.execute("""SELECT pipeline.define('kept', '{"schema": {"type": "integer"}}')""")
    up.execute("ALTER EXTENSION pipeline UPDATE")
    new.execute("CREATE EXTENSION pipeline")
    assert new.execute("SELECT extversion FROM pg_extension WHERE extname = 'pipeline'"
                       ).fetchone()[0] == DEFAULT_VERSION
    assert up.execute("SELECT extversion FROM pg_extension WHERE extname = 'pipeline'"
                      ).fetchone()[0] == DEFAULT_VERSION
    a, b = describe(up), describe(new)
    assert any(k[0] == "function" for k in b) and any(k[0] == "relation" for k in b)
    diff = differences(a, b)
    assert not diff, ("ALTER EXTENSION pipeline UPDATE does not give what a fresh install gives; "
                      "put the same change in sql/pipeline--0.2.0.sql and "
                      "sql/pipeline--0.1.0--0.2.0.sql:\n" + "\n".join(diff))
    assert up.execute("SELECT pipeline.validate('1', 'kept'), pipeline.validate('\"x\"', 'kept')"
                      ).fetchone() == (True, False)


def test_differences_are_reported_by_object_and_field():
    a = {("function", "pipeline.f(jsonb)"): {"volatility": "s", "strict": True}}
    b = {("function", "pipeline.f(jsonb)"): {"volatility": "i", "strict": True},
         ("relation", "v"): {"kind": "v"}}
    lines = differences(a, b)
    assert lines[0].startswith("function pipeline.f(jsonb): volatility differs")
    assert lines[1] == "relation v: in a fresh install only (missing from the upgrade script)"


def test_versions_agree():
    """pipeline.control, META.json, the Makefile, the Python package and the
    changelog name the same version, and its install script exists."""
    import json
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    control = re.search(r"default_version = '([^']+)'", (root / "pipeline.control").read_text())[1]
    meta = json.loads((root / "META.json").read_text())
    assert control == DEFAULT_VERSION
    assert meta["version"] == meta["provides"]["pipeline"]["version"] == control
    assert (root / meta["provides"]["pipeline"]["file"]).exists()
    assert re.search(r"^EXTVERSION\s*=\s*(\S+)", (root / "Makefile").read_text(), re.M)[1] == control
    assert re.search(r'^version = "([^"]+)"', (root / "python" / "pyproject.toml").read_text(),
                     re.M)[1] == control
    assert re.search(r'__version__ = "([^"]+)"',
                     (root / "python" / "src" / "pgpipeline" / "__init__.py").read_text())[1] == control
    assert re.search(r"^## (\S+)", (root / "CHANGELOG.md").read_text(), re.M)[1] == control
