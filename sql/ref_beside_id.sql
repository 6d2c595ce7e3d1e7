-- draft-07: a root "$ref" beside an "$id", in a schema given inline (no
-- retrieval URI), used to resolve a relative reference against nothing and
-- be refused.  Like Python jsonschema and ajv, the root "$id" is the base.
SET client_min_messages = warning;

SELECT pipeline.define('ref_id', '{"schema": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://example.com/root/main.json",
    "$ref": "item.json",
    "definitions": {"item": {"$id": "item.json", "type": "integer"}}}}');
SELECT pipeline.validate('1', 'ref_id'), pipeline.validate('"x"', 'ref_id');

-- the same through the compat functions, and with a pointer through the $id
SELECT pipeline.jsonb_matches_schema('{
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://example.com/root/main.json",
    "$ref": "main.json#/definitions/s",
    "definitions": {"s": {"type": "string"}}}', '"x"');

-- below the root, "$ref" still hides a sibling "$id" (draft-07 semantics)
SELECT pipeline.jsonb_matches_schema('{
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://example.com/a/root.json",
    "definitions": {"n": {"$id": "https://example.com/a/n.json", "type": "number"},
                    "s": {"$id": "https://example.com/b/n.json", "type": "string"}},
    "allOf": [{"$id": "https://example.com/b/", "$ref": "n.json"}]}', '1');

SELECT pipeline.drop('ref_id');
