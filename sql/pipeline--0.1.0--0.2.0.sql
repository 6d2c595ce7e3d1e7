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
    -- a transaction snapshot (REPEATABLE READ, SERIALIZABLE) older than a
    -- concurrent define() of a new name misses its version: the conflict is
    -- then a serialization failure (40001, retried by clients), not the
    -- primary key's unique violation
    INSERT INTO pipeline.pipelines (name, version, spec, active)
         VALUES (define.name, v, define.spec, true)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'could not serialize access due to concurrent define of pipeline "%"', name
            USING ERRCODE = 'serialization_failure';
    END IF;
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
        -- the version must compile against the schemas and formats registered
        -- now (they may have changed since it was defined, or last active)
        PERFORM pipeline._check_spec(p.spec) FROM pipeline.pipelines p
          WHERE p.name = activate.name AND p.version = activate.version;
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
/*
 * Citus (docs/scale-out.md).  On a Citus coordinator, changes to the
 * registry are made on every worker too, inside the same distributed
 * transaction (two-phase commit): AFTER statement triggers on
 * pipeline.pipelines and pipeline.schemas send the same define(), drop()
 * or register_schema() call to the workers, where _cluster_apply runs it.
 * Without the citus extension the triggers return at once.  VOLATILE: they
 * change other nodes.
 */
CREATE FUNCTION pipeline._cluster_propagate(call text, expect integer) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_cluster_propagate'
    LANGUAGE C;

CREATE FUNCTION pipeline._cluster_apply(call text, expect integer) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_cluster_apply'
    LANGUAGE C;

-- Raise unless spec, as a new version of pipeline name, can run on Citus table tbl.
CREATE FUNCTION pipeline._cluster_check(tbl regclass, name text, spec jsonb) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_cluster_check'
    LANGUAGE C STRICT;

