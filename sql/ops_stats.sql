-- pipeline.stats, reset_stats and reject_summary.  The output is the same in
-- both scopes (session, or cluster with shared_preload_libraries): the test
-- resets first and reads back only its own pipelines' counts.
SELECT pipeline.reset_stats();
SELECT count(*) AS scopes_other_than_ours FROM pipeline.stats WHERE scope NOT IN ('cluster', 'session');

SELECT pipeline.define('st_sql', '{"schema": {"properties": {"n": {"type": "integer"}}},
                                   "transform": [{"op": "rename", "path": "/num", "to": "/n"}]}');
-- validate: 2 pass (one of them transformed), 1 fails
SELECT pipeline.validate('{"n": 1}', 'st_sql'), pipeline.validate('{"num": 2}', 'st_sql'),
       pipeline.validate('{"n": "x"}', 'st_sql');
-- errors: 1 pass, 1 fail; process: 1 pass, 1 raised; transform: no verdict
SELECT pipeline.errors('{"n": 1}', 'st_sql'), jsonb_array_length(pipeline.errors('{"n": "x"}', 'st_sql'));
SELECT pipeline.process('{"n": 3}', 'st_sql');
SELECT pipeline.process('{"n": "y"}', 'st_sql');
SELECT pipeline.transform('{"num": 4}', 'st_sql');
-- a pinned call counts under its version
SELECT pipeline.define('st_sql', '{"schema": {"properties": {"n": {"minimum": 10}}}}', activate => false);
SELECT pipeline.validate('{"n": 1}', 'st_sql', 2);
SELECT pipeline, version, checked, passed, failed, transformed, quarantined, skipped, raised,
       time_ms >= 0 AS timed
  FROM pipeline.stats WHERE pipeline = 'st_sql' ORDER BY version;

-- the compat functions have no pipeline: not counted
SELECT pipeline.json_matches_schema('{"type": "integer"}', '1');
SELECT count(*) FROM pipeline.stats WHERE pipeline NOT LIKE 'st\_%';

-- the trigger: each on_error
SELECT pipeline.define('st_q', '{"schema": {"properties": {"v": {"minimum": 0}}}, "on_error": "quarantine",
                                 "transform": [{"op": "default", "path": "/tag", "value": "t"}]}');
SELECT pipeline.define('st_s', '{"schema": {"properties": {"v": {"minimum": 0}}}, "on_error": "skip"}');
SELECT pipeline.define('st_r', '{"schema": {"properties": {"v": {"minimum": 0}}}}');
CREATE TABLE st_q (v int, tag text);
CREATE TABLE st_s (v int);
CREATE TABLE st_r (v int);
SELECT pipeline.attach('st_q', 'st_q'), pipeline.attach('st_s', 'st_s'), pipeline.attach('st_r', 'st_r');
INSERT INTO st_q VALUES (1, 'given'), (2, NULL), (-1, NULL), (-2, 'x'), (-3, 'y');
INSERT INTO st_s VALUES (1), (-1), (-2);
INSERT INTO st_r VALUES (1), (2);
INSERT INTO st_r VALUES (3), (-1);
-- an UPDATE is a record too
UPDATE st_s SET v = -5;
SELECT pipeline, version, checked, passed, failed, transformed, quarantined, skipped, raised
  FROM pipeline.stats WHERE pipeline IN ('st_q', 'st_s', 'st_r') ORDER BY pipeline;

-- replay: a record that passes now is stored (passed); one refused again stays (failed)
SELECT pipeline.define('st_q', '{"schema": {"properties": {"v": {"minimum": -1}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('st_q');
SELECT pipeline, version, checked, passed, failed, transformed, quarantined, skipped, raised
  FROM pipeline.stats WHERE pipeline = 'st_q' ORDER BY version;

-- reject_summary: the rejects by pipeline, version, table and failing location
INSERT INTO st_q VALUES (-7, NULL);
SELECT pipeline, version, relation, keyword_location, count, first_seen <= last_seen AS ordered
  FROM pipeline.reject_summary WHERE pipeline = 'st_q' ORDER BY version, keyword_location;

-- track_stats off: nothing counted
SET pipeline.track_stats = off;
SELECT pipeline.validate('{"n": 1}', 'st_sql');
INSERT INTO st_s VALUES (7);
RESET pipeline.track_stats;
SELECT pipeline, checked FROM pipeline.stats WHERE pipeline IN ('st_sql', 'st_s') AND version = 1 ORDER BY 1;

-- reset of one pipeline, then of all
SELECT pipeline.reset_stats('st_sql');
SELECT pipeline, count(*) FROM pipeline.stats WHERE pipeline LIKE 'st\_%' GROUP BY 1 ORDER BY 1;
SELECT pipeline.reset_stats();
SELECT count(*) FROM pipeline.stats WHERE pipeline LIKE 'st\_%';

-- privileges: any role reads the counts; only pipeline_admin resets them;
-- reject_summary needs the right to read pipeline.rejects
CREATE ROLE st_plain;
CREATE ROLE st_admin IN ROLE pipeline_admin;
SET ROLE st_plain;
SELECT pipeline.validate('{"n": 1}', 'st_sql');
SELECT pipeline, checked FROM pipeline.stats WHERE pipeline = 'st_sql';
SELECT pipeline.reset_stats();
SELECT count(*) FROM pipeline.reject_summary;
SET pipeline.track_stats = off;
RESET ROLE;
SET ROLE st_admin;
SELECT pipeline.reset_stats('st_sql');
SELECT count(*) > 0 AS admin_reads_summary FROM pipeline.reject_summary;
RESET ROLE;

SELECT pipeline.detach('st_q', 'st_q'), pipeline.detach('st_s', 'st_s'), pipeline.detach('st_r', 'st_r');
DROP TABLE st_q, st_s, st_r;
DELETE FROM pipeline.rejects WHERE pipeline LIKE 'st\_%';
SELECT pipeline.drop('st_sql'), pipeline.drop('st_q'), pipeline.drop('st_s'), pipeline.drop('st_r');
DROP ROLE st_plain, st_admin;
