-- lower and upper are Python's str.lower() and str.upper() (Unicode full
-- case mapping, final sigma) on every server: no collation, no ICU.  The
-- test hides the ICU root collation, as on a server built without ICU.
BEGIN;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu') THEN
        ALTER COLLATION pg_catalog."und-x-icu" RENAME TO "und-x-icu-hidden";
    END IF;
END
$$;
SELECT pipeline.define('case_l', '{"transform": [{"op": "lower", "path": "/s"}]}');
SELECT pipeline.define('case_u', '{"transform": [{"op": "upper", "path": "/s"}]}');
SELECT s, pipeline.transform(jsonb_build_object('s', s), 'case_l') ->> 's' AS lower,
       pipeline.transform(jsonb_build_object('s', s), 'case_u') ->> 's' AS upper
  FROM (VALUES ('ÉCOLE'), ('İ'), ('ß'), ('straße'), ('ΣΟΦΙΑΣ'), ('ΟΔΟΣ ΣΟΦΙΑΣ.'), ('Σ'), ('AΣ'), ('aΣ'), ('aΣ b'), ('AΣb'),
               ('A''Σ'), ('ﬁne'), ('ŉ'), ('ΐ'), ('ǅ'), ('K'), ('ſ'), ('Ⅻ'), ('ǰ'), ('𐐀𐐨'), ('ı'), ('i'),
               ('Ωmega'), ('日本'), ('🎁'), ('e' || U&'\0301'), ('')) v(s);
-- map with case_insensitive folds keys and values the same way
SELECT pipeline.define('case_map', '{"transform": [{"op": "map", "path": "/s", "case_insensitive": true, "values": {"straße": 1, "i̇stanbul": 2, "σοφια": 3}}]}');
SELECT pipeline.transform(jsonb_build_object('s', s), 'case_map') ->> 's'
  FROM (VALUES ('STRASSE'), ('Straße'), ('İstanbul'), ('ΣΟΦΙΑ')) v(s);
ROLLBACK;
