-- Replay holds a batch of rejects in memory, not the whole quarantine: it
-- read every reject of the pipeline into one SPI result before the first
-- insert, so memory grew with the size of the quarantine (gigabytes for
-- millions of rejects).  A trigger on the table samples the backend's
-- memory while the replay inserts (replay runs it with search_path pg_catalog).
\set VERBOSITY terse
DELETE FROM pipeline.rejects;
CREATE TABLE hrm (id int, payload text);
CREATE TABLE hrm_mem (bytes bigint);
SELECT pipeline.define('hrm', '{"schema": {"properties": {"id": {"maximum": 0}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('hrm', 'hrm');
-- 20,000 rejects of 1.5 kB each, stored inline (incompressible, under the
-- TOAST threshold): 30 MB
INSERT INTO hrm SELECT g, (SELECT string_agg(md5(g::text || '/' || i::text), '') FROM generate_series(1, 47) i)
  FROM generate_series(1, 20000) g;
SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'hrm';
SELECT pipeline.define('hrm', '{"on_error": "quarantine"}');
CREATE FUNCTION hrm_sample() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id % 1000 = 0 THEN
        INSERT INTO public.hrm_mem SELECT pg_catalog.sum(total_bytes) FROM pg_catalog.pg_backend_memory_contexts;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER hrm_sample AFTER INSERT ON hrm FOR EACH ROW EXECUTE FUNCTION hrm_sample();
CREATE TEMP TABLE hrm_base AS SELECT sum(total_bytes) AS bytes FROM pg_backend_memory_contexts;
SELECT * FROM pipeline.replay('hrm');
SELECT count(*) AS samples, max(m.bytes) - b.bytes < 10000000 AS under_10_mb
  FROM hrm_mem m, hrm_base b GROUP BY b.bytes;
SELECT count(*) FROM hrm;
SELECT count(*) FROM pipeline.rejects;
DROP TABLE hrm, hrm_mem;
DROP FUNCTION hrm_sample();
SELECT pipeline.drop('hrm');
