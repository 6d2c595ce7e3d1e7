-- The row renders a multidimensional array as nested JSON arrays (as
-- to_jsonb does); a step copying it into an array column stored only one
-- dimension and refused the rest, quarantining a valid row.  Nested arrays
-- of equal lengths are now the dimensions; arrays of jsonb keep theirs as
-- elements.
CREATE TABLE hma (id int, a int[], a2 int[], t text[], t2 text[], j jsonb[], j2 jsonb[], doc jsonb);
SELECT pipeline.define('hma', '{"transform": [{"op": "copy", "path": "/a2", "from": "/a"},
                                              {"op": "copy", "path": "/t2", "from": "/t"},
                                              {"op": "copy", "path": "/j2", "from": "/j"}],
                                "on_error": "quarantine"}');
SELECT pipeline.attach('hma', 'hma');
INSERT INTO hma (id, a, t, j) VALUES
  (1, '{{1,2},{3,4}}', '{{{a}},{{NULL}}}', ARRAY['[1, 2]'::jsonb, '{"x": [3]}']),
  (2, '{}', '{}', '{}'),
  (3, '[0:1][5:5]={{7},{8}}', '{{"",""}}', NULL);
SELECT id, a2::text, array_dims(a2), t2::text, t2 = t AS same_t, j2::text, j2 = j AS same_j FROM hma ORDER BY id;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'hma';
-- arrays of different lengths or depths are violations
SELECT pipeline.define('hma', '{"transform": [{"op": "copy", "path": "/a2", "from": "/doc/a"}], "on_error": "quarantine"}');
INSERT INTO hma (id, doc) VALUES (4, '{"a": [[1, 2], [3]]}'), (5, '{"a": [[1, 2], 3]}'), (6, '{"a": [1, [2]]}'),
                                 (7, '{"a": [[[[[[[1]]]]]]]}'), (8, '{"a": [[], []]}'), (9, '{"a": [[[1]], [[2]]]}'),
                                 (10, '{"a": [[], [1]]}');
SELECT id, a2::text, array_dims(a2) FROM hma WHERE id > 3 ORDER BY id;
SELECT record -> 'doc' AS doc, errors -> 0 ->> 'error' AS error FROM pipeline.rejects WHERE pipeline = 'hma' ORDER BY id;
DELETE FROM pipeline.rejects WHERE pipeline = 'hma';
DROP TABLE hma;
SELECT pipeline.drop('hma');
