/* pipeline--0.1.0.sql: validate and transform JSON records in the database */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pipeline" to load this file. \quit

/*
 * Registry.  Every version of every pipeline is kept; the highest version of
 * a name is the current one.  Backends cache compiled specs and learn about
 * new versions through a relcache invalidation of pipeline.pipelines that
 * define(), drop() and register_schema() send (see src/cache.c).
 */
CREATE TABLE pipeline.pipelines (
    name       text        NOT NULL,
    version    integer     NOT NULL CHECK (version > 0),
    spec       jsonb       NOT NULL,
    defined_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (name, version)
);
COMMENT ON TABLE pipeline.pipelines IS 'every version of every pipeline spec';

-- Targets of "$ref" to absolute URIs.
CREATE TABLE pipeline.schemas (
    uri           text        PRIMARY KEY,
    schema        jsonb       NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pipeline.schemas IS 'JSON Schema documents that specs reference by absolute URI';

SELECT pg_catalog.pg_extension_config_dump('pipeline.pipelines', '');
SELECT pg_catalog.pg_extension_config_dump('pipeline.schemas', '');

-- Compile a spec and raise 22023 naming the bad part; returns true when it is good.
-- VOLATILE: the answer depends on the registered schemas.
CREATE FUNCTION pipeline._check_spec(spec jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_check_spec'
    LANGUAGE C STRICT;

-- Queue an invalidation of every backend's compiled-spec cache at commit.
CREATE FUNCTION pipeline._invalidate(tbl regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_invalidate'
    LANGUAGE C STRICT;

CREATE FUNCTION pipeline.define(name text, spec jsonb) RETURNS integer
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
    INSERT INTO pipeline.pipelines (name, version, spec)
         VALUES (define.name, v, define.spec);
    PERFORM pipeline._invalidate('pipeline.pipelines'::pg_catalog.regclass);
    RETURN v;
END
$$;
COMMENT ON FUNCTION pipeline.define(text, jsonb) IS 'create a pipeline or add a version; returns the new version';

CREATE FUNCTION pipeline.drop(name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    LOCK TABLE pipeline.pipelines IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM pipeline.pipelines p WHERE p.name = drop.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', name
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM pipeline._invalidate('pipeline.pipelines'::pg_catalog.regclass);
END
$$;
COMMENT ON FUNCTION pipeline.drop(text) IS 'remove a pipeline and all its versions';

CREATE FUNCTION pipeline.register_schema(uri text, schema jsonb) RETURNS void
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
    INSERT INTO pipeline.schemas AS s (uri, schema)
         VALUES (pipeline._normalize_uri(uri), register_schema.schema)
    ON CONFLICT ON CONSTRAINT schemas_pkey
    DO UPDATE SET schema = excluded.schema, registered_at = pg_catalog.now();
    PERFORM pipeline._invalidate('pipeline.schemas'::pg_catalog.regclass);
END
$$;
COMMENT ON FUNCTION pipeline.register_schema(text, jsonb) IS 'make a schema the target of "$ref" to its URI';

-- Strip an empty fragment so "http://x/s.json#" and "http://x/s.json" are one key.
-- IMMUTABLE: a pure function of its argument.
CREATE FUNCTION pipeline._normalize_uri(uri text) RETURNS text
    AS 'MODULE_PATHNAME', 'pipeline_normalize_uri'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

/*
 * Checking documents.  STABLE: the answer depends on the current version of
 * the named pipeline, which may change between statements.
 */
CREATE FUNCTION pipeline.validate(doc jsonb, name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_validate'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.errors(doc jsonb, name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_errors'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.transform(doc jsonb, name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_transform'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.process(doc jsonb, name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pipeline_process'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

/*
 * pg_jsonschema-compatible functions.  IMMUTABLE so they can serve in CHECK
 * constraints: the result depends only on the arguments (and on the
 * pipeline.format_assertion setting, as pg_jsonschema's depends on its build).
 */
CREATE FUNCTION pipeline.json_matches_schema(schema json, instance json) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_json_matches_schema'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.jsonb_matches_schema(schema json, instance jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_jsonb_matches_schema'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.jsonschema_is_valid(schema json) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pipeline_jsonschema_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pipeline.jsonschema_validation_errors(schema json, instance json) RETURNS text[]
    AS 'MODULE_PATHNAME', 'pipeline_jsonschema_validation_errors'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
