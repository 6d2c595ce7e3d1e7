-- Structure ops: map, default, set, remove, rename, copy, concat, keep
SELECT pipeline.define('st', $j${"transform": [
  {"op": "map", "path": "/country", "case_insensitive": true, "values": {"usa": "US", "Deutschland": "DE", "españa": "ES"}},
  {"op": "map", "path": "/status", "values": {"ok": true, "no": false}, "default": null},
  {"op": "default", "path": "/meta/source", "value": "api"},
  {"op": "set", "path": "/version", "value": {"major": 2, "tags": ["x"]}},
  {"op": "remove", "path": "/debug"},
  {"op": "rename", "path": "/userId", "to": "/user/id"},
  {"op": "copy", "path": "/first_tag", "from": "/tags/0"},
  {"op": "concat", "path": "/name", "from": ["/first", "/last", "/suffix"], "separator": " "},
  {"op": "keep", "path": "/payload", "keys": ["a", "b"]},
  {"op": "set", "path": "/tags/-", "value": "new"}
]}$j$);
SELECT jsonb_pretty(pipeline.transform($j${"country": "USA", "status": "ok", "debug": 1, "userId": 7,
  "tags": ["t1", "t2"], "first": "Ada", "last": "Lovelace", "suffix": 1, "payload": {"a": 1, "b": 2, "c": 3}}$j$, 'st'));
SELECT jsonb_pretty(pipeline.transform($j${"country": "ESPAÑA", "status": "maybe", "meta": {"source": "csv"},
  "user": {"name": "x"}, "tags": [], "first": "Solo", "payload": [1]}$j$, 'st'));
-- writing below a value that is not an object is a violation (and changes nothing)
SELECT e->>'instanceLocation' AS at, e->>'keywordLocation' AS step, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors('{"meta": "flat", "userId": 1, "user": 5, "tags": {"0": 1}, "first": {"x": 1}}', 'st')) e;
-- on an empty record the value steps (map, remove, rename, copy, concat, keep) find
-- nothing and do nothing; the writing steps (default, set) create their path and its
-- missing parents as objects, where a "-" is an ordinary key (docs/transforms.md)
SELECT pipeline.transform('{}', 'st');
-- arrays: an existing index, or a last "-" to append; rename to the same place is a no-op
SELECT pipeline.define('arr', $j${"transform": [
  {"op": "set", "path": "/a/1", "value": "one"},
  {"op": "set", "path": "/a/3", "value": "past the end", "description": "a violation"},
  {"op": "set", "path": "/a/-", "value": "three"},
  {"op": "remove", "path": "/b/0"},
  {"op": "rename", "path": "/c", "to": "/c"},
  {"op": "copy", "path": "/d", "from": "/a"},
  {"op": "set", "path": "/d/0", "value": "copied, not shared"}
]}$j$);
SELECT pipeline.transform('{"a": [0, 1, 2], "b": [1, 2], "c": 1}', 'arr');
SELECT pipeline.errors('{"a": [0, 1, 2], "b": [1, 2], "c": 1}', 'arr');

SELECT pipeline.define('bad', '{"transform": [{"op": "map", "path": "/a", "values": {"A": 1, "a": 2}, "case_insensitive": true}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "remove", "path": ""}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "rename", "path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "copy", "path": "/a", "from": "a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "concat", "path": "/a", "from": []}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "keep", "path": "/a", "keys": [1]}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "set", "path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "trim"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "trim", "path": "/a"}, {"op": "trimm", "path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": ["trim"]}');
SELECT pipeline.define('bad', '{"transform": {"op": "trim"}}');
