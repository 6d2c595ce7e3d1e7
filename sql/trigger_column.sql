-- Column mode: the jsonb column is the record
CREATE SCHEMA trigger_column;
SET search_path = trigger_column, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE events (id bigserial PRIMARY KEY, received timestamptz DEFAULT '2024-01-01Z', doc jsonb, note text);
SELECT pipeline.define('t_events', $j${
  "schema": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["click", "view"]}, "at": {"format": "date-time"}}},
  "transform": [{"op": "trim", "path": "/type"}, {"op": "lower", "path": "/type"}, {"op": "parse_timestamp", "path": "/at"},
                {"op": "remove", "path": "/debug"}],
  "on_error": "quarantine"}$j$);
SELECT pipeline.attach('events', 't_events', 'doc');
INSERT INTO events (doc, note) VALUES
  ('{"type": " CLICK ", "at": "2024-05-01 13:45", "debug": {"x": 1}}', 'changed'),
  ('{"type": "view"}', 'unchanged'),
  ('{"type": "scroll"}', 'fails the schema'),
  ('{"type": "view", "at": "yesterday"}', 'fails a step'),
  (NULL, 'no document');
SELECT id, doc, note FROM events ORDER BY id;
SELECT id, version, relation, operation, record, record_column, other_columns, errors FROM pipeline.rejects ORDER BY id;
-- a trigger created by hand works the same
CREATE TABLE raw (doc jsonb);
CREATE TRIGGER by_hand BEFORE INSERT OR UPDATE ON raw FOR EACH ROW EXECUTE FUNCTION pipeline.trigger('t_events', 'doc');
INSERT INTO raw VALUES ('{"type": "VIEW", "extra": [1, 2, 3]}');
SELECT * FROM raw;
-- UPDATE of the document
UPDATE events SET doc = doc || '{"type": "  VIEW"}' WHERE note = 'changed' RETURNING doc;
UPDATE events SET doc = '{"type": "nope"}' WHERE note = 'unchanged';
SELECT doc FROM events WHERE note = 'unchanged';
SELECT operation, record FROM pipeline.rejects WHERE operation = 'UPDATE';
