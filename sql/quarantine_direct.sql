-- Quarantine inserts into pipeline.rejects without an INSERT statement while
-- the table is as created; whatever an administrator changed on it is honoured.
CREATE SCHEMA quarantine_direct;
SET search_path = quarantine_direct, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE orders (id int, amount int);
SELECT pipeline.define('qd_rows', '{"schema": {"properties": {"amount": {"minimum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('orders', 'qd_rows');
CREATE TABLE inbox (id int, source text, doc jsonb);
SELECT pipeline.define('qd_docs', '{"schema": {"required": ["ok"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('inbox', 'qd_docs', 'doc');
INSERT INTO orders VALUES (1, 5);
INSERT INTO inbox VALUES (1, 'api', '{"ok": true}');
CREATE FUNCTION rejects_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'rejects trigger: % %', NEW.pipeline, NEW.operation;
    RETURN NEW;
END $$;
-- the same rejects (row and column mode, INSERT and UPDATE) written directly,
-- then through the INSERT statement (a trigger on the table): identical rows,
-- to the byte, ids from the one sequence, rejected_at the transaction's start
CREATE FUNCTION reject_some() RETURNS void LANGUAGE sql AS $$
    INSERT INTO orders VALUES (2, -1);
    UPDATE orders SET amount = -2 WHERE id = 1;
    INSERT INTO inbox VALUES (2, 'csv', '{"n": "é"}');
    UPDATE inbox SET doc = '{"bad": 1}' WHERE id = 1;
    INSERT INTO inbox VALUES (3, repeat('s', 9000), jsonb_build_object('big', repeat('b', 9000)));
$$;
BEGIN;
SELECT reject_some();
CREATE TRIGGER noted BEFORE INSERT ON pipeline.rejects FOR EACH ROW EXECUTE FUNCTION rejects_noted();
SELECT reject_some();
SELECT pipeline, version, relation, operation, left(record::text, 30) AS record, errors,
       record_column, left(other_columns::text, 30) AS other_columns, count(*) AS copies, bool_and(rejected_at = now()) AS stamps, min(id) + 5 = max(id) AS ids
  FROM pipeline.rejects
 GROUP BY pipeline, version, relation, operation, record, errors, record_column, other_columns,
          pg_column_size(pipeline), pg_column_size(record), pg_column_size(errors),
          pg_column_size(record_column), pg_column_size(other_columns)
 ORDER BY min(id);
ROLLBACK;
SELECT count(*) FROM pipeline.rejects;
-- a rolled-back savepoint takes its rejects with it; the next one goes in
BEGIN;
SAVEPOINT s;
INSERT INTO orders VALUES (3, -3);
ROLLBACK TO s;
INSERT INTO orders VALUES (4, -4);
COMMIT;
SELECT record FROM pipeline.rejects ORDER BY id;
-- an error in the middle of a reject's insert: a unique index an administrator
-- added refuses the second one, and the table works as before after it
BEGIN;
CREATE UNIQUE INDEX rejects_amount ON pipeline.rejects (((record->>'amount')::int));
INSERT INTO orders VALUES (5, -5);
SAVEPOINT s;
INSERT INTO orders VALUES (6, -5);
ROLLBACK TO s;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM pipeline.rejects WHERE (record->>'amount')::int = -5;
SELECT record FROM pipeline.rejects WHERE (record->>'amount')::int = -5;
INSERT INTO orders VALUES (7, -7);
SELECT record FROM pipeline.rejects WHERE (record->>'amount')::int = -7;
ROLLBACK;
-- a CHECK an administrator added, or the operation CHECK changed, is checked
\set VERBOSITY terse
BEGIN;
ALTER TABLE pipeline.rejects ADD CHECK (record->>'amount' <> '-8');
INSERT INTO orders VALUES (8, -8);
ROLLBACK;
BEGIN;
ALTER TABLE pipeline.rejects DROP CONSTRAINT rejects_operation_check,
    ADD CONSTRAINT rejects_operation_check CHECK (operation = 'INSERT');
INSERT INTO orders VALUES (9, -9);
UPDATE orders SET amount = -9 WHERE id = 1;
ROLLBACK;
\set VERBOSITY default
-- a column added, then dropped, between statements of one session; a default changed
BEGIN;
ALTER TABLE pipeline.rejects ADD COLUMN note text DEFAULT 'added';
INSERT INTO orders VALUES (10, -10);
SELECT record, note FROM pipeline.rejects WHERE record->>'id' = '10';
ALTER TABLE pipeline.rejects DROP COLUMN note;
INSERT INTO orders VALUES (11, -11);
ALTER TABLE pipeline.rejects ALTER COLUMN rejected_at SET DEFAULT '2000-01-01 00:00+00';
INSERT INTO orders VALUES (12, -12);
SELECT record->>'id' AS row, rejected_at = now() AS now FROM pipeline.rejects WHERE (record->>'id')::int >= 10 ORDER BY id;
ROLLBACK;
-- the name is looked up again: a table renamed away, another created in its place
BEGIN;
ALTER EXTENSION pipeline DROP TABLE pipeline.rejects;
ALTER TABLE pipeline.rejects RENAME TO rejects_before;
CREATE TABLE pipeline.rejects (LIKE pipeline.rejects_before INCLUDING ALL);
INSERT INTO orders VALUES (13, -13);
SELECT (SELECT count(*) FROM pipeline.rejects) AS now, (SELECT count(*) FROM pipeline.rejects_before) AS before;
ROLLBACK;
-- written as the owner of pipeline.rejects, whatever the caller may do: an
-- owner without the sequence's USAGE fails as its INSERT would; row-level
-- security forced on the owner applies (the owner of the table owns its sequence)
CREATE ROLE regress_qd_caller;
CREATE ROLE regress_qd_owner;
GRANT USAGE ON SCHEMA quarantine_direct TO regress_qd_caller;
GRANT INSERT ON orders TO regress_qd_caller;
SET ROLE regress_qd_caller;
INSERT INTO orders VALUES (14, -14);
SELECT count(*) FROM pipeline.rejects;
RESET ROLE;
BEGIN;
ALTER TABLE pipeline.rejects OWNER TO regress_qd_owner;
REVOKE USAGE, UPDATE ON SEQUENCE pipeline.rejects_id_seq FROM regress_qd_owner;
SAVEPOINT s;
INSERT INTO orders VALUES (15, -15);
ROLLBACK TO s;
GRANT USAGE ON SEQUENCE pipeline.rejects_id_seq TO regress_qd_owner;
ALTER TABLE pipeline.rejects ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY not_sixteen ON pipeline.rejects WITH CHECK (record->>'id' <> '16');
CREATE POLICY readable ON pipeline.rejects FOR SELECT USING (true);
SET ROLE regress_qd_caller;
INSERT INTO orders VALUES (15, -15);
SAVEPOINT s;
\set VERBOSITY terse
INSERT INTO orders VALUES (16, -16);
\set VERBOSITY default
ROLLBACK TO s;
RESET ROLE;
SELECT record->>'id' AS row FROM pipeline.rejects ORDER BY id;
ROLLBACK;
-- a read-only transaction writes no reject (a temporary table may take rows in one)
CREATE TEMP TABLE scratch (id int, amount int);
SELECT pipeline.attach('scratch', 'qd_rows');
BEGIN READ ONLY;
\set VERBOSITY terse
INSERT INTO scratch VALUES (18, -18);
\set VERBOSITY default
ROLLBACK;
DROP TABLE scratch;
-- nothing of the above stayed behind: the rejects as created take rows directly again
INSERT INTO orders VALUES (17, -17);
SELECT record->>'id' AS row, operation FROM pipeline.rejects ORDER BY id;
DROP TABLE orders, inbox;
SELECT pipeline.drop('qd_rows'), pipeline.drop('qd_docs');
TRUNCATE pipeline.rejects RESTART IDENTITY;
DROP FUNCTION rejects_noted, reject_some;
REVOKE ALL ON SCHEMA quarantine_direct FROM regress_qd_caller;
DROP ROLE regress_qd_caller, regress_qd_owner;
DROP SCHEMA quarantine_direct;
