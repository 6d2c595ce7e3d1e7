-- Trigger names: pipelines whose names share their first 54 bytes used to get
-- the same trigger name ('pipeline_' || name cut at 63 bytes), so attaching
-- the second was refused and detaching it dropped the first one's trigger.
-- attach/detach now know a trigger by the pipeline it runs.
SET client_min_messages = warning;

\set a '''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_first'''
\set b '''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_second'''
SELECT pipeline.define(:a, '{"schema": {"required": ["x"]}}');
SELECT pipeline.define(:b, '{"schema": {"required": ["y"]}}');
CREATE TABLE collide (doc jsonb);

SELECT pipeline.attach('collide', :a, 'doc');
SELECT pipeline.attach('collide', :b, 'doc');
-- attaching the same pipeline twice is still refused
SELECT pipeline.attach('collide', :b, 'doc');
SELECT tgname, octet_length(tgname) AS bytes, split_part(encode(tgargs, 'escape'), '\000', 1) = :b AS runs_b
  FROM pg_trigger WHERE tgrelid = 'collide'::regclass ORDER BY tgname;

-- both run
INSERT INTO collide VALUES ('{"x": 1, "y": 1}');
INSERT INTO collide VALUES ('{"y": 1}');
INSERT INTO collide VALUES ('{"x": 1}');

-- detaching B removes B's trigger only
SELECT pipeline.detach('collide', :b);
INSERT INTO collide VALUES ('{"x": 1}');
INSERT INTO collide VALUES ('{"y": 1}');
SELECT pipeline.detach('collide', :b);
SELECT pipeline.detach('collide', :a);
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'collide'::regclass;

-- a free short name is kept as it was; a taken one gets a number
CREATE FUNCTION collide_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER pipeline_short BEFORE INSERT ON collide FOR EACH ROW EXECUTE FUNCTION collide_noop();
SELECT pipeline.define('short', '{}');
SELECT pipeline.attach('collide', 'short', 'doc');
SELECT pipeline.define('other', '{}');
SELECT pipeline.attach('collide', 'other', 'doc');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'collide'::regclass ORDER BY tgname;
SELECT pipeline.detach('collide', 'short');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'collide'::regclass ORDER BY tgname;

-- multibyte names are cut at a character boundary
\set m '''ééééééééééééééééééééééééééé_one'''
\set n '''ééééééééééééééééééééééééééé_two'''
SELECT pipeline.define(:m, '{}'), pipeline.define(:n, '{}');
SELECT pipeline.attach('collide', :m), pipeline.attach('collide', :n);
SELECT tgname, octet_length(tgname) AS bytes FROM pg_trigger
 WHERE tgrelid = 'collide'::regclass AND tgname LIKE 'pipeline_é%' ORDER BY tgname;

-- drop() sees a pipeline attached under a made-up name
SELECT pipeline.drop(:n);
SELECT pipeline.detach('collide', :n);
SELECT pipeline.drop(:n);
