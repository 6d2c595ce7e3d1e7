-- A row moving between partitions whose BEFORE UPDATE trigger (firing after
-- the pipeline's, by name) changes a column: the INSERT half ran every step
-- again (the amount was scaled twice).  It runs only the steps on what
-- changed since the UPDATE half.
CREATE TABLE hm (id int, region text, amount numeric, note text) PARTITION BY LIST (region);
CREATE TABLE hm_e PARTITION OF hm FOR VALUES IN ('e', 'e2');
CREATE TABLE hm_w PARTITION OF hm FOR VALUES IN ('w');
SELECT pipeline.define('hm', '{"transform": [{"op": "scale", "path": "/amount", "factor": 100},
  {"op": "upper", "path": "/note"}], "schema": {"properties": {"amount": {"maximum": 100000}}}}');
SELECT pipeline.attach('hm', 'hm');
CREATE FUNCTION hm_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.note := 'moved to ' || NEW.region;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON hm FOR EACH ROW EXECUTE FUNCTION hm_touch();
INSERT INTO hm VALUES (1, 'e', 5, 'new'), (2, 'e', 7, 'new');
SELECT tableoid::regclass, * FROM hm ORDER BY id;
-- the note the touch trigger set goes through upper; the amount is not scaled again
UPDATE hm SET region = 'w' WHERE id = 1;
-- the same with the amount changed by the statement: scaled once
UPDATE hm SET region = 'w', amount = 9 WHERE id = 2;
SELECT tableoid::regclass, * FROM hm ORDER BY id;
-- a move that fails is raised, as before
UPDATE hm SET region = 'e', amount = 5000 WHERE id = 1;
SELECT tableoid::regclass, * FROM hm ORDER BY id;
-- a key change that keeps the row in its partition, then a new row with the
-- same key and amount in the same statement: the new row is no move's arrival
CREATE FUNCTION hm_stay() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE hm SET region = 'e2' WHERE id = 3;
  INSERT INTO hm VALUES (4, 'e2', 500, 'new');
END $$;
INSERT INTO hm VALUES (3, 'e', 5, 'new');
SELECT hm_stay();
SELECT tableoid::regclass, * FROM hm WHERE id IN (3, 4) ORDER BY id;
DROP TABLE hm;
DROP FUNCTION hm_touch();
DROP FUNCTION hm_stay();
SELECT pipeline.drop('hm');
