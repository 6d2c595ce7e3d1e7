-- coerce: lax conversion to integer, number, boolean, string
SELECT pipeline.define('co', $j${"transform": [
  {"op": "coerce", "path": "/i", "to": "integer"},
  {"op": "coerce", "path": "/n", "to": "number"},
  {"op": "coerce", "path": "/b", "to": "boolean"},
  {"op": "coerce", "path": "/s", "to": "string"}
]}$j$);
SELECT pipeline.transform(d, 'co')
  FROM (VALUES
    ('{"i": " 42 ", "n": "3.10", "b": "yes", "s": 1.50}'::jsonb),
    ('{"i": "3.0", "n": " -1e3 ", "b": " OFF ", "s": 1e3}'),
    ('{"i": 7.0, "n": ".5", "b": 1, "s": true}'),
    ('{"i": true, "n": false, "b": "t", "s": 0.000}'),
    ('{"i": "+12", "n": "5.", "b": "0", "s": "already"}'),
    -- null, objects and arrays stay as they are
    ('{"i": null, "n": {"a": 1}, "b": [1], "s": null}')
  ) v(d);
-- what cannot be converted is a violation of the step, which changes nothing
SELECT e->>'instanceLocation' AS at, e->>'keywordLocation' AS step, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors('{"i": "3.5", "n": "12abc", "b": "maybe", "s": 1}', 'co')) e;
SELECT e->>'instanceLocation' AS at, e->>'keywordLocation' AS step, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors('{"i": 2.5, "n": "1e1001", "b": 2}', 'co')) e;
SELECT pipeline.validate('{"i": "3.5"}', 'co'), pipeline.validate('{"i": "3"}', 'co');
-- transform() leaves a value it cannot convert as it was; errors() reports it
SELECT pipeline.transform('{"i": "x"}', 'co');
SELECT pipeline.errors('{"i": "x"}', 'co');

SELECT pipeline.define('bad', '{"transform": [{"op": "coerce", "path": "/a", "to": "float"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "coerce", "path": "/a"}]}');
