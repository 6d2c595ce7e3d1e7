-- pgbench: one messy order per transaction into a table without checks.
-- bench/run.py runs it with -M prepared against pgb_plain; the twin script
-- pgbench_insert_trigger.sql is the same statement against pgb_trigger,
-- which has pipeline.attach('pgb_trigger', 'orders', 'doc').
\set n random(1, 999999)
\set q random(1, 20)
INSERT INTO pgb_plain (doc) VALUES ((
  '{"order_id": " ord-' || lpad(:n::text, 6, '0') || '", "customer_email": " Anna.Smith@Example.com",'
  ' "country": "Deutschland", "amount": "' || (:n / 100.0)::text || '", "currency": "eur",'
  ' "quantity": "' || :q::text || '", "created_at": "2024-05-01 13:45", "status": " Paid", "gift": "yes"}')::jsonb);
