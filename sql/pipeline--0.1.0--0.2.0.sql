/* pipeline--0.1.0--0.2.0.sql: upgrade a 0.1.0 installation to 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pipeline UPDATE TO '0.2.0'" to load this file. \quit

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
        RAISE EXCEPTION 'spec must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pipeline._check_spec(spec);
    -- serialize definers so versions are dense and each one is seen once
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
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
