-- replay_global_state: during a replay only the row the replay inserts
-- reports to it; a cascaded row with the same pipeline is judged as it would
-- be outside a replay, and nested replays restore the outer one
CREATE SCHEMA replay_state;
SET search_path = replay_state, public;
SELECT pipeline.define('rg_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
CREATE TABLE src (n int);
CREATE TABLE dst (n int);
SELECT pipeline.attach('src', 'rg_p'), pipeline.attach('dst', 'rg_p');
-- every row stored in src copies n + 100 into dst
CREATE FUNCTION src_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO replay_state.dst VALUES (NEW.n + 100);
    RETURN NULL;
END $$;
CREATE TRIGGER copy AFTER INSERT ON src FOR EACH ROW EXECUTE FUNCTION src_copy();
INSERT INTO src VALUES (5);
-- version 2 takes 5 but not 105: the cascaded row is quarantined, not lost
SELECT pipeline.define('rg_p', '{"schema": {"properties": {"n": {"maximum": 10}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rg_p');
SELECT 'src' AS t, n FROM src UNION ALL SELECT 'dst', n FROM dst ORDER BY 1, 2;
SELECT relation, version, record FROM pipeline.rejects WHERE pipeline = 'rg_p' ORDER BY id;
-- with on_error raise the cascaded row fails the replayed one: it stays, with that error
SELECT pipeline.define('rg_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
INSERT INTO src VALUES (6);
SELECT pipeline.define('rg_p', '{"schema": {"properties": {"n": {"maximum": 10}}}, "on_error": "raise"}');
DELETE FROM pipeline.rejects WHERE pipeline = 'rg_p' AND relation = 'dst'::regclass;
SELECT * FROM pipeline.replay('rg_p');
SELECT relation, version, record, errors FROM pipeline.rejects WHERE pipeline = 'rg_p' ORDER BY id;
SELECT 'src' AS t, n FROM src UNION ALL SELECT 'dst', n FROM dst ORDER BY 1, 2;

-- a replay nested in a trigger of the replayed row: the outer one is
-- restored, so the outer row's failure still reaches the outer replay
CREATE TABLE outer_t (n int);
CREATE TABLE inner_t (n int);
SELECT pipeline.define('rg_o', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.define('rg_i', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('outer_t', 'rg_o'), pipeline.attach('inner_t', 'rg_i');
CREATE FUNCTION nested() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM pipeline.replay('rg_i');
    RAISE NOTICE 'nested replay of rg_i: %', r;
    RETURN NEW;
END $$;
-- "a_nested" fires before "pipeline_rg_o"
CREATE TRIGGER a_nested BEFORE INSERT ON outer_t FOR EACH ROW EXECUTE FUNCTION nested();
INSERT INTO inner_t VALUES (1);
INSERT INTO outer_t VALUES (2);
SELECT pipeline.define('rg_i', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rg_o');
SELECT pipeline, version, record FROM pipeline.rejects WHERE pipeline IN ('rg_o', 'rg_i') ORDER BY id;
SELECT 'outer' AS t, n FROM outer_t UNION ALL SELECT 'inner', n FROM inner_t ORDER BY 1, 2;
SELECT pipeline.define('rg_o', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rg_o');
SELECT count(*) AS rejects FROM pipeline.rejects WHERE pipeline IN ('rg_o', 'rg_i');
SELECT 'outer' AS t, n FROM outer_t UNION ALL SELECT 'inner', n FROM inner_t ORDER BY 1, 2;

-- a reject naming a partitioned table: the row's trigger fires on the partition it goes to
CREATE TABLE parted (k int, n int) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
SELECT pipeline.attach('parted', 'rg_o');
INSERT INTO pipeline.rejects (pipeline, version, relation, operation, record, errors)
VALUES ('rg_o', 1, 'parted', 'INSERT', '{"k": 1, "n": 3}', '[]');
SELECT pipeline.define('rg_o', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rg_o');
SELECT relation, version, record FROM pipeline.rejects WHERE pipeline = 'rg_o';
SELECT pipeline.define('rg_o', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rg_o');
SELECT tableoid::regclass, * FROM parted;

SELECT pipeline.detach('parted', 'rg_o');
SELECT pipeline.detach('src', 'rg_p'), pipeline.detach('dst', 'rg_p'),
       pipeline.detach('outer_t', 'rg_o'), pipeline.detach('inner_t', 'rg_i');
DELETE FROM pipeline.rejects WHERE pipeline IN ('rg_p', 'rg_o', 'rg_i');
SELECT pipeline.drop('rg_p'), pipeline.drop('rg_o'), pipeline.drop('rg_i');
SET client_min_messages = warning;
DROP SCHEMA replay_state CASCADE;
RESET client_min_messages;
