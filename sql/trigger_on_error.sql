-- on_error: raise, quarantine, skip
CREATE SCHEMA trigger_on_error;
SET search_path = trigger_on_error, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE people (name text, email text, age int);
SELECT pipeline.define('t_people', $j${
  "schema": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}, "age": {"minimum": 0}}},
  "transform": [{"op": "trim", "path": "/name"}]}$j$);
SELECT pipeline.attach('people', 't_people');
-- raise (the default): 23514, a DETAIL line per violation, table and pipeline in the error fields
INSERT INTO people VALUES (' Ada ', 'ada', -1);
DO $$
DECLARE st text; tbl text; sch text; con text; det text;
BEGIN
    INSERT INTO people VALUES (' Ada ', 'ada', -1);
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, tbl = TABLE_NAME, sch = SCHEMA_NAME,
                            con = CONSTRAINT_NAME, det = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'sqlstate % schema % table % constraint %, detail: %', st, sch, tbl, con, det;
END
$$;
INSERT INTO people VALUES (' Ada ', 'ada@example.com', 36);
SELECT * FROM people;
-- quarantine: the row stays out, the original record and its errors go to pipeline.rejects
SELECT pipeline.define('t_people', $j${
  "schema": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}, "age": {"minimum": 0}}},
  "transform": [{"op": "trim", "path": "/name"}], "on_error": "quarantine"}$j$);
INSERT INTO people VALUES (' Bob ', 'bob', 20), (' Cy ', 'cy@example.com', 40), (' Di ', 'di@example.com', -5);
SELECT * FROM people ORDER BY name;
SELECT pipeline, version, relation, operation, record, errors FROM pipeline.rejects ORDER BY id;
-- the reject is part of the transaction
BEGIN;
INSERT INTO people VALUES ('Ed', 'ed', 1);
SELECT count(*) FROM pipeline.rejects;
ROLLBACK;
SELECT count(*) FROM pipeline.rejects;
-- skip: the row stays out, nothing is kept
SELECT pipeline.define('t_people', '{"schema": {"properties": {"age": {"minimum": 0}}}, "on_error": "skip"}');
INSERT INTO people VALUES ('Fay', 'fay@example.com', -1), ('Gus', 'gus@example.com', 50);
SELECT * FROM people ORDER BY name;
SELECT count(*) FROM pipeline.rejects;
-- COPY goes through the trigger too
SELECT pipeline.define('t_people', '{"schema": {"properties": {"age": {"minimum": 0}}}, "on_error": "quarantine"}');
COPY people FROM stdin;
Hal	hal@example.com	1
Ivy	ivy@example.com	-2
\.
SELECT name FROM people ORDER BY name;
SELECT record->>'name' AS name, version FROM pipeline.rejects ORDER BY id;
