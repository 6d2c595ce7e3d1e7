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
