-- Quality gate: "max_reject_rate" fails a statement that keeps out too many of its rows
SELECT pipeline.define('gate', '{"schema": {"properties": {"n": {"minimum": 0}, "s": {"maxLength": 3}}},
                                 "on_error": "quarantine", "max_reject_rate": 0.1, "min_rows": 10}');
CREATE TABLE gate_t (n int, s text);
SELECT pipeline.attach('gate_t', 'gate');
-- 1 of 20 rejected (5%): passes, the reject is kept
INSERT INTO gate_t SELECT CASE WHEN i = 1 THEN -1 ELSE i END, 'a' FROM generate_series(1, 20) i;
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gate') AS rejects FROM gate_t;
-- 4 of 20 (20%): the statement fails at its end, nothing of it stays
INSERT INTO gate_t SELECT CASE WHEN i <= 3 THEN -i ELSE i END, CASE WHEN i = 4 THEN 'long' ELSE 'a' END
  FROM generate_series(1, 20) i;
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gate') AS rejects FROM gate_t;
-- fewer rows than min_rows: not judged
INSERT INTO gate_t VALUES (-1, 'a'), (-2, 'a');
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gate') AS rejects FROM gate_t;
-- COPY is a statement too
COPY gate_t FROM STDIN;
-1	a
-2	a
-3	a
1	a
2	a
3	a
4	a
5	a
6	a
7	a
\.
SELECT count(*) AS stored FROM gate_t;
-- each statement has its own counts: in a transaction, and inside a function
BEGIN;
INSERT INTO gate_t SELECT i, 'a' FROM generate_series(1, 10) i;
INSERT INTO gate_t SELECT -i, 'a' FROM generate_series(1, 10) i;
ROLLBACK;
-- a statement that never finishes (EXPLAIN) leaves nothing behind for the next one
EXPLAIN (COSTS OFF) INSERT INTO gate_t SELECT -i, 'a' FROM generate_series(1, 20) i;
INSERT INTO gate_t SELECT i, 'a' FROM generate_series(1, 20) i;
DELETE FROM gate_t WHERE n > 0 AND ctid IN (SELECT ctid FROM gate_t ORDER BY ctid DESC LIMIT 20);
CREATE FUNCTION gate_load(bad int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gate_t SELECT i, 'a' FROM generate_series(1, 20) i;
  INSERT INTO gate_t SELECT CASE WHEN i <= bad THEN -i ELSE i END, 'a' FROM generate_series(1, 20) i;
END $$;
SELECT gate_load(2);
SELECT gate_load(5);
-- a failed statement caught in a subtransaction does not count towards the next
CREATE FUNCTION gate_catch() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO gate_t SELECT -i, 'a' FROM generate_series(1, 20) i;
  EXCEPTION WHEN check_violation THEN
    NULL;
  END;
  INSERT INTO gate_t SELECT i, 'a' FROM generate_series(1, 20) i;
  RETURN 'ok';
END $$;
SELECT gate_catch();
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gate') AS rejects FROM gate_t;
-- a session's first statement loads the library while it runs: judged all the same
\c
INSERT INTO gate_t SELECT -i, 'a' FROM generate_series(1, 20) i;
\c
COPY gate_t FROM STDIN;
-1	a
-2	a
-3	a
1	a
2	a
3	a
4	a
5	a
6	a
7	a
\.
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'gate') AS rejects FROM gate_t;
-- skip mode is gated too; raise mode is unaffected
SELECT pipeline.define('gate', '{"schema": {"properties": {"n": {"minimum": 0}}}, "on_error": "skip", "max_reject_rate": 0, "min_rows": 1}');
INSERT INTO gate_t VALUES (1, 'a'), (-1, 'a');
INSERT INTO gate_t VALUES (1, 'a');
SELECT pipeline.define('gate', '{"schema": {"properties": {"n": {"minimum": 0}}}, "max_reject_rate": 0.5}');
INSERT INTO gate_t VALUES (-1, 'a');
-- a replay is not a statement the gate judges
SELECT pipeline.define('gate', '{"on_error": "quarantine", "max_reject_rate": 0, "min_rows": 1}');
SELECT * FROM pipeline.replay('gate');
-- bad specs
SELECT pipeline.define('gate', '{"max_reject_rate": 1.5}');
SELECT pipeline.define('gate', '{"max_reject_rate": -0.1}');
SELECT pipeline.define('gate', '{"max_reject_rate": "5%"}');
SELECT pipeline.define('gate', '{"max_reject_rate": 0.1, "min_rows": 2.5}');
SELECT pipeline.define('gate', '{"min_rows": 5}');
SELECT pipeline.detach('gate_t', 'gate');
DROP TABLE gate_t;
DROP FUNCTION gate_load(int), gate_catch();
DELETE FROM pipeline.rejects WHERE pipeline = 'gate';
SELECT pipeline.drop('gate');
