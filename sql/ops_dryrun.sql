-- pipeline.test: a candidate spec against stored rows and rejects, writing nothing
SELECT pipeline.define('orders', '{"schema": {"required": ["id"], "properties": {"qty": {"minimum": 0}}}, "on_error": "quarantine"}');
CREATE TABLE orders (id int, qty int, email text);
SELECT pipeline.attach('orders', 'orders');
INSERT INTO orders SELECT i, i % 7 - 1, CASE WHEN i % 3 = 0 THEN 'x' ELSE 'u' || i || '@example.com' END
  FROM generate_series(1, 60) i;
SELECT count(*) AS stored FROM orders;
SELECT count(*) AS quarantined FROM pipeline.rejects WHERE pipeline = 'orders';
-- a stricter candidate: qty at least 1, email a valid email (asserted)
SELECT checked, passed, failed, newly_failing, newly_passing, rejects_checked, rejects_accepted,
       jsonb_pretty(failures)
  FROM pipeline.test('orders', '{"schema": {"required": ["id"], "properties": {"qty": {"minimum": 1},
                                 "email": {"format": "email"}}}, "formats": "assert"}', 'orders');
-- a looser one: accepts what was quarantined, fails nothing
SELECT checked, passed, failed, newly_failing, newly_passing, rejects_checked, rejects_accepted, failures
  FROM pipeline.test('orders', '{"schema": {"properties": {"qty": {"minimum": -5}}}}', 'orders');
-- nothing was written
SELECT count(*) AS stored FROM orders;
SELECT count(*) AS quarantined FROM pipeline.rejects WHERE pipeline = 'orders';
SELECT max(version) FROM pipeline.pipelines WHERE name = 'orders';
-- transforms run as in the trigger
SELECT checked, passed, failures->0->'keywordLocation' AS first_failure
  FROM pipeline.test('orders', '{"transform": [{"op": "coerce", "path": "/email", "to": "number"}]}', 'orders');
-- column mode (NULL is the record null), a view, a new pipeline name (no comparison)
CREATE TABLE events (id int, doc jsonb);
INSERT INTO events VALUES (1, '{"kind": "a"}'), (2, '{"kind": 5}'), (3, NULL), (4, '[1]');
CREATE VIEW events_v AS SELECT * FROM events WHERE id > 1;
SELECT * FROM pipeline.test('events', '{"schema": {"type": "object", "properties": {"kind": {"type": "string"}}}}',
                            'events', 'doc');
SELECT checked, passed, failed, newly_failing FROM pipeline.test('events', '{"schema": {"type": "object"}}', 'events_v', 'doc');
SELECT checked, passed FROM pipeline.test('events', '{"schema": {"required": ["doc"]}}', 'events_v');
-- rows of a partitioned table and its partitions
CREATE TABLE parts (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);
CREATE TABLE parts_2 PARTITION OF parts FOR VALUES FROM (10) TO (20);
INSERT INTO parts SELECT i, 'v' || i FROM generate_series(0, 19) i;
SELECT checked, passed, failed FROM pipeline.test('p', '{"schema": {"properties": {"k": {"maximum": 9}}}}', 'parts');
-- statement_timeout stops a long dry run
CREATE TABLE big AS SELECT i AS id FROM generate_series(1, 300000) i;
SET statement_timeout = '10ms';
SELECT checked FROM pipeline.test('big', '{"schema": {"properties": {"id": {"not": {"multipleOf": 7919}}}}}', 'big');
RESET statement_timeout;
-- the reader's rights apply: no rejects for a role that may not read them
CREATE ROLE regress_dry_user;
GRANT SELECT ON orders TO regress_dry_user;
SET ROLE regress_dry_user;
SELECT checked, rejects_checked, rejects_accepted FROM pipeline.test('orders', '{}', 'orders');
SELECT checked FROM pipeline.test('events', '{}', 'events');
RESET ROLE;
-- bad input
SELECT * FROM pipeline.test('orders', '{"schema": {"type": 1}}', 'orders');
SELECT * FROM pipeline.test('orders', '{}', 'orders', 'nope');
SELECT * FROM pipeline.test('orders', '{}', 'orders', 'email');
SELECT * FROM pipeline.test('orders', '{}', 'orders', 'ctid');
SELECT * FROM pipeline.test('orders', '{}', 'orders_pkey_none');
CREATE SEQUENCE dry_seq;
SELECT * FROM pipeline.test('orders', '{}', 'dry_seq');
SELECT * FROM pipeline.test(NULL, '{}', 'orders');
SELECT * FROM pipeline.test('orders', NULL, 'orders');
DROP SEQUENCE dry_seq;
DROP TABLE orders, events CASCADE;
DROP TABLE parts, big;
DROP ROLE regress_dry_user;
DELETE FROM pipeline.rejects WHERE pipeline = 'orders';
SELECT pipeline.drop('orders');
