-- Registry: define, versions, drop, register_schema, and define-time checks.
SET client_min_messages = warning;

-- define returns consecutive versions and keeps every one
SELECT pipeline.define('people', '{"schema": {"type": "object", "required": ["name"]}}');
SELECT pipeline.define('people', '{"schema": {"type": "object", "required": ["name", "age"]}}');
SELECT name, version, spec->'schema'->'required' AS required
  FROM pipeline.pipelines WHERE name = 'people' ORDER BY version;

-- the new version is what the next statement sees
SELECT pipeline.validate('{"name": "ann"}', 'people');
SELECT pipeline.define('people', '{"schema": {"type": "object", "required": ["name"]}}');
SELECT pipeline.validate('{"name": "ann"}', 'people');

-- a spec without a schema accepts everything; options are checked
SELECT pipeline.define('anything', '{}');
SELECT pipeline.validate('[1, "x", null]', 'anything');
SELECT pipeline.define('opts', '{"schema": true, "on_error": "quarantine", "formats": "annotate"}');

-- bad specs: 22023 naming the JSON Pointer of the bad part
\set VERBOSITY default
SELECT pipeline.define('bad', '[]');
SELECT pipeline.define('bad', '{"schema": {}, "extra": 1}');
SELECT pipeline.define('bad', '{"on_error": "explode"}');
SELECT pipeline.define('bad', '{"formats": true}');
SELECT pipeline.define('bad', '{"transform": {}}');
SELECT pipeline.define('bad', '{"schema": 5}');
SELECT pipeline.define('bad', '{"schema": {"properties": {"a": {"type": "text"}}}}');
SELECT pipeline.define('bad', '{"schema": {"properties": {"a~b/c": {"minLength": -1}}}}');
SELECT pipeline.define('bad', '{"schema": {"items": {"pattern": "(unclosed"}}}');
SELECT pipeline.define('bad', '{"schema": {"patternProperties": {"\\p{Lu}": true}}}');
SELECT pipeline.define('bad', '{"schema": {"$ref": "#/$defs/missing"}}');
SELECT pipeline.define('bad', '{"schema": {"$ref": "https://example.com/nowhere.json"}}');
SELECT pipeline.define('bad', '{"schema": {"allOf": []}}');
SELECT pipeline.define('bad', '{"schema": {"multipleOf": 0}}');
SELECT pipeline.define('bad', '{"schema": {"required": ["a", 1]}}');
SELECT pipeline.define('bad', '{"schema": {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}}}');
SELECT pipeline.define('', '{}');
SELECT pipeline.define(repeat('x', 64), '{}');
-- nothing was stored for them
SELECT count(*) FROM pipeline.pipelines WHERE name = 'bad';

-- unknown JSON Schema keywords are annotations, as the specification says
SELECT pipeline.define('annotated', '{"schema": {"title": "T", "x-internal": true, "examples": [1]}}');

-- register_schema makes a URI a $ref target; re-registering replaces it
SELECT pipeline.register_schema('https://example.com/id.json', '{"type": "integer", "minimum": 1}');
SELECT pipeline.define('ref', '{"schema": {"properties": {"id": {"$ref": "https://example.com/id.json"}}}}');
SELECT pipeline.validate('{"id": 5}', 'ref'), pipeline.validate('{"id": 0}', 'ref');
SELECT pipeline.register_schema('https://example.com/id.json#', '{"type": "integer", "minimum": 10}');
SELECT uri FROM pipeline.schemas;
-- specs that use it are recompiled
SELECT pipeline.validate('{"id": 5}', 'ref');
SELECT pipeline.register_schema('relative.json', '{}');
SELECT pipeline.register_schema('https://example.com/x.json#frag', '{}');

-- built-in metaschemas resolve without registration
SELECT pipeline.define('meta', '{"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}');
SELECT pipeline.validate('{"type": "string"}', 'meta'), pipeline.validate('{"type": 12}', 'meta');

-- drop removes every version; using a dropped or unknown pipeline is an error
SELECT pipeline.drop('people');
SELECT count(*) FROM pipeline.pipelines WHERE name = 'people';
SELECT pipeline.validate('{}', 'people');
SELECT pipeline.drop('people');
SELECT pipeline.validate('{}', 'never-defined');
