-- Generated STORED columns in row mode: the record has the value PostgreSQL
-- will store (computed from the row after the steps), and a step may not
-- write one.  Defaults are in the row before the trigger runs.
CREATE SCHEMA trigger_generated;
SET search_path = trigger_generated, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE gen (id int, a integer, tot integer GENERATED ALWAYS AS (a * 10) STORED,
                  note text DEFAULT 'none');
SELECT pipeline.define('t_gen', '{
  "transform": [{"op": "scale", "path": "/a", "factor": 2}, {"op": "upper", "path": "/note"}],
  "schema": {"required": ["tot"], "properties": {"tot": {"type": "integer", "maximum": 100}}},
  "on_error": "quarantine"}');
SELECT pipeline.attach('gen', 't_gen');
INSERT INTO gen (id, a) VALUES (1, 3), (2, 6), (3, NULL);
SELECT * FROM gen ORDER BY id;
SELECT record, errors FROM pipeline.rejects ORDER BY id;
-- UPDATE: the generated column as it will be after the UPDATE
UPDATE gen SET a = 4 WHERE id = 1;
UPDATE gen SET a = 40 WHERE id = 1;
SELECT * FROM gen ORDER BY id;
SELECT operation, errors FROM pipeline.rejects WHERE operation = 'UPDATE';
-- a step may read a generated column, not write it
CREATE TABLE gen_copy (a integer, tot integer GENERATED ALWAYS AS (a * 10) STORED, t2 integer);
SELECT pipeline.define('t_gen_read', '{"transform": [{"op": "copy", "path": "/t2", "from": "/tot"}]}');
SELECT pipeline.attach('gen_copy', 't_gen_read');
INSERT INTO gen_copy (a) VALUES (7);
SELECT * FROM gen_copy;
SELECT pipeline.define('t_gen_write', '{"transform": [{"op": "set", "path": "/tot", "value": 1}]}');
SELECT pipeline.attach('gen_copy', 't_gen_write');
SELECT pipeline.define('t_gen_rename', '{"transform": [{"op": "rename", "path": "/tot", "to": "/t2"}]}');
SELECT pipeline.attach('gen_copy', 't_gen_rename');
SELECT pipeline.define('t_gen_remove', '{"transform": [{"op": "remove", "path": "/tot"}]}');
SELECT pipeline.attach('gen_copy', 't_gen_remove');

DROP SCHEMA trigger_generated CASCADE;
