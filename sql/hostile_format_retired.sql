-- Specs retired while a registered format function runs (it redefined a
-- pipeline) are kept until no format call runs, then freed: a validation
-- whose format function redefines a pipeline row after row must not keep
-- every row's spec (it did, until a later retire outside a format call).
\set VERBOSITY terse
CREATE FUNCTION hr_redefine(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    PERFORM pipeline.define('hr_other', '{"schema": {"type": "string", "maxLength": 5}}');
    PERFORM pipeline.validate('"x"', 'hr_other');
    IF s = 'bad' THEN
        RAISE EXCEPTION 'format function failed';
    END IF;
    RETURN true;
END $$;
SELECT pipeline.register_format('hr-redefine', 'hr_redefine(text)'::regprocedure);
SELECT pipeline.define('hr', '{"schema": {"format": "hr-redefine"}}');
SELECT pipeline.define('hr_other', '{"schema": {"type": "string"}}');
SELECT pipeline.validate('"x"', 'hr'), pipeline.validate('"x"', 'hr_other');
CREATE TEMP VIEW hr_specs AS
    SELECT count(*) AS n FROM pg_catalog.pg_backend_memory_contexts WHERE name = 'pipeline spec';
SELECT n AS before FROM hr_specs \gset
SELECT count(*) FILTER (WHERE pipeline.validate(pg_catalog.to_jsonb(i::text), 'hr'))
    FROM pg_catalog.generate_series(1, 300) i;
-- one row's retired specs at most, not 300
SELECT n - :before < 5 AS flat FROM hr_specs;
-- the same through errors() and a trigger
SELECT pg_catalog.jsonb_array_length(pipeline.errors(pg_catalog.to_jsonb(i::text), 'hr'))
    FROM pg_catalog.generate_series(1, 200) i GROUP BY 1;
CREATE TABLE hr_rows (doc jsonb);
SELECT pipeline.attach('hr_rows', 'hr', 'doc');
INSERT INTO hr_rows SELECT pg_catalog.to_jsonb(i::text) FROM pg_catalog.generate_series(1, 200) i;
SELECT n - :before < 5 AS flat FROM hr_specs;

-- an error raised inside the format function ends the format call: later
-- redefinitions outside format calls free at once (a call count left
-- raised would keep every later spec)
SELECT pipeline.validate('"bad"', 'hr');
SELECT pipeline.validate('"x"', 'hr_other');
SELECT n AS before FROM hr_specs \gset
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        PERFORM pipeline.define('hr_other', '{"schema": {"type": "string"}}');
        PERFORM pipeline.validate('"x"', 'hr_other');
    END LOOP;
END $$;
SELECT n - :before < 5 AS flat FROM hr_specs;
-- and a caught error: the same
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
DO $$
BEGIN
    FOR i IN 1..50 LOOP
        PERFORM pg_temp.try($q$SELECT pipeline.validate('"bad"', 'hr')$q$);
        PERFORM pipeline.define('hr_other', '{"schema": {"type": "string"}}');
        PERFORM pipeline.validate('"x"', 'hr_other');
    END LOOP;
END $$;
SELECT n - :before < 5 AS flat FROM hr_specs;
