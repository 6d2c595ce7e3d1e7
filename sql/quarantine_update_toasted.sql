-- A column-mode UPDATE whose stored document is toasted and fails: the
-- document is detoasted once for judging, and the reject keeps it whole.
SET search_path = public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
SELECT pipeline.define('qut_docs', '{"schema": {"required": ["n"]}, "on_error": "quarantine"}');
CREATE TABLE qut (id int PRIMARY KEY, flag int, doc jsonb);
SELECT pipeline.attach('qut', 'qut_docs', 'doc');
INSERT INTO qut VALUES (1, 0, jsonb_build_object('n', 1, 'pad', repeat('ab', 50000)));
SELECT pg_column_compression(doc) IS NOT NULL AS compressed FROM qut;
-- the pipeline now requires "m": the UPDATE of another column is quarantined
SELECT pipeline.define('qut_docs', '{"schema": {"required": ["m"]}, "on_error": "quarantine"}');
UPDATE qut SET flag = 1;
SELECT flag FROM qut;
SELECT operation, record = (SELECT doc FROM qut) AS whole, other_columns, errors
  FROM pipeline.rejects;
DROP TABLE qut;
TRUNCATE pipeline.rejects RESTART IDENTITY;
SELECT pipeline.drop('qut_docs');
