-- A step that writes a date/time column takes what PostgreSQL's input takes:
-- "infinity", "-infinity" and "epoch" included.  The row renders an infinite
-- timestamp as "infinity" (as to_jsonb does), and a step copying it into
-- another column failed to store it: a valid row was quarantined.
CREATE TABLE hit (id int, ts timestamptz, ts2 timestamptz, d date, d2 date, t timestamp(0), t2 timestamp(0));
SELECT pipeline.define('hit', '{"transform": [{"op": "copy", "path": "/ts2", "from": "/ts"},
                                              {"op": "copy", "path": "/d2", "from": "/d"},
                                              {"op": "copy", "path": "/t2", "from": "/t"}],
                                "on_error": "quarantine"}');
SELECT pipeline.attach('hit', 'hit');
INSERT INTO hit (id, ts, d, t) VALUES (1, 'infinity', '-infinity', 'infinity'),
                                      (2, '-infinity', 'infinity', '-infinity'),
                                      (3, '2020-01-01 10:00+00', '2020-01-01', '2020-01-01 10:00:00.6');
SELECT id, ts2 = ts AS ts_same, d2 = d AS d_same, t2 = t AS t_same FROM hit ORDER BY id;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'hit';
-- "epoch" as the date/time input reads it; other words are still refused
SELECT pipeline.define('hit', '{"transform": [{"op": "set", "path": "/ts2", "value": "epoch"},
                                              {"op": "set", "path": "/d2", "value": "Epoch"},
                                              {"op": "set", "path": "/t2", "value": " EPOCH "}],
                                "on_error": "quarantine"}');
INSERT INTO hit (id) VALUES (4);
SELECT id, ts2 = 'epoch'::timestamptz AS ts_epoch, d2 = 'epoch'::date AS d_epoch, t2 = 'epoch'::timestamp AS t_epoch
  FROM hit WHERE id = 4;
SELECT pipeline.define('hit', '{"transform": [{"op": "set", "path": "/d2", "value": "infinityx"}],
                                "on_error": "quarantine"}');
INSERT INTO hit (id) VALUES (5);
SELECT errors FROM pipeline.rejects WHERE pipeline = 'hit';
DELETE FROM pipeline.rejects WHERE pipeline = 'hit';
DROP TABLE hit;
SELECT pipeline.drop('hit');
