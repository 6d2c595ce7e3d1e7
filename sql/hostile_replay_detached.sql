-- A row that replay inserts detaches the pipeline (an AFTER trigger of the
-- table): the rows after it went into the table without the pipeline's
-- trigger, although replay never inserts into a table without it.  They
-- now fail with 55000 and keep their rejects.
CREATE TABLE hx (id int, v text);
SELECT pipeline.define('hx', '{"schema": {"properties": {"v": {"maxLength": 2}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('hx', 'hx');
INSERT INTO hx VALUES (1, 'aaa'), (2, 'bbb'), (3, 'ccc');
SELECT pipeline.define('hx', '{"schema": {"properties": {"v": {"maxLength": 3}}}, "on_error": "quarantine"}');
CREATE FUNCTION hx_detach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id = 1 THEN
    PERFORM pipeline.detach('public.hx', 'hx');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER detach AFTER INSERT ON hx FOR EACH ROW EXECUTE FUNCTION hx_detach();
SELECT * FROM pipeline.replay('hx');
SELECT * FROM hx ORDER BY id;
SELECT record ->> 'id' AS id, errors -> 0 ->> 'sqlstate' AS sqlstate, errors -> 0 ->> 'error' AS error
  FROM pipeline.rejects WHERE pipeline = 'hx' ORDER BY 1;
DROP TABLE hx;
DROP FUNCTION hx_detach();
SELECT pipeline.drop('hx');
