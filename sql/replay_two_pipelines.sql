-- replay_two_pipelines: a row replayed through one pipeline and quarantined by
-- another moves its reject (deleted in the row's subtransaction, which inserts
-- the new one): every row sent is stored once or in exactly one reject,
-- whatever the order of the replays
CREATE SCHEMA replay_two;
SET search_path = replay_two, public;
CREATE TABLE t (n int);
SELECT pipeline.define('two_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.define('two_q', '{"on_error": "quarantine"}');
SELECT pipeline.attach('t', 'two_p');
SELECT pipeline.attach('t', 'two_q');
INSERT INTO t VALUES (5), (6);
-- now p takes both and q (whose trigger fires after p's) refuses 5
SELECT pipeline.define('two_p', '{"on_error": "quarantine"}');
SELECT pipeline.define('two_q', '{"schema": {"properties": {"n": {"not": {"const": 5}}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('two_p');
SELECT pipeline, version, record FROM pipeline.rejects WHERE pipeline LIKE 'two_%' ORDER BY id;
SELECT n FROM t ORDER BY n;
-- q takes everything: 5 is stored once, whichever pipeline is replayed first
SELECT pipeline.define('two_q', '{"on_error": "quarantine"}');
BEGIN;
SELECT * FROM pipeline.replay('two_p');
SELECT * FROM pipeline.replay('two_q');
SELECT n, count(*) FROM t GROUP BY n ORDER BY n;
SELECT count(*) AS rejects FROM pipeline.rejects WHERE pipeline LIKE 'two_%';
ROLLBACK;
BEGIN;
SELECT * FROM pipeline.replay('two_q');
SELECT * FROM pipeline.replay('two_p');
SELECT n, count(*) FROM t GROUP BY n ORDER BY n;
SELECT count(*) AS rejects FROM pipeline.rejects WHERE pipeline LIKE 'two_%';
ROLLBACK;

-- the other pipeline's trigger firing first (pipeline_two_a before pipeline_two_p)
CREATE TABLE u (n int);
SELECT pipeline.define('two_a', '{"on_error": "quarantine"}');
SELECT pipeline.attach('u', 'two_a');
SELECT pipeline.define('two_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('u', 'two_p');
INSERT INTO u VALUES (7);
SELECT pipeline.define('two_p', '{"on_error": "quarantine"}');
SELECT pipeline.define('two_a', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('two_p');
SELECT pipeline, record FROM pipeline.rejects WHERE pipeline LIKE 'two_%' AND relation = 'u'::regclass ORDER BY id;
SELECT pipeline.define('two_a', '{"on_error": "quarantine"}');
BEGIN;
SELECT * FROM pipeline.replay('two_p');
SELECT * FROM pipeline.replay('two_a');
SELECT n, count(*) FROM u GROUP BY n ORDER BY n;
ROLLBACK;
SELECT * FROM pipeline.replay('two_a');
SELECT * FROM pipeline.replay('two_p');
SELECT n, count(*) FROM u GROUP BY n ORDER BY n;
SELECT count(*) AS rejects FROM pipeline.rejects WHERE pipeline LIKE 'two_%' AND relation = 'u'::regclass;

-- a row another trigger keeps out without quarantining it keeps its reject
CREATE TABLE v (n int);
SELECT pipeline.define('two_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('v', 'two_p');
INSERT INTO v VALUES (8);
SELECT pipeline.define('two_p', '{"on_error": "quarantine"}');
SELECT pipeline.define('two_s', '{"schema": false, "on_error": "skip"}');
SELECT pipeline.attach('v', 'two_s');
SELECT * FROM pipeline.replay('two_p');
SELECT pipeline, record FROM pipeline.rejects WHERE pipeline LIKE 'two_%' ORDER BY id;
SELECT count(*) FROM v;

SELECT pipeline.detach('t', 'two_p'), pipeline.detach('t', 'two_q'), pipeline.detach('u', 'two_a'),
       pipeline.detach('u', 'two_p'), pipeline.detach('v', 'two_p'), pipeline.detach('v', 'two_s');
DELETE FROM pipeline.rejects WHERE pipeline LIKE 'two_%';
SELECT pipeline.drop('two_p'), pipeline.drop('two_q'), pipeline.drop('two_a'), pipeline.drop('two_s');
DROP SCHEMA replay_two CASCADE;
