-- Row mode: the record is the row as to_jsonb(NEW) renders it
CREATE SCHEMA trigger_rows;
SET search_path = trigger_rows, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE DOMAIN short_code AS text CHECK (length(VALUE) <= 4);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (x int, y text);
CREATE TABLE typed (
    t text, vc varchar(5), bp char(3), i2 int2, i4 int4, i8 int8, n numeric(8,2), nn numeric,
    f4 float4, f8 float8, b bool, ts timestamptz, tsl timestamp, d date, u uuid,
    j json, jb jsonb, ia int[], ta text[][], dom short_code, m mood, p pair, iv interval
);
-- a pipeline that keeps every row out shows the record it judged
SELECT pipeline.define('t_everything', '{"schema": false, "on_error": "quarantine"}');
SELECT pipeline.attach('typed', 't_everything');
INSERT INTO typed VALUES
  ('tëxt', 'ab', 'x', -32768, 2147483647, 9007199254740993, 123456.78, 'NaN',
   1.5, 'Infinity', true, '2024-05-01 13:45:00.5+02', '2024-05-01 13:45', '2024-05-01',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": [1, 2.50], "a": null}', '{"k": "v"}',
   '{1,NULL,3}', '{{a,b},{c,d}}', 'abcd', 'happy', '(1,"y")', '1 day 02:00'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, '{}', NULL, NULL, NULL, NULL, NULL);
SELECT count(*) FROM typed;
-- exactly what to_jsonb(NEW) gives
SELECT r.record = to_jsonb(v) AS same_as_to_jsonb, r.record
  FROM pipeline.rejects r,
       (VALUES ('tëxt'::text, 'ab'::varchar(5), 'x'::char(3), '-32768'::int2, 2147483647::int4, 9007199254740993::int8,
                123456.78::numeric(8,2), 'NaN'::numeric, 1.5::float4, 'Infinity'::float8, true,
                '2024-05-01 13:45:00.5+02'::timestamptz, '2024-05-01 13:45'::timestamp, '2024-05-01'::date,
                'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"b": [1, 2.50], "a": null}'::json, '{"k": "v"}'::jsonb,
                '{1,NULL,3}'::int[], '{{a,b},{c,d}}'::text[][], 'abcd'::short_code, 'happy'::mood, '(1,"y")'::pair,
                '1 day 02:00'::interval)) v(t, vc, bp, i2, i4, i8, n, nn, f4, f8, b, ts, tsl, d, u, j, jb, ia, ta, dom, m, p, iv)
 WHERE r.id = 1;
SELECT record = to_jsonb(jsonb_populate_record(NULL::typed, '{"ia": []}')) AS same_as_to_jsonb
  FROM pipeline.rejects WHERE id = 2;
SELECT record FROM pipeline.rejects WHERE id = 2;
SELECT pipeline.detach('typed', 't_everything');
TRUNCATE pipeline.rejects RESTART IDENTITY;

-- transforms write back into the typed columns
CREATE TABLE orders (
    id serial PRIMARY KEY,
    email text NOT NULL,
    code varchar(5),
    qty int,
    amount numeric(10,2),
    ratio float8,
    paid bool,
    at timestamptz,
    day date,
    ref uuid,
    tags text[],
    customer_id int,
    payload jsonb
);
SELECT pipeline.define('t_orders', $j${
  "schema": {"type": "object", "required": ["email"],
             "properties": {"email": {"type": "string", "format": "email"}, "qty": {"type": ["integer", "null"], "minimum": 1}}},
  "transform": [
    {"op": "trim", "path": "/email"},
    {"op": "lower", "path": "/email"},
    {"op": "upper", "path": "/code"},
    {"op": "round", "path": "/amount", "digits": 1},
    {"op": "scale", "path": "/ratio", "factor": 0.01},
    {"op": "parse_timestamp", "path": "/at"},
    {"op": "default", "path": "/paid", "value": false},
    {"op": "copy", "path": "/customer_id", "from": "/payload/customer/id"},
    {"op": "remove", "path": "/payload/customer"},
    {"op": "default", "path": "/payload", "value": {}},
    {"op": "set", "path": "/payload/source", "value": "trigger"},
    {"op": "concat", "path": "/code", "from": ["/code", "/qty"], "separator": "-"}
  ],
  "on_error": "raise"}$j$);
SELECT pipeline.attach('orders', 't_orders');
INSERT INTO orders (email, code, qty, amount, ratio, at, day, ref, tags, payload)
VALUES ('  Ada@Example.COM ', 'ab', 2, 10.25, 50, NULL, '2024-05-01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{x,y}', '{"customer": {"id": 42, "name": "Ada"}, "lines": 3}')
RETURNING *;
-- another row (concat skips the null code)
INSERT INTO orders (email, code, qty, paid) VALUES ('b@c.d', NULL, 1, true) RETURNING email, code, qty, paid, customer_id;
-- violations: of the schema, and of a step whose value the column cannot hold
INSERT INTO orders (email, qty) VALUES ('nope', 0);
INSERT INTO orders (email, code, qty) VALUES ('a@b.c', 'abcd', 12);
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"customer": {"id": "C-1"}}');
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"customer": {"id": 3.5}}');
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"customer": {"id": 1e10}}');
SELECT pipeline.define('t_orders', '{"transform": [{"op": "copy", "path": "/at", "from": "/payload/when"}, {"op": "copy", "path": "/ref", "from": "/payload/ref"}]}');
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"when": "2024-05-01T13:45:00Z", "ref": "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"}')
RETURNING at, ref;
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"when": "not a date"}');
INSERT INTO orders (email, payload) VALUES ('a@b.c', '{"ref": "a0ee-bc99"}');
SELECT pipeline.define('t_orders', '{"transform": [{"op": "remove", "path": "/email"}]}');
INSERT INTO orders (email) VALUES ('a@b.c');
-- UPDATE goes through the same path
SELECT pipeline.define('t_orders', '{"transform": [{"op": "trim", "path": "/email"}], "schema": {"properties": {"qty": {"maximum": 10}}}}');
UPDATE orders SET email = '  padded@x.y  ' WHERE qty = 1 RETURNING email;
UPDATE orders SET qty = 11 WHERE qty = 1;
SELECT email, qty FROM orders ORDER BY id;
