-- Number ops: round (half away from zero), clamp, scale; exact decimals
SELECT pipeline.define('num', $j${"transform": [
  {"op": "round", "path": "/r"},
  {"op": "round", "path": "/r2", "digits": 2},
  {"op": "round", "path": "/rneg", "digits": -2},
  {"op": "clamp", "path": "/c", "min": 0, "max": 10.5},
  {"op": "clamp", "path": "/lo", "min": 1},
  {"op": "scale", "path": "/s", "factor": 0.001},
  {"op": "scale", "path": "/f", "factor": 1.8, "offset": 32}
]}$j$);
SELECT pipeline.transform(d, 'num')
  FROM (VALUES
    ('{"r": 2.5, "r2": 2.345, "rneg": 1250, "c": -3, "lo": 0.5, "s": 1500, "f": 100}'::jsonb),
    ('{"r": -2.5, "r2": -0.005, "rneg": -1249.99, "c": 11, "lo": 7, "s": 0.1, "f": -40}'),
    ('{"r": 3, "r2": 1.2, "rneg": 50, "c": 10.5, "lo": 1, "s": 3, "f": 37.5}'),
    ('{"r": 0.49999999999999999999, "r2": 100000000000000000000.005, "c": 5}'),
    -- strings, booleans and null are left alone
    ('{"r": "2.5", "r2": true, "c": null, "s": "10"}')
  ) v(d);

SELECT pipeline.define('bad', '{"transform": [{"op": "clamp", "path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "clamp", "path": "/a", "min": 5, "max": 1}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "round", "path": "/a", "digits": 1001}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "scale", "path": "/a", "factor": "2"}]}');
