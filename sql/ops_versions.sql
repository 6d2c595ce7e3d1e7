-- Staged and pinned versions: define(..., activate => false), activate(), pinned calls
SELECT pipeline.define('ver', '{"schema": {"properties": {"n": {"maximum": 10}}}}');
-- a staged version is stored but not used
SELECT pipeline.define('ver', '{"schema": {"properties": {"n": {"maximum": 5}}}}', activate => false);
SELECT name, version, active FROM pipeline.pipelines WHERE name = 'ver' ORDER BY version;
SELECT pipeline.validate('{"n": 7}', 'ver') AS active_v1, pipeline.validate('{"n": 7}', 'ver', 2) AS pinned_v2,
       pipeline.validate('{"n": 7}', 'ver', 1) AS pinned_v1;
SELECT pipeline.errors('{"n": 7}', 'ver', 2);
SELECT pipeline.errors('{"n": 7}', 'ver', 2, 'best');
SELECT pipeline.transform('{"n": 7}', 'ver', 2), pipeline.process('{"n": 7}', 'ver', 1);
SELECT pipeline.process('{"n": 7}', 'ver', 2);
-- the trigger uses the active version
CREATE TABLE ver_t (n int);
SELECT pipeline.attach('ver_t', 'ver');
INSERT INTO ver_t VALUES (7);
-- activate returns the version it replaces; the same statement sequence now sees v2
SELECT pipeline.activate('ver', 2);
SELECT pipeline.validate('{"n": 7}', 'ver');
INSERT INTO ver_t VALUES (7);
SELECT name, version, active FROM pipeline.pipelines WHERE name = 'ver' ORDER BY version;
-- rollback: activate the older version again
SELECT pipeline.activate('ver', 1);
INSERT INTO ver_t VALUES (8);
SELECT pipeline.validate('{"n": 7}', 'ver');
-- activating the active version changes nothing
SELECT pipeline.activate('ver', 1);
-- a new active version replaces whichever was active
SELECT pipeline.define('ver', '{"schema": {"properties": {"n": {"maximum": 100}}}}');
SELECT name, version, active FROM pipeline.pipelines WHERE name = 'ver' ORDER BY version;
SELECT pipeline.validate('{"n": 70}', 'ver'), pipeline.validate('{"n": 70}', 'ver', 1);
-- a rolled-back activation leaves everything as it was
BEGIN;
SELECT pipeline.activate('ver', 2);
SELECT pipeline.validate('{"n": 7}', 'ver');
ROLLBACK;
SELECT pipeline.validate('{"n": 70}', 'ver');
SELECT name, version, active FROM pipeline.pipelines WHERE name = 'ver' ORDER BY version;
-- a pinned call inside the function cache, then the same name dropped and re-created
SELECT pipeline.validate('{"n": 70}', 'ver', 3);
DROP TABLE ver_t;
SELECT pipeline.drop('ver');
SELECT pipeline.validate('{"n": 70}', 'ver', 3);
SELECT pipeline.define('ver', '{"schema": {"properties": {"n": {"maximum": 1}}}}');
SELECT pipeline.validate('{"n": 70}', 'ver', 1);
-- bad input
SELECT pipeline.validate('{}', 'ver', 9);
SELECT pipeline.validate('{}', 'ver', 0);
SELECT pipeline.errors('{}', 'ver', -1, 'list');
SELECT pipeline.validate('{}', 'nope', 1);
SELECT pipeline.activate('ver', 9);
SELECT pipeline.activate('nope', 1);
SELECT pipeline.activate('ver', NULL);
SELECT pipeline.define('fresh', '{}', activate => false);
SELECT pipeline.define('ver', '{}', activate => NULL);
SELECT count(*) FROM pipeline.pipelines WHERE name IN ('ver', 'fresh');
-- the registry keeps one active version per name
SELECT pipeline.define('ver', '{}', false);
UPDATE pipeline.pipelines SET active = true WHERE name = 'ver';
SELECT pipeline.drop('ver');
