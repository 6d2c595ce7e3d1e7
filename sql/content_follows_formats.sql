-- draft-07 contentEncoding/contentMediaType used to be asserted even with
-- "formats": "annotate" or pipeline.format_assertion off.  They now follow
-- the same switch as "format".
SET client_min_messages = warning;

SELECT pipeline.define('content_assert', '{"schema": {"$schema": "http://json-schema.org/draft-07/schema#",
    "properties": {"b": {"contentEncoding": "base64"}, "j": {"contentMediaType": "application/json"}}}}');
SELECT pipeline.define('content_annotate', '{"formats": "annotate",
    "schema": {"$schema": "http://json-schema.org/draft-07/schema#",
    "properties": {"b": {"contentEncoding": "base64"}, "j": {"contentMediaType": "application/json"}}}}');
SELECT pipeline.validate('{"b": "not base64!"}', 'content_assert'),
       pipeline.validate('{"j": "{not json"}', 'content_assert'),
       pipeline.validate('{"b": "aGk=", "j": "[1]"}', 'content_assert');
SELECT pipeline.validate('{"b": "not base64!"}', 'content_annotate'),
       pipeline.validate('{"j": "{not json"}', 'content_annotate');

-- the compat functions: pipeline.format_assertion
SELECT pipeline.jsonb_matches_schema('{"$schema": "http://json-schema.org/draft-07/schema#", "contentEncoding": "base64"}', '"not base64!"');
SET pipeline.format_assertion = off;
SELECT pipeline.jsonb_matches_schema('{"$schema": "http://json-schema.org/draft-07/schema#", "contentEncoding": "base64"}', '"not base64!"'),
       pipeline.jsonb_matches_schema('{"$schema": "http://json-schema.org/draft-07/schema#", "contentMediaType": "application/json"}', '"{"');
RESET pipeline.format_assertion;

SELECT pipeline.drop('content_assert'), pipeline.drop('content_annotate');
