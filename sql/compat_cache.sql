-- The compat functions compile their schema once per backend, not once per
-- statement: a backend-wide cache by schema text, bounded by
-- pipeline.compat_cache_size (least recently used first out), holding only
-- schemas that compiled.
SET client_min_messages = warning;
CREATE FUNCTION compat_cache_bytes() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts
     WHERE name = 'pipeline compat cache' OR parent = 'pipeline compat cache' $$;
CREATE TABLE compat_cached (doc jsonb CHECK (pipeline.jsonb_matches_schema(
    '{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0}}}', doc)));

-- statement after statement, the cached schema answers (and correctly)
INSERT INTO compat_cached VALUES ('{"n": 1}');
CREATE TEMP TABLE one AS SELECT compat_cache_bytes() AS bytes;
INSERT INTO compat_cached VALUES ('{"n": 2}');
INSERT INTO compat_cached VALUES ('{"n": -1}');
INSERT INTO compat_cached VALUES ('{"n": 3}');
SELECT bytes > 0 AS kept_across_statements, compat_cache_bytes() = bytes AS no_recompile FROM one;

-- the same text under another format setting is another entry
SET pipeline.format_assertion = off;
SELECT pipeline.jsonb_matches_schema('{"format": "email"}', '"x"');
RESET pipeline.format_assertion;
SELECT pipeline.jsonb_matches_schema('{"format": "email"}', '"x"');

-- a schema that does not compile is refused every time and never cached
CREATE TEMP TABLE before_bad AS SELECT compat_cache_bytes() AS bytes;
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        BEGIN
            PERFORM pipeline.jsonb_matches_schema(format('{"minLength": -%s}', i)::json, '"x"');
            RAISE 'compiled';
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT compat_cache_bytes() = bytes AS failures_not_cached FROM before_bad;
SELECT pipeline.jsonb_matches_schema('{"minLength": -1}', '"x"');
SELECT pipeline.jsonb_matches_schema('{"minLength": -1}', '"x"');

-- bounded: 3000 distinct schemas with a 1 MB budget stay within it, and
-- every answer is right (evicted schemas compile again)
SET pipeline.compat_cache_size = '1MB';
SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema(
           format('{"properties": {"p%s": {"type": "string", "pattern": "^[a-z]+$", "maxLength": %s}}}', i, i)::json,
           jsonb_build_object('p' || i, repeat('a', i % 7))) = (i % 7 <> 0)) AS right_answers
  FROM generate_series(1, 3000) i;
SELECT compat_cache_bytes() < 1.5 * 1024 * 1024 AS bounded;
-- a schema bigger than the whole budget still works, uncached
SET pipeline.compat_cache_size = 0;
SELECT pipeline.jsonb_matches_schema('{"type": "integer"}', '1'), pipeline.jsonb_matches_schema('{"type": "integer"}', '"1"');
INSERT INTO compat_cached VALUES ('{"n": 4}');
INSERT INTO compat_cached VALUES ('{"n": -4}');
RESET pipeline.compat_cache_size;

-- within one statement, call sites whose schemas evict each other stay right
SET pipeline.compat_cache_size = '1MB';
SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema(format('{"maximum": %s}', i % 50)::json, to_jsonb(i % 50))
                          AND NOT pipeline.jsonb_matches_schema(format('{"minimum": %s}', i % 50 + 1)::json, to_jsonb(i % 50))) AS right_answers
  FROM generate_series(1, 2000) i;
RESET pipeline.compat_cache_size;

SELECT count(*) FROM compat_cached;
DROP TABLE compat_cached;
DROP FUNCTION compat_cache_bytes();
