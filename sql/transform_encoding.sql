-- The encoder of transformed records (src/jtree.c) writes jsonb directly: its
-- bytes must be those jsonb_in gives for the same value (same size, same text,
-- every key found through the JEntry offsets), whatever was changed, added or
-- kept, and a record no step changes comes back as it came.
CREATE FUNCTION canonical(j jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT pg_catalog.pg_column_size(j) = pg_catalog.pg_column_size(j::text::jsonb)
     AND j::text = (j::text::jsonb)::text
     AND CASE WHEN pg_catalog.jsonb_typeof(j) <> 'object' THEN true
              ELSE (SELECT pg_catalog.bool_and(j -> k = v) FROM pg_catalog.jsonb_each(j) AS e(k, v)) END
$$;
SELECT pipeline.define('enc', $j${"transform": [
  {"op": "trim", "path": "/k17"},
  {"op": "upper", "path": "/k05"},
  {"op": "set", "path": "/arr/50", "value": "fifty"},
  {"op": "round", "path": "/nested/n", "digits": 1},
  {"op": "rename", "path": "/k33", "to": "/k33_renamed"},
  {"op": "default", "path": "/added", "value": {"x": [1, 2.5, "three"]}}
]}$j$);
-- 40 keys (offsets every 32 children), a 100-element array, numbers whose
-- alignment moves when a string before them changes length, and untouched
-- nested containers copied as bytes
CREATE TABLE enc_docs AS
SELECT pg_catalog.jsonb_object_agg(k, v) AS doc
  FROM (SELECT pg_catalog.format('k%s', pg_catalog.lpad(i::text, 2, '0')) AS k,
               CASE WHEN i % 3 = 0 THEN pg_catalog.to_jsonb(i * 1.25)
                    WHEN i = 17 THEN '"  padded  "'::jsonb
                    WHEN i = 20 THEN '{"deep": {"a": [1, 2.50, {"b": null}], "c": true}}'::jsonb
                    ELSE pg_catalog.to_jsonb(pg_catalog.repeat('v', i)) END AS v
          FROM pg_catalog.generate_series(0, 39) i
        UNION ALL
        SELECT 'arr', pg_catalog.jsonb_agg(CASE WHEN i % 2 = 0 THEN pg_catalog.to_jsonb(i) ELSE pg_catalog.to_jsonb(i::text) END)
          FROM pg_catalog.generate_series(0, 99) i
        UNION ALL
        SELECT 'nested', '{"n": 2.25, "keep": [1.5, {"z": "untouched"}]}'::jsonb) s;
SELECT t -> 'k17' AS k17, t -> 'k05' AS k05, t -> 'arr' -> 50 AS a50, t -> 'arr' -> 99 AS a99,
       t -> 'nested' AS nested, t -> 'k33_renamed' AS renamed, t ? 'k33' AS old_key, t -> 'added' AS added,
       t -> 'k20' = d -> 'k20' AS deep_same, t -> 'k39' AS k39, canonical(t) AS canonical
  FROM enc_docs, LATERAL (SELECT doc AS d, pipeline.transform(doc, 'enc') AS t) x;
-- every value the steps did not touch is the same as before
SELECT pg_catalog.count(*) AS untouched_differ
  FROM enc_docs, LATERAL pg_catalog.jsonb_each(doc) e(k, v)
 WHERE k NOT IN ('k17', 'k05', 'arr', 'nested', 'k33')
   AND pipeline.transform(doc, 'enc') -> k IS DISTINCT FROM v;
-- a big document: 5000 keys, one changed
SELECT pipeline.define('enc_big', '{"transform": [{"op": "lower", "path": "/key2500"}]}');
-- records no step changes come back as they came: the same text and size
SELECT t::text = d::text AS same, pg_catalog.pg_column_size(t) = pg_catalog.pg_column_size(d) AS same_size
  FROM (SELECT d, pipeline.transform(d, 'enc_big') AS t
          FROM (VALUES ('{"key2500": "quiet", "z": {"a": [1, 2.50, {"b": "x"}]}}'::jsonb),
                       ('{"key2500": 12.50, "other": [1]}'::jsonb), ('[1, "A"]'::jsonb), ('"LOUD"'::jsonb)) v(d)) s;
SELECT t -> 'key2500' AS changed, t -> 'key4999' AS last, (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(t)) AS n,
       canonical(t)
  FROM (SELECT pipeline.transform(pg_catalog.jsonb_object_agg('key' || i, CASE WHEN i = 2500 THEN 'LOUD' ELSE (i * 0.5)::text END), 'enc_big') AS t
          FROM pg_catalog.generate_series(0, 4999) i) s;
-- a scalar record, and an empty object gaining a key
SELECT pipeline.define('enc_root', '{"transform": [{"op": "trim", "path": ""}]}');
SELECT pipeline.transform('"  spaced  "', 'enc_root') AS trimmed, canonical(pipeline.transform('"  spaced  "', 'enc_root'));
SELECT pipeline.define('enc_empty', '{"transform": [{"op": "set", "path": "/a", "value": [true, null, 1e-3]}]}');
SELECT pipeline.transform('{}', 'enc_empty') AS filled, canonical(pipeline.transform('{}', 'enc_empty'));
-- root keys added by default and set shift the keys located after them: the
-- later steps on those keys still find them
SELECT pipeline.define('enc_add', $j${"transform": [
  {"op": "default", "path": "/b", "value": "B"},
  {"op": "trim", "path": "/c"},
  {"op": "set", "path": "/a", "value": 1},
  {"op": "upper", "path": "/c"},
  {"op": "trim", "path": "/e"},
  {"op": "default", "path": "/d", "value": {"k": [1]}},
  {"op": "upper", "path": "/e"},
  {"op": "set", "path": "/b", "value": null},
  {"op": "default", "path": "/b", "value": "again"},
  {"op": "set", "path": "/zz", "value": "last"}
]}$j$);
SELECT pipeline.transform('{"c": " x ", "e": " y "}', 'enc_add') AS added,
       canonical(pipeline.transform('{"c": " x ", "e": " y "}', 'enc_add'));
SELECT pipeline.transform('{}', 'enc_add') AS from_empty, pipeline.transform('[1]', 'enc_add') AS not_an_object;
DROP TABLE enc_docs;
DROP FUNCTION canonical(jsonb);
