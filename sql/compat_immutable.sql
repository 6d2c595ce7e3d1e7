-- The compat functions are IMMUTABLE, so a CHECK constraint, an index or a
-- generated column may rely on them.  Their verdict used to depend on
-- pipeline.format_assertion, which any role could SET (and so insert past a
-- table owner's CHECK), and on the registry (a "$ref" to a registered
-- schema).  Now the setting is for superusers only and the compat
-- functions never read the registry.
SET client_min_messages = warning;
CREATE ROLE compat_owner;
CREATE ROLE compat_nobody;
GRANT CREATE ON SCHEMA public TO compat_owner;

SET ROLE compat_owner;
CREATE TABLE compat_people (
    doc jsonb CHECK (pipeline.jsonb_matches_schema('{"properties": {"email": {"format": "email"}}}', doc))
);
GRANT INSERT, SELECT ON compat_people TO compat_nobody;
RESET ROLE;

SET ROLE compat_nobody;
INSERT INTO compat_people VALUES ('{"email": "ann@example.com"}');
-- an unprivileged role can neither turn formats off ...
SET pipeline.format_assertion = off;
SELECT set_config('pipeline.format_assertion', 'off', false);
-- ... nor insert past the constraint
INSERT INTO compat_people VALUES ('{"email": "not an address"}');
SHOW pipeline.format_assertion;
RESET ROLE;

-- nor can the table owner (it may change its constraint instead)
SET ROLE compat_owner;
SET pipeline.format_assertion = off;
RESET ROLE;

-- a superuser can, and the verdict follows (what the setting is for)
SET pipeline.format_assertion = off;
SELECT pipeline.jsonb_matches_schema('{"format": "email"}', '"not an address"');
RESET pipeline.format_assertion;

-- a placeholder set before the library is loaded is refused at load
\c -
SET ROLE compat_nobody;
SET pipeline.format_assertion = off;
INSERT INTO compat_people VALUES ('{"email": "not an address"}');
SHOW pipeline.format_assertion;
RESET ROLE;

-- the registry is out of their reach: a registered schema is not resolved
SELECT pipeline.register_schema('https://example.com/compat/email.json', '{"format": "email"}');
\set VERBOSITY default
SELECT pipeline.jsonb_matches_schema('{"$ref": "https://example.com/compat/email.json"}', '"x@example.com"');
\set VERBOSITY terse
SELECT pipeline.jsonschema_is_valid('{"$ref": "https://example.com/compat/email.json"}');
-- the built-in metaschemas are immutable and stay reachable
SELECT pipeline.jsonb_matches_schema('{"$ref": "http://json-schema.org/draft-07/schema#"}', '{"type": "string"}'),
       pipeline.jsonb_matches_schema('{"$ref": "http://json-schema.org/draft-07/schema#"}', '{"type": 5}');
-- named pipelines are the way to use the registry (STABLE functions)
SELECT pipeline.define('compat_email', '{"schema": {"$ref": "https://example.com/compat/email.json"}}');
SELECT pipeline.validate('"x@example.com"', 'compat_email'), pipeline.validate('"x"', 'compat_email');

SELECT count(*) FROM compat_people;
DROP TABLE compat_people;
SELECT pipeline.drop('compat_email');
DELETE FROM pipeline.schemas WHERE uri = 'https://example.com/compat/email.json';
REVOKE CREATE ON SCHEMA public FROM compat_owner;
DROP ROLE compat_owner;
DROP ROLE compat_nobody;
