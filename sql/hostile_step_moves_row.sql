-- An UPDATE that changes no partition key column, but whose steps write
-- one (a copy from the column the UPDATE changed), moves the row between
-- partitions all the same.  Its BEFORE INSERT half was taken for a plain
-- INSERT: every step ran again (amt scaled twice) and, failing, the row was
-- quarantined after PostgreSQL had deleted it from its partition: lost.
CREATE TABLE smr (id int, raw text, region text, amt int) PARTITION BY LIST (region);
CREATE TABLE smr_e PARTITION OF smr FOR VALUES IN ('e');
CREATE TABLE smr_w PARTITION OF smr FOR VALUES IN ('w');
SELECT pipeline.define('smr', '{"transform": [{"op": "copy", "path": "/region", "from": "/raw"},
                                              {"op": "scale", "path": "/amt", "factor": 2}],
                                "schema": {"properties": {"amt": {"maximum": 100}}},
                                "on_error": "quarantine"}');
SELECT pipeline.attach('smr', 'smr');
INSERT INTO smr VALUES (1, 'e', 'e', 30), (2, 'e', 'e', 10);
UPDATE smr SET raw = 'w' WHERE id = 1;
UPDATE smr SET raw = 'w', amt = 25 WHERE id = 2;
SELECT tableoid::regclass, * FROM smr ORDER BY id;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'smr';
-- the same row back, and one that fails: an UPDATE that is kept out
UPDATE smr SET raw = 'e' WHERE id = 1;
UPDATE smr SET raw = 'e', amt = 51 WHERE id = 2;
SELECT tableoid::regclass, * FROM smr ORDER BY id;
SELECT operation, record FROM pipeline.rejects WHERE pipeline = 'smr';
DELETE FROM pipeline.rejects WHERE pipeline = 'smr';
DROP TABLE smr;
SELECT pipeline.drop('smr');
