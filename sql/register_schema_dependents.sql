-- Re-registering a schema that attached pipelines "$ref" with one they can
-- no longer compile used to succeed, and then every trigger raised 22023
-- (even on_error "quarantine" ones).  register_schema now compiles every
-- pipeline's current version with the new schema first and refuses, naming
-- the pipeline and the JSON Pointer.
SET client_min_messages = warning;

SELECT pipeline.register_schema('https://example.com/dep/base.json',
    '{"$defs": {"id": {"type": "integer", "minimum": 1}}}');
SELECT pipeline.define('dep_user', '{"schema": {"properties": {"id": {"$ref": "https://example.com/dep/base.json#/$defs/id"}}},
                                     "on_error": "quarantine"}');
CREATE TABLE dep_rows (doc jsonb);
SELECT pipeline.attach('dep_rows', 'dep_user', 'doc');
INSERT INTO dep_rows VALUES ('{"id": 1}');

-- the new version no longer has what dep_user refers to: refused
\set VERBOSITY default
SELECT pipeline.register_schema('https://example.com/dep/base.json', '{"$defs": {}}');
-- nor may it be broken inside what is referred to
SELECT pipeline.register_schema('https://example.com/dep/base.json',
    '{"$defs": {"id": {"type": "integer", "minimum": "1"}}}');
\set VERBOSITY terse

-- nothing changed: the registry keeps the old schema and the trigger works
SELECT schema FROM pipeline.schemas WHERE uri = 'https://example.com/dep/base.json';
INSERT INTO dep_rows VALUES ('{"id": 2}');
INSERT INTO dep_rows VALUES ('{"id": 0}');
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'dep_user';

-- a compatible change is accepted and used
SELECT pipeline.register_schema('https://example.com/dep/base.json',
    '{"$defs": {"id": {"type": "integer", "minimum": 10}}, "other": 1}');
INSERT INTO dep_rows VALUES ('{"id": 5}');
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'dep_user';

-- a new version of the pipeline that no longer needs it frees the schema
SELECT pipeline.define('dep_user', '{"schema": {"properties": {"id": {"type": "integer"}}}, "on_error": "quarantine"}');
SELECT pipeline.register_schema('https://example.com/dep/base.json', '{"$defs": {}}');

-- a pipeline that does not reach the schema is not in the way, even one
-- broken behind the API (its schema deleted by hand)
SELECT pipeline.register_schema('https://example.com/dep/gone.json', '{"type": "string"}');
SELECT pipeline.define('dep_broken', '{"schema": {"$ref": "https://example.com/dep/gone.json"}}');
DELETE FROM pipeline.schemas WHERE uri = 'https://example.com/dep/gone.json';
SELECT pipeline.register_schema('https://example.com/dep/base.json', '{"$defs": {}, "title": "unrelated"}');
-- and re-registering what it needs repairs it
SELECT pipeline.register_schema('https://example.com/dep/gone.json', '{"type": "string"}');
SELECT pipeline.validate('"x"', 'dep_broken');
-- a schema reached through another registered schema is a dependency too
SELECT pipeline.drop('dep_broken');
SELECT pipeline.register_schema('https://example.com/dep/outer.json', '{"$ref": "https://example.com/dep/gone.json"}');
SELECT pipeline.define('dep_outer', '{"schema": {"$ref": "https://example.com/dep/outer.json"}}');
\set VERBOSITY default
SELECT pipeline.register_schema('https://example.com/dep/gone.json', '{"type": "nothing"}');
\set VERBOSITY terse

SELECT pipeline.drop('dep_outer');
DELETE FROM pipeline.schemas WHERE uri LIKE 'https://example.com/dep/%';
SELECT pipeline.detach('dep_rows', 'dep_user');
SELECT pipeline.drop('dep_user');
DROP TABLE dep_rows;
DELETE FROM pipeline.rejects WHERE pipeline = 'dep_user';
