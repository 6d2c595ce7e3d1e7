-- absoluteKeywordLocation of errors() 'basic' and 'detailed' through references
-- (JSON Schema 2020-12, "Output Formatting"): the URI of the schema resource a
-- $ref or $dynamicRef landed in, with the JSON Pointer inside that resource;
-- never a location that passes a reference.  Units are shown one per row.
CREATE FUNCTION abs_units(doc jsonb, name text) RETURNS TABLE (kw text, abs text)
LANGUAGE sql AS $$
  SELECT u->>'keywordLocation', u->>'absoluteKeywordLocation'
    FROM jsonb_array_elements(pipeline.errors(doc, name, 'basic')->'errors') u $$;

-- the specification's own example: a $ref to $defs of a resource with an absolute $id
SELECT pipeline.define('polygon', $${"schema": {"$id": "https://example.com/polygon",
  "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                      "additionalProperties": false, "required": ["x", "y"]}},
  "type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 3}}$$);
SELECT * FROM abs_units('[{"x": 2.5, "y": 1.3}, {"x": 1, "z": 6.7}]', 'polygon');
-- detailed: the unit at the $ref itself is the schema it landed on
SELECT jsonb_pretty(pipeline.errors('[{"x": 2.5, "y": 1.3}, {"x": 1, "z": 6.7}]', 'polygon', 'detailed'));

-- $defs with a relative $id (an embedded resource): by $ref to its URI, by
-- pointer through the parent, and by an $anchor inside it
SELECT pipeline.define('order', $${"schema": {"$id": "https://example.com/schemas/order.json",
  "$defs": {"money": {"$id": "money.json", "type": "object", "required": ["currency"],
                      "properties": {"amount": {"$anchor": "amount", "type": "number", "minimum": 0}}}},
  "properties": {"total": {"$ref": "money.json"},
                 "tax": {"$ref": "#/$defs/money"},
                 "fee": {"$ref": "money.json#amount"},
                 "tip": {"$ref": "money.json#/properties/amount"}}}}$$);
SELECT * FROM abs_units('{"total": {"amount": -1}, "tax": {"amount": "x"}, "fee": -2, "tip": -3}', 'order');

-- a nested resource reached without a reference is located in it too
SELECT pipeline.define('nested', $${"schema": {"$id": "https://example.com/root.json",
  "properties": {"a": {"$id": "a/", "properties": {"b": {"$id": "b.json", "type": "string"}}, "required": ["b"]},
                 "c": {"type": "integer"}}}}$$);
SELECT * FROM abs_units('{"a": {"b": 1}, "c": "x"}', 'nested');
SELECT * FROM abs_units('{"a": {}}', 'nested');

-- registered schemas: the landing resource is the registered URI (or its own
-- $id); a root without $id has no absolute location outside them
SELECT pipeline.register_schema('https://example.com/reg/address.json', $${"type": "object",
  "required": ["city"], "properties": {"zip": {"$ref": "#/$defs/zip"}},
  "$defs": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}$$);
SELECT pipeline.register_schema('urn:example:person', $${"$id": "https://example.com/reg/person.json",
  "properties": {"name": {"type": "string"}, "home": {"$ref": "address.json"}}}$$);
SELECT pipeline.define('customer', $${"schema": {"properties": {"id": {"type": "integer"},
  "who": {"$ref": "urn:example:person"}, "ship": {"$ref": "https://example.com/reg/address.json"}}}}$$);
SELECT * FROM abs_units('{"id": "x", "who": {"name": 1, "home": {"zip": "1"}}, "ship": {"zip": 7}}', 'customer');

-- $dynamicRef: the location is where the dynamic scope sent it (the outer
-- resource's $dynamicAnchor), not the static target
SELECT pipeline.register_schema('https://example.com/tree.json', $${"$dynamicAnchor": "node",
  "type": "object", "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}}}$$);
SELECT pipeline.define('strict_tree', $${"schema": {"$id": "https://example.com/strict-tree.json",
  "$dynamicAnchor": "node", "$ref": "tree.json", "unevaluatedProperties": false}}$$);
SELECT * FROM abs_units('{"children": [{"children": [], "extra": 1}], "x": 2}', 'strict_tree');

-- 2019-09 $recursiveRef lands on the outermost resource with $recursiveAnchor
SELECT pipeline.define('rec', $${"schema": {"$schema": "https://json-schema.org/draft/2019-09/schema",
  "$id": "https://example.com/rec.json", "$recursiveAnchor": true,
  "properties": {"next": {"$recursiveRef": "#"}, "v": {"type": "integer"}}}}$$);
SELECT * FROM abs_units('{"v": 1, "next": {"v": "x"}}', 'rec');

-- a reference to a boolean schema: the boolean schema's own location
SELECT pipeline.define('never', $${"schema": {"$id": "https://example.com/never.json",
  "$defs": {"no": false}, "properties": {"gone": {"$ref": "#/$defs/no"}}}}$$);
SELECT * FROM abs_units('{"gone": 1}', 'never');

-- JSON Pointer tokens that a URI fragment cannot hold are percent-encoded
SELECT pipeline.define('odd', $${"schema": {"$id": "https://example.com/odd.json",
  "properties": {"a b%/c": {"$ref": "#/$defs/n~1m"}, "é": {"type": "string"}},
  "$defs": {"n/m": {"properties": {"x y": {"type": "integer"}}}}}}$$);
SELECT * FROM abs_units('{"a b%/c": {"x y": "z"}, "é": 1}', 'odd');

-- draft-07: "definitions" and a plain-name "$id" as the anchor
SELECT pipeline.define('d7', $${"schema": {"$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "http://example.com/d7.json", "definitions": {"a": {"$id": "#int", "type": "integer"}},
  "properties": {"x": {"$ref": "#int"}}}}$$);
SELECT * FROM abs_units('{"x": "1"}', 'd7');

-- no absolute URI anywhere: left out, through references too
SELECT pipeline.define('anon', $${"schema": {"$defs": {"n": {"minimum": 0}}, "items": {"$ref": "#/$defs/n"}}}$$);
SELECT * FROM abs_units('[-1]', 'anon');
SELECT pipeline.define('anon_rel', $${"schema": {"$id": "rel.json", "$defs": {"n": {"minimum": 0}}, "items": {"$ref": "#/$defs/n"}}}$$);
SELECT * FROM abs_units('[-1]', 'anon_rel');

-- 'list' and 'best' carry no absoluteKeywordLocation, unchanged
SELECT pipeline.errors('{"total": {"amount": -1}}', 'order', 'list');
SELECT pipeline.errors('{"total": {"amount": -1}}', 'order', 'best');
SELECT pipeline.errors('{"total": {"amount": 1, "currency": "EUR"}}', 'order', 'basic') AS valid_basic;

SELECT pipeline.drop(n) FROM unnest(ARRAY['polygon', 'order', 'nested', 'customer', 'strict_tree', 'rec',
                                          'never', 'odd', 'd7', 'anon', 'anon_rel']) n;
DELETE FROM pipeline.schemas;
DROP FUNCTION abs_units(jsonb, text);
