/* pipeline--0.1.0--0.2.0.sql: upgrade a 0.1.0 installation to 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pipeline UPDATE TO '0.2.0'" to load this file. \quit

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
        -- any other change of versions (such as marking one active): the rows as they are now
        IF EXISTS (SELECT FROM new_rows) THEN
            PERFORM pipeline._cluster_propagate(format(
                'DELETE FROM pipeline.pipelines p USING pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L) o'
                ' WHERE p.name OPERATOR(pg_catalog.=) o.name AND p.version OPERATOR(pg_catalog.=) o.version;'
                ' INSERT INTO pipeline.pipelines SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L);'
                ' SELECT pipeline._invalidate(''pipeline.pipelines'')',
                (SELECT jsonb_agg(o) FROM old_rows o), (SELECT jsonb_agg(n) FROM new_rows n)), NULL);
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        FOR r IN SELECT n.name, n.version, n.spec FROM new_rows n ORDER BY n.name, n.version LOOP
            -- a new version must not change the distribution column of a table running it
            FOR rel IN SELECT t.tgrelid FROM pg_trigger t
                        WHERE t.tgfoid = 'pipeline.trigger()'::regprocedure AND t.tgnargs = 1
                          AND t.tgargs = convert_to(r.name, getdatabaseencoding()) || '\x00'::bytea LOOP
                PERFORM pipeline._cluster_check(rel, r.name, r.spec);
            END LOOP;
            PERFORM pipeline._cluster_propagate(
                format('SELECT pipeline.define(%L, %L::jsonb)', r.name, r.spec), r.version);
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

CREATE FUNCTION pipeline._cluster_sync_schemas() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        FOR r IN SELECT o.uri FROM old_rows o LOOP
            PERFORM pipeline._cluster_propagate(
                format('DELETE FROM pipeline.schemas WHERE uri = %L; SELECT pipeline._invalidate(''pipeline.schemas'')',
                       r.uri), NULL);
        END LOOP;
    ELSE
        FOR r IN SELECT n.uri, n.schema FROM new_rows n ORDER BY n.uri LOOP
            PERFORM pipeline._cluster_propagate(
                format('SELECT pipeline.register_schema(%L, %L::jsonb)', r.uri, r.schema), NULL);
        END LOOP;
    END IF;
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
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_schemas();
CREATE TRIGGER cluster_sync_update AFTER UPDATE ON pipeline.schemas
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_schemas();
CREATE TRIGGER cluster_sync_delete AFTER DELETE ON pipeline.schemas
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline._cluster_sync_schemas();

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
        'DELETE FROM pipeline.pipelines; DELETE FROM pipeline.schemas;'
        ' INSERT INTO pipeline.schemas SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.schemas, %L);'
        ' INSERT INTO pipeline.pipelines SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::pipeline.pipelines, %L);'
        ' SELECT pipeline._invalidate(''pipeline.schemas''), pipeline._invalidate(''pipeline.pipelines'')',
        (SELECT coalesce(jsonb_agg(s), '[]') FROM pipeline.schemas s),
        (SELECT coalesce(jsonb_agg(p), '[]') FROM pipeline.pipelines p)), NULL);
END
$$;
COMMENT ON FUNCTION pipeline.cluster_sync() IS 'copy the coordinator''s pipelines and schemas to every Citus worker';

COMMENT ON FUNCTION pipeline.cluster_replay(text) IS 'replay a pipeline''s quarantined records on every Citus node, in one distributed transaction';
COMMENT ON FUNCTION pipeline.cluster_rejects(text) IS 'the quarantined records of every Citus node, with node and shard';

REVOKE EXECUTE ON FUNCTION
    pipeline._cluster_propagate(text, integer), pipeline._cluster_apply(text, integer),
    pipeline._cluster_check(regclass, text, jsonb), pipeline._cluster_sync_pipelines(),
    pipeline._cluster_sync_schemas(), pipeline._cluster_self(), pipeline._cluster_shard(text),
    pipeline.cluster_rejects(text), pipeline.cluster_replay(text), pipeline.cluster_sync()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    pipeline._cluster_propagate(text, integer), pipeline._cluster_apply(text, integer),
    pipeline._cluster_check(regclass, text, jsonb), pipeline._cluster_sync_pipelines(),
    pipeline._cluster_sync_schemas(), pipeline._cluster_self(), pipeline._cluster_shard(text),
    pipeline.cluster_rejects(text), pipeline.cluster_replay(text), pipeline.cluster_sync()
TO pipeline_admin;
