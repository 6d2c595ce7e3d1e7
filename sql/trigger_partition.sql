-- Cross-partition UPDATE: a row moving to another partition goes through the
-- steps once (BEFORE UPDATE on the partition it leaves, not again on BEFORE
-- INSERT where it arrives), and is never lost: a move that fails raises
CREATE SCHEMA trigger_partition;
SET search_path = trigger_partition, public;
TRUNCATE pipeline.rejects RESTART IDENTITY;
CREATE TABLE sales (id int, region text, amount numeric, note text) PARTITION BY LIST (region);
CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('eu');
CREATE TABLE sales_us PARTITION OF sales FOR VALUES IN ('us');
-- a partition whose columns are in another order (tuple routing converts the row)
CREATE TABLE sales_apac (note text, amount numeric, region text, id int);
ALTER TABLE sales ATTACH PARTITION sales_apac FOR VALUES IN ('apac');
SELECT pipeline.define('t_sales', '{
  "transform": [{"op": "scale", "path": "/amount", "factor": 10}, {"op": "upper", "path": "/note"}],
  "schema": {"properties": {"amount": {"maximum": 1000}}},
  "on_error": "skip"}');
SELECT pipeline.attach('sales', 't_sales');
INSERT INTO sales VALUES (1, 'eu', 5, 'a'), (2, 'eu', 7, 'b');
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
-- moves: the amount is not scaled again, nothing is lost
UPDATE sales SET region = 'us' WHERE id = 1;
UPDATE sales SET region = 'apac' WHERE id = 2;
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
UPDATE sales SET region = 'eu';
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
-- a move that changes a value: the step runs once, on the new value
UPDATE sales SET region = 'us', amount = 60 WHERE id = 1;
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
-- a move that fails raises even under skip: the row stays where it was
UPDATE sales SET region = 'apac', amount = 500 WHERE id = 1;
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
-- an UPDATE within the partition that fails is skipped as on_error says
UPDATE sales SET amount = 500 WHERE id = 2;
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
-- quarantine: same rule
SELECT pipeline.define('t_sales', '{
  "transform": [{"op": "scale", "path": "/amount", "factor": 10}],
  "schema": {"properties": {"amount": {"maximum": 1000}}},
  "on_error": "quarantine"}');
UPDATE sales SET region = 'eu', amount = 101 WHERE id = 1;
UPDATE sales SET region = 'eu', note = 'moved' WHERE id = 1;
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;
SELECT count(*) AS rejects FROM pipeline.rejects;
-- a plain INSERT with the same values as a moved row is still transformed
INSERT INTO sales VALUES (3, 'eu', 6, 'moved');
SELECT tableoid::regclass AS part, * FROM sales ORDER BY id;

DROP SCHEMA trigger_partition CASCADE;
