/* pipeline--0.1.0--0.2.0.sql: upgrade a 0.1.0 installation to 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pipeline UPDATE TO '0.2.0'" to load this file. \quit

-- Rejects are written only by quarantine and replay: replay inserts what a
-- reject says, so administrators may read and delete them, not rewrite them.
REVOKE UPDATE ON pipeline.rejects FROM pipeline_admin;

-- replay returns failed and skipped too: a new result type
DROP FUNCTION pipeline.replay(text);
DROP FUNCTION pipeline._replay(text);

-- Replay's work: each reject in a subtransaction of its own (docs/triggers.md).
CREATE FUNCTION pipeline._replay(name text, OUT replayed bigint, OUT rejected bigint,
                                 OUT failed bigint, OUT skipped bigint)
    AS 'MODULE_PATHNAME', 'pipeline_replay'
    LANGUAGE C STRICT;

CREATE FUNCTION pipeline.replay(name text)
    RETURNS TABLE(replayed bigint, rejected bigint, failed bigint, skipped bigint)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT r.replayed, r.rejected, r.failed, r.skipped FROM pipeline._replay(name) r $$;
COMMENT ON FUNCTION pipeline.replay(text) IS 'insert a pipeline''s quarantined records again through the current version';

REVOKE EXECUTE ON FUNCTION pipeline.replay(text), pipeline._replay(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline.replay(text), pipeline._replay(text) TO pipeline_admin;

-- The triggers on tbl (on every table when tbl is NULL) that run pipeline
-- pipeline_name: known by what they run (the first trigger argument), never
-- by their name, which attach may have had to make up.
-- STABLE: reads pg_trigger.
CREATE FUNCTION pipeline._triggers(tbl regclass, pipeline_name text)
    RETURNS TABLE(tgrelid regclass, tgname name)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.tgrelid::regclass, t.tgname
      FROM pg_trigger t
     WHERE (tbl IS NULL OR t.tgrelid = tbl)
       AND t.tgfoid = 'pipeline.trigger()'::regprocedure
       AND t.tgnargs >= 1
       AND substring(t.tgargs FROM 1 FOR octet_length(pipeline_name) + 1)
           = convert_to(pipeline_name, getdatabaseencoding()) || decode('00', 'hex')
$$;

REVOKE EXECUTE ON FUNCTION pipeline._triggers(regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline._triggers(regclass, text) TO pipeline_admin;

CREATE OR REPLACE FUNCTION pipeline.attach(tbl regclass, name text, column_name name DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trg text := 'pipeline_' || attach.name;
    stem text;
    n integer := 0;
BEGIN
    -- conflicts with drop() and define(): the pipeline cannot go away before we commit
    LOCK TABLE pipeline.pipelines IN SHARE MODE;
    PERFORM pipeline._check_attach(tbl, attach.name, column_name);
    IF EXISTS (SELECT 1 FROM pipeline._triggers(tbl, attach.name)) THEN
        RAISE EXCEPTION 'pipeline "%" is already attached to table %', attach.name, tbl
            USING ERRCODE = 'duplicate_object';
    END IF;
    -- "pipeline_<name>" when it fits in a name and is free, else a numbered
    -- variant cut at a character boundary
    WHILE octet_length(trg) > 63 OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = trg) LOOP
        n := n + 1;
        stem := 'pipeline_' || attach.name;
        WHILE octet_length(stem) + octet_length('_' || n) > 63 LOOP
            stem := left(stem, -1);
        END LOOP;
        trg := stem || '_' || n;
    END LOOP;
    IF column_name IS NULL THEN
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW'
                       ' EXECUTE FUNCTION pipeline.trigger(%L)', trg, tbl, attach.name);
    ELSE
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW'
                       ' EXECUTE FUNCTION pipeline.trigger(%L, %L)', trg, tbl, attach.name, column_name);
    END IF;
END
$$;
COMMENT ON FUNCTION pipeline.attach(regclass, text, name) IS 'check a table''s rows (or a jsonb column) with a pipeline on INSERT and UPDATE';

CREATE OR REPLACE FUNCTION pipeline.detach(tbl regclass, name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trg name;
    found_one boolean := false;
BEGIN
    FOR trg IN SELECT t.tgname FROM pipeline._triggers(tbl, detach.name) t LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trg, tbl);
        found_one := true;
    END LOOP;
    IF NOT found_one THEN
        RAISE EXCEPTION 'pipeline "%" is not attached to table %', detach.name, tbl
            USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION pipeline.detach(regclass, text) IS 'remove the triggers that run a pipeline on a table';

CREATE OR REPLACE FUNCTION pipeline.drop(name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    users text;
BEGIN
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
    -- a trigger still naming the pipeline would fail every row: refuse
    -- (attach takes a lock that waits for this one, so none can slip in)
    SELECT string_agg(t.tgrelid::text, ', ' ORDER BY t.tgrelid::text) INTO users
      FROM pipeline._triggers(NULL, drop.name) t
     WHERE EXISTS (SELECT 1 FROM pipeline.pipelines p WHERE p.name = drop.name);
    IF users IS NOT NULL THEN
        RAISE EXCEPTION 'cannot drop pipeline "%" because tables use it', name
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = format('Triggers on %s run it.', users),
                  HINT = 'Detach it first with pipeline.detach(table, name).';
    END IF;
    DELETE FROM pipeline.pipelines p WHERE p.name = drop.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', name
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM pipeline._invalidate('pipeline.pipelines'::pg_catalog.regclass);
END
$$;
COMMENT ON FUNCTION pipeline.drop(text) IS 'remove a pipeline and all its versions';

-- register_schema refuses a schema that a pipeline's current version would
-- no longer compile with.
-- Raise 22023 if a pipeline whose current version reaches the schema at uri
-- no longer compiles (register_schema calls it after the change).
-- VOLATILE: the answer depends on the registry.
CREATE FUNCTION pipeline._check_dependents(uri text) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_check_dependents'
    LANGUAGE C STRICT;

REVOKE EXECUTE ON FUNCTION pipeline._check_dependents(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline._check_dependents(text) TO pipeline_admin;

CREATE OR REPLACE FUNCTION pipeline.register_schema(uri text, schema jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF uri IS NULL OR schema IS NULL THEN
        RAISE EXCEPTION 'uri and schema must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF uri !~ '^[A-Za-z][A-Za-z0-9+.-]*:' THEN
        RAISE EXCEPTION 'schema URI "%" is not absolute', uri
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Register a schema under an absolute URI such as "https://example.com/s.json".';
    END IF;
    -- no define() and no other registration between the check below and our commit
    LOCK TABLE pipeline.pipelines IN SHARE MODE;
    LOCK TABLE pipeline.schemas IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO pipeline.schemas AS s (uri, schema)
         VALUES (pipeline._normalize_uri(uri), register_schema.schema)
    ON CONFLICT ON CONSTRAINT schemas_pkey
    DO UPDATE SET schema = excluded.schema, registered_at = pg_catalog.now();
    -- every trigger of a pipeline whose current version stopped compiling
    -- would fail: compile those that reach the schema, and refuse naming
    -- the first that fails
    PERFORM pipeline._check_dependents(pipeline._normalize_uri(uri));
    PERFORM pipeline._invalidate('pipeline.schemas'::pg_catalog.regclass);
END
$$;
COMMENT ON FUNCTION pipeline.register_schema(text, jsonb) IS 'make a schema the target of "$ref" to its URI';

-- define() compiles the spec once it holds the registry lock (a concurrent
-- register_schema() could otherwise change what it compiled against).

-- Staged and pinned versions: one active version per name (the newest until now)
ALTER TABLE pipeline.pipelines ADD COLUMN active boolean NOT NULL DEFAULT false;
UPDATE pipeline.pipelines p SET active = true
 WHERE p.version = (SELECT max(q.version) FROM pipeline.pipelines q WHERE q.name = p.name);
CREATE UNIQUE INDEX pipelines_active_idx ON pipeline.pipelines (name) WHERE active;
GRANT UPDATE (active) ON pipeline.pipelines TO pipeline_admin;
CREATE OR REPLACE FUNCTION pipeline.define(name text, spec jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v integer;
BEGIN
    IF name IS NULL OR name = '' OR pg_catalog.octet_length(name) > 63 THEN
        RAISE EXCEPTION 'pipeline name must have 1 to 63 bytes'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF spec IS NULL THEN
        RAISE EXCEPTION 'spec must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
    PERFORM pipeline._check_spec(spec);
    -- the lock serializes definers, so versions are dense and each one is
    -- seen once; taken before the check, it also waits for a
    -- register_schema() in progress, so the spec is compiled against the
    -- schemas that will be registered
    SELECT coalesce(max(p.version), 0) + 1 INTO v
      FROM pipeline.pipelines p WHERE p.name = define.name;
    -- the new version is the active one
    UPDATE pipeline.pipelines p SET active = false WHERE p.name = define.name AND p.active;
    INSERT INTO pipeline.pipelines (name, version, spec, active)
         VALUES (define.name, v, define.spec, true);
    PERFORM pipeline._invalidate('pipeline.pipelines'::pg_catalog.regclass);
    RETURN v;
END
$$;
COMMENT ON FUNCTION pipeline.define(text, jsonb) IS 'create a pipeline or add a version, and make it active; returns the new version';

-- define(name, spec, activate => false): store a version, keep the active one (staged)
CREATE FUNCTION pipeline.define(name text, spec jsonb, activate boolean) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v integer;
    keep integer;
BEGIN
    IF activate IS NULL THEN
        RAISE EXCEPTION 'activate must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF activate THEN
        RETURN pipeline.define(name, spec);
    END IF;
    -- the same lock define() takes: nobody activates or defines in between
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
    SELECT p.version INTO keep FROM pipeline.pipelines p WHERE p.name = define.name AND p.active;
    -- checks name and spec; one transaction: no session sees the new version active
    v := pipeline.define(name, spec);
    IF keep IS NULL THEN
        RAISE EXCEPTION 'cannot stage the first version of pipeline "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A staged version waits while the active one runs, and a new pipeline has none.',
                  HINT = 'Define it with activate => true.';
    END IF;
    UPDATE pipeline.pipelines p SET active = false WHERE p.name = define.name AND p.version = v;
    UPDATE pipeline.pipelines p SET active = true WHERE p.name = define.name AND p.version = keep;
    RETURN v;
END
$$;
COMMENT ON FUNCTION pipeline.define(text, jsonb, boolean) IS 'define(name, spec, activate => false) stores a version without making it active';

CREATE FUNCTION pipeline.activate(name text, version integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous integer;
BEGIN
    IF name IS NULL OR version IS NULL THEN
        RAISE EXCEPTION 'name and version must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the same lock as define(): one activation or definition at a time
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM pipeline.pipelines p WHERE p.name = activate.name) THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', name
            USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pipeline.pipelines p
                    WHERE p.name = activate.name AND p.version = activate.version) THEN
        RAISE EXCEPTION 'version % of pipeline "%" does not exist', version, name
            USING ERRCODE = 'undefined_object',
                  HINT = 'The versions of a pipeline are listed in pipeline.pipelines.';
    END IF;
    SELECT p.version INTO previous FROM pipeline.pipelines p
     WHERE p.name = activate.name AND p.active;
    IF previous IS DISTINCT FROM version THEN
        -- two statements: the unique index on active names is checked per row
        UPDATE pipeline.pipelines p SET active = false WHERE p.name = activate.name AND p.active;
        UPDATE pipeline.pipelines p SET active = true
         WHERE p.name = activate.name AND p.version = activate.version;
        PERFORM pipeline._invalidate('pipeline.pipelines'::pg_catalog.regclass);
    END IF;
    RETURN previous;
END
$$;
COMMENT ON FUNCTION pipeline.activate(text, integer) IS 'make a version of a pipeline the one triggers and unpinned calls use; returns the version it replaces';


-- The same against one version (pinned), active or not.  STABLE: a dropped
-- and re-defined pipeline has a different version 1.
CREATE FUNCTION pipeline.validate(doc jsonb, name text, version integer) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_validate'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.transform(doc jsonb, name text, version integer) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_transform'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.process(doc jsonb, name text, version integer) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_process'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- errors() in an output format: 'list' (as above), 'basic', 'detailed', 'best'
CREATE FUNCTION pipeline.errors(doc jsonb, name text, format text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_errors'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.errors(doc jsonb, name text, version integer, format text DEFAULT 'list') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_errors_version'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

REVOKE EXECUTE ON FUNCTION pipeline.define(text, jsonb, boolean), pipeline.activate(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline.define(text, jsonb, boolean), pipeline.activate(text, integer) TO pipeline_admin;

COMMENT ON AGGREGATE pipeline.profile(jsonb) IS 'per field path: count, nulls, types, min, max, mean, integers, approximate distinct, formats and few values';

-- A JSON Schema (2020-12) that every document a pipeline.profile() result
-- describes passes (docs/operations.md).  IMMUTABLE: a pure function of its
-- arguments.
CREATE FUNCTION pipeline.infer(profile jsonb, options jsonb DEFAULT '{}') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_infer'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

/*
 * Dry run: a candidate spec against every record of a table or view (rows,
 * or a jsonb column) and the pipeline's rejects; nothing is written.
 * VOLATILE: it reads tables through queries of its own.  Callers read the
 * source with their own rights, and the rejects only when they may.
 */
CREATE FUNCTION pipeline.test(name text, spec jsonb, source regclass, column_name name DEFAULT NULL,
    OUT checked bigint, OUT passed bigint, OUT failed bigint,
    OUT newly_failing bigint, OUT newly_passing bigint,
    OUT rejects_checked bigint, OUT rejects_accepted bigint, OUT failures jsonb)
    AS 'MODULE_PATHNAME', 'pipeline_test'
    LANGUAGE C;
COMMENT ON FUNCTION pipeline.test(text, jsonb, regclass, name) IS 'check a candidate spec against stored rows and rejects, writing nothing';
