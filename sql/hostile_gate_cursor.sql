-- The quality gate judges the statement that inserts the rows.  Rows were
-- counted in the innermost statement under way, and a cursor that user code
-- leaves open (a row's function) is one: the rows after it were counted in
-- the cursor's frame, dropped when the inserting statement ended, and a
-- statement that kept out every row passed its max_reject_rate.
\set VERBOSITY terse
DELETE FROM pipeline.rejects;
SELECT pipeline.define('hgc', '{"schema": {"required": ["a"]}, "on_error": "quarantine", "max_reject_rate": 0.5, "min_rows": 2}');
CREATE TABLE hgc_t (doc jsonb);
SELECT pipeline.attach('hgc_t', 'hgc', 'doc');
CREATE FUNCTION hgc_open(i int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c refcursor := 'hgc_cursor_' || i;
BEGIN
    OPEN c FOR SELECT 1;
    RETURN '{}';
END
$$;
-- every row kept out: over the rate
INSERT INTO hgc_t SELECT hgc_open(g) FROM generate_series(1, 4) g;
SELECT count(*) FROM pipeline.rejects;
BEGIN;
INSERT INTO hgc_t SELECT hgc_open(g) FROM generate_series(1, 4) g;
ROLLBACK;
-- a cursor declared before the statement, fetched during it
BEGIN;
DECLARE hgc_c CURSOR FOR SELECT g FROM generate_series(1, 10) g;
FETCH 1 FROM hgc_c;
INSERT INTO hgc_t VALUES ('{}'), ('{}'), ('{"a": 1}');
FETCH 1 FROM hgc_c;
ROLLBACK;
-- within the rate: stored
INSERT INTO hgc_t SELECT CASE WHEN g = 1 THEN hgc_open(g) ELSE '{"a": 1}' END FROM generate_series(1, 4) g;
SELECT count(*) FROM hgc_t;
SELECT count(*) FROM pipeline.rejects;
DELETE FROM pipeline.rejects;
DROP TABLE hgc_t;
DROP FUNCTION hgc_open(int);
SELECT pipeline.drop('hgc');
