-- replay_column_defaults: columns the stored record does not have take their
-- defaults, and a row whose insert fails stays in rejects with that error
-- (its SQLSTATE) while the other rows are replayed
CREATE SCHEMA replay_defaults;
SET search_path = replay_defaults, public;
CREATE TABLE events (id int, n int);
CREATE TABLE docs (id int, doc jsonb);
SELECT pipeline.define('rc_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.define('rc_d', '{"schema": {"required": ["ok"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('events', 'rc_p');
SELECT pipeline.attach('docs', 'rc_d', 'doc');
INSERT INTO events VALUES (1, 5), (2, 6), (3, 7);
INSERT INTO docs VALUES (1, '{"n": 1}');
-- columns added after the rows were quarantined
ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT 'replayed';
ALTER TABLE events ADD COLUMN tags text[] DEFAULT '{late}';
ALTER TABLE events ADD CONSTRAINT not_six CHECK (n <> 6);
ALTER TABLE docs ADD COLUMN source text NOT NULL DEFAULT 'replayed';
SELECT pipeline.define('rc_p', '{"on_error": "quarantine"}');
SELECT pipeline.define('rc_d', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rc_p');
SELECT * FROM pipeline.replay('rc_d');
SELECT * FROM events ORDER BY id;
SELECT * FROM docs ORDER BY id;
-- the failing row keeps its reject, with the insert's error and SQLSTATE
SELECT version, record, errors FROM pipeline.rejects WHERE pipeline = 'rc_p' ORDER BY id;
-- the next replay takes it; a duplicate key fails alone (23505)
ALTER TABLE events DROP CONSTRAINT not_six;
CREATE UNIQUE INDEX events_id ON events (id);
SELECT pipeline.define('rc_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
INSERT INTO events (id, n) VALUES (3, 9);
SELECT pipeline.define('rc_p', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rc_p');
SELECT version, record, errors->0->>'sqlstate' AS sqlstate FROM pipeline.rejects WHERE pipeline = 'rc_p' ORDER BY id;
SELECT * FROM events ORDER BY id;

SELECT pipeline.detach('events', 'rc_p'), pipeline.detach('docs', 'rc_d');
SELECT pipeline.drop('rc_p'), pipeline.drop('rc_d');
DELETE FROM pipeline.rejects WHERE pipeline = 'rc_p';
DROP SCHEMA replay_defaults CASCADE;
