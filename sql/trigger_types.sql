-- Row mode: a value a column's type or domain refuses is a violation of the
-- step that wrote it (quarantined, skipped or raised as 23514), not an error
-- of the statement: inet, varchar(n), a domain with CHECK, an enum, a
-- composite, an array
CREATE SCHEMA trigger_types;
SET search_path = trigger_types, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE DOMAIN short_code AS varchar(4);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (x int, y text);
CREATE TABLE sink (
    id int, payload jsonb, ip inet, vc varchar(3), code short_code, pos positive,
    m mood, p pair, ips inet[], nums int[]
);
SELECT pipeline.define('t_types', $j${
  "transform": [
    {"op": "copy", "path": "/ip", "from": "/payload/ip"},
    {"op": "copy", "path": "/vc", "from": "/payload/vc"},
    {"op": "copy", "path": "/code", "from": "/payload/code"},
    {"op": "copy", "path": "/pos", "from": "/payload/pos"},
    {"op": "copy", "path": "/m", "from": "/payload/m"},
    {"op": "copy", "path": "/p", "from": "/payload/p"},
    {"op": "copy", "path": "/ips", "from": "/payload/ips"},
    {"op": "copy", "path": "/nums", "from": "/payload/nums"}
  ],
  "on_error": "quarantine"}$j$);
SELECT pipeline.attach('sink', 't_types');
INSERT INTO sink (id, payload) VALUES
  (1, '{"ip": "10.0.0.1", "vc": "abc", "code": "abcd", "pos": 5, "m": "ok", "p": "(1,a)", "ips": ["10.0.0.2"], "nums": [1, 2]}'),
  (2, '{"ip": "not-an-ip"}'),
  (3, '{"vc": "abcd"}'),
  (4, '{"code": "abcde"}'),
  (5, '{"pos": 0}'),
  (6, '{"m": "angry"}'),
  (7, '{"p": "(x,a)"}'),
  (8, '{"ips": ["10.0.0.3", "nope"]}'),
  (9, '{"nums": [1, "two"]}');
SELECT id, ip, vc, code, pos, m, p, ips, nums FROM sink ORDER BY id;
SELECT record->>'id' AS id, errors FROM pipeline.rejects ORDER BY id;

-- many refused values in one statement: one subtransaction each, none left open
TRUNCATE sink;
TRUNCATE pipeline.rejects RESTART IDENTITY;
INSERT INTO sink (id, payload)
  SELECT g, jsonb_build_object('ip', CASE WHEN g % 2 = 0 THEN 'bad' || g ELSE '10.0.0.' || (g % 250) END,
                               'pos', g % 3)
    FROM generate_series(1, 2000) g;
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline.rejects) AS quarantined FROM sink;
SELECT count(*) FILTER (WHERE errors::text LIKE '%inet%') AS inet_errors,
       count(*) FILTER (WHERE errors::text LIKE '%positive%') AS domain_errors
  FROM pipeline.rejects;

-- raise: 23514 with the pipeline's name, as for a schema violation
TRUNCATE sink;
SELECT pipeline.define('t_types', '{"transform": [{"op": "copy", "path": "/ip", "from": "/payload/ip"},
                                                  {"op": "copy", "path": "/pos", "from": "/payload/pos"}]}');
\set VERBOSITY default
INSERT INTO sink (id, payload) VALUES (20, '{"ip": "not-an-ip"}');
INSERT INTO sink (id, payload) VALUES (21, '{"pos": -1}');
-- skip
SELECT pipeline.define('t_types', '{"transform": [{"op": "copy", "path": "/m", "from": "/payload/m"}], "on_error": "skip"}');
INSERT INTO sink (id, payload) VALUES (22, '{"m": "angry"}'), (23, '{"m": "happy"}');
SELECT id, m FROM sink WHERE id >= 20 ORDER BY id;

-- a cancel or any error that is not about the data is not caught
CREATE FUNCTION boom(v int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF v = 13 THEN RAISE EXCEPTION 'boom' USING ERRCODE = 'P0001'; END IF;
  RETURN true;
END $$;
CREATE DOMAIN guarded_int AS int CHECK (boom(VALUE));
CREATE TABLE boomy (id int, payload jsonb, g guarded_int);
SELECT pipeline.define('t_boom', '{"transform": [{"op": "copy", "path": "/g", "from": "/payload/g"}], "on_error": "quarantine"}');
SELECT pipeline.attach('boomy', 't_boom');
INSERT INTO boomy (id, payload) VALUES (1, '{"g": 13}');
INSERT INTO boomy (id, payload) VALUES (2, '{"g": 12}');
SELECT id, g FROM boomy;

-- column mode: the transformed document must pass the column's domain; a
-- document it refuses is a violation of the transform (here: quarantined)
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE DOMAIN small_doc AS jsonb CHECK ((VALUE->>'n')::int < 100);
CREATE TABLE docs (id int, doc small_doc);
SELECT pipeline.define('t_docs', '{"transform": [{"op": "scale", "path": "/n", "factor": 10}], "on_error": "quarantine"}');
SELECT pipeline.attach('docs', 't_docs', 'doc');
INSERT INTO docs VALUES (1, '{"n": 5}'), (2, '{"n": 20}');
SELECT * FROM docs;
SELECT record, errors FROM pipeline.rejects;
SELECT pipeline.define('t_docs', '{"transform": [{"op": "scale", "path": "/n", "factor": 10}]}');
UPDATE docs SET doc = '{"n": 11}';
SELECT * FROM docs;

DROP SCHEMA trigger_types CASCADE;
