-- Privacy ops: hash (hex SHA-256 of salt + string), mask
SELECT pipeline.define('pii', $j${"transform": [
  {"op": "hash", "path": "/ssn"},
  {"op": "hash", "path": "/email", "salt": "pepper:"},
  {"op": "mask", "path": "/card"},
  {"op": "mask", "path": "/phone", "keep_last": 2, "char": "•"}
]}$j$);
SELECT jsonb_pretty(pipeline.transform('{"ssn": "123-45-6789", "email": "a@b.c", "card": "4111111111111111", "phone": "0612345678"}', 'pii'));
SELECT pipeline.transform('{"ssn": "", "card": "1234", "phone": "é"}', 'pii');
SELECT pipeline.transform('{"ssn": 123456789, "card": 4111111111111111, "phone": null}', 'pii');
SELECT encode(sha256('pepper:a@b.c'), 'hex') = pipeline.transform('{"email": "a@b.c"}', 'pii')->>'email' AS same_as_sha256;
SELECT pipeline.define('bad', '{"transform": [{"op": "mask", "path": "/a", "char": "**"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "hash", "path": "/a", "salt": 1}]}');
