-- pipeline.infer: a schema from a profile, accepting every profiled document
CREATE TABLE feed AS
SELECT jsonb_build_object(
         'id', i,
         'kind', (ARRAY['click', 'view', 'buy'])[1 + i % 3],
         'price', CASE WHEN i % 4 = 0 THEN NULL ELSE to_jsonb(i * 0.5) END,
         'tags', CASE WHEN i % 2 = 0 THEN '["a", "b"]'::jsonb ELSE '[]'::jsonb END,
         'at', '2024-05-' || lpad((1 + i % 28)::text, 2, '0') || 'T13:45:00Z',
         'day', '2024-05-' || lpad((1 + i % 28)::text, 2, '0'),
         'uid', '123e4567-e89b-12d3-a456-4266141740' || lpad((i % 100)::text, 2, '0'),
         'mail', 'u' || i || '@example.com',
         'ip', '10.0.' || (i % 40) || '.1',
         'home', 'https://example.com/u/' || i,
         'user', jsonb_build_object('name', 'u' || (i % 50), 'vip', i % 10 = 0)) ||
       CASE WHEN i % 5 = 0 THEN '{"extra": "x"}'::jsonb ELSE '{}'::jsonb END AS doc
FROM generate_series(1, 500) i;
SELECT jsonb_pretty(pipeline.infer(pipeline.profile(doc))) FROM feed;
-- it compiles, and every document passes, with formats asserted too
SELECT pipeline.define('feed', jsonb_build_object('schema', pipeline.infer(pipeline.profile(doc)), 'formats', 'assert'))
  FROM feed;
SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'feed')) AS passed, count(*) FROM feed;
-- and it catches what differs
SELECT pipeline.errors('{"id": 1.5, "kind": "sell", "price": 900, "tags": [1], "at": "soon", "day": "2024-05-01",
  "uid": "123e4567-e89b-12d3-a456-426614174000", "mail": "u@example.com", "ip": "10.0.0.1",
  "home": "https://example.com", "user": {"name": "u", "vip": false}}', 'feed');
-- options
SELECT pipeline.infer(pipeline.profile(doc), '{"enum_max": 2, "bounds": false, "formats": false, "required": false}')
  FROM (SELECT doc->'user' || jsonb_build_object('kind', doc->'kind', 'id', doc->'id') AS doc FROM feed) s;
SELECT pipeline.infer(pipeline.profile(doc), '{"enum_max": 3}')->'properties'->'kind' FROM feed;
-- numbers: exact integer bounds, decimal ones widened to the integers around them
SELECT pipeline.infer(pipeline.profile(d)) FROM (VALUES ('1'::jsonb), ('7'), ('-3')) v(d);
SELECT pipeline.infer(pipeline.profile(d)) FROM (VALUES ('0.29999999999999999'::jsonb), ('2'), ('1e2')) v(d);
SELECT pipeline.infer(pipeline.profile(d)) FROM (VALUES ('9007199254740993'::jsonb), ('1')) v(d);
-- mixed types, nulls with an enum, arrays of objects, a member named "*"
SELECT jsonb_pretty(pipeline.infer(pipeline.profile(d))) FROM (VALUES
  ('{"v": "a", "list": [{"k": 1}, {"k": 2, "z": null}], "*": 1}'::jsonb),
  ('{"v": null, "list": [], "*": 2}'), ('{"v": "b", "list": "none", "*": 3}')) v(d);
-- no documents: a schema that accepts anything; SQL NULL in, NULL out
SELECT pipeline.infer(pipeline.profile(d)) FROM (VALUES (NULL::jsonb)) v(d);
SELECT pipeline.infer(NULL) IS NULL AS null_in_null_out;
-- bad input
SELECT pipeline.infer('[]');
SELECT pipeline.infer('{"fields": {"": {"types": 1}}}');
SELECT pipeline.infer('{"fields": {"": {"count": "x", "types": {}}}}');
SELECT pipeline.infer('{"fields": {}}', '{"enum_max": 100}');
SELECT pipeline.infer('{"fields": {}}', '{"bounds": "yes"}');
SELECT pipeline.infer('{"fields": {}}', '{"depth": 1}');
SELECT pipeline.infer('{"fields": {}}', '[]');
DROP TABLE feed;
SELECT pipeline.drop('feed');
