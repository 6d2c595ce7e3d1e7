-- A row moving between partitions is one UPDATE (docs/triggers.md): its
-- BEFORE INSERT half must be recognized even when code that runs between
-- the two halves moves rows of its own (a BEFORE UPDATE trigger after ours,
-- a BEFORE INSERT trigger of the new partition before ours).  Taken for a
-- plain INSERT, the row went through every step again (amt scaled twice),
-- and a failure quarantined it: the row was deleted from its partition and
-- lost.
CREATE TABLE nm_a (id int, region text, amt int) PARTITION BY LIST (region);
CREATE TABLE nm_a_e PARTITION OF nm_a FOR VALUES IN ('e');
CREATE TABLE nm_a_w PARTITION OF nm_a FOR VALUES IN ('w');
CREATE TABLE nm_b (id int, region text, amt int) PARTITION BY LIST (region);
CREATE TABLE nm_b_e PARTITION OF nm_b FOR VALUES IN ('e');
CREATE TABLE nm_b_w PARTITION OF nm_b FOR VALUES IN ('w');
SELECT pipeline.define('nm', '{"transform": [{"op": "scale", "path": "/amt", "factor": 2}],
                               "schema": {"properties": {"amt": {"maximum": 100}}},
                               "on_error": "quarantine"}');
SELECT pipeline.attach('nm_a', 'nm');
SELECT pipeline.attach('nm_b', 'nm');
INSERT INTO nm_a VALUES (1, 'e', 30), (2, 'e', 40);
INSERT INTO nm_b VALUES (1, 'e', 1);
-- a BEFORE UPDATE trigger after ours moves a row of another table
CREATE FUNCTION nm_move_b() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE nm_b SET region = CASE region WHEN 'e' THEN 'w' ELSE 'e' END WHERE id = 1;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_move_b BEFORE UPDATE ON nm_a_e FOR EACH ROW WHEN (NEW.id = 1) EXECUTE FUNCTION nm_move_b();
UPDATE nm_a SET region = 'w' WHERE id = 1;
SELECT * FROM nm_a ORDER BY id;
SELECT * FROM nm_b ORDER BY id;
-- ... or another row of the same table
CREATE FUNCTION nm_move_a2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE nm_a SET region = 'w' WHERE id = 2;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_move_a2 BEFORE UPDATE ON nm_a_w FOR EACH ROW WHEN (NEW.id = 1) EXECUTE FUNCTION nm_move_a2();
UPDATE nm_a SET region = 'e' WHERE id = 1;
SELECT * FROM nm_a ORDER BY id;
-- a BEFORE INSERT trigger of the new partition, before ours, moves a row
CREATE TRIGGER a_move_b BEFORE INSERT ON nm_a_w FOR EACH ROW WHEN (NEW.id = 1) EXECUTE FUNCTION nm_move_b();
UPDATE nm_a SET region = 'w' WHERE id = 1;
SELECT * FROM nm_a ORDER BY id;
SELECT * FROM nm_b ORDER BY id;
-- rows a later trigger keeps from moving are forgotten in time: a move
-- after 40 of them is still one UPDATE
DROP TRIGGER zz_move_b ON nm_a_e;
DROP TRIGGER zz_move_a2 ON nm_a_w;
DROP TRIGGER a_move_b ON nm_a_w;
INSERT INTO nm_a SELECT g, 'e', 1 FROM generate_series(10, 49) g;
INSERT INTO nm_a VALUES (3, 'e', 5);
CREATE FUNCTION nm_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN CASE WHEN NEW.id >= 10 THEN NULL ELSE NEW END;
END $$;
CREATE TRIGGER zz_keep BEFORE UPDATE ON nm_a_e FOR EACH ROW EXECUTE FUNCTION nm_keep();
UPDATE nm_a SET region = 'w' WHERE region = 'e';
SELECT region, count(*), sum(amt) FROM nm_a GROUP BY region ORDER BY region;
SELECT * FROM nm_a WHERE id < 10 ORDER BY id;
-- rows sent = rows stored + rows quarantined: nothing was quarantined
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'nm';
-- a move rolled back with its subtransaction never arrives: a later INSERT
-- of the same values, in the same statement, is an INSERT (its steps run)
DROP TRIGGER zz_keep ON nm_a_e;
INSERT INTO nm_a VALUES (4, 'e', 5);
CREATE FUNCTION nm_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('nm.fail', true) = 'on' THEN
        RAISE EXCEPTION 'refused';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER a_fail BEFORE INSERT ON nm_a_w FOR EACH ROW EXECUTE FUNCTION nm_fail();
DO $$
BEGIN
    BEGIN
        PERFORM set_config('nm.fail', 'on', true);
        UPDATE nm_a SET region = 'w' WHERE id = 4;
    EXCEPTION WHEN raise_exception THEN
        RAISE NOTICE 'caught: %', SQLERRM;
    END;
    PERFORM set_config('nm.fail', 'off', true);
    INSERT INTO nm_a VALUES (4, 'w', 10);
END $$;
SELECT tableoid::regclass, * FROM nm_a WHERE id = 4 ORDER BY region;
DROP TABLE nm_a, nm_b;
DROP FUNCTION nm_move_b(), nm_move_a2(), nm_keep(), nm_fail();
SELECT pipeline.drop('nm');
