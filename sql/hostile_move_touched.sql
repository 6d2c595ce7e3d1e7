-- A row moving between partitions whose BEFORE UPDATE trigger (firing after
-- the pipeline's, by name) changes a column: the INSERT half ran every step
-- again (the amount was scaled twice).  It runs only the steps on what
-- changed since the UPDATE half.
CREATE TABLE hm (id int, region text, amount numeric, note text) PARTITION BY LIST (region);
CREATE TABLE hm_e PARTITION OF hm FOR VALUES IN ('e');
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
DROP TABLE hm;
DROP FUNCTION hm_touch();
SELECT pipeline.drop('hm');
