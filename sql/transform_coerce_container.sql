-- coerce of a container is a no-op, also once an earlier step has written into
-- it (the record's root is then expanded in memory, not a jsonb container):
-- it used to read the container as a number (a crash for "to": "boolean")
SELECT pipeline.define('t_cc_bool', '{"transform": [{"op": "lower", "path": "/a"},
  {"op": "coerce", "path": "", "to": "boolean"}]}');
SELECT pipeline.errors('{"a": "X"}', 't_cc_bool'), pipeline.transform('{"a": "X"}', 't_cc_bool');
SELECT pipeline.define('t_cc_int', '{"transform": [{"op": "trim", "path": "/a"},
  {"op": "coerce", "path": "", "to": "integer"}]}');
SELECT pipeline.errors('{"a": " \r "}', 't_cc_int'), pipeline.transform('{"a": " \r "}', 't_cc_int');
SELECT pipeline.define('t_cc_str', '{"transform": [{"op": "set", "path": "/b/c", "value": 1},
  {"op": "coerce", "path": "/b", "to": "string"}, {"op": "coerce", "path": "", "to": "number"}]}');
SELECT pipeline.errors('{"a": 1}', 't_cc_str'), pipeline.transform('{"a": 1}', 't_cc_str');
SELECT pipeline.drop(n) FROM unnest(ARRAY['t_cc_bool', 't_cc_int', 't_cc_str']) n;
