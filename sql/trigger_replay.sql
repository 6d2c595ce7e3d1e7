-- replay: quarantined records go through the current version again
CREATE SCHEMA trigger_replay;
SET search_path = trigger_replay, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE signups (id int GENERATED ALWAYS AS IDENTITY, email text, plan text, doubled int GENERATED ALWAYS AS (length(plan) * 2) STORED);
SELECT pipeline.define('t_signups', $j${"schema": {"properties": {"plan": {"enum": ["free"]}}},
  "transform": [{"op": "lower", "path": "/plan"}], "on_error": "quarantine"}$j$);
SELECT pipeline.attach('signups', 't_signups');
INSERT INTO signups (email, plan) VALUES ('a@x', 'FREE'), ('b@x', 'Pro'), ('c@x', 'team'), ('d@x', 'free');
SELECT id, email, plan, doubled FROM signups ORDER BY id;
SELECT id, version, record->>'email' AS email, errors->0->>'error' AS error FROM pipeline.rejects ORDER BY id;
-- nothing changed: the rejects stay, with the errors of this try
SELECT * FROM pipeline.replay('t_signups');
SELECT id, version, record->>'email' AS email FROM pipeline.rejects ORDER BY id;
-- version 2 takes "pro": that one goes in (with its original identity value), "team" stays
SELECT pipeline.define('t_signups', $j${"schema": {"properties": {"plan": {"enum": ["free", "pro"]}}},
  "transform": [{"op": "lower", "path": "/plan"}], "on_error": "raise"}$j$);
SELECT * FROM pipeline.replay('t_signups');
SELECT id, email, plan, doubled FROM signups ORDER BY id;
SELECT id, version, record->>'email' AS email, errors->0->>'error' AS error FROM pipeline.rejects ORDER BY id;
-- column mode rebuilds the row from the record and the other columns
CREATE TABLE inbox (id serial, source text DEFAULT 'api', doc jsonb);
SELECT pipeline.define('t_inbox', '{"schema": {"required": ["ok"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('inbox', 't_inbox', 'doc');
INSERT INTO inbox (source, doc) VALUES ('csv', '{"n": 1}'), ('api', '{"ok": true}');
SELECT pipeline.define('t_inbox', '{"transform": [{"op": "default", "path": "/ok", "value": false}], "on_error": "quarantine"}');
SELECT * FROM pipeline.replay('t_inbox');
SELECT * FROM inbox ORDER BY id;
-- the rejects of a table without the pipeline's trigger are skipped, with a warning; an unknown pipeline is refused
INSERT INTO inbox (doc) VALUES ('{}');
SELECT pipeline.detach('inbox', 't_inbox');
INSERT INTO pipeline.rejects (pipeline, version, relation, operation, record, errors, record_column, other_columns)
VALUES ('t_inbox', 1, 'inbox', 'INSERT', '{}', '[]', 'doc', '{"id": 9, "source": "x"}');
SELECT * FROM pipeline.replay('t_inbox');
SELECT * FROM pipeline.replay('no_such_pipeline');
