-- plpgsql_triggers.sql: the triggers bench/run.py compares pipeline.trigger with.
--
-- bench_noop_plpgsql(): a PL/pgSQL BEFORE ROW trigger that does nothing (the
-- cost of calling PL/pgSQL once per row).
--
-- bench_orders_plpgsql(): what a DBA writes instead of pipeline, for the
-- jsonb column "doc" of an orders table: a handful of clean-ups and checks of
-- bench/specs/orders.json, in plain PL/pgSQL, and failing rows into
-- bench_plpgsql_rejects.  It is deliberately the ordinary way to write it
-- (btrim of the whitespace seen in the data, jsonb_set per field, regexes, a
-- CASE for the country map, an EXCEPTION block around the timestamp cast),
-- not a faithful copy of the spec: its email check is a regex, timestamps are
-- whatever timestamptz input takes (plus dd/mm/yyyy and "," fractions), unknown
-- keys are not looked at.  It checks less than the pipeline does, and its
-- verdicts differ on a few percent of the records.

CREATE TABLE IF NOT EXISTS bench_plpgsql_rejects (
    id          bigserial   PRIMARY KEY,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    record      jsonb       NOT NULL,
    errors      text[]      NOT NULL
);

CREATE OR REPLACE FUNCTION bench_noop_plpgsql() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION bench_orders_plpgsql() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- the whitespace that messy input carries (Python's str.isspace() set)
    ws   constant text := E' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003'
                          || E'\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
    d    jsonb := NEW.doc;
    errs text[] := '{}';
    v    text;
    n    numeric;
    ts   timestamptz;
BEGIN
    IF jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
        INSERT INTO bench_plpgsql_rejects (record, errors) VALUES (NEW.doc, ARRAY['not an object']);
        RETURN NULL;
    END IF;

    -- order_id: trim, upper, ORD-nnnnnn
    v := upper(btrim(d->>'order_id', ws));
    IF jsonb_typeof(d->'order_id') IS DISTINCT FROM 'string' OR v !~ '^ORD-[0-9]{6}$' THEN
        errs := errs || 'order_id: missing or malformed'::text;
    ELSE
        d := jsonb_set(d, '{order_id}', to_jsonb(v));
    END IF;

    -- customer_email: trim, lower, looks like an address
    v := lower(btrim(d->>'customer_email', ws));
    IF jsonb_typeof(d->'customer_email') IS DISTINCT FROM 'string'
       OR v !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' OR length(v) > 254 THEN
        errs := errs || 'customer_email: missing or not an email'::text;
    ELSE
        d := jsonb_set(d, '{customer_email}', to_jsonb(v));
    END IF;

    -- country: the usual spellings to ISO codes
    v := CASE lower(btrim(d->>'country', ws))
        WHEN 'us' THEN 'US' WHEN 'usa' THEN 'US' WHEN 'u.s.' THEN 'US' WHEN 'united states' THEN 'US'
        WHEN 'united states of america' THEN 'US' WHEN 'america' THEN 'US'
        WHEN 'de' THEN 'DE' WHEN 'deu' THEN 'DE' WHEN 'germany' THEN 'DE' WHEN 'deutschland' THEN 'DE'
        WHEN 'fr' THEN 'FR' WHEN 'fra' THEN 'FR' WHEN 'france' THEN 'FR'
        WHEN 'gb' THEN 'GB' WHEN 'uk' THEN 'GB' WHEN 'united kingdom' THEN 'GB' WHEN 'great britain' THEN 'GB'
        WHEN 'jp' THEN 'JP' WHEN 'japan' THEN 'JP' WHEN '日本' THEN 'JP'
        WHEN 'br' THEN 'BR' WHEN 'brazil' THEN 'BR' WHEN 'brasil' THEN 'BR'
        WHEN 'in' THEN 'IN' WHEN 'ind' THEN 'IN' WHEN 'india' THEN 'IN'
        WHEN 'es' THEN 'ES' WHEN 'esp' THEN 'ES' WHEN 'spain' THEN 'ES' WHEN 'españa' THEN 'ES'
        END;
    IF v IS NULL THEN
        errs := errs || 'country: unknown'::text;
    ELSE
        d := jsonb_set(d, '{country}', to_jsonb(v));
    END IF;

    -- amount: a number or a numeric string, rounded to cents, 0..1000000
    v := btrim(d->>'amount', ws);
    IF jsonb_typeof(d->'amount') NOT IN ('number', 'string')
       OR v !~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN
        errs := errs || 'amount: not a number'::text;
    ELSE
        n := round(v::numeric, 2);
        IF n < 0 OR n > 1000000 THEN
            errs := errs || 'amount: out of range'::text;
        ELSE
            d := jsonb_set(d, '{amount}', to_jsonb(n));
        END IF;
    END IF;

    -- currency: trim, upper, three letters
    v := upper(btrim(d->>'currency', ws));
    IF jsonb_typeof(d->'currency') IS DISTINCT FROM 'string' OR v !~ '^[A-Z]{3}$' THEN
        errs := errs || 'currency: missing or malformed'::text;
    ELSE
        d := jsonb_set(d, '{currency}', to_jsonb(v));
    END IF;

    -- quantity: an integral number 1..10000
    v := btrim(d->>'quantity', ws);
    IF jsonb_typeof(d->'quantity') NOT IN ('number', 'string')
       OR v !~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN
        errs := errs || 'quantity: not a number'::text;
    ELSE
        n := v::numeric;
        IF n <> trunc(n) OR n < 1 OR n > 10000 THEN
            errs := errs || 'quantity: not an integer in 1..10000'::text;
        ELSE
            d := jsonb_set(d, '{quantity}', to_jsonb(n::bigint));
        END IF;
    END IF;

    -- created_at: epoch seconds, dd/mm/yyyy, or anything timestamptz takes
    -- (ISO 8601 with "," fractions too), stored as UTC ISO 8601; the session's
    -- TimeZone is UTC
    v := btrim(d->>'created_at', ws);
    BEGIN
        IF jsonb_typeof(d->'created_at') = 'number' OR v ~ '^[0-9]+(\.[0-9]+)?$' THEN
            ts := to_timestamp(v::double precision);
        ELSIF jsonb_typeof(d->'created_at') IS DISTINCT FROM 'string' THEN
            ts := NULL;
        ELSIF v ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$' THEN
            ts := to_timestamp(v, 'DD/MM/YYYY');
        ELSE
            ts := regexp_replace(v, '(:[0-9]{2}),([0-9])', '\1.\2')::timestamptz;
        END IF;
    EXCEPTION WHEN others THEN
        ts := NULL;
    END;
    IF ts IS NULL THEN
        errs := errs || 'created_at: not a timestamp'::text;
    ELSE
        d := jsonb_set(d, '{created_at}', to_jsonb(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
    END IF;

    -- status: trim, lower, default pending, one of five
    v := coalesce(lower(btrim(d->>'status', ws)), 'pending');
    IF v NOT IN ('pending', 'paid', 'shipped', 'cancelled', 'refunded') THEN
        errs := errs || 'status: unknown'::text;
    ELSE
        d := jsonb_set(d, '{status}', to_jsonb(v));
    END IF;

    -- gift: yes/no spellings to a boolean, default false
    v := lower(btrim(d->>'gift', ws));
    IF v IS NULL THEN
        d := jsonb_set(d, '{gift}', 'false');
    ELSIF v IN ('true', 't', 'yes', 'y', 'on', '1') THEN
        d := jsonb_set(d, '{gift}', 'true');
    ELSIF v IN ('false', 'f', 'no', 'n', 'off', '0') THEN
        d := jsonb_set(d, '{gift}', 'false');
    ELSE
        errs := errs || 'gift: not a boolean'::text;
    END IF;

    -- note, discount: types and bounds
    IF d ? 'note' AND jsonb_typeof(d->'note') NOT IN ('string', 'null') OR length(d->>'note') > 200 THEN
        errs := errs || 'note: not a string of at most 200 characters'::text;
    END IF;
    IF d ? 'discount' AND (jsonb_typeof(d->'discount') IS DISTINCT FROM 'number'
                           OR (d->>'discount')::numeric NOT BETWEEN 0 AND 1) THEN
        errs := errs || 'discount: not a number in 0..1'::text;
    END IF;

    IF cardinality(errs) > 0 THEN
        INSERT INTO bench_plpgsql_rejects (record, errors) VALUES (NEW.doc, errs);
        RETURN NULL;
    END IF;
    NEW.doc := d;
    RETURN NEW;
END
$$;
