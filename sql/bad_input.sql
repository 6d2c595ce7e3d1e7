-- Hostile input: errors, never crashes or hangs.
SET client_min_messages = warning;
CREATE TEMP TABLE started AS SELECT pg_postmaster_start_time() AS t;

-- a schema that applies itself to the same instance forever is refused
SELECT pipeline.define('loop', '{"schema": {"$ref": "#"}}');
SELECT pipeline.define('loop', '{"schema": {"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "properties": {"x": {"$ref": "#/$defs/a"}}}}');
SELECT pipeline.jsonb_matches_schema('{"allOf": [{"$ref": "#"}]}', '1');

-- recursion through the instance is fine
SELECT pipeline.define('tree', '{"schema": {"type": "array", "items": {"$ref": "#"}}}');

-- a deep document against a recursive schema: fine up to the stack limit, then a clean error
SELECT pipeline.validate((repeat('[', 1000) || repeat(']', 1000))::jsonb, 'tree');
SELECT pipeline.validate((repeat('[', 1000) || '1' || repeat(']', 1000))::jsonb, 'tree');
SET max_stack_depth = '200kB';
SELECT pipeline.validate((repeat('[', 5000) || repeat(']', 5000))::jsonb, 'tree');
RESET max_stack_depth;

-- a deeply nested spec is refused cleanly, not with a crash
SET max_stack_depth = '200kB';
SELECT pipeline.define('deep', ('{"schema": ' || repeat('{"items": ', 3000) || 'true' || repeat('}', 3000) || '}')::jsonb);
RESET max_stack_depth;

-- huge arrays: uniqueItems does not go quadratic
SELECT pipeline.jsonb_matches_schema('{"uniqueItems": true}', (SELECT jsonb_agg(i) FROM generate_series(1, 200000) i));
SELECT pipeline.jsonb_matches_schema('{"uniqueItems": true}', (SELECT jsonb_agg(i % 199999) FROM generate_series(1, 200000) i));
SELECT pipeline.jsonb_matches_schema('{"items": {"type": "integer"}, "contains": {"const": -1}}', (SELECT jsonb_agg(i) FROM generate_series(1, 200000) i));

-- pathological and untranslatable patterns
SELECT pipeline.jsonb_matches_schema('{"pattern": "^(a+)+$"}', to_jsonb(repeat('a', 5000) || 'b'));
SELECT pipeline.jsonb_matches_schema('{"pattern": "^(a|aa)*c$"}', to_jsonb(repeat('a', 5000)));
SELECT pipeline.define('re', '{"schema": {"pattern": "\\p{Greek}"}}');
SELECT pipeline.define('re', '{"schema": {"pattern": "a{1,100000000}"}}');
SELECT pipeline.define('re', ('{"schema": {"pattern": "' || repeat('(', 20000) || repeat(')', 20000) || '"}}')::jsonb);

-- big numbers and strings
SELECT pipeline.jsonb_matches_schema('{"multipleOf": 1e-300}', '1e308');
SELECT pipeline.jsonb_matches_schema('{"maximum": 1e308}', '1e309');
SELECT pipeline.jsonb_matches_schema('{"maxLength": 1000000}', to_jsonb(repeat('é', 2000000)));
SELECT pipeline.jsonb_matches_schema('{"minLength": 99999999999999999999999}', '"x"');

-- wide objects
SELECT pipeline.jsonb_matches_schema('{"additionalProperties": {"type": "integer"}, "maxProperties": 100000}',
       (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 50000) i));

-- no crash restarted the server (a crash would also have dropped this session)
SELECT t = pg_postmaster_start_time() AS same_server FROM started;
