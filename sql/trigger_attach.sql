-- attach checks the spec against the table; detach; changes while attached
CREATE SCHEMA trigger_attach;
SET search_path = trigger_attach, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE acct (id int, name text, balance numeric, active bool, opened date, meta jsonb, tags text[]);
SELECT pipeline.define('t_p_missing', '{"transform": [{"op": "trim", "path": "/nmae"}]}');
SELECT pipeline.attach('acct', 't_p_missing');
SELECT pipeline.define('t_p_type', '{"transform": [{"op": "coerce", "path": "/balance", "to": "boolean"}]}');
SELECT pipeline.attach('acct', 't_p_type');
SELECT pipeline.define('t_p_input', '{"transform": [{"op": "round", "path": "/name"}]}');
SELECT pipeline.attach('acct', 't_p_input');
SELECT pipeline.define('t_p_deep', '{"transform": [{"op": "trim", "path": "/name/first"}]}');
SELECT pipeline.attach('acct', 't_p_deep');
SELECT pipeline.define('t_p_root', '{"transform": [{"op": "keep", "path": "", "keys": ["id"]}]}');
SELECT pipeline.attach('acct', 't_p_root');
SELECT pipeline.define('t_p_set', '{"transform": [{"op": "set", "path": "/active", "value": "yes"}]}');
SELECT pipeline.attach('acct', 't_p_set');
SELECT pipeline.define('t_p_copy', '{"transform": [{"op": "copy", "path": "/opened", "from": "/active"}]}');
SELECT pipeline.attach('acct', 't_p_copy');
SELECT pipeline.define('t_p_rename', '{"transform": [{"op": "rename", "path": "/meta/x", "to": "/tags"}]}');
SELECT pipeline.attach('acct', 't_p_rename');
SELECT pipeline.detach('acct', 't_p_rename');
SELECT pipeline.attach('acct', 'no_such_pipeline');
SELECT pipeline.attach('acct', 't_p_missing', 'nope');
SELECT pipeline.attach('acct', 't_p_missing', 'name');
CREATE VIEW acct_v AS SELECT * FROM acct;
SELECT pipeline.attach('acct_v', 't_p_missing');
DROP VIEW acct_v;
-- what fits is accepted: json members, copy out of jsonb, remove, parse_timestamp into a date
SELECT pipeline.define('t_acct', $j${"transform": [
  {"op": "trim", "path": "/name"}, {"op": "trim", "path": "/meta/label"}, {"op": "copy", "path": "/balance", "from": "/meta/balance"},
  {"op": "parse_timestamp", "path": "/opened"}, {"op": "remove", "path": "/tags"}]}$j$);
SELECT pipeline.attach('acct', 't_acct');
SELECT pipeline.attach('acct', 't_acct');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'acct'::regclass ORDER BY tgname;
INSERT INTO acct VALUES (1, ' x ', 0, true, '2024-05-01', '{"label": " l ", "balance": 9.5}', '{a}') RETURNING *;
-- redefine while attached: the next statement sees the new version
SELECT pipeline.define('t_acct', '{"transform": [{"op": "upper", "path": "/name"}]}');
INSERT INTO acct (id, name) VALUES (2, 'shout') RETURNING id, name;
-- a new version that no longer fits the table is refused when a row arrives
SELECT pipeline.define('t_acct', '{"transform": [{"op": "upper", "path": "/surname"}]}');
INSERT INTO acct (id, name) VALUES (3, 'x');
SELECT pipeline.define('t_acct', '{"transform": [{"op": "upper", "path": "/name"}], "schema": {"additionalProperties": false, "properties": {"id": {}, "name": {}, "balance": {}, "active": {}, "opened": {}, "meta": {}, "tags": {}}}}');
INSERT INTO acct (id, name) VALUES (4, 'ok') RETURNING id, name;
-- ALTER TABLE while attached: the plan follows the new shape
ALTER TABLE acct ADD COLUMN extra int;
INSERT INTO acct (id, name) VALUES (5, 'extra');
ALTER TABLE acct DROP COLUMN extra;
ALTER TABLE acct DROP COLUMN tags;
INSERT INTO acct (id, name) VALUES (6, 'after drop') RETURNING id, name;
ALTER TABLE acct ALTER COLUMN id TYPE text;
INSERT INTO acct (id, name) VALUES ('seven', 'retyped') RETURNING id, name;
ALTER TABLE acct RENAME COLUMN name TO full_name;
INSERT INTO acct (id, full_name) VALUES ('8', 'renamed');
ALTER TABLE acct RENAME COLUMN full_name TO name;
-- a pipeline that a table uses cannot be dropped: detach it first
SELECT pipeline.drop('t_acct');
-- the refused drop left it in force: the row is still transformed (upper)
INSERT INTO acct (id, name) VALUES ('9', 'still checked') RETURNING id, name;
SELECT pipeline.detach('acct', 't_acct');
SELECT pipeline.detach('acct', 't_acct');
INSERT INTO acct (id, name) VALUES ('10', 'free again') RETURNING id, name;
-- the trigger function is for BEFORE ROW INSERT/UPDATE triggers with one or two arguments
CREATE TRIGGER wrong AFTER INSERT ON acct FOR EACH ROW EXECUTE FUNCTION pipeline.trigger('t_p_missing');
INSERT INTO acct (id) VALUES ('11');
DROP TRIGGER wrong ON acct;
CREATE TRIGGER wrong BEFORE INSERT ON acct FOR EACH ROW EXECUTE FUNCTION pipeline.trigger();
INSERT INTO acct (id) VALUES ('12');
DROP TRIGGER wrong ON acct;
SELECT pipeline.trigger();
