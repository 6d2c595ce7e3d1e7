-- pipeline.profile: a field-by-field description of a set of documents.
SET client_min_messages = warning;

CREATE TABLE events AS
SELECT jsonb_build_object(
         'id', i,
         'kind', (ARRAY['click', 'view', 'buy'])[1 + i % 3],
         'price', CASE WHEN i % 4 = 0 THEN NULL ELSE to_jsonb(i * 0.5) END,
         'tags', CASE WHEN i % 2 = 0 THEN '["a", "b"]'::jsonb ELSE '[]'::jsonb END,
         'user', jsonb_build_object('name', 'u' || (i % 50), 'vip', i % 10 = 0)) ||
       CASE WHEN i % 5 = 0 THEN '{"extra": "x"}'::jsonb ELSE '{}'::jsonb END AS doc
FROM generate_series(1, 1000) i;

SELECT jsonb_pretty(pipeline.profile(doc)) FROM events;

-- the same answer in parallel (partial states serialized and combined)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT pipeline.profile(doc) FROM events;
SELECT pipeline.profile(doc) = (SELECT pipeline.profile(doc) FROM (SELECT doc FROM events ORDER BY random()) s)
       AS parallel_equals_serial
  FROM events;
RESET ALL;

-- empty input, NULL documents, scalars
SELECT pipeline.profile(doc) FROM events WHERE false;
SELECT pipeline.profile(d) FROM (VALUES (NULL::jsonb), ('1'), ('"x"'), ('null')) v(d);

-- many distinct paths: the state stops growing and says so
SELECT p->'truncated', (SELECT count(*) FROM jsonb_object_keys(p->'fields'))
  FROM (SELECT pipeline.profile(jsonb_build_object('k' || i, i)) AS p FROM generate_series(1, 12000) i) s;
