-- Compiled steps are copied out of the compiler's memory (src/transform_freeze.c):
-- every op's arguments must survive the copy, with equal strings stored once
SELECT pipeline.define('copied', $j${"transform": [
  {"op": "trim", "path": "/a~1b"},
  {"op": "upper", "path": "/a~1b"},
  {"op": "replace", "path": "/r", "pattern": "(\\w+)-(\\w+)", "with": "$2+$1"},
  {"op": "map", "path": "/m", "case_insensitive": true,
   "values": {"One": 1, "two": [2, "two"], "three": {"n": 3.5}, "four": "IV", "five": null, "six": true},
   "default": {"unknown": "value"}},
  {"op": "default", "path": "/d", "value": {"nested": [1, 2.25, "x"]}},
  {"op": "set", "path": "/s", "value": 12345678901234567890.5},
  {"op": "clamp", "path": "/c", "min": -1.5, "max": 2.5},
  {"op": "scale", "path": "/sc", "factor": 0.5, "offset": 10},
  {"op": "truncate", "path": "/t", "length": 2},
  {"op": "round", "path": "/sc", "digits": 1},
  {"op": "coerce", "path": "/q", "to": "integer"},
  {"op": "parse_timestamp", "path": "/ts", "formats": ["%d/%m/%Y", "iso8601"], "timezone": "Europe/Paris"},
  {"op": "concat", "path": "/full", "from": ["/first", "/last"], "separator": " · "},
  {"op": "copy", "path": "/copy/of", "from": "/first"},
  {"op": "rename", "path": "/old", "to": "/new"},
  {"op": "hash", "path": "/h", "salt": "pepper"},
  {"op": "mask", "path": "/card", "keep_last": 2, "char": "•"},
  {"op": "remove", "path": "/gone"},
  {"op": "keep", "path": "/k", "keys": ["b", "a", "b"]},
  {"op": "keep", "path": "/k0", "keys": []}
]}$j$);
SELECT pipeline.transform($j${"a/b": " x ", "r": "left-right", "m": "ONE", "c": 9, "sc": 3,
  "t": "abcdef", "q": "42", "ts": "14/07/2024", "first": "Ada", "last": "Lovelace", "old": 1,
  "h": "secret", "card": "123456", "gone": true, "k": {"a": 1, "b": 2, "c": 3}, "k0": {"z": 0},
  "copy": {}}$j$::jsonb, 'copied');
SELECT pipeline.transform(d, 'copied') -> 'm' AS m
  FROM (VALUES ('{"m": "Two"}'::jsonb), ('{"m": "three"}'), ('{"m": "FIVE"}'), ('{"m": "six"}'),
               ('{"m": "four"}'), ('{"m": "seven"}')) v(d);
SELECT pipeline.transform('{"c": -7, "d": null, "s": 1}', 'copied') - 'sc' - 'ts';
-- a step that fails names its location, kept in the copy
SELECT * FROM pipeline.errors('{"q": "4.5", "full": 1, "first": [1]}', 'copied');
-- a spec refused after its regex was compiled frees that regex once
SELECT pipeline.define('copied_bad', $j${"transform": [
  {"op": "replace", "path": "/r", "pattern": "a+", "with": "b"},
  {"op": "truncate", "path": "/r", "length": -1}
]}$j$);
SELECT pipeline.define('copied_bad', $j${"transform": [
  {"op": "replace", "path": "/r", "pattern": "a+", "with": "b"}
]}$j$);
SELECT pipeline.transform('{"r": "caaat"}', 'copied_bad');
