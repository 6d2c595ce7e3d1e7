-- A generated column whose expression fails on the row as sent, but not on
-- the row the steps leave (the row PostgreSQL computes it from, after the
-- BEFORE triggers): the trigger computed it before the steps as well, and
-- its error failed the statement (a quarantining COPY included).  It is now
-- computed before the steps only when a step reads it.
CREATE TABLE gbs (id int, doc jsonb, n int GENERATED ALWAYS AS (jsonb_array_length(doc -> 'arr')) STORED);
SELECT pipeline.define('gbs', '{"transform": [{"op": "coerce", "path": "/doc/arr", "to": "string"},
                                              {"op": "set", "path": "/doc/arr", "value": [1, 2, 3]}],
                                "schema": {"properties": {"n": {"maximum": 3}}},
                                "on_error": "quarantine"}');
SELECT pipeline.attach('gbs', 'gbs');
INSERT INTO gbs (id, doc) VALUES (1, '{"arr": 5}'), (2, '{}');
UPDATE gbs SET doc = '{"arr": "x"}' WHERE id = 1;
SELECT * FROM gbs ORDER BY id;
-- the schema still sees the value after the steps
SELECT pipeline.define('gbs', '{"transform": [{"op": "set", "path": "/doc/arr", "value": [1, 2, 3, 4]}],
                                "schema": {"properties": {"n": {"maximum": 3}}},
                                "on_error": "quarantine"}');
INSERT INTO gbs (id, doc) VALUES (3, '{"arr": 5}');
SELECT record, errors FROM pipeline.rejects WHERE pipeline = 'gbs';
-- with no step at all, the value of the row as sent
SELECT pipeline.define('gbs', '{"schema": {"properties": {"n": {"maximum": 1}}}, "on_error": "quarantine"}');
INSERT INTO gbs (id, doc) VALUES (4, '{"arr": [1]}'), (5, '{"arr": [1, 2]}');
SELECT * FROM gbs ORDER BY id;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gbs';
-- a step that reads it sees it computed from the row as sent
CREATE TABLE gbs_read (a int, tot int GENERATED ALWAYS AS (a * 10) STORED, t2 int);
SELECT pipeline.define('gbs_read', '{"transform": [{"op": "copy", "path": "/t2", "from": "/tot"}]}');
SELECT pipeline.attach('gbs_read', 'gbs_read');
INSERT INTO gbs_read (a) VALUES (7);
UPDATE gbs_read SET a = 8;
SELECT * FROM gbs_read;
DELETE FROM pipeline.rejects WHERE pipeline = 'gbs';
DROP TABLE gbs, gbs_read;
SELECT pipeline.drop('gbs');
SELECT pipeline.drop('gbs_read');
