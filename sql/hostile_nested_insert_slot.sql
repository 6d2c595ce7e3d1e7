-- An UPDATE whose SQL function inserts into the same table: the INSERT's
-- executor ends inside the UPDATE's command, and its slot (which the trigger
-- remembers for ON CONFLICT DO UPDATE) is freed.  A STABLE function evaluated
-- next reuses that memory; the UPDATE's trigger must not read the slot (it
-- crashed the backend), and the INSERT's row is no EXCLUDED row: the UPDATE's
-- new value goes through the steps.
CREATE TABLE nis (id int PRIMARY KEY, amt numeric, note text, z text);
SELECT pipeline.define('nis', '{"transform": [{"op": "scale", "path": "/amt", "factor": 2}]}');
SELECT pipeline.attach('nis', 'nis');
INSERT INTO nis VALUES (1, 1, 'a');
CREATE FUNCTION nis_insert(i int) RETURNS numeric LANGUAGE sql AS $$
  INSERT INTO nis VALUES (i, 5, 'inner') RETURNING amt
$$;
CREATE FUNCTION nis_stable(n text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT n || (count(*) - count(*))::text
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid
   WHERE c.relname = n
$$;
-- amt 10 equals what the nested INSERT stored; still new input: 20
UPDATE nis SET amt = nis_insert(2), note = nis_stable('x'), z = nis_stable('y') WHERE id = 1;
UPDATE nis SET amt = nis_insert(3) WHERE id = 1;
SELECT * FROM nis ORDER BY id;
-- ON CONFLICT DO UPDATE still takes EXCLUDED's values as already processed
INSERT INTO nis VALUES (1, 7, 'c') ON CONFLICT (id) DO UPDATE SET amt = excluded.amt;
SELECT * FROM nis WHERE id = 1;
DROP TABLE nis;
DROP FUNCTION nis_insert(int), nis_stable(text);
SELECT pipeline.drop('nis');
