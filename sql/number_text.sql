-- One text for numbers in every message: plain decimal, no trailing
-- fractional zeros (what coerce to string writes)
SELECT pipeline.define('num_text', $j${
  "schema": {"properties": {"a": {"maximum": 1.0}, "b": {"minimum": 2.50}, "c": {"multipleOf": 0.10},
                            "d": {"exclusiveMaximum": 1e2}}},
  "transform": [{"op": "coerce", "path": "/e", "to": "integer"},
                {"op": "coerce", "path": "/f", "to": "boolean"},
                {"op": "coerce", "path": "/g", "to": "string"}]}$j$);
SELECT x ->> 'keywordLocation' AS keyword, x ->> 'error' AS error
  FROM jsonb_array_elements(pipeline.errors('{"a": 1.50, "b": 1.000, "c": 0.250, "d": 100.00, "e": 2.50, "f": 2.0}', 'num_text')) x;
SELECT pipeline.transform('{"g": 1.500}', 'num_text');
