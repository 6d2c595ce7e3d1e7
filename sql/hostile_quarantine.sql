-- Quarantine's direct insert into pipeline.rejects (rejects.c) under hostile
-- circumstances: nested triggers and savepoints, COPY into a partitioned
-- table, a row moving between partitions, a caller without any privilege,
-- rows of NULLs, the rejects table truncated, dropped or recreated in the
-- transaction, and isolation levels.  Each reject is written once, exactly
-- when its row is kept out, and goes with its (sub)transaction.
CREATE SCHEMA hostile_quarantine;
SET search_path = hostile_quarantine, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE dst (id int, amount int);
SELECT pipeline.define('hq_rows', '{"schema": {"properties": {"amount": {"minimum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('dst', 'hq_rows');
-- a user trigger on another table inserts into dst: nested quarantines, one rolled back
CREATE TABLE src (id int, amount int);
CREATE FUNCTION forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO hostile_quarantine.dst VALUES (NEW.id, NEW.amount); RETURN NEW; END $$;
CREATE TRIGGER forward BEFORE INSERT ON src FOR EACH ROW EXECUTE FUNCTION forward();
BEGIN;
INSERT INTO src VALUES (1, -1);
SAVEPOINT a;
INSERT INTO src VALUES (2, -2), (3, 3);
ROLLBACK TO a;
INSERT INTO src VALUES (4, -4);
COMMIT;
SELECT (SELECT count(*) FROM src) AS src, (SELECT count(*) FROM dst) AS dst;
SELECT record FROM pipeline.rejects ORDER BY id;
-- truncated in a savepoint that is rolled back; dropped in one (refused): the
-- rejects before and after stay, those in between go
BEGIN;
INSERT INTO dst VALUES (5, -5);
SAVEPOINT s;
TRUNCATE pipeline.rejects;
INSERT INTO dst VALUES (6, -6);
SELECT record->>'id' AS row FROM pipeline.rejects;
ROLLBACK TO s;
INSERT INTO dst VALUES (7, -7);
SAVEPOINT s2;
ALTER EXTENSION pipeline DROP TABLE pipeline.rejects;
ALTER TABLE pipeline.rejects RENAME TO rejects_gone;
INSERT INTO dst VALUES (8, -8);
ROLLBACK TO s2;
INSERT INTO dst VALUES (9, -9);
COMMIT;
SELECT record->>'id' AS row FROM pipeline.rejects ORDER BY id;
-- a rejects table created, truncated and indexed in this transaction
BEGIN;
ALTER EXTENSION pipeline DROP TABLE pipeline.rejects;
ALTER TABLE pipeline.rejects RENAME TO rejects_old;
CREATE TABLE pipeline.rejects (LIKE pipeline.rejects_old INCLUDING ALL);
INSERT INTO dst VALUES (10, -10);
TRUNCATE pipeline.rejects;
INSERT INTO dst VALUES (11, -11);
CREATE INDEX ON pipeline.rejects (pipeline, id);
INSERT INTO dst VALUES (12, -12);
SET LOCAL enable_seqscan = off;
SELECT record->>'id' AS row FROM pipeline.rejects WHERE pipeline = 'hq_rows' ORDER BY id;
ROLLBACK;
-- every index kind an administrator may add is maintained, an exclusion
-- constraint refuses a conflicting reject (its heap tuple goes with the
-- savepoint), and each index finds the rows written directly
BEGIN;
CREATE INDEX rejects_gin ON pipeline.rejects USING gin (record jsonb_path_ops);
CREATE INDEX rejects_brin ON pipeline.rejects USING brin (rejected_at);
CREATE INDEX rejects_hash ON pipeline.rejects USING hash (pipeline);
CREATE INDEX rejects_partial ON pipeline.rejects ((record->>'id')) WHERE pipeline = 'hq_rows';
ALTER TABLE pipeline.rejects ADD CONSTRAINT rejects_excl EXCLUDE USING gist
    (int4range((record->>'amount')::int, (record->>'amount')::int, '[]') WITH &&) WHERE (pipeline = 'hq_rows');
INSERT INTO dst VALUES (50, -50), (51, -51);
SAVEPOINT s;
INSERT INTO dst VALUES (52, -50);
ROLLBACK TO s;
SET LOCAL enable_seqscan = off;
SELECT record FROM pipeline.rejects WHERE record @> '{"id": 51}';
SELECT record FROM pipeline.rejects WHERE pipeline = 'hq_rows' AND record->>'id' = '50';
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'hq_rows' AND rejected_at = now();
SELECT count(*) FROM pipeline.rejects WHERE record->>'id' = '52';
ROLLBACK;
-- each reject's index inserts are cleaned up as a statement's are (BRIN holds
-- buffer pins until then, on 17 and later): committed rejects leave none behind
CREATE INDEX rejects_brin_committed ON pipeline.rejects USING brin (id);
INSERT INTO dst VALUES (53, -53), (54, -54);
INSERT INTO dst VALUES (55, -55);
SET enable_seqscan = off;
SELECT record->>'id' AS row FROM pipeline.rejects WHERE id > 0 AND (record->>'id')::int >= 53 ORDER BY id;
RESET enable_seqscan;
DROP INDEX pipeline.rejects_brin_committed;
-- isolation levels; a session whose transactions default to read-only
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO dst VALUES (13, -13);
SELECT count(*) FROM pipeline.rejects;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO dst VALUES (14, -14);
SELECT count(*) FROM pipeline.rejects;
COMMIT;
SET default_transaction_read_only = on;
INSERT INTO dst VALUES (15, -15);
RESET default_transaction_read_only;
-- COPY into a partitioned table: each bad row quarantined once, from its partition
CREATE TABLE parts (id int, region text, amount int) PARTITION BY LIST (region);
CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu');
CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
SELECT pipeline.attach('parts', 'hq_rows');
COPY parts FROM STDIN;
16	eu	16
17	us	-17
18	eu	-18
19	us	19
\.
SELECT tableoid::regclass AS part, * FROM parts ORDER BY id;
SELECT relation, operation, record FROM pipeline.rejects WHERE relation::text LIKE 'parts%' ORDER BY id;
-- an UPDATE moving a row to another partition that fails is raised, never
-- quarantined; one that stays in its partition is quarantined
UPDATE parts SET region = 'us', amount = -16 WHERE id = 16;
UPDATE parts SET amount = -19 WHERE id = 19;
SELECT tableoid::regclass AS part, * FROM parts ORDER BY id;
SELECT relation, operation, record FROM pipeline.rejects WHERE operation = 'UPDATE';
-- a caller without any privilege, through a SECURITY DEFINER function of a
-- role that may only insert: the reject is written, the caller cannot read it
CREATE ROLE regress_hq_nobody;
CREATE ROLE regress_hq_writer;
GRANT USAGE ON SCHEMA hostile_quarantine TO regress_hq_writer, regress_hq_nobody;
GRANT INSERT ON parts TO regress_hq_writer;
CREATE FUNCTION put(a int) RETURNS void LANGUAGE sql SECURITY DEFINER
    AS $$ INSERT INTO hostile_quarantine.parts VALUES (20, 'eu', a) $$;
ALTER FUNCTION put(int) OWNER TO regress_hq_writer;
SET ROLE regress_hq_nobody;
SELECT put(-20);
\set VERBOSITY terse
SELECT count(*) FROM pipeline.rejects;
\set VERBOSITY default
RESET ROLE;
SELECT relation, record FROM pipeline.rejects WHERE record->>'id' = '20';
-- rows of NULLs: a SQL NULL document is quarantined as JSON null, and replayed as SQL NULL
CREATE TABLE docs (id int, doc jsonb);
SELECT pipeline.define('hq_docs', '{"schema": {"type": "object"}, "on_error": "quarantine"}');
SELECT pipeline.attach('docs', 'hq_docs', 'doc');
CREATE TABLE nulls (a int, b text, c jsonb);
SELECT pipeline.define('hq_nulls', '{"schema": {"required": ["zz"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('nulls', 'hq_nulls');
INSERT INTO docs VALUES (NULL, NULL), (21, '"text"');
INSERT INTO nulls VALUES (NULL, NULL, NULL);
SELECT pipeline, record, record_column, other_columns FROM pipeline.rejects
 WHERE pipeline IN ('hq_docs', 'hq_nulls') ORDER BY id;
-- a toasted record: stored compressed or out of line, read back whole
CREATE TABLE wide (id int, note jsonb);
SELECT pipeline.attach('wide', 'hq_docs', 'note');
INSERT INTO wide VALUES (22, to_jsonb(repeat('é', 400000)));
INSERT INTO docs VALUES (23, jsonb_build_array(repeat('é', 400000)));
SELECT relation, length(record::text) AS len, md5(record #>> '{}') = md5(repeat('é', 400000)) AS same_text,
       md5(record::text) = md5(jsonb_build_array(repeat('é', 400000))::text) AS same_array
  FROM pipeline.rejects WHERE length(record::text) > 1000 ORDER BY id;
SELECT pipeline.define('hq_docs', '{"on_error": "quarantine"}'), pipeline.define('hq_nulls', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('hq_docs');
SELECT * FROM pipeline.replay('hq_nulls');
SELECT id, left(doc::text, 12) AS doc, length(doc::text) AS len, doc IS NULL AS sql_null FROM docs ORDER BY id;
SELECT *, c IS NULL AS sql_null FROM nulls;
SELECT id, md5(note #>> '{}') = md5(repeat('é', 400000)) AS whole FROM wide;
-- re-entered mid-row: the CHECK of a column a step writes back inserts into the
-- same table (one nested row quarantined and kept, one in a block whose error
-- is caught, taking its reject with it); the outer row is then quarantined as
-- it was sent, and the row after it is transformed as usual
CREATE TABLE reentered (id int, code text, amount int, note text);
CREATE FUNCTION nested_rows(v text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF v = 'OUTER' THEN
    BEGIN
      INSERT INTO hostile_quarantine.reentered VALUES (31, 'inner', -31, repeat('n', 5000));
      INSERT INTO hostile_quarantine.reentered VALUES (32, 'inner', NULL, 'x');
    EXCEPTION WHEN check_violation THEN
      RAISE NOTICE 'caught: %', SQLERRM;
    END;
    INSERT INTO hostile_quarantine.reentered VALUES (33, 'inner', -33, repeat('m', 5000));
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN checked_code AS text CHECK (hostile_quarantine.nested_rows(VALUE));
ALTER TABLE reentered ALTER COLUMN code TYPE checked_code, ADD CHECK (amount IS NOT NULL);
SELECT pipeline.define('hq_reentered', '{"transform": [{"op": "upper", "path": "/code"}, {"op": "set", "path": "/note", "value": "é"}],
  "schema": {"properties": {"amount": {"minimum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('reentered', 'hq_reentered');
INSERT INTO reentered VALUES (30, 'outer', -30, repeat('o', 5000)), (34, 'after', 34, 'z');
SELECT id, code, amount, note FROM reentered ORDER BY id;
SELECT record->>'id' AS id, record->>'code' AS code, length(record->>'note') AS note
  FROM pipeline.rejects WHERE pipeline = 'hq_reentered' ORDER BY id;
-- a pipeline with on_error quarantine attached to pipeline.rejects itself: the
-- reject of a reject is refused at once (it would recurse until the stack ran out)
SELECT pipeline.define('hq_self', '{"schema": {"properties": {"version": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('pipeline.rejects', 'hq_self');
\set VERBOSITY default
INSERT INTO dst VALUES (40, -40);
SELECT pipeline.define('hq_self', '{"schema": {"properties": {"version": {"maximum": 0}}}, "on_error": "raise"}');
INSERT INTO dst VALUES (41, -41);
SELECT pipeline.detach('pipeline.rejects', 'hq_self');
INSERT INTO dst VALUES (42, -42);
SELECT record->>'id' AS row FROM pipeline.rejects WHERE (record->>'id')::int BETWEEN 40 AND 49 ORDER BY id;
SELECT pipeline, count(*) FROM pipeline.rejects GROUP BY pipeline ORDER BY pipeline;
DROP TABLE dst, src, parts, docs, nulls, wide, reentered;
DROP DOMAIN checked_code;
SELECT pipeline.drop('hq_rows'), pipeline.drop('hq_docs'), pipeline.drop('hq_nulls'), pipeline.drop('hq_reentered'), pipeline.drop('hq_self');
TRUNCATE pipeline.rejects RESTART IDENTITY;
DROP FUNCTION forward, put, nested_rows;
REVOKE ALL ON SCHEMA hostile_quarantine FROM regress_hq_writer, regress_hq_nobody;
DROP ROLE regress_hq_nobody, regress_hq_writer;
DROP SCHEMA hostile_quarantine;
