-- Hostile uses of the pg_jsonschema-compatible functions.
SET client_min_messages = warning;

-- jsonschema_is_valid is IMMUTABLE: a parallel plan must give the answer a
-- serial one gives (a bad pattern or an unresolvable $ref is invalid there too)
CREATE TABLE hostile_compat_schemas (s json);
INSERT INTO hostile_compat_schemas
  SELECT CASE i % 3 WHEN 0 THEN '{"pattern": "(("}' WHEN 1 THEN '{"$ref": "#/nowhere"}'
                    ELSE '{"type": "string"}' END::json
    FROM generate_series(1, 3000) i;
ANALYZE hostile_compat_schemas;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT count(*) FROM hostile_compat_schemas WHERE pipeline.jsonschema_is_valid(s);
-- force_parallel_mode (PostgreSQL 15) is debug_parallel_query from 16 on
SELECT set_config(name, 'on', false) FROM pg_settings
  WHERE name IN ('force_parallel_mode', 'debug_parallel_query');
SELECT count(*) FROM hostile_compat_schemas WHERE pipeline.jsonschema_is_valid(s);
SELECT set_config(name, 'off', false) FROM pg_settings
  WHERE name IN ('force_parallel_mode', 'debug_parallel_query');
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM hostile_compat_schemas WHERE pipeline.jsonschema_is_valid(s);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- schemas that are not objects or booleans are refused; true and false are schemas
SELECT pipeline.jsonb_matches_schema('true', '1'), pipeline.jsonb_matches_schema('false', '1'),
       pipeline.jsonschema_is_valid('5'), pipeline.jsonschema_is_valid('[]'),
       pipeline.jsonschema_is_valid('false');
SELECT pipeline.jsonb_matches_schema('null', '1');
-- NULL arguments: STRICT
SELECT pipeline.jsonb_matches_schema(NULL, '1') IS NULL, pipeline.jsonschema_is_valid(NULL) IS NULL;
-- a remote $ref is never fetched
SELECT pipeline.jsonschema_is_valid('{"$ref": "http://example.com/x.json"}');
-- the same $id in two calls does not collide
SELECT pipeline.jsonb_matches_schema('{"$id": "http://a/x", "type": "string"}', '1'),
       pipeline.jsonb_matches_schema('{"$id": "http://a/x", "type": "integer"}', '1');
-- a registered format never changes a compat verdict
SELECT pipeline.register_format('hostile_compat_fmt', '^a$');
SELECT pipeline.jsonb_matches_schema('{"format": "hostile_compat_fmt"}', '"b"');
SELECT pipeline.unregister_format('hostile_compat_fmt');

-- the cache's memory stays within pipeline.compat_cache_size: schemas with
-- long texts, then many small ones (the long texts' copies, freed on
-- eviction, were kept by the cache's own context and not reused)
SET pipeline.compat_cache_size = 1;
SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema(
         ('{"maxLength": ' || i || ', "description": "' || repeat('x', 530) || '"}')::json, '"abc"'))
  FROM generate_series(1, 5000) i;
SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema(('{"maxLength": ' || i || '}')::json, '"abc"'))
  FROM generate_series(1, 20000) i;
SELECT sum(total_bytes) < 1.25 * 1024 * 1024 AS within_budget
  FROM pg_backend_memory_contexts
 WHERE name LIKE 'pipeline compat%' OR parent LIKE 'pipeline compat%';
RESET pipeline.compat_cache_size;
