-- UPDATE runs only the steps that read a column the statement changed; the
-- whole row is still validated.  ON CONFLICT DO UPDATE and MERGE included.
CREATE SCHEMA trigger_update;
SET search_path = trigger_update, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE customers (id int PRIMARY KEY, email text, amount numeric, status text,
                        first text, last text, full_name text);
SELECT pipeline.define('t_cust', $j${
  "transform": [
    {"op": "trim", "path": "/email"},
    {"op": "lower", "path": "/email"},
    {"op": "hash", "path": "/email"},
    {"op": "scale", "path": "/amount", "factor": 100},
    {"op": "concat", "path": "/full_name", "from": ["/first", "/last"], "separator": " "},
    {"op": "upper", "path": "/full_name"}
  ],
  "schema": {"properties": {"status": {"enum": ["new", "shipped", null]}}}}$j$);
SELECT pipeline.attach('customers', 't_cust');
CREATE FUNCTION h(e text) RETURNS text LANGUAGE sql AS $$ SELECT encode(sha256(convert_to(lower(trim(e)), 'UTF8')), 'hex') $$;
INSERT INTO customers VALUES (1, ' Ann@X.org ', 1.5, 'new', 'ann', 'lee', NULL);
SELECT email = h('Ann@X.org') AS hashed_once, amount, status, full_name FROM customers;
-- a column the steps do not read: nothing is transformed again
UPDATE customers SET status = 'shipped';
SELECT email = h('Ann@X.org') AS hashed_once, amount, status, full_name FROM customers;
-- the whole row is still validated
UPDATE customers SET status = 'lost';
-- a changed column goes through its steps, once; the others stay
UPDATE customers SET email = 'BOB@x.org';
SELECT email = h('bob@x.org') AS hashed_once, amount, full_name FROM customers;
UPDATE customers SET amount = 2;
SELECT email = h('bob@x.org') AS hashed_once, amount, full_name FROM customers;
-- a step reading a changed column runs, and what it wrote feeds the later steps
UPDATE customers SET last = 'park';
SELECT amount, full_name FROM customers;
-- setting a column to the value it has is no change
UPDATE customers SET email = email, amount = amount;
SELECT email = h('bob@x.org') AS hashed_once, amount FROM customers;

-- INSERT ... ON CONFLICT DO UPDATE: EXCLUDED already went through the pipeline
INSERT INTO customers (id, email, amount, status) VALUES (1, 'Carl@x.org', 3, 'new')
  ON CONFLICT (id) DO UPDATE SET email = excluded.email, amount = excluded.amount;
SELECT email = h('carl@x.org') AS hashed_once, amount FROM customers WHERE id = 1;
-- ... but a value that is not EXCLUDED's is transformed
INSERT INTO customers (id, email, amount) VALUES (1, 'x', 1)
  ON CONFLICT (id) DO UPDATE SET email = 'Dora@x.org', amount = customers.amount + 1;
SELECT email = h('dora@x.org') AS hashed_once, amount FROM customers WHERE id = 1;
-- no conflict: a plain insert
INSERT INTO customers (id, email, amount) VALUES (2, 'Eve@x.org', 4)
  ON CONFLICT (id) DO UPDATE SET email = excluded.email;
SELECT id, email = h('eve@x.org') AS hashed_once, amount FROM customers WHERE id = 2;

-- MERGE: matched rows are UPDATEs, the others INSERTs
CREATE TABLE incoming (id int, email text, amount numeric);
INSERT INTO incoming VALUES (1, 'Finn@x.org', 5), (3, 'Gus@x.org', 6);
MERGE INTO customers c USING incoming i ON c.id = i.id
  WHEN MATCHED THEN UPDATE SET email = i.email
  WHEN NOT MATCHED THEN INSERT (id, email, amount) VALUES (i.id, i.email, i.amount);
SELECT id, email = h(CASE id WHEN 1 THEN 'finn@x.org' WHEN 2 THEN 'eve@x.org' ELSE 'gus@x.org' END) AS hashed_once,
       amount FROM customers ORDER BY id;

-- column mode: no step runs when the document is unchanged
CREATE TABLE events (id int PRIMARY KEY, doc jsonb, seen bool);
SELECT pipeline.define('t_events', '{"transform": [{"op": "scale", "path": "/n", "factor": 2}, {"op": "hash", "path": "/who"}],
                                     "schema": {"required": ["n"]}}');
SELECT pipeline.attach('events', 't_events', 'doc');
INSERT INTO events VALUES (1, '{"n": 1, "who": "a"}', false);
UPDATE events SET seen = true;
SELECT doc->'n' AS n, doc->>'who' = encode(sha256('a'), 'hex') AS hashed_once, seen FROM events;
UPDATE events SET doc = '{"n": 5, "who": "b"}';
SELECT doc->'n' AS n, doc->>'who' = encode(sha256('b'), 'hex') AS hashed_once FROM events;
-- a changed document goes through every step: it is new input, like an INSERT's
UPDATE events SET doc = doc - 'n';
INSERT INTO events VALUES (1, '{"n": 7, "who": "c"}') ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
SELECT doc->'n' AS n, doc->>'who' = encode(sha256('c'), 'hex') AS hashed_once FROM events;

DROP SCHEMA trigger_update CASCADE;
