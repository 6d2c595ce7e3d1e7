-- Replay into a table whose columns changed since the rows were quarantined:
-- a value for a column that is gone (dropped or renamed) must not be lost.
-- The reject stays, with the error, and counts as failed; it was inserted
-- without the value and deleted.
\set VERBOSITY terse
DELETE FROM pipeline.rejects;

-- column mode: the document's column was renamed and the pipeline attached
-- to the new name; the document went nowhere and the reject was deleted
CREATE TABLE hrc (id int, doc jsonb);
SELECT pipeline.define('hrc', '{"schema": {"type": "object", "required": ["a"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('hrc', 'hrc', 'doc');
INSERT INTO hrc VALUES (1, '{"b": 1}');
SELECT pipeline.detach('hrc', 'hrc');
ALTER TABLE hrc RENAME doc TO body;
SELECT pipeline.attach('hrc', 'hrc', 'body');
SELECT pipeline.define('hrc', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('hrc');
SELECT * FROM hrc;
SELECT record, other_columns, record_column, errors->0->>'sqlstate' AS sqlstate, errors->0->>'error' AS error
  FROM pipeline.rejects WHERE pipeline = 'hrc';
-- another column renamed: its value would be lost too
ALTER TABLE hrc RENAME body TO doc;
ALTER TABLE hrc RENAME id TO ident;
SELECT pipeline.detach('hrc', 'hrc');
SELECT pipeline.attach('hrc', 'hrc', 'doc');
SELECT * FROM pipeline.replay('hrc');
SELECT errors->0->>'error' AS error FROM pipeline.rejects WHERE pipeline = 'hrc';
-- the columns back: replayed whole
ALTER TABLE hrc RENAME ident TO id;
SELECT * FROM pipeline.replay('hrc');
SELECT * FROM hrc;

-- row mode: a renamed column lost its value; a generated column's key
-- (null in the record, as the BEFORE trigger saw it) is no loss
CREATE TABLE hrr (id int, email text, g int GENERATED ALWAYS AS (id * 2) STORED);
SELECT pipeline.define('hrr', '{"schema": {"type": "object", "required": ["zz"]}, "on_error": "quarantine"}');
SELECT pipeline.attach('hrr', 'hrr');
INSERT INTO hrr VALUES (1, 'a@b');
SELECT record FROM pipeline.rejects WHERE pipeline = 'hrr';
ALTER TABLE hrr RENAME email TO mail;
SELECT pipeline.define('hrr', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('hrr');
SELECT count(*) FROM hrr;
SELECT errors->0->>'error' AS error FROM pipeline.rejects WHERE pipeline = 'hrr';
-- the column back, and one added since (it takes its default): replayed whole
ALTER TABLE hrr RENAME mail TO email;
ALTER TABLE hrr ADD COLUMN extra int;
SELECT * FROM pipeline.replay('hrr');
SELECT * FROM hrr;
SELECT count(*) FROM pipeline.rejects;
-- a dropped column: the same as a renamed one
SELECT pipeline.define('hrr', '{"schema": {"type": "object", "required": ["zz"]}, "on_error": "quarantine"}');
INSERT INTO hrr (id, email) VALUES (2, 'c@d');
ALTER TABLE hrr DROP COLUMN email;
SELECT pipeline.define('hrr', '{"on_error": "quarantine"}');
SELECT * FROM pipeline.replay('hrr');
SELECT count(*) FROM hrr;
SELECT record, errors->0->>'error' AS error FROM pipeline.rejects WHERE pipeline = 'hrr';
DELETE FROM pipeline.rejects;

DROP TABLE hrc, hrr;
SELECT pipeline.drop('hrc');
SELECT pipeline.drop('hrr');
