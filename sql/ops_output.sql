-- Output formats of errors(): list, basic, detailed, best
SELECT pipeline.define('shape', $${"schema": {"$id": "https://example.com/shape.json",
  "type": "object", "required": ["id"],
  "properties": {"id": {"type": "integer"},
   "shape": {"oneOf": [
      {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number", "minimum": 0}}, "required": ["kind", "r"]},
      {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number", "minimum": 0}}, "required": ["kind", "side"]},
      {"type": "string"}]}}}}$$);
\set bad '\'{"id": "x", "shape": {"kind": "square", "side": -1}}\''
SELECT jsonb_pretty(pipeline.errors(:bad, 'shape'));
SELECT pipeline.errors(:bad, 'shape') = pipeline.errors(:bad, 'shape', 'list') AS list_is_default;
SELECT jsonb_pretty(pipeline.errors(:bad, 'shape', 'basic'));
SELECT jsonb_pretty(pipeline.errors(:bad, 'shape', 'detailed'));
-- best: the square branch matched the discriminator, so its failure wins over the
-- shallower /id and the other branches' failures
SELECT pipeline.errors(:bad, 'shape', 'best');
-- a value of the wrong type for every branch: all are ruled out, the deepest wins
SELECT pipeline.errors('{"id": 1, "shape": 5}', 'shape', 'best');
-- a string matching branch 2 only by type: no failure at all
SELECT pipeline.errors('{"id": 1, "shape": "round"}', 'shape', 'best') IS NULL AS valid_best_is_null;
-- valid documents
SELECT pipeline.errors('{"id": 1}', 'shape', 'list') AS list, pipeline.errors('{"id": 1}', 'shape', 'basic') AS basic,
       pipeline.errors('{"id": 1}', 'shape', 'detailed') AS detailed, pipeline.errors('{"id": 1}', 'shape', 'best') AS best;
-- branches behind $ref: discriminators are found through the reference, and
-- absoluteKeywordLocation is where the reference landed (sql/output_absolute_location.sql)
SELECT pipeline.define('pet', $${"schema": {"$id": "https://example.com/pet.json",
  "anyOf": [{"$ref": "#/$defs/cat"}, {"$ref": "#/$defs/dog"}],
  "$defs": {"cat": {"properties": {"kind": {"enum": ["cat"]}, "lives": {"maximum": 9}}},
            "dog": {"properties": {"kind": {"enum": ["dog"]}, "bark": {"type": "boolean"}},
                    "required": ["bark"]}}}}$$);
SELECT pipeline.errors('{"kind": "dog", "lives": 12}', 'pet', 'best');
SELECT pipeline.errors('{"kind": "cat", "lives": 12}', 'pet', 'best');
SELECT jsonb_pretty(pipeline.errors('{"kind": "cat", "lives": 12}', 'pet', 'basic'));
-- no $id: no absoluteKeywordLocation; arrays: one unit per failing element
SELECT pipeline.define('nums', '{"schema": {"items": {"type": "integer", "minimum": 0}}}');
SELECT jsonb_pretty(pipeline.errors('[1, -2, "x"]', 'nums', 'detailed'));
SELECT pipeline.errors('[1, -2, "x"]', 'nums', 'best');
-- transform failures keep their step's location
SELECT pipeline.define('amount', '{"transform": [{"op": "coerce", "path": "/amount", "to": "number"}]}');
SELECT pipeline.errors('{"amount": "many"}', 'amount', 'basic');
-- many failures: every leaf of 'list' is in 'detailed' once, and the call is prompt
SELECT jsonb_array_length(pipeline.errors(d, 'nums')) AS list_leaves,
       jsonb_array_length(pipeline.errors(d, 'nums', 'basic')->'errors') AS basic_leaves,
       (SELECT count(*) FROM jsonb_path_query(pipeline.errors(d, 'nums', 'detailed'),
                                              'strict $.**?(exists(@.error) && !exists(@.errors))')) AS detailed_leaves
  FROM (SELECT jsonb_agg(-g) AS d FROM generate_series(1, 5000) g) s;
-- pinned versions take a format too; named notation
SELECT pipeline.define('nums', '{"schema": {"items": {"type": "integer"}}}');
SELECT pipeline.errors('[-1]', 'nums', 1, 'best') AS v1, pipeline.errors('[-1]', 'nums', 2, 'best') AS v2,
       pipeline.errors(doc => '[-1]', name => 'nums', version => 1) AS v1_list,
       pipeline.errors(doc => '[-1]', name => 'nums', format => 'best') AS active_best;
-- bad input
SELECT pipeline.errors('{}', 'shape', 'verbose');
SELECT pipeline.errors('{}', 'shape', 'BEST');
SELECT pipeline.errors('{}', 'shape', NULL::text) IS NULL AS null_format_is_null;
SELECT pipeline.errors('{}', 'nope', 'basic');
SELECT pipeline.drop('shape'), pipeline.drop('pet'), pipeline.drop('nums'), pipeline.drop('amount');
