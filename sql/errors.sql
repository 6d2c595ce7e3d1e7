-- errors(): every failing leaf, with instanceLocation, keywordLocation and a message.
SET client_min_messages = warning;

SELECT pipeline.define('order', $$
{"schema": {
  "type": "object",
  "required": ["id", "email", "items"],
  "properties": {
    "id":    {"type": "integer", "minimum": 1},
    "email": {"type": "string", "format": "email"},
    "items": {"type": "array", "minItems": 1,
              "items": {"$ref": "#/$defs/item"}},
    "a/b~c": {"type": "string"}
  },
  "additionalProperties": false,
  "$defs": {"item": {"type": "object", "required": ["sku"],
                     "properties": {"sku": {"pattern": "^[A-Z]{3}-\\d+$"},
                                    "qty": {"type": "integer", "exclusiveMinimum": 0}}}}
}}$$);

-- a valid record has no errors
SELECT pipeline.errors('{"id": 1, "email": "a@example.com", "items": [{"sku": "ABC-1"}]}', 'order');

-- several failures, in a stable order; pointers escape "~" and "/"
SELECT e->>'instanceLocation' AS instance, e->>'keywordLocation' AS keyword, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors($$
  {"id": 0, "email": "nope", "items": [{"sku": "abc", "qty": 0}, {"qty": 2.5}],
   "a/b~c": 1, "extra": true}$$, 'order')) AS e;

-- missing required properties are reported at the object
SELECT jsonb_pretty(pipeline.errors('{}', 'order'));

-- applicators: leaves of every failed branch; oneOf overlap; not; if/then
SELECT pipeline.define('apps', $$
{"schema": {"properties": {
  "any":  {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 10}]},
  "one":  {"oneOf": [{"minimum": 0}, {"maximum": 10}]},
  "not":  {"not": {"const": "forbidden"}},
  "cond": {"if": {"properties": {"kind": {"const": "card"}}}, "then": {"required": ["cvv"]}},
  "has":  {"contains": {"type": "string"}, "maxContains": 1},
  "strict": {"properties": {"a": true}, "unevaluatedProperties": false}
}}}$$);
SELECT e->>'instanceLocation' AS instance, e->>'keywordLocation' AS keyword, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors($$
  {"any": 5, "one": 5, "not": "forbidden", "cond": {"kind": "card"},
   "has": [1, "a", "b"], "strict": {"a": 1, "b": 2}}$$, 'apps')) AS e;

-- validate agrees with errors
SELECT pipeline.validate('{"any": 5}', 'apps'), pipeline.errors('{"any": 5}', 'apps') = '[]';

-- process returns the record, or raises 23514 with a DETAIL line per violation
SELECT pipeline.process('{"id": 1, "email": "a@example.com", "items": [{"sku": "ABC-1"}]}', 'order');
SELECT pipeline.process('{"id": "1", "items": []}', 'order');
-- the error's fields: SQLSTATE and the pipeline as the constraint name
DO $$
DECLARE
    state text; cname text; detail text;
BEGIN
    PERFORM pipeline.process('{"id": 2, "email": "x@example.com", "items": [{}]}', 'order');
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, cname = CONSTRAINT_NAME, detail = PG_EXCEPTION_DETAIL;
    RAISE WARNING 'sqlstate % constraint % detail %', state, cname, detail;
END
$$;

-- a root that is not an object
SELECT pipeline.errors('[1, 2]', 'order');
