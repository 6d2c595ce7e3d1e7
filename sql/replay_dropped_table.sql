-- replay_dropped_table: the rejects of a dropped table (or of a table without
-- the pipeline's trigger) are skipped with a warning and counted; the other
-- tables' rejects are replayed
CREATE SCHEMA replay_dropped;
SET search_path = replay_dropped, public;
\set VERBOSITY terse
CREATE TABLE gone (n int);
CREATE TABLE kept (n int);
CREATE TABLE detached (n int);
SELECT pipeline.define('rd_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('gone', 'rd_p'), pipeline.attach('kept', 'rd_p'), pipeline.attach('detached', 'rd_p');
INSERT INTO gone VALUES (1), (2);
INSERT INTO kept VALUES (3);
INSERT INTO detached VALUES (4);
DROP TABLE gone;
SELECT pipeline.detach('detached', 'rd_p');
SELECT pipeline.define('rd_p', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rd_p');
SELECT * FROM kept;
SELECT record FROM pipeline.rejects WHERE pipeline = 'rd_p' ORDER BY id;
-- nothing changed: the same again
SELECT * FROM pipeline.replay('rd_p');
-- an unknown pipeline is an error with its SQLSTATE
\set VERBOSITY sqlstate
SELECT * FROM pipeline.replay('rd_no_such_pipeline');
\set VERBOSITY default
SELECT pipeline.detach('kept', 'rd_p');
DELETE FROM pipeline.rejects WHERE pipeline = 'rd_p';
SELECT pipeline.drop('rd_p');
DROP SCHEMA replay_dropped CASCADE;
