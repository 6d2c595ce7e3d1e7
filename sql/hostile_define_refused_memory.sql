-- A define() refused halfway through compiling a big schema (a bad pattern
-- after 500 properties, a dangling $ref at the end of a 500-link chain, a
-- bad keyword beside 10,000 enum values, a cycle of $refs, a bad transform
-- step) leaves nothing behind, neither in the transaction nor after it: the
-- compiler's scratch memory and the frozen copy go with the error.
\set VERBOSITY terse
CREATE TEMP TABLE hd_specs AS SELECT
  jsonb_build_object('schema', jsonb_build_object('type', 'object', 'properties',
     (SELECT jsonb_object_agg('p' || i, jsonb_build_object('type', 'string', 'enum', jsonb_build_array('a' || i, 'b')))
        FROM generate_series(1, 500) i)
     || jsonb_build_object('zzz', jsonb_build_object('pattern', '(')))) AS bad_pattern,
  jsonb_build_object('schema', jsonb_build_object('type', 'object', 'properties',
     (SELECT jsonb_object_agg('p' || i, jsonb_build_object('$ref', '#/$defs/d' || i)) FROM generate_series(1, 500) i),
     '$defs', (SELECT jsonb_object_agg('d' || i, jsonb_build_object('$ref', '#/$defs/d' || (i + 1)))
                 FROM generate_series(1, 500) i))) AS bad_ref,
  jsonb_build_object('schema', jsonb_build_object('enum', (SELECT jsonb_agg(i) FROM generate_series(1, 10000) i),
     'minimum', 'x')) AS bad_enum,
  jsonb_build_object('schema', jsonb_build_object('$defs',
     (SELECT jsonb_object_agg('d' || i, jsonb_build_object('$ref', '#/$defs/d' || ((i % 200) + 1))) FROM generate_series(1, 200) i),
     '$ref', '#/$defs/d1')) AS ref_cycle,
  jsonb_build_object('transform', jsonb_build_array(jsonb_build_object('op', 'set', 'path', '/a', 'value', 1),
     jsonb_build_object('op', 'nosuch'))) AS bad_transform;
CREATE FUNCTION pg_temp.refused(d jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pipeline.define('hd_refused', d);
    RETURN 'defined';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pg_temp.refused(bad_pattern) FROM hd_specs;
SELECT pg_temp.refused(bad_ref) FROM hd_specs;
SELECT pg_temp.refused(bad_enum) FROM hd_specs;
SELECT pg_temp.refused(ref_cycle) FROM hd_specs;
SELECT pg_temp.refused(bad_transform) FROM hd_specs;
CREATE FUNCTION pg_temp.backend_bytes() RETURNS bigint LANGUAGE sql AS
    $$ SELECT sum(total_bytes)::bigint FROM pg_catalog.pg_backend_memory_contexts $$;
-- 200 refusals in one transaction (40 rounds of 5): the memory after the
-- first 8 rounds stays
CREATE TEMP TABLE hd_memory (at int, bytes bigint);
DO $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM hd_specs;
    FOR i IN 1..40 LOOP
        PERFORM pg_temp.refused(r.bad_pattern), pg_temp.refused(r.bad_ref), pg_temp.refused(r.bad_enum),
                pg_temp.refused(r.ref_cycle), pg_temp.refused(r.bad_transform);
        IF i IN (8, 40) THEN
            INSERT INTO hd_memory VALUES (i, pg_temp.backend_bytes());
        END IF;
    END LOOP;
END $$;
SELECT max(bytes) FILTER (WHERE at = 40) - max(bytes) FILTER (WHERE at = 8) < 65536 AS flat FROM hd_memory;
SELECT count(*) FROM pipeline.pipelines WHERE name = 'hd_refused';
