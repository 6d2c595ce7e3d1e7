-- Re-entrancy: user code that runs in the middle of a row (a domain's CHECK,
-- a composite's domain, a generated column) inserts into the same table or
-- another one with a pipeline; the outer row must be stored as it was sent
CREATE SCHEMA trigger_reentrancy;
SET search_path = trigger_reentrancy, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE wide (id int, code text,
    c01 text, c02 text, c03 text, c04 text, c05 text, c06 text, c07 text, c08 text,
    c09 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text,
    c17 text, c18 text, c19 text, c20 text, c21 text, c22 text, c23 text, c24 text,
    c25 text, c26 text, c27 text, c28 text, c29 text, c30 text, c31 text, c32 text);
CREATE TABLE other (id int, code text);
-- the CHECK of a column a step writes back inserts another row (once)
CREATE FUNCTION nested_insert(v text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF v = 'OUTER' THEN
    INSERT INTO wide (id, code, c01, c16, c32)
      VALUES (2, 'inner', repeat('i', 3000), repeat('j', 3000), repeat('k', 3000));
    INSERT INTO other VALUES (3, 'other');
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN logged_code AS text CHECK (nested_insert(VALUE));
ALTER TABLE wide ALTER COLUMN code TYPE logged_code;
SELECT pipeline.define('re_wide', '{"transform": [{"op": "upper", "path": "/code"}, {"op": "trim", "path": "/c01"}],
  "schema": {"required": ["id"], "properties": {"c32": {"type": ["string", "null"]}}}}');
SELECT pipeline.define('re_other', '{"transform": [{"op": "upper", "path": "/code"}]}');
SELECT pipeline.attach('wide', 're_wide');
SELECT pipeline.attach('other', 're_other');
INSERT INTO wide (id, code, c01, c16, c32)
  VALUES (1, 'outer', '  ' || repeat('a', 3000), repeat('b', 3000), repeat('c', 3000));
SELECT id, code, left(c01, 2) AS c01, length(c01) AS len01, left(c16, 1) AS c16, left(c32, 1) AS c32
  FROM wide ORDER BY id;
SELECT * FROM other;

-- a composite column whose field is of that domain: record_in runs the CHECK
TRUNCATE wide, other;
CREATE TYPE tagged AS (n int, tag logged_code);
CREATE TABLE comp (id int, t tagged, note text);
SELECT pipeline.define('re_comp', '{"transform": [{"op": "set", "path": "/t", "value": "(7,OUTER)"},
                                                  {"op": "upper", "path": "/note"}]}');
SELECT pipeline.attach('comp', 're_comp');
INSERT INTO comp VALUES (1, NULL, 'outer note');
SELECT * FROM comp;
SELECT id, code, left(c01, 1) AS c01 FROM wide ORDER BY id;
SELECT * FROM other;

-- the nested row redefines the pipeline first: the outer row finishes with the
-- version it started with (still pinned), the inner one gets the new version
TRUNCATE wide, other;
CREATE OR REPLACE FUNCTION nested_insert(v text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF v = 'OUTER' THEN
    PERFORM pipeline.define('re_wide', '{"transform": [{"op": "lower", "path": "/code"}, {"op": "trim", "path": "/c01"}]}');
    INSERT INTO wide (id, code, c01) VALUES (2, 'INNER', repeat('i', 3000));
  END IF;
  RETURN true;
END $$;
INSERT INTO wide (id, code, c01, c32) VALUES (1, 'outer', '  ' || repeat('a', 3000), repeat('c', 3000));
SELECT id, code, left(c01, 2) AS c01, length(c01) AS len01, left(c32, 1) AS c32 FROM wide ORDER BY id;

-- an error inside the nested row, caught by the user's code, leaves the outer call intact
TRUNCATE wide;
CREATE OR REPLACE FUNCTION nested_insert(v text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF v = 'OUTER' THEN
    BEGIN
      INSERT INTO wide (id, code) VALUES (NULL, 'inner');  -- violates the schema: raised
    EXCEPTION WHEN check_violation THEN
      RAISE NOTICE 'nested row refused: %', SQLERRM;
    END;
  END IF;
  RETURN true;
END $$;
SELECT pipeline.define('re_wide', '{"transform": [{"op": "upper", "path": "/code"}], "schema": {"properties": {"id": {"type": "integer"}}}}');
INSERT INTO wide (id, code) VALUES (1, 'outer');
INSERT INTO wide (id, code) VALUES (2, 'second');
SELECT id, code FROM wide ORDER BY id;
SELECT count(*) AS rejects FROM pipeline.rejects;

DROP SCHEMA trigger_reentrancy CASCADE;
