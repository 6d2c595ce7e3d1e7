-- Privileges and search_path (docs/security.md)
CREATE ROLE regress_pl_user;
CREATE ROLE regress_pl_admin IN ROLE pipeline_admin;
CREATE ROLE regress_pl_owner;
GRANT CREATE ON SCHEMA public TO regress_pl_admin, regress_pl_owner;
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pipeline_admin';
SELECT pipeline.define('priv', '{"schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}},
                                  "on_error": "quarantine"}');
CREATE TABLE priv_t (n int);
GRANT SELECT, INSERT ON priv_t TO regress_pl_user;
SELECT pipeline.attach('priv_t', 'priv');

-- an unprivileged role checks documents ...
SET ROLE regress_pl_user;
SELECT pipeline.validate('{"n": 1}', 'priv'), pipeline.errors('{"n": -1}', 'priv');
SELECT pipeline.transform('{"n": 1}', 'priv'), pipeline.process('{"n": 1}', 'priv');
SELECT pipeline.jsonb_matches_schema('{"type": "integer"}', '1'), pipeline.json_matches_schema('{"type": "integer"}', '"x"'),
       pipeline.jsonschema_is_valid('{"type": 1}'), pipeline.jsonschema_validation_errors('{"type": "integer"}', '"x"');
SELECT pipeline.profile(d) IS NOT NULL AS profiled FROM (VALUES ('{"a": 1}'::jsonb), ('{"a": 2}')) v(d);
SELECT name, version FROM pipeline.pipelines WHERE name = 'priv';
-- ... and inserts through the trigger: its failing row is quarantined all the same
INSERT INTO priv_t VALUES (1), (-1);
SELECT * FROM priv_t;
-- but may not change, attach, replay, or read the rejects
SELECT pipeline.define('mine', '{}');
SELECT pipeline.drop('priv');
SELECT pipeline.register_schema('http://example.com/s.json', '{}');
SELECT pipeline.attach('priv_t', 'priv');
SELECT pipeline.detach('priv_t', 'priv');
SELECT * FROM pipeline.replay('priv');
SELECT * FROM pipeline._replay('priv');
SELECT count(*) FROM pipeline.rejects;
INSERT INTO pipeline.rejects (pipeline, version, relation, operation, record, errors)
VALUES ('priv', 1, 'priv_t', 'INSERT', '{"n": 5}', '[]');
INSERT INTO pipeline.pipelines (name, version, spec) VALUES ('mine', 1, '{}');
DELETE FROM pipeline.pipelines;
UPDATE pipeline.schemas SET schema = 'true';
SELECT pipeline._invalidate('pg_class');
SELECT pipeline._check_spec('{}');
-- nor put a pipeline trigger on a table by hand
CREATE TEMP TABLE user_t (n int);
CREATE TRIGGER by_hand BEFORE INSERT ON user_t FOR EACH ROW EXECUTE FUNCTION pipeline.trigger('priv');
DROP TABLE user_t;
RESET ROLE;

-- a member of pipeline_admin may do all of it
SET ROLE regress_pl_admin;
SELECT pipeline.define('admin_p', '{"schema": {"required": ["n"]}, "on_error": "quarantine"}');
SELECT pipeline.register_schema('http://example.com/priv.json', '{"type": "integer"}');
SELECT pipeline.register_schema('http://example.com/priv.json', '{"type": "integer", "minimum": 0}');
CREATE TABLE admin_t (n int);
SELECT pipeline.attach('admin_t', 'admin_p');
INSERT INTO admin_t VALUES (NULL);
SELECT pipeline, version, relation, record, errors FROM pipeline.rejects
 WHERE pipeline IN ('priv', 'admin_p') ORDER BY id;
