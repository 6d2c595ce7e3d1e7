-- replay_trusts_rejects: a member of pipeline_admin cannot rewrite a reject
-- (no UPDATE on pipeline.rejects) nor replay into a table it may not insert
-- into (42501, checked for the calling role before the insert switches to
-- the table's owner)
CREATE ROLE regress_rt_admin IN ROLE pipeline_admin;
CREATE ROLE regress_rt_owner;
CREATE SCHEMA replay_trust AUTHORIZATION regress_rt_owner;
GRANT USAGE ON SCHEMA replay_trust TO regress_rt_admin;
SET search_path = replay_trust, public;
SET ROLE regress_rt_owner;
CREATE TABLE secret (n int, note text);
-- the owner lets the administrator attach a pipeline, nothing more
GRANT TRIGGER ON secret TO regress_rt_admin;
RESET ROLE;
SET ROLE regress_rt_admin;
SELECT pipeline.define('rt_p', '{"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('secret', 'rt_p');
RESET ROLE;
INSERT INTO secret VALUES (1, 'the owner''s row');
SET ROLE regress_rt_admin;
SELECT pipeline, relation, record FROM pipeline.rejects WHERE pipeline = 'rt_p';
-- the reject cannot be rewritten ...
UPDATE pipeline.rejects SET record = '{"n": 666, "note": "planted"}' WHERE pipeline = 'rt_p';
-- ... and with a pipeline that takes anything, replay is refused for a table the caller may not insert into
SELECT pipeline.define('rt_p', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('rt_p');
\set VERBOSITY sqlstate
SELECT * FROM pipeline._replay('rt_p');
UPDATE pipeline.rejects SET errors = '[]' WHERE pipeline = 'rt_p';
\set VERBOSITY default
RESET ROLE;
SELECT * FROM secret;
SELECT pipeline, record FROM pipeline.rejects WHERE pipeline = 'rt_p';
-- granted INSERT, the administrator replays (the insert still runs as the owner)
GRANT INSERT ON replay_trust.secret TO regress_rt_admin;
SET ROLE regress_rt_admin;
SELECT * FROM pipeline.replay('rt_p');
RESET ROLE;
SELECT * FROM secret;
-- deleting rejects stays possible
SET ROLE regress_rt_owner;
INSERT INTO secret VALUES (2, 'again');
RESET ROLE;
SELECT pipeline.define('rt_p', '{"schema": false, "on_error": "quarantine"}');
SET ROLE regress_rt_owner;
INSERT INTO secret VALUES (3, 'refused');
RESET ROLE;
SET ROLE regress_rt_admin;
DELETE FROM pipeline.rejects WHERE pipeline = 'rt_p';
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'rt_p';
RESET ROLE;
SELECT pipeline.detach('secret', 'rt_p');
SELECT pipeline.drop('rt_p');
SELECT has_table_privilege('pipeline_admin', 'pipeline.rejects', 'UPDATE') AS admin_updates_rejects,
       has_table_privilege('pipeline_admin', 'pipeline.rejects', 'DELETE') AS admin_deletes_rejects;
DROP SCHEMA replay_trust CASCADE;
DROP ROLE regress_rt_admin, regress_rt_owner;
