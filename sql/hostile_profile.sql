-- The profile aggregate, infer and the dry run on hostile input: the profile
-- must be a jsonb that reads back (JSON has no infinity, keys are text), and
-- infer must accept every profiled document.
\set VERBOSITY terse

-- numbers beyond float8's range: counted, but no min, max or mean (they
-- were Infinity, -Infinity and NaN: a jsonb that does not read back)
SELECT pipeline.profile(x) FROM (VALUES ('1e400'::jsonb), ('-1e400')) v(x);
SELECT pipeline.profile(x)::text::jsonb = pipeline.profile(x) AS reads_back
  FROM (VALUES ('1e400'::jsonb), ('-1e400'), ('1')) v(x);
-- finite numbers whose sum overflows: min and max, no mean
SELECT p ? 'min' AS min, p ? 'max' AS max, p ? 'mean' AS mean, p->'count' AS count
  FROM (SELECT pipeline.profile(x)->'fields'->'' AS p FROM (VALUES ('1e308'::jsonb), ('1.5e308')) v(x)) s;
SELECT pipeline.infer(pipeline.profile(x)) FROM (VALUES ('1e400'::jsonb), ('-1e400')) v(x);

-- a path cut in the middle of a character was invalid UTF-8 in the result:
-- it is cut at a character boundary and marked with "~"
SELECT octet_length(k), right(k, 3)
  FROM jsonb_object_keys((SELECT pipeline.profile(jsonb_build_object(repeat('a', 253) || 'éé', 1)))->'fields') k
 ORDER BY 1;
SELECT pipeline.profile(jsonb_build_object(repeat('a', 253) || 'éé', 1))::text IS NOT NULL AS prints;
-- infer leaves the cut path out (it is no member's name), also when the cut
-- left it shorter than 255 bytes; every document passes the schema
CREATE TABLE hp_docs (d jsonb);
INSERT INTO hp_docs VALUES (jsonb_build_object(repeat('a', 253) || 'éé', 1, 'b', 2)),
                           (jsonb_build_object(repeat('a', 252) || 'éé', 'x', 'b', 3));
SELECT pipeline.infer(pipeline.profile(d)) FROM hp_docs;
SELECT pipeline.define('hp', jsonb_build_object('schema', pipeline.infer(pipeline.profile(d)))) FROM hp_docs;
SELECT count(*) FILTER (WHERE pipeline.validate(d, 'hp')) AS pass, count(*) FROM hp_docs;
SELECT pipeline.drop('hp');

-- the dry run of a relation that does not exist said "(null)" is not a table
SELECT pipeline.test('hp', '{}', 4000000000::oid::regclass);
DROP TABLE hp_docs;
