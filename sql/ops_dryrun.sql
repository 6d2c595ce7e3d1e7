-- pipeline.test: a candidate spec against stored rows and rejects, writing nothing
SELECT pipeline.define('dry_orders', '{"schema": {"required": ["id"], "properties": {"qty": {"minimum": 0}}}, "on_error": "quarantine"}');
CREATE TABLE dry_orders (id int, qty int, email text);
SELECT pipeline.attach('dry_orders', 'dry_orders');
INSERT INTO dry_orders SELECT i, i % 7 - 1, CASE WHEN i % 3 = 0 THEN 'x' ELSE 'u' || i || '@example.com' END
  FROM generate_series(1, 60) i;
SELECT count(*) AS stored FROM dry_orders;
SELECT count(*) AS quarantined FROM pipeline.rejects WHERE pipeline = 'dry_orders';
-- a stricter candidate: qty at least 1, email a valid email (asserted)
SELECT checked, passed, failed, newly_failing, newly_passing, rejects_checked, rejects_accepted,
       jsonb_pretty(failures)
  FROM pipeline.test('dry_orders', '{"schema": {"required": ["id"], "properties": {"qty": {"minimum": 1},
                                 "email": {"format": "email"}}}, "formats": "assert"}', 'dry_orders');
-- a looser one: accepts what was quarantined, fails nothing
SELECT checked, passed, failed, newly_failing, newly_passing, rejects_checked, rejects_accepted, failures
  FROM pipeline.test('dry_orders', '{"schema": {"properties": {"qty": {"minimum": -5}}}}', 'dry_orders');
-- nothing was written
SELECT count(*) AS stored FROM dry_orders;
SELECT count(*) AS quarantined FROM pipeline.rejects WHERE pipeline = 'dry_orders';
SELECT max(version) FROM pipeline.pipelines WHERE name = 'dry_orders';
-- transforms run as in the trigger
SELECT checked, passed, failures->0->'keywordLocation' AS first_failure
  FROM pipeline.test('dry_orders', '{"transform": [{"op": "coerce", "path": "/email", "to": "number"}]}', 'dry_orders');
-- column mode (NULL is the record null), a view, a new pipeline name (no comparison)
CREATE TABLE dry_events (id int, doc jsonb);
INSERT INTO dry_events VALUES (1, '{"kind": "a"}'), (2, '{"kind": 5}'), (3, NULL), (4, '[1]');
CREATE VIEW dry_events_v AS SELECT * FROM dry_events WHERE id > 1;
SELECT * FROM pipeline.test('dry_events', '{"schema": {"type": "object", "properties": {"kind": {"type": "string"}}}}',
                            'dry_events', 'doc');
SELECT checked, passed, failed, newly_failing FROM pipeline.test('dry_events', '{"schema": {"type": "object"}}', 'dry_events_v', 'doc');
SELECT checked, passed FROM pipeline.test('dry_events', '{"schema": {"required": ["doc"]}}', 'dry_events_v');
-- rows of a partitioned table and its partitions
CREATE TABLE dry_parts (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE dry_parts_1 PARTITION OF dry_parts FOR VALUES FROM (0) TO (10);
CREATE TABLE dry_parts_2 PARTITION OF dry_parts FOR VALUES FROM (10) TO (20);
INSERT INTO dry_parts SELECT i, 'v' || i FROM generate_series(0, 19) i;
SELECT checked, passed, failed FROM pipeline.test('p', '{"schema": {"properties": {"k": {"maximum": 9}}}}', 'dry_parts');
-- statement_timeout stops a long dry run
CREATE TABLE dry_big AS SELECT i AS id FROM generate_series(1, 300000) i;
SET statement_timeout = '10ms';
SELECT checked FROM pipeline.test('dry_big', '{"schema": {"properties": {"id": {"not": {"multipleOf": 7919}}}}}', 'dry_big');
RESET statement_timeout;
-- the reader's rights apply: no rejects for a role that may not read them
CREATE ROLE regress_dry_user;
GRANT SELECT ON dry_orders TO regress_dry_user;
SET ROLE regress_dry_user;
SELECT checked, rejects_checked, rejects_accepted FROM pipeline.test('dry_orders', '{}', 'dry_orders');
SELECT checked FROM pipeline.test('dry_events', '{}', 'dry_events');
RESET ROLE;
-- bad input
SELECT * FROM pipeline.test('dry_orders', '{"schema": {"type": 1}}', 'dry_orders');
SELECT * FROM pipeline.test('dry_orders', '{}', 'dry_orders', 'nope');
SELECT * FROM pipeline.test('dry_orders', '{}', 'dry_orders', 'email');
SELECT * FROM pipeline.test('dry_orders', '{}', 'dry_orders', 'ctid');
SELECT * FROM pipeline.test('dry_orders', '{}', 'orders_pkey_none');
CREATE SEQUENCE dry_seq;
SELECT * FROM pipeline.test('dry_orders', '{}', 'dry_seq');
SELECT * FROM pipeline.test(NULL, '{}', 'dry_orders');
SELECT * FROM pipeline.test('dry_orders', NULL, 'dry_orders');
DROP SEQUENCE dry_seq;
DROP TABLE dry_orders, dry_events CASCADE;
DROP TABLE dry_parts, dry_big;
DROP ROLE regress_dry_user;
DELETE FROM pipeline.rejects WHERE pipeline = 'dry_orders';
SELECT pipeline.drop('dry_orders');
