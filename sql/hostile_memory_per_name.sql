-- A session that defines, uses and drops pipelines of ever new names (a
-- test harness, a pool's connection) keeps nothing per name: the compiled
-- specs of dropped pipelines left the cache only when their name was looked
-- up again, and the counts of pipeline.stats only grew, reset_stats() or not.
DO $$
BEGIN
    FOR i IN 1..400 LOOP
        PERFORM pipeline.define('hm_' || i, '{"schema": {"properties": {"a": {"type": "string"}}}}');
        PERFORM pipeline.validate('{"a": "x"}', 'hm_' || i);
        PERFORM pipeline.drop('hm_' || i);
    END LOOP;
END $$;
-- compiled specs: a bounded number are left (swept as the cache doubles)
SELECT count(*) < 100 AS specs_bounded FROM pg_backend_memory_contexts WHERE name = 'pipeline spec';
SELECT pipeline.reset_stats();
SELECT total_bytes AS stats_bytes FROM pg_backend_memory_contexts WHERE name = 'pipeline stats (backend)' \gset
DO $$
BEGIN
    FOR i IN 401..800 LOOP
        PERFORM pipeline.define('hm_' || i, '{"schema": {"properties": {"a": {"type": "string"}}}}');
        PERFORM pipeline.validate('{"a": "x"}', 'hm_' || i);
        PERFORM pipeline.drop('hm_' || i);
    END LOOP;
END $$;
SELECT pipeline.reset_stats();
-- the counts' entries of the first names were reused for the next ones
SELECT total_bytes <= :stats_bytes AS stats_bounded FROM pg_backend_memory_contexts WHERE name = 'pipeline stats (backend)';
SELECT count(*) < 100 AS specs_bounded FROM pg_backend_memory_contexts WHERE name = 'pipeline spec';
-- a pipeline that still exists keeps its entry and its counts
SELECT pipeline.define('hm_kept', '{"schema": {}}');
SELECT pipeline.validate('1', 'hm_kept');
SELECT pipeline, version, checked FROM pipeline.stats WHERE pipeline LIKE 'hm_%';
SELECT pipeline.drop('hm_kept');