SELECT pipeline.drop('admin_p');
SELECT pipeline.detach('admin_t', 'admin_p');
SELECT pipeline.drop('admin_p');
-- the reject of the unprivileged insert, replayed through a new version
SELECT pipeline.define('priv', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('priv');
DELETE FROM pipeline.rejects WHERE pipeline = 'admin_p';
DROP TABLE admin_t;
RESET ROLE;
SELECT * FROM priv_t ORDER BY n;

-- replay inserts as the table's owner, in a security-restricted operation:
-- the owner's trigger runs with the owner's rights, not the replayer's
SET ROLE regress_pl_owner;
CREATE TABLE owned_t (n int, by name);
CREATE FUNCTION owned_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.by := current_user;
    RETURN NEW;
END $$;
CREATE TRIGGER who BEFORE INSERT ON owned_t FOR EACH ROW EXECUTE FUNCTION owned_who();
GRANT TRIGGER ON owned_t TO regress_pl_admin;
RESET ROLE;
SET ROLE regress_pl_admin;
SELECT pipeline.define('owned_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('owned_t', 'owned_p');
RESET ROLE;
INSERT INTO owned_t (n) VALUES (1);
SET ROLE regress_pl_admin;
SELECT pipeline.define('owned_p', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('owned_p');
RESET ROLE;
SELECT n, by FROM owned_t;

-- search_path: objects that shadow the catalog's are never used
CREATE SCHEMA regress_evil AUTHORIZATION regress_pl_user;
SET ROLE regress_pl_user;
CREATE FUNCTION regress_evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'hijacked: % = %', $1, $2;
    RETURN true;
END $$;
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.texteq, LEFTARG = text, RIGHTARG = text);
CREATE FUNCTION regress_evil.int8eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'hijacked: % = %', $1, $2;
    RETURN true;
END $$;
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.int8eq, LEFTARG = bigint, RIGHTARG = bigint);
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE TABLE regress_evil.pipelines (name text, version int, spec jsonb);
CREATE TABLE regress_evil.rejects (id bigint);
RESET ROLE;
-- the superuser's search_path puts the attacker's schema first
SET search_path = regress_evil, pg_catalog, public;
SELECT pipeline.define('evil_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.define('evil_p', '{"schema": {"properties": {"n": {"maximum": 1}}}, "on_error": "quarantine"}');
SELECT pipeline.validate('{"n": 1}', 'evil_p'), pipeline.validate('{"n": 2}', 'evil_p');
CREATE TABLE public.evil_t (n int);
SELECT pipeline.attach('public.evil_t', 'evil_p');
INSERT INTO public.evil_t VALUES (1), (5), (8);
SELECT n FROM public.evil_t ORDER BY n;
SELECT pipeline.define('evil_p', '{"schema": {"properties": {"n": {"maximum": 6}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline._replay('evil_p');
SELECT pipeline.define('evil_p', '{"schema": {"properties": {"n": {"maximum": 10}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('evil_p');
SELECT pipeline.register_schema('http://example.com/evil.json', 'true');
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'evil_p' AND rejected_at > 'epoch';
SELECT pipeline.detach('public.evil_t', 'evil_p');
SELECT pipeline.drop('evil_p');
SELECT n FROM public.evil_t ORDER BY n;
RESET search_path;

-- no function runs with its owner's rights
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'pipeline' AND p.prosecdef;
-- every SQL and PL/pgSQL function pins search_path
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname = 'pipeline' AND l.lanname IN ('sql', 'plpgsql')
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
 ORDER BY 1;
-- what PUBLIC may execute
SELECT p.oid::regprocedure AS function FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'pipeline' AND has_function_privilege('regress_pl_user', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text COLLATE "C";

-- the role survives the extension and is reused when it comes back
SET client_min_messages = warning;
DROP EXTENSION pipeline CASCADE;
RESET client_min_messages;
SELECT count(*) FROM pg_roles WHERE rolname = 'pipeline_admin';
CREATE EXTENSION pipeline;
SELECT has_function_privilege('pipeline_admin', 'pipeline.define(text, jsonb)', 'EXECUTE') AS admin_defines,
       has_function_privilege('regress_pl_user', 'pipeline.define(text, jsonb)', 'EXECUTE') AS user_defines,
       has_table_privilege('regress_pl_admin', 'pipeline.rejects', 'SELECT') AS admin_reads_rejects,
       has_table_privilege('regress_pl_user', 'pipeline.rejects', 'SELECT') AS user_reads_rejects;

SET client_min_messages = warning;
DROP SCHEMA regress_evil CASCADE;
RESET client_min_messages;
DROP TABLE priv_t, owned_t, public.evil_t;
DROP FUNCTION owned_who();
REVOKE CREATE ON SCHEMA public FROM regress_pl_admin, regress_pl_owner;
DROP ROLE regress_pl_user, regress_pl_admin, regress_pl_owner;
