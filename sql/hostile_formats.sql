-- Registered format functions as a hostile user writes them: user code runs
-- inside the validation of every row, and must not crash it, whatever it
-- does to the pipeline it validates, and must not run with rights that the
-- role that registered it does not have.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- a format function that redefines the pipeline being validated and
-- validates with the new version: the walking validation keeps its version
-- (it crashed: the walked spec was freed under it)
CREATE FUNCTION hf_redefine(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF s = 'redefine' THEN
        PERFORM pipeline.define('hf_redefine', '{"schema": {"properties": {"a": {"format": "hf-redefine"}, "b": {"maxLength": 1}}}}');
        PERFORM pipeline.validate('{"b": "x"}', 'hf_redefine');
    END IF;
    RETURN s <> 'bad';
END $$;
SELECT pipeline.register_format('hf-redefine', 'hf_redefine(text)'::regprocedure);
SELECT pipeline.define('hf_redefine', '{"schema": {"properties": {"a": {"format": "hf-redefine"}, "b": {"format": "hf-redefine"}}}}');
SELECT pipeline.validate('{"a": "redefine", "b": "bad"}', 'hf_redefine');
SELECT pipeline.define('hf_redefine', '{"schema": {"properties": {"a": {"format": "hf-redefine"}, "b": {"format": "hf-redefine"}}}}');
SELECT pipeline.errors('{"a": "redefine", "b": "bad"}', 'hf_redefine');
-- the next statement uses the version defined last
SELECT pipeline.validate('{"a": "x", "b": "bad"}', 'hf_redefine'), pipeline.validate('{"b": "xx"}', 'hf_redefine');
-- ... also from a trigger during COPY (the row after uses the new version)
SELECT pipeline.define('hf_redefine', '{"schema": {"properties": {"a": {"format": "hf-redefine"}, "b": {"format": "hf-redefine"}}}, "on_error": "skip"}');
CREATE TABLE hf_rows (doc jsonb);
SELECT pipeline.attach('hf_rows', 'hf_redefine', 'doc');
COPY hf_rows FROM stdin;
{"a": "redefine", "b": "bad"}
{"a": "ok"}
\.
SELECT doc FROM hf_rows;

-- a SQL format function that validates its own pipeline: the nested call of
-- the same format runs beside the outer one (it crashed: both shared the
-- SQL function's running state); a PL/pgSQL one recursing without end
-- stops at max_stack_depth
CREATE FUNCTION hf_nested(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT length(s) > 3 OR pipeline.validate(pg_catalog.to_jsonb(s || 'x'), 'hf_nested') $$;
SELECT pipeline.register_format('hf-nested', 'hf_nested(text)'::regprocedure);
SELECT pipeline.define('hf_nested', '{"schema": {"items": {"format": "hf-nested"}}}');
SELECT pipeline.validate('["a", "bb", "ccc", "dddd"]', 'hf_nested');
CREATE FUNCTION hf_forever(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$ BEGIN RETURN pipeline.validate(pg_catalog.to_jsonb(s), 'hf_forever'); END $$;
SELECT pipeline.register_format('hf-forever', 'hf_forever(text)'::regprocedure);
SELECT pipeline.define('hf_forever', '{"schema": {"format": "hf-forever"}}');
SELECT pg_temp.try($$SELECT pipeline.validate('"a"', 'hf_forever')$$);
SELECT pipeline.validate('["a"]', 'hf_nested');

-- a format function that never returns is cancelled by statement_timeout
CREATE FUNCTION hf_slow(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$ BEGIN LOOP END LOOP; END $$;
SELECT pipeline.register_format('hf-slow', 'hf_slow(text)'::regprocedure);
SELECT pipeline.define('hf_slow', '{"schema": {"items": {"format": "hf-slow"}}}');
SET statement_timeout = '200ms';
SELECT pipeline.validate('["a", "b"]', 'hf_slow');
RESET statement_timeout;

-- a format function that unregisters its own format (refused while a
-- pipeline asserts it) or unregisters it after redefining the pipeline
CREATE FUNCTION hf_unregister(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF s = 'annotate' THEN
        PERFORM pipeline.define('hf_unregister', '{"schema": {"items": {"format": "hf-unregister"}}, "formats": "annotate"}');
    END IF;
    PERFORM pipeline.unregister_format('hf-unregister');
    RETURN pipeline.validate('"z"', 'hf_unregister');
END $$;
SELECT pipeline.register_format('hf-unregister', 'hf_unregister(text)'::regprocedure);
SELECT pipeline.define('hf_unregister', '{"schema": {"items": {"format": "hf-unregister"}}}');
SELECT pg_temp.try($$SELECT pipeline.validate('["a"]', 'hf_unregister')$$);
SELECT pipeline.validate('["annotate"]', 'hf_unregister');
SELECT name FROM pipeline.formats WHERE name = 'hf-unregister';
SELECT pipeline.validate('["annotate", "b"]', 'hf_unregister');

-- privileges: what register_format() refuses, writing pipeline.formats
-- directly is refused too (pipeline_admin may write it: it ran functions
-- the writer may not execute, SECURITY DEFINER ones with their owner's rights)
CREATE ROLE regress_hf_admin IN ROLE pipeline_admin;
CREATE ROLE regress_hf_user;
CREATE FUNCTION hf_secret(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY DEFINER
    AS $$ BEGIN RAISE NOTICE 'hf_secret ran as %', current_user; RETURN true; END $$;
REVOKE EXECUTE ON FUNCTION hf_secret(text) FROM PUBLIC;
CREATE FUNCTION hf_volatile(s text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
SET ROLE regress_hf_admin;
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$SELECT pipeline.register_format('hf-secret', 'hf_secret(text)'::regprocedure)$$),
    ($$INSERT INTO pipeline.formats (name, function) VALUES ('hf-secret', 'hf_secret(text)')$$),
    ($$INSERT INTO pipeline.formats (name, function) VALUES ('hf-volatile', 'hf_volatile(text)')$$),
    ($$INSERT INTO pipeline.formats (name, pattern) VALUES ('hf-bad', '(')$$),
    ($$INSERT INTO pipeline.formats (name, pattern) VALUES ('email', '.')$$),
    ($$INSERT INTO pipeline.formats (name, pattern) VALUES ('', '.')$$),
    ($$INSERT INTO pipeline.formats (name, pattern) VALUES ('hf-ok', '^a$')$$),
    ($$UPDATE pipeline.formats SET pattern = NULL, function = 'hf_secret(text)' WHERE name = 'hf-ok'$$)) v(q);
SELECT name, pattern, function FROM pipeline.formats WHERE name LIKE 'hf-%' ORDER BY name;
-- a direct change reaches compiled pipelines like register_format's (they
-- kept the old definition), and a direct delete or rename of a format that a
-- pipeline asserts is refused like unregister_format
SELECT pipeline.define('hf_direct', '{"schema": {"format": "hf-ok"}}');
SELECT pipeline.validate('"a"', 'hf_direct'), pipeline.validate('"b"', 'hf_direct');
UPDATE pipeline.formats SET pattern = '^b$' WHERE name = 'hf-ok';
SELECT pipeline.validate('"a"', 'hf_direct'), pipeline.validate('"b"', 'hf_direct');
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$DELETE FROM pipeline.formats WHERE name = 'hf-ok'$$),
    ($$UPDATE pipeline.formats SET name = 'hf-renamed' WHERE name = 'hf-ok'$$)) v(q);
SELECT pipeline.define('hf_direct', '{"schema": {"format": "hf-ok"}, "formats": "annotate"}');
DELETE FROM pipeline.formats WHERE name = 'hf-ok';
SELECT pipeline.validate('"a"', 'hf_direct');
SELECT pipeline.drop('hf_direct');
RESET ROLE;
-- a function whose owner is neither the registering role nor a superuser is
-- refused: its owner could replace its body, which then runs with the rights
-- of every role that validates
CREATE SCHEMA hf_user_schema AUTHORIZATION regress_hf_user;
GRANT USAGE ON SCHEMA hf_user_schema TO PUBLIC;
SET ROLE regress_hf_user;
CREATE FUNCTION hf_user_schema.hf_owned(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT true $$;
RESET ROLE;
SET ROLE regress_hf_admin;
SELECT pg_temp.try($$SELECT pipeline.register_format('hf-owned', 'hf_user_schema.hf_owned(text)'::regprocedure)$$);
RESET ROLE;
-- a role whose rights the registering role has (or any, for a superuser)
GRANT regress_hf_user TO regress_hf_admin;
SET ROLE regress_hf_admin;
SELECT pipeline.register_format('hf-owned', 'hf_user_schema.hf_owned(text)'::regprocedure);
SELECT pipeline.unregister_format('hf-owned');
RESET ROLE;

-- cleanup
DROP TABLE hf_rows;
SELECT pipeline.drop(name) FROM (VALUES ('hf_redefine'), ('hf_nested'), ('hf_forever'), ('hf_slow'), ('hf_unregister')) v(name);
SELECT pipeline.unregister_format(name) FROM pipeline.formats WHERE name LIKE 'hf-%';
DROP FUNCTION hf_redefine(text), hf_nested(text), hf_forever(text), hf_slow(text), hf_unregister(text),
              hf_secret(text), hf_volatile(text);
DROP SCHEMA hf_user_schema CASCADE;
DROP ROLE regress_hf_admin, regress_hf_user;
