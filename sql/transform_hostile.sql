-- A hostile value is a violation of its step, never an error of the
-- statement: reported at /transform/N, the value left as it was, the later
-- steps still run, and a quarantining COPY keeps going.
CREATE SCHEMA transform_hostile;
SET search_path = transform_hostile, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
-- hostile records: the largest numbers numeric holds, more decimals than it
-- holds, huge exponents, NaN and infinities, negative zero
CREATE TABLE hostile (name text, doc jsonb);
INSERT INTO hostile VALUES
  ('max-int-digits', ('{"n": ' || repeat('9', 131072) || '}')::jsonb),
  ('max-weight', '{"n": 9e131071}'),
  ('max-dscale', ('{"n": 0.' || repeat('0', 16382) || '1}')::jsonb),
  ('small', '{"n": 2.5}'),
  ('too-many-digits', jsonb_build_object('n', '1' || repeat('0', 131072))),
  ('too-many-decimals', jsonb_build_object('n', '0.' || repeat('1', 16384))),
  ('huge-exponent', '{"n": "1e100000"}'),
  ('tiny-exponent', '{"n": "1e-100000"}'),
  ('nan', '{"n": "NaN"}'),
  ('infinity', '{"n": "-Infinity"}'),
  ('negative-zero', '{"n": "-0.0e5"}');
-- one op a spec; every spec ends with a step that must still run
SELECT pipeline.define('h_scale', '{"transform": [{"op": "scale", "path": "/n", "factor": 10}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_scale_dec', '{"transform": [{"op": "scale", "path": "/n", "factor": 0.1}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_round', '{"transform": [{"op": "round", "path": "/n", "digits": -1}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_round2', '{"transform": [{"op": "round", "path": "/n", "digits": 2}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_number', '{"transform": [{"op": "coerce", "path": "/n", "to": "number"}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_integer', '{"transform": [{"op": "coerce", "path": "/n", "to": "integer"}, {"op": "set", "path": "/after", "value": true}]}');
SELECT pipeline.define('h_ts', '{"transform": [{"op": "parse_timestamp", "path": "/n", "formats": ["epoch"]}, {"op": "set", "path": "/after", "value": true}]}');
-- per spec and record: the violation (first 50 characters), whether the
-- value is unchanged, and that the last step ran
SELECT s.spec, h.name, e.loc, left(e.msg, 50) AS error,
       pipeline.transform(h.doc, s.spec) -> 'n' = h.doc -> 'n' AS unchanged,
       pipeline.transform(h.doc, s.spec) -> 'after' AS after
  FROM (VALUES ('h_scale'), ('h_scale_dec'), ('h_round'), ('h_round2'), ('h_number'), ('h_integer'), ('h_ts')) s(spec)
 CROSS JOIN hostile h
  LEFT JOIN LATERAL (SELECT x ->> 'keywordLocation' AS loc, x ->> 'error' AS msg
                       FROM jsonb_array_elements(pipeline.errors(h.doc, s.spec)) x) e ON true
 ORDER BY s.spec, h.name;
-- small results are still exact
SELECT pipeline.transform('{"n": "-0.0e5", "m": 2.5}', 'h_number'),
       pipeline.transform('{"n": "-0"}', 'h_integer'),
       pipeline.transform('{"n": 1e-16383}', 'h_round2');
-- epoch text: only the microseconds matter, however many digits follow
SELECT pipeline.transform(jsonb_build_object('n', '1.' || repeat('0', 6) || '5' || repeat('0', 20000)), 'h_ts'),
       pipeline.transform(jsonb_build_object('n', '-1.' || repeat('0', 6) || '5'), 'h_ts'),
       pipeline.transform('{"n": "1000000000000.0"}', 'h_ts') ->> 'after' AS after,
       pipeline.errors('{"n": "1000000000000.1"}', 'h_ts') -> 0 ->> 'error' AS error;
-- a COPY-like INSERT of hostile rows into a quarantining table: the
-- statement succeeds, good rows are stored, hostile ones quarantined
CREATE TABLE amounts (id int, amount numeric, note text);
SELECT pipeline.define('t_amounts', $j${
  "schema": {"type": "object", "properties": {"amount": {"type": "number"}}},
  "transform": [{"op": "coerce", "path": "/amount", "to": "number"},
                {"op": "scale", "path": "/amount", "factor": 100},
                {"op": "round", "path": "/amount", "digits": -1},
                {"op": "trim", "path": "/note"}],
  "on_error": "quarantine"}$j$);
SELECT pipeline.attach('amounts', 't_amounts');
INSERT INTO amounts VALUES
  (1, 12.345, ' ok '),
  (2, ('9' || repeat('9', 131070))::numeric, ' huge '),
  (3, 0.5, ' fine ');
INSERT INTO amounts SELECT 4, ('0.' || repeat('0', 16382) || '1')::numeric, ' tiny ';
SELECT id, amount, note FROM amounts ORDER BY id;
SELECT relation, record ->> 'id' AS id, left(record ->> 'amount', 10) AS amount,
       jsonb_path_query_array(errors, '$[*].keywordLocation') AS steps,
       jsonb_path_query_array(errors, '$[*].error') AS errors
  FROM pipeline.rejects ORDER BY id;
DROP SCHEMA transform_hostile CASCADE;
