-- Refusal messages named a JSON Pointer but not the document it is in: when
-- the bad part is in a registered schema reached by "$ref", the message now
-- names that schema's URI.
SET client_min_messages = warning;
\set VERBOSITY default

SELECT pipeline.register_schema('https://example.com/names/bad.json',
    '{"$defs": {"n": {"minimum": "one"}, "r": {"$ref": "#/$defs/missing"}}}');
SELECT pipeline.define('names_bad', '{"schema": {"properties": {"n": {"$ref": "https://example.com/names/bad.json#/$defs/n"}}}}');
SELECT pipeline.define('names_bad', '{"schema": {"items": {"$ref": "https://example.com/names/bad.json#/$defs/r"}}}');
-- in the schema itself, as before
SELECT pipeline.define('names_bad', '{"schema": {"properties": {"n": {"minimum": "one"}}}}');
DELETE FROM pipeline.schemas WHERE uri = 'https://example.com/names/bad.json';
