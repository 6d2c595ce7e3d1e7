-- register_schema and unregister_format protect the version that triggers
-- run: the active one.  They checked the latest version instead, so after
-- a rollback (activate) or with a staged version a schema could be replaced
-- (a format removed) under the active version, whose rows then all failed.
-- And activate() compiles the version it makes active: the registry may
-- have changed since that version was defined.
\set VERBOSITY terse
SELECT pipeline.register_schema('urn:hra:s', '{"$defs": {"pos": {"minimum": 0}}}');
SELECT pipeline.define('hra', '{"schema": {"$ref": "urn:hra:s#/$defs/pos"}, "on_error": "raise"}');
SELECT pipeline.define('hra', '{"schema": {"type": "integer"}}');
SELECT pipeline.activate('hra', 1);    -- roll back to version 1, which reaches urn:hra:s
CREATE TABLE hra_t (doc jsonb);
SELECT pipeline.attach('hra_t', 'hra', 'doc');
INSERT INTO hra_t VALUES ('5');
-- the active version would no longer compile: refused
SELECT pipeline.register_schema('urn:hra:s', '{}');
INSERT INTO hra_t VALUES ('6');
SELECT pipeline.validate('7', 'hra');

-- a staged version newer than the active one: the active one is still checked
SELECT pipeline.define('hra', '{"schema": {"type": "number"}}', false);
SELECT version, active FROM pipeline.pipelines WHERE name = 'hra' ORDER BY version;
SELECT pipeline.register_schema('urn:hra:s', '{}');
INSERT INTO hra_t VALUES ('8');

-- activating a version that no longer compiles is refused: version 3 reaches
-- a schema that is replaced while version 1 is active
SELECT pipeline.register_schema('urn:hra:t', '{"$defs": {"n": {"type": "number"}}}');
SELECT pipeline.define('hra', '{"schema": {"$ref": "urn:hra:t#/$defs/n"}}', false);
SELECT pipeline.register_schema('urn:hra:t', '{}');
SELECT pipeline.activate('hra', 4);
SELECT version FROM pipeline.pipelines WHERE name = 'hra' AND active;
INSERT INTO hra_t VALUES ('9');

-- formats: the active version asserts the format, the latest does not
SELECT pipeline.register_format('hra-even', '^[0-9]*[02468]$');
SELECT pipeline.define('hrf', '{"schema": {"format": "hra-even"}, "formats": "assert"}');
SELECT pipeline.define('hrf', '{"schema": {}}');
SELECT pipeline.activate('hrf', 1);
SELECT pipeline.unregister_format('hra-even');
SELECT pipeline.validate('"12"', 'hrf'), pipeline.validate('"13"', 'hrf');

SELECT count(*) FROM hra_t;
DROP TABLE hra_t;
SELECT pipeline.drop('hra');
SELECT pipeline.drop('hrf');
SELECT pipeline.unregister_format('hra-even');
DELETE FROM pipeline.schemas WHERE uri LIKE 'urn:hra:%';
