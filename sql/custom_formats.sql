-- Custom formats: pipeline.register_format() by an ECMA-262 pattern or an
-- IMMUTABLE function (text) RETURNS boolean.  Before it, a "format" that is
-- not built in was always an annotation and could not assert.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE FUNCTION cf_even(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT s ~ '^[0-9]*[02468]$' $$;
-- NULL for "maybe": a NULL verdict is not valid
CREATE FUNCTION cf_maybe(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN s = 'yes' THEN true WHEN s = 'no' THEN false END $$;
CREATE FUNCTION cf_raises(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$ BEGIN IF s = 'boom' THEN RAISE EXCEPTION 'cf_raises: % is not allowed', s USING ERRCODE = 'P0001'; END IF; RETURN true; END $$;

-- registered formats assert in a pipeline, like built-in ones
SELECT pipeline.register_format('sku', '^[A-Z]{3}-\d{4}$');
SELECT pipeline.register_format('even', 'cf_even(text)'::regprocedure);
SELECT pipeline.register_format('maybe', 'cf_maybe(text)'::regprocedure);
SELECT pipeline.register_format('guarded', 'cf_raises(text)'::regprocedure);
SELECT name, pattern, function FROM pipeline.formats ORDER BY name;
SELECT pipeline.define('cf', '{"schema": {"properties": {"sku": {"format": "sku"}, "n": {"format": "even"},
                                                      "m": {"format": "maybe"}, "g": {"format": "guarded"},
                                                      "mail": {"format": "email"}}}}');
SELECT d, pipeline.validate(d::jsonb, 'cf') FROM (VALUES
    ('{"sku": "ABC-1234", "n": "12", "m": "yes", "g": "fine"}'),
    ('{"sku": "AB-1234"}'), ('{"sku": "xABC-1234"}'), ('{"n": "13"}'), ('{"m": "no"}'),
    ('{"m": "perhaps"}'), ('{"n": 13}'), ('{"mail": "not an email"}')) v(d);
-- the error names the format, at its keywordLocation
SELECT pipeline.errors('{"sku": "AB-1234", "n": "13", "m": "perhaps"}', 'cf');
-- an error raised by the function propagates
SELECT pipeline.validate('{"g": "boom"}', 'cf');
-- many rows: looked up at compile time only, the same verdicts
SELECT count(*) FILTER (WHERE pipeline.validate(jsonb_build_object('n', i::text), 'cf')) AS valid
  FROM generate_series(1, 1000) i;

-- formats "annotate": registered formats stay annotations, like built-in ones
SELECT pipeline.define('cf_annotate', '{"schema": {"properties": {"sku": {"format": "sku"}, "n": {"format": "even"}}},
                                        "formats": "annotate"}');
SELECT pipeline.validate('{"sku": "AB-1234", "n": "13"}', 'cf_annotate');

-- the IMMUTABLE compat functions never see registered formats
SELECT pipeline.jsonb_matches_schema('{"format": "sku"}', '"AB-1234"'),
       pipeline.json_matches_schema('{"format": "even"}', '"13"'),
       pipeline.jsonschema_validation_errors('{"format": "sku"}', '"AB-1234"');

-- re-registering replaces, and the next statement uses the new definition
SELECT pipeline.register_format('sku', '^[A-Z]{2}-\d{4}$');
SELECT pipeline.validate('{"sku": "AB-1234"}', 'cf'), pipeline.validate('{"sku": "ABC-1234"}', 'cf');
SELECT pipeline.register_format('sku', '^[A-Z]{3}-\d{4}$');

-- refused, and nothing stored: built-in and empty names, bad patterns, bad functions
CREATE FUNCTION cf_int(s integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE FUNCTION cf_two(s text, t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE FUNCTION cf_text(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT s $$;
CREATE FUNCTION cf_stable(s text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT true $$;
CREATE FUNCTION cf_volatile(s text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION cf_unsafe(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE FUNCTION cf_set(s text) RETURNS SETOF boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE PROCEDURE cf_proc(s text) LANGUAGE sql AS $$ SELECT 1 $$;
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$SELECT pipeline.register_format('email', '.')$$),
    ($$SELECT pipeline.register_format('date-time', 'cf_even(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('', '.')$$),
    ($$SELECT pipeline.register_format(NULL, '.')$$),
    ($$SELECT pipeline.register_format('x', NULL::text)$$),
    ($$SELECT pipeline.register_format('x', '(')$$),
    ($$SELECT pipeline.register_format('x', '[z-a]')$$),
    ($$SELECT pipeline.register_format('sku', 'a{2,1}')$$),
    ($$SELECT pipeline.register_format('x', 'cf_int(integer)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_two(text, text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_text(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_set(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_proc(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_stable(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_volatile(text)'::regprocedure)$$),
    ($$SELECT pipeline.register_format('x', 'cf_unsafe(text)'::regprocedure)$$),
    ($$INSERT INTO pipeline.formats (name, pattern, function) VALUES ('x', '.', 'cf_even(text)')$$),
    ($$INSERT INTO pipeline.formats (name) VALUES ('x')$$)) v(q);
SELECT name, pattern, function FROM pipeline.formats ORDER BY name;

-- privileges: only pipeline_admin (and superusers) register; the
-- registering role needs EXECUTE on the function
CREATE ROLE regress_cf_user;
CREATE ROLE regress_cf_admin IN ROLE pipeline_admin;
CREATE FUNCTION cf_private(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT true $$;
REVOKE EXECUTE ON FUNCTION cf_private(text) FROM PUBLIC;
SET ROLE regress_cf_user;
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$SELECT pipeline.register_format('x', '.')$$),
    ($$SELECT pipeline.register_format('x', 'cf_even(text)'::regprocedure)$$),
    ($$SELECT pipeline.unregister_format('sku')$$),
    ($$INSERT INTO pipeline.formats (name, pattern) VALUES ('x', '.')$$),
    ($$DELETE FROM pipeline.formats$$)) v(q);
-- but validates with them (the function runs as the validating role)
SELECT pipeline.validate('{"sku": "AB-1234"}', 'cf'), pipeline.validate('{"n": "12"}', 'cf');
RESET ROLE;
SET ROLE regress_cf_admin;
SELECT pg_temp.try($$SELECT pipeline.register_format('x', 'cf_private(text)'::regprocedure)$$);
SELECT pipeline.register_format('admin_sku', '^[A-Z]+$');
SELECT pipeline.unregister_format('admin_sku');
RESET ROLE;
GRANT EXECUTE ON FUNCTION cf_private(text) TO regress_cf_admin;
SET ROLE regress_cf_admin;
SELECT pipeline.register_format('private', 'cf_private(text)'::regprocedure);
SELECT pipeline.unregister_format('private');
RESET ROLE;

-- define warns of a format that is neither built in nor registered, with
-- where it is, and defines the pipeline all the same (an annotation)
SELECT pipeline.define('cf_unknown', '{"schema": {"items": {"properties": {"when": {"format": "dat-time"}}}}}');
SELECT pipeline.validate('[{"when": "whenever"}]', 'cf_unknown');
-- ... also inside a registered schema it reaches, named by URI and pointer
SELECT pipeline.register_schema('https://example.com/cf/s.json', '{"$defs": {"code": {"format": "cf-code"}}}');
SELECT pipeline.define('cf_ref', '{"schema": {"$ref": "https://example.com/cf/s.json#/$defs/code"}}');
-- ... but not where formats only annotate
SELECT pipeline.define('cf_quiet', '{"schema": {"format": "dat-time"}, "formats": "annotate"}');
-- registering it makes the defined pipeline assert it, without redefining
SELECT pipeline.register_format('cf-code', '^[a-z]+$');
SELECT pipeline.validate('"abc"', 'cf_ref'), pipeline.validate('"ABC"', 'cf_ref');

-- unregistering a format that a pipeline asserts is refused, naming it
SELECT pg_temp.try($$SELECT pipeline.unregister_format('cf-code')$$);
SELECT pg_temp.try($$SELECT pipeline.unregister_format('even')$$);
SELECT pg_temp.try($$SELECT pipeline.unregister_format('never-registered')$$);
-- once no current version asserts it, it goes, and the format annotates again
SELECT pipeline.define('cf_ref', '{"schema": {"$ref": "https://example.com/cf/s.json#/$defs/code"}, "formats": "annotate"}');
SELECT pipeline.unregister_format('cf-code');
SELECT pipeline.validate('"ABC"', 'cf_ref');
SELECT name FROM pipeline.formats ORDER BY name;

-- a function dropped under a registered format: pipelines that assert it
-- say so (22023) at the next statement, in this session too, instead of
-- failing on its OID; and it can be unregistered
CREATE FUNCTION cf_doomed(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT s = 'ok' $$;
SELECT pipeline.register_format('doomed', 'cf_doomed(text)'::regprocedure);
SELECT pipeline.define('cf_doomed', '{"schema": {"format": "doomed"}, "on_error": "quarantine"}');
SELECT pipeline.validate('"ok"', 'cf_doomed'), pipeline.validate('"no"', 'cf_doomed');
-- replaced by one that is not IMMUTABLE: refused at the next statement too
CREATE OR REPLACE FUNCTION cf_doomed(s text) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT s = 'ok' $$;
SELECT pg_temp.try($$SELECT pipeline.validate('"ok"', 'cf_doomed')$$);
CREATE OR REPLACE FUNCTION cf_doomed(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT s = 'fine' $$;
SELECT pipeline.validate('"fine"', 'cf_doomed'), pipeline.validate('"ok"', 'cf_doomed');
DROP FUNCTION cf_doomed(text);
SELECT pg_temp.try($$SELECT pipeline.validate('"ok"', 'cf_doomed')$$);
SELECT pg_temp.try($$SELECT pipeline.unregister_format('doomed')$$);
SELECT pipeline.define('cf_doomed', '{"schema": {"format": "doomed"}, "formats": "annotate"}');
SELECT pipeline.unregister_format('doomed');
SELECT pipeline.validate('"no"', 'cf_doomed');

-- cleanup
SELECT pipeline.drop(name) FROM (VALUES ('cf'), ('cf_annotate'), ('cf_unknown'), ('cf_ref'), ('cf_quiet'), ('cf_doomed')) v(name);
SELECT pipeline.unregister_format(name) FROM pipeline.formats;
DELETE FROM pipeline.schemas WHERE uri = 'https://example.com/cf/s.json';
DROP FUNCTION cf_even(text), cf_maybe(text), cf_raises(text), cf_int(integer), cf_two(text, text), cf_text(text),
              cf_stable(text), cf_volatile(text), cf_unsafe(text), cf_set(text), cf_private(text);
DROP PROCEDURE cf_proc(text);
DROP ROLE regress_cf_user, regress_cf_admin;
