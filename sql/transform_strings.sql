-- String ops: trim, collapse_whitespace, lower, upper, nullif_empty, truncate, replace
SELECT pipeline.define('str', $j${"transform": [
  {"op": "trim", "path": "/t"},
  {"op": "collapse_whitespace", "path": "/c"},
  {"op": "lower", "path": "/l"},
  {"op": "upper", "path": "/u"},
  {"op": "nullif_empty", "path": "/n"},
  {"op": "truncate", "path": "/tr", "length": 3}
]}$j$);
-- whitespace is the set Python's str.isspace() knows (NBSP, ideographic space, NEL...)
SELECT pipeline.transform(d, 'str')
  FROM (VALUES
    ('{"t": "  a b \t\n"}'::jsonb),
    (jsonb_build_object('t', E'\u00a0\u3000x\u2003', 'c', E' a \u0085 b\t\tc ')),
    ('{"l": "ÀÉÎ ΣΟΦΟΣ ß", "u": "straße ﬁx ǆ"}'),
    ('{"l": "ASCII Only", "u": "ascii only"}'),
    ('{"n": "", "tr": "héllo"}'),
    ('{"n": " ", "tr": "hé"}'),
    -- other kinds are left alone
    ('{"t": 1, "c": null, "l": true, "u": [" a "], "n": {}, "tr": 12345}')
  ) v(d);
-- a document that no step changes comes back as it was
SELECT pipeline.transform('{"x": " keep "}', 'str');
-- the root itself
SELECT pipeline.define('root', '{"transform": [{"op": "trim", "path": ""}, {"op": "upper", "path": ""}]}');
SELECT pipeline.transform('"  shout "', 'root'), pipeline.transform('[" a "]', 'root');

-- replace: ECMA-262 patterns, every match, $&, $1..$9, $j$
SELECT pipeline.define('rep', $j${"transform": [
  {"op": "replace", "path": "/digits", "pattern": "[^0-9]", "with": ""},
  {"op": "replace", "path": "/swap", "pattern": "(\\w+)@(\\w+)", "with": "$2 at $1 ($&, $$)"},
  {"op": "replace", "path": "/empty", "pattern": "x*", "with": "-"},
  {"op": "replace", "path": "/utf8", "pattern": "é+", "with": "e"},
  {"op": "replace", "path": "/anchor", "pattern": "^\\s+|\\s+$"}
]}$j$);
SELECT pipeline.transform('{"digits": "+1 (555) 010-9999", "swap": "me@host, you@there", "empty": "abxd", "utf8": "café crééé", "anchor": "  mid dle  "}', 'rep');
SELECT pipeline.transform('{"digits": "12345", "swap": "none", "empty": "", "utf8": 7}', 'rep');

-- bad steps are refused at define time, naming the JSON Pointer
SELECT pipeline.define('bad', '{"transform": [{"op": "trim", "path": "/a"}, {"op": "truncate", "path": "/a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "truncate", "path": "/a", "length": -1}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "truncate", "path": "/a", "length": 1.5}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "replace", "path": "/a", "pattern": "(a"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "replace", "path": "/a", "pattern": "(a)", "with": "$2"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "replace", "path": "/a", "pattern": 5}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "trim", "path": "/a", "pattern": "x"}]}');