CREATE FUNCTION pipeline._cluster_sync_pipelines() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    rel regclass;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- any other change of versions (such as marking one active): the rows
        -- as they are now, in place of the old ones, which the worker must
        -- have had (it gives back how many it replaced): one that lacked them
        -- would otherwise be handed the newest versions and nothing else (the
        -- INSERT reads the DELETE's count, so it runs after it)
        IF EXISTS (SELECT FROM new_rows) THEN
            PERFORM pipeline._cluster_propagate(format(
                'SELECT pipeline._invalidate(''pipeline.pipelines'');'
                ' WITH d AS (DELETE FROM pipeline.pipelines p USING pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L) o'
                ' WHERE p.name OPERATOR(pg_catalog.=) o.name AND p.version OPERATOR(pg_catalog.=) o.version RETURNING p.name),'
                ' i AS (INSERT INTO pipeline.pipelines SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L)'
                ' WHERE (SELECT pg_catalog.count(*) FROM d) OPERATOR(pg_catalog.>=) 0)'
                ' SELECT pg_catalog.count(*) FROM d',
                (SELECT jsonb_agg(o) FROM old_rows o), (SELECT jsonb_agg(n) FROM new_rows n)),
                (SELECT pg_catalog.count(*)::integer FROM old_rows));
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        FOR r IN SELECT n.name, n.version, n.spec FROM new_rows n ORDER BY n.name, n.version LOOP
            -- a new version must not change the distribution column of a table running it
            FOR rel IN SELECT t.tgrelid FROM pg_trigger t
                        WHERE t.tgfoid = 'pipeline.trigger()'::regprocedure AND t.tgnargs = 1
                          AND t.tgargs = convert_to(r.name, getdatabaseencoding()) || '\x00'::bytea LOOP
                PERFORM pipeline._cluster_check(rel, r.name, r.spec);
            END LOOP;
            -- the worker must end with the coordinator's versions: the same
            -- number, the new one last (the version define() computes there
            -- alone would pass a worker that lacked the pipeline, the UPDATE
            -- of the previous active version having brought that one over)
            PERFORM pipeline._cluster_propagate(
                format('SELECT pipeline.define(%L, %L::jsonb);'
                       ' SELECT CASE WHEN pg_catalog.max(p.version) OPERATOR(pg_catalog.=) %s'
                       ' THEN pg_catalog.count(*) END FROM pipeline.pipelines p WHERE p.name OPERATOR(pg_catalog.=) %L',
                       r.name, r.spec, r.version, r.name),
                (SELECT pg_catalog.count(*)::integer FROM pipeline.pipelines p WHERE p.name = r.name));
        END LOOP;
    ELSE
        FOR r IN SELECT o.name, array_agg(o.version) AS versions FROM old_rows o GROUP BY o.name LOOP
            IF EXISTS (SELECT FROM pipeline.pipelines p WHERE p.name = r.name) THEN
                PERFORM pipeline._cluster_propagate(
                    format('DELETE FROM pipeline.pipelines WHERE name = %L AND version = ANY (%L::integer[]);'
                           ' SELECT pipeline._invalidate(''pipeline.pipelines'')', r.name, r.versions), NULL);
            ELSE
                PERFORM pipeline._cluster_propagate(format('SELECT pipeline.drop(%L)', r.name), NULL);
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

-- The trigger of a registry table whose rows are sent one by one
-- (pipeline.schemas, pipeline.formats): each row the statement wrote
-- (new_rows; old_rows for DELETE), in the order of key column TG_ARGV[0],
-- goes to the workers as the call that expression TG_ARGV[1] makes of it
-- (the row is r).
CREATE FUNCTION pipeline._cluster_sync_rows() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    call text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN NULL;
    END IF;
    FOR call IN EXECUTE format('SELECT %s FROM %I r ORDER BY r.%I', TG_ARGV[1],
                               CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END, TG_ARGV[0]) LOOP
        PERFORM pipeline._cluster_propagate(call, NULL);
    END LOOP;
    RETURN NULL;
END
$$;

-- transition tables allow one event per trigger
CREATE TRIGGER cluster_sync_insert AFTER INSERT ON pipeline.pipelines
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_pipelines();
CREATE TRIGGER cluster_sync_delete AFTER DELETE ON pipeline.pipelines
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_pipelines();
CREATE TRIGGER cluster_sync_update AFTER UPDATE ON pipeline.pipelines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_pipelines();
CREATE TRIGGER cluster_sync_insert AFTER INSERT ON pipeline.schemas
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('uri',
        $$format('SELECT pipeline.register_schema(%L, %L::jsonb)', r.uri, r.schema)$$);
CREATE TRIGGER cluster_sync_update AFTER UPDATE ON pipeline.schemas
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('uri',
        $$format('SELECT pipeline.register_schema(%L, %L::jsonb)', r.uri, r.schema)$$);
CREATE TRIGGER cluster_sync_delete AFTER DELETE ON pipeline.schemas
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('uri',
        $$format('DELETE FROM pipeline.schemas WHERE uri = %L; SELECT pipeline._invalidate(''pipeline.schemas'')', r.uri)$$);

-- This node's name in listings: host:port from the Citus metadata, or 'local'.
CREATE FUNCTION pipeline._cluster_self() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN 'local';
    END IF;
    RETURN coalesce((SELECT n.nodename || ':' || n.nodeport FROM pg_dist_node n
                      WHERE n.groupid = (SELECT g.groupid FROM pg_dist_local_group g)
                        AND n.noderole = 'primary' LIMIT 1), 'local');
END
$$;

/*
 * The quarantined records of every node (of pipeline name, or all): node,
 * the shard and the table it belongs to, and the reject itself.  A reject
 * stays on the node whose trigger refused the row; this node's rows are
 * read in this transaction, the workers' (through Citus'
 * run_command_on_workers) as committed.  VOLATILE: it reads other nodes.
 */
CREATE FUNCTION pipeline.cluster_rejects(name text DEFAULT NULL)
    RETURNS TABLE (node text, shardid bigint, relation text, id bigint, pipeline text, version integer,
                   operation text, record jsonb, errors jsonb, record_column name, other_columns jsonb,
                   rejected_at timestamptz)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q text := format('SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r)'
                     ' OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(''relation'', r.relation::pg_catalog.text)'
                     ' ORDER BY r.id), ''[]'') FROM pipeline.rejects r'
                     ' WHERE %L::pg_catalog.text IS NULL OR r.pipeline OPERATOR(pg_catalog.=) %L', name, name);
    all_rows jsonb := '[]';
    w record;
BEGIN
    EXECUTE q INTO all_rows;
    SELECT jsonb_agg(x || jsonb_build_object('node', pipeline._cluster_self())) INTO all_rows
      FROM jsonb_array_elements(all_rows) x;
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        FOR w IN SELECT * FROM run_command_on_workers(q) LOOP
            IF NOT w.success THEN
                RAISE EXCEPTION 'cannot read the rejects of node %:%', w.nodename, w.nodeport
                    USING ERRCODE = 'connection_failure', DETAIL = w.result;
            END IF;
            SELECT coalesce(all_rows, '[]') || coalesce(jsonb_agg(x || jsonb_build_object('node', w.nodename || ':' || w.nodeport)), '[]')
              INTO all_rows FROM jsonb_array_elements(w.result::jsonb) x;
        END LOOP;
    END IF;
    RETURN QUERY
        SELECT x.node, s.shardid, coalesce(s.relation, x.relation), x.id, x.pipeline, x.version, x.operation,
               x.record, x.errors, x.record_column, x.other_columns, x.rejected_at
          FROM jsonb_to_recordset(coalesce(all_rows, '[]')) AS x(node text, id bigint, rejected_at timestamptz,
               pipeline text, version integer, relation text, operation text, record jsonb, errors jsonb,
               record_column name, other_columns jsonb)
          LEFT JOIN LATERAL pipeline._cluster_shard(x.relation) s ON true
         ORDER BY x.node, x.id;
END
$$;

-- The Citus shard a relation name denotes (its id and its table), if it is one.
CREATE FUNCTION pipeline._cluster_shard(relname text, OUT shardid bigint, OUT relation text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF relname ~ '_[0-9]+$' AND EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        SELECT s.shardid, s.logicalrelid::text INTO shardid, relation
          FROM pg_dist_shard s WHERE s.shardid = substring(relname FROM '_([0-9]+)$')::bigint
           AND shard_name(s.logicalrelid, s.shardid) = relname;
    END IF;
END
$$;

/*
 * pipeline.replay on every node, in this distributed transaction: each node
 * replays the rejects it holds into its own shards (the rows keep the
 * distribution value they had, so they belong there), and all of it commits
 * or aborts together.  The workers keep their counts as Citus intermediate
 * results, fetched here.  Returns one row per node.
 */
CREATE FUNCTION pipeline.cluster_replay(name text)
    RETURNS TABLE (node text, replayed bigint, rejected bigint)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY SELECT pipeline._cluster_self(), r.replayed, r.rejected FROM pipeline.replay(name) r;
        RETURN;
    END IF;
    PERFORM pipeline._cluster_propagate(format(
        'SELECT pg_catalog.create_intermediate_result(''pipeline_replay_'' OPERATOR(pg_catalog.||)'
        ' (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g), %L)',
        format('SELECT r.replayed, r.rejected FROM pipeline.replay(%L) r', name)), NULL);
    RETURN QUERY SELECT pipeline._cluster_self(), r.replayed, r.rejected FROM pipeline.replay(name) r;
    FOR w IN SELECT n.nodename, n.nodeport, n.groupid FROM pg_dist_node n
              WHERE n.groupid <> 0 AND n.isactive AND n.noderole = 'primary' ORDER BY n.groupid LOOP
        PERFORM fetch_intermediate_results(ARRAY['pipeline_replay_' || w.groupid], w.nodename, w.nodeport);
        RETURN QUERY SELECT w.nodename || ':' || w.nodeport, x.replayed, x.rejected
          FROM read_intermediate_result('pipeline_replay_' || w.groupid, 'binary') AS x(replayed bigint, rejected bigint);
    END LOOP;
END
$$;
/*
 * Make every worker's registry a copy of this coordinator's, in one
 * distributed transaction: for a node added to the cluster after pipelines
 * were defined (Citus creates the extension there, empty), or one restored
 * from an older backup.
 */
CREATE FUNCTION pipeline.cluster_sync() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM pipeline._cluster_propagate(format(
        'DELETE FROM pipeline.pipelines; DELETE FROM pipeline.schemas; DELETE FROM pipeline.formats;'
        ' INSERT INTO pipeline.schemas SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.schemas, %L);'
        ' INSERT INTO pipeline.formats SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.formats, %L);'
        ' INSERT INTO pipeline.pipelines SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L);'
        ' SELECT pipeline._invalidate(''pipeline.schemas''), pipeline._invalidate(''pipeline.pipelines'')',
        (SELECT coalesce(jsonb_agg(s), '[]') FROM pipeline.schemas s),
        (SELECT coalesce(jsonb_agg(f), '[]') FROM pipeline.formats f),
        (SELECT coalesce(jsonb_agg(p), '[]') FROM pipeline.pipelines p)), NULL);
END
$$;
COMMENT ON FUNCTION pipeline.cluster_sync() IS 'copy the coordinator''s pipelines, schemas and formats to every Citus worker';

COMMENT ON FUNCTION pipeline.cluster_replay(text) IS 'replay a pipeline''s quarantined records on every Citus node, in one distributed transaction';
COMMENT ON FUNCTION pipeline.cluster_rejects(text) IS 'the quarantined records of every Citus node, with node and shard';

REVOKE EXECUTE ON FUNCTION
    pipeline._cluster_propagate(text, integer), pipeline._cluster_apply(text, integer),
    pipeline._cluster_check(regclass, text, jsonb), pipeline._cluster_sync_pipelines(),
    pipeline._cluster_sync_rows(), pipeline._cluster_self(), pipeline._cluster_shard(text),
    pipeline.cluster_rejects(text), pipeline.cluster_replay(text), pipeline.cluster_sync()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    pipeline._cluster_propagate(text, integer), pipeline._cluster_apply(text, integer),
    pipeline._cluster_check(regclass, text, jsonb), pipeline._cluster_sync_pipelines(),
    pipeline._cluster_sync_rows(), pipeline._cluster_self(), pipeline._cluster_shard(text),
    pipeline.cluster_rejects(text), pipeline.cluster_replay(text), pipeline.cluster_sync()
TO pipeline_admin;

/*
 * Custom formats (docs/validation.md).  A "format" that is not built in
 * asserts, where formats assert, if it is registered here: by an ECMA-262
 * pattern, or by an IMMUTABLE function (text) RETURNS boolean that runs
 * with the privileges of whoever validates.  Specs compile against this
 * table like against pipeline.schemas, and a change sends the same
 * invalidation (of pipeline.schemas), so every backend recompiles its specs
 * at its next use of them.  The compat functions never read it.
 */
CREATE TABLE pipeline.formats (
    name          text          PRIMARY KEY,
    pattern       text,
    function      regprocedure,
    registered_at timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT formats_one_check CHECK (pg_catalog.num_nonnulls(pattern, function) OPERATOR(pg_catalog.=) 1)
);
COMMENT ON TABLE pipeline.formats IS 'formats a spec''s "format" may name besides the built-in ones';
SELECT pg_catalog.pg_extension_config_dump('pipeline.formats', '');

-- Raise the error of what is wrong with a format: its name (empty, built
-- in), its pattern (2201B) or its function (signature, volatility, EXECUTE
-- for the caller).  VOLATILE: it reads the catalog and the caller's privileges.
CREATE FUNCTION pipeline._check_format(name text, pattern text, function regprocedure) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_check_format'
    LANGUAGE C;

-- Raise 2BP01 if the current version of a pipeline asserts format name.
-- VOLATILE: the answer depends on the registry.
CREATE FUNCTION pipeline._check_format_users(name text) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_check_format_users'
    LANGUAGE C STRICT;

-- Store a checked format, replacing one of the same name, and invalidate
-- every backend's compiled specs at commit.
CREATE FUNCTION pipeline._store_format(name text, pattern text, function regprocedure) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- checked by the table's trigger (pipeline._formats_check)
    -- no define() between our change and our commit (as register_schema)
    LOCK TABLE pipeline.pipelines IN SHARE MODE;
    LOCK TABLE pipeline.formats IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO pipeline.formats AS f (name, pattern, function)
         VALUES (_store_format.name, _store_format.pattern, _store_format.function)
    ON CONFLICT ON CONSTRAINT formats_pkey
    DO UPDATE SET pattern = excluded.pattern, function = excluded.function,
                  registered_at = pg_catalog.now();
END
$$;

CREATE FUNCTION pipeline.register_format(name text, pattern text) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT pipeline._store_format(name, pattern, NULL) $$;
COMMENT ON FUNCTION pipeline.register_format(text, text) IS 'make "format": name assert an ECMA-262 pattern (replaces a format of that name)';

CREATE FUNCTION pipeline.register_format(name text, function regprocedure) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT pipeline._store_format(name, NULL, function) $$;
COMMENT ON FUNCTION pipeline.register_format(text, regprocedure) IS 'make "format": name assert an IMMUTABLE function (text) RETURNS boolean (replaces a format of that name)';

CREATE FUNCTION pipeline.unregister_format(name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    LOCK TABLE pipeline.pipelines IN SHARE MODE;
    LOCK TABLE pipeline.formats IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM pipeline.formats f WHERE f.name = unregister_format.name) THEN
        RAISE EXCEPTION 'format "%" is not registered', name
            USING ERRCODE = 'undefined_object';
    END IF;
    -- the table's trigger refuses while a pipeline asserts it, and invalidates
    DELETE FROM pipeline.formats f WHERE f.name = unregister_format.name;
END
$$;
COMMENT ON FUNCTION pipeline.unregister_format(text) IS 'remove a registered format that no pipeline asserts';

-- Every row written to pipeline.formats, by register_format() and
-- unregister_format() or directly (pipeline_admin may write the table), is
-- checked as the writing role: a role must not make validations run a
-- function it may not execute itself, nor store what register_format()
-- refuses, nor remove (or rename) a format that a pipeline asserts (its
-- checks would silently stop).  Every change invalidates every backend's
-- compiled pipelines at commit.  Not SECURITY DEFINER: the checks are the
-- writer's.
CREATE FUNCTION pipeline._formats_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.name IS DISTINCT FROM NEW.name) THEN
        -- no define() between our check and our commit (as unregister_format)
        LOCK TABLE pipeline.pipelines IN SHARE MODE;
        PERFORM pipeline._check_format_users(OLD.name);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pipeline._check_format(NEW.name, NEW.pattern, NEW.function);
    END IF;
    PERFORM pipeline._invalidate('pipeline.schemas'::pg_catalog.regclass);
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER formats_check BEFORE INSERT OR UPDATE OR DELETE ON pipeline.formats
    FOR EACH ROW EXECUTE FUNCTION pipeline._formats_check();
-- (a trigger's function is checked for EXECUTE when the trigger is created only)
REVOKE EXECUTE ON FUNCTION pipeline._formats_check() FROM PUBLIC;

-- read by every validating role (specs compile as the caller); changed by administrators
GRANT SELECT ON pipeline.formats TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON pipeline.formats TO pipeline_admin;
REVOKE EXECUTE ON FUNCTION
    pipeline.register_format(text, text), pipeline.register_format(text, regprocedure),
    pipeline.unregister_format(text), pipeline._store_format(text, text, regprocedure),
    pipeline._check_format(text, text, regprocedure), pipeline._check_format_users(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    pipeline.register_format(text, text), pipeline.register_format(text, regprocedure),
    pipeline.unregister_format(text), pipeline._store_format(text, text, regprocedure),
    pipeline._check_format(text, text, regprocedure), pipeline._check_format_users(text)
TO pipeline_admin;

/*
 * Citus: a format registered or unregistered on the coordinator is
 * registered or unregistered on every worker in the same distributed
 * transaction, as register_schema() is (a function format's function must
 * exist on the workers too).  On a worker, _cluster_propagate refuses the
 * change unless the coordinator sent it.
 */
CREATE TRIGGER cluster_sync_insert AFTER INSERT ON pipeline.formats
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('name', $$CASE WHEN r.pattern IS NOT NULL
        THEN format('SELECT pipeline.register_format(%L, %L::pg_catalog.text)', r.name, r.pattern)
        ELSE format('SELECT pipeline.register_format(%L, %L::pg_catalog.regprocedure)', r.name, r.function::text) END$$);
CREATE TRIGGER cluster_sync_update AFTER UPDATE ON pipeline.formats
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('name', $$CASE WHEN r.pattern IS NOT NULL
        THEN format('SELECT pipeline.register_format(%L, %L::pg_catalog.text)', r.name, r.pattern)
        ELSE format('SELECT pipeline.register_format(%L, %L::pg_catalog.regprocedure)', r.name, r.function::text) END$$);
CREATE TRIGGER cluster_sync_delete AFTER DELETE ON pipeline.formats
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_rows('name',
        $$format('SELECT pipeline.unregister_format(%L)', r.name)$$);

/*
 * Statistics (docs/operations.md, "Statistics").  pipeline.stats: what each
 * pipeline version did, counted by the named-pipeline functions, the
 * trigger and replay; cluster-wide when the library is in
 * shared_preload_libraries, else the current session's ("scope" says
 * which).  VOLATILE: the counts change with every call.
 */
CREATE FUNCTION pipeline._stats(
    OUT pipeline text, OUT version integer, OUT checked bigint, OUT passed bigint,
    OUT failed bigint, OUT transformed bigint, OUT quarantined bigint, OUT skipped bigint,
    OUT raised bigint, OUT time_ms double precision, OUT scope text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'pipeline_stats'
    LANGUAGE C VOLATILE;
CREATE VIEW pipeline.stats AS
    SELECT s.pipeline, s.version, s.checked, s.passed, s.failed, s.transformed,
           s.quarantined, s.skipped, s.raised, s.time_ms, s.scope
      FROM pipeline._stats() s;
COMMENT ON VIEW pipeline.stats IS 'records checked per pipeline version and what became of them';

-- forget the counts of one pipeline (all versions), or of all when name is NULL
CREATE FUNCTION pipeline.reset_stats(name text DEFAULT NULL) RETURNS void
    AS 'MODULE_PATHNAME', 'pipeline_reset_stats'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pipeline.reset_stats(text) IS 'forget the counts of pipeline.stats';

/*
 * The rejects grouped by pipeline, version, table and failing keywordLocation
 * (of the errors stored with each reject): how many rejects failed there, the
 * first and the last time (a reject without errors counts under a NULL
 * location).  security_invoker: the caller's own privileges on
 * pipeline.rejects apply, as if the caller queried it.
 */
CREATE VIEW pipeline.reject_summary WITH (security_invoker = true) AS
    SELECT r.pipeline, r.version, r.relation, e.value ->> 'keywordLocation' AS keyword_location,
           pg_catalog.count(DISTINCT r.id) AS count,
           pg_catalog.min(r.rejected_at) AS first_seen, pg_catalog.max(r.rejected_at) AS last_seen
      FROM pipeline.rejects r
      LEFT JOIN LATERAL pg_catalog.jsonb_array_elements(
                CASE pg_catalog.jsonb_typeof(r.errors) WHEN 'array' THEN r.errors END) e ON true
     GROUP BY r.pipeline, r.version, r.relation, e.value ->> 'keywordLocation';
COMMENT ON VIEW pipeline.reject_summary IS 'quarantined records per pipeline, version, table and failing rule';

GRANT SELECT ON pipeline.stats, pipeline.reject_summary TO PUBLIC;
REVOKE EXECUTE ON FUNCTION pipeline.reset_stats(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline.reset_stats(text) TO pipeline_admin;

-- jsonschema_is_valid compiles the schema in a subtransaction, which parallel
-- mode forbids; PARALLEL SAFE let a parallel plan skip that and answer true
-- for a bad pattern or $ref
ALTER FUNCTION pipeline.jsonschema_is_valid(json) PARALLEL UNSAFE;
