-- Lookups of pipeline names that do not exist used to leave an entry each in
-- the backend's cache (CacheMemoryContext), never freed: any role could grow
-- a backend without bound.  A miss now leaves nothing behind.
SET client_min_messages = warning;
CREATE ROLE cache_miss_nobody;

-- the memory of the pipeline spec cache and of CacheMemoryContext itself
CREATE FUNCTION cache_bytes(OUT spec_cache bigint, OUT cache_context bigint)
    LANGUAGE sql AS $$
    SELECT coalesce(sum(total_bytes) FILTER (WHERE name = 'pipeline spec cache'), 0),
           coalesce(sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext'), 0)
      FROM pg_backend_memory_contexts $$;

SELECT pipeline.define('cache_miss_known', '{"schema": {"type": "object"}}');
CREATE FUNCTION cache_misses(n integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    missed integer := 0;
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            PERFORM pipeline.validate('{}', 'cache_miss_' || i);
        EXCEPTION WHEN undefined_object THEN
            missed := missed + 1;
        END;
    END LOOP;
    RETURN missed;
END $$;

-- warm up (the table, plpgsql's caches), then measure 100000 misses by an
-- unprivileged role
SET ROLE cache_miss_nobody;
SELECT pipeline.validate('{}', 'cache_miss_known');
SELECT cache_misses(1000);
RESET ROLE;
CREATE TEMP TABLE before AS SELECT * FROM cache_bytes();
SET ROLE cache_miss_nobody;
SELECT cache_misses(100000);
RESET ROLE;
SELECT a.spec_cache - b.spec_cache AS spec_cache_growth,
       a.cache_context - b.cache_context < 65536 AS cache_context_flat
  FROM cache_bytes() a, before b;

-- a known name is still cached; a dropped one leaves nothing either
SELECT pipeline.validate('{}', 'cache_miss_known');
SELECT pipeline.drop('cache_miss_known');
SELECT pipeline.validate('{}', 'cache_miss_known');

DROP FUNCTION cache_misses(integer);
DROP FUNCTION cache_bytes();
DROP ROLE cache_miss_nobody;
