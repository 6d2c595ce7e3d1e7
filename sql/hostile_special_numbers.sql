-- The row renders numeric NaN and infinities as strings, as to_jsonb does,
-- and float4's largest values as PostgreSQL prints them (3.4028235e+38): a
-- step copying such a value into a column of the same type must store it
-- (it was refused, and the valid row quarantined).
CREATE TABLE hsn (id int, n numeric, n2 numeric, na numeric[], na2 numeric[], b numeric(5,2), b2 numeric(5,2),
                  f real, f2 real, fa real[], fa2 real[]);
SELECT pipeline.define('hsn', '{"transform": [{"op": "copy", "path": "/n2", "from": "/n"},
                                              {"op": "copy", "path": "/na2", "from": "/na"},
                                              {"op": "copy", "path": "/b2", "from": "/b"},
                                              {"op": "copy", "path": "/f2", "from": "/f"},
                                              {"op": "copy", "path": "/fa2", "from": "/fa"}],
                                "on_error": "quarantine"}');
SELECT pipeline.attach('hsn', 'hsn');
INSERT INTO hsn (id, n, na, b, f, fa) VALUES
  (1, 'NaN', '{NaN,Infinity,-Infinity,1.50}', 'NaN', 3.4028235e38, '{3.4028235e38,-3.4028235e38,NaN,-Infinity}'),
  (2, 'Infinity', '{}', 1.5, -3.4028235e38, '{1.4e-45}'),
  (3, '-Infinity', NULL, NULL, 'Infinity', NULL);
SELECT id, n2::text, na2::text, b2, f2, fa2::text FROM hsn ORDER BY id;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'hsn';
-- numeric(p,s) takes NaN but no infinity; a float4 beyond its range is refused,
-- as is a number that would become zero (as float4in refuses it)
ALTER TABLE hsn ADD COLUMN doc jsonb;
SELECT pipeline.define('hsn', '{"transform": [{"op": "copy", "path": "/b", "from": "/doc/b"},
                                              {"op": "copy", "path": "/f", "from": "/doc/f"},
                                              {"op": "copy", "path": "/n", "from": "/doc/n"}],
                                "on_error": "quarantine"}');
INSERT INTO hsn (id, doc) VALUES (4, '{"b": "Infinity", "f": 3.4028236e38, "n": "nan"}'),
                                 (5, '{"b": "NaN", "f": -3.4028235e38, "n": "-Infinity"}'),
                                 (6, '{"f": 1e-46}'), (7, '{"f": 1.4e-45}'), (8, '{"f": -0.0}');
SELECT id, b, f, n FROM hsn WHERE id > 3;
SELECT record ->> 'id' AS id, jsonb_path_query_array(errors, '$[*].error') FROM pipeline.rejects WHERE pipeline = 'hsn' ORDER BY id;
DELETE FROM pipeline.rejects WHERE pipeline = 'hsn';
DROP TABLE hsn;
SELECT pipeline.drop('hsn');
