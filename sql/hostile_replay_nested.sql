-- A row that replay inserts replays the same pipeline (an AFTER trigger of
-- the table): the inner replay took the rejects the outer one had locked in
-- the same transaction, and every row was stored hundreds of times.  It is
-- refused (55006), which fails that row only.
CREATE TABLE hr (id int, v text);
SELECT pipeline.define('hr', '{"schema": {"properties": {"v": {"maxLength": 2}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('hr', 'hr');
INSERT INTO hr VALUES (1, 'aaa'), (2, 'bbb'), (3, 'ccc');
SELECT pipeline.define('hr', '{"on_error": "quarantine"}');
CREATE FUNCTION hr_again() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  x record;
BEGIN
  IF NEW.id = 1 THEN
    SELECT * INTO x FROM pipeline.replay('hr');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER again AFTER INSERT ON hr FOR EACH ROW EXECUTE FUNCTION hr_again();
SELECT * FROM pipeline.replay('hr');
SELECT id, count(*) FROM hr GROUP BY id ORDER BY id;
SELECT record ->> 'id' AS id, errors -> 0 ->> 'sqlstate' AS sqlstate, errors -> 0 ->> 'error' AS error
  FROM pipeline.rejects WHERE pipeline = 'hr';
-- outside a replay the trigger may replay; row 1's reject is tried, and its
-- own insert's nested replay is refused again
INSERT INTO hr VALUES (1, 'x');
SELECT id, count(*) FROM hr GROUP BY id ORDER BY id;
SELECT count(*) AS rejects FROM pipeline.rejects WHERE pipeline = 'hr';
DROP TABLE hr;
DROP FUNCTION hr_again();
SELECT pipeline.drop('hr');
