-- In drafts 04 to 07 "$defs" is not a keyword: a member under it that is not
-- a schema used to make the whole schema refused.  Unknown keywords' values
-- are data; only what a "$ref" reaches is compiled as a schema.
SET client_min_messages = warning;

-- draft-07: "$defs" holds data, and what "$ref" reaches in it is a schema
SELECT pipeline.define('defs07', '{"schema": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$defs": {"note": "not a schema", "list": [1, 2], "odd": {"type": "text", "$schema": "urn:nothing"},
              "id": {"type": "integer"}},
    "properties": {"id": {"$ref": "#/$defs/id"}}}}');
SELECT pipeline.validate('{"id": 1}', 'defs07'), pipeline.validate('{"id": "x"}', 'defs07');
SELECT pipeline.jsonschema_is_valid('{"$schema": "http://json-schema.org/draft-04/schema#", "$defs": {"a": 5}}'),
       pipeline.jsonb_matches_schema('{"$schema": "http://json-schema.org/draft-06/schema#", "$defs": {"a": {"minimum": "x"}}}', '1');
-- a "$ref" into something that is not a schema is still refused
SELECT pipeline.define('defs07_bad', '{"schema": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$defs": {"note": "not a schema"}, "$ref": "#/$defs/note"}}');
-- other keywords of later drafts are data in draft-07 too
SELECT pipeline.define('defs07_later', '{"schema": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "dependentSchemas": {"a": 5}, "prefixItems": [5], "unevaluatedProperties": 5}}');
-- "definitions" is a keyword there: its members are schemas
SELECT pipeline.define('defs07_definitions', '{"schema": {
    "$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"a": 5}}}');

-- in 2020-12 "$defs" is a keyword: every member must be a schema
SELECT pipeline.define('defs2020', '{"schema": {"$defs": {"a": 5}}}');

SELECT pipeline.drop('defs07'), pipeline.drop('defs07_later');
