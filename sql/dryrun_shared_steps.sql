-- pipeline.test() transforms each record once when the active version has the
-- candidate's steps, and checks that result with both schemas; the counts must
-- be those of two separate checks, whichever way the steps compare.
SELECT pipeline.define('dry_steps', $${"transform": [{"op": "trim", "path": "/code"},
  {"op": "coerce", "path": "/qty", "to": "integer"}],
  "schema": {"properties": {"code": {"maxLength": 3}, "qty": {"type": "integer", "maximum": 10}}}}$$);
CREATE TABLE dry_steps_src (doc jsonb);
INSERT INTO dry_steps_src VALUES
  ('{"code": " ab ", "qty": "5"}'),     -- active: passes (trimmed); candidate below: fails (minimum)
  ('{"code": "abcd", "qty": 5}'),       -- fails both (maxLength)
  ('{"code": "ab", "qty": "20"}'),      -- active: fails (maximum); candidate: passes
  ('{"code": "ab", "qty": 8}'),         -- active: passes; candidate: fails (minimum)
  ('{"code": "ab", "qty": "many"}');    -- a step fails: fails both
-- the same steps (written in another key order), another schema
SELECT checked, passed, failed, newly_failing, newly_passing, failures->0->>'keywordLocation' AS top
  FROM pipeline.test('dry_steps', $${"schema": {"properties": {"code": {"maxLength": 3}, "qty": {"minimum": 9, "maximum": 50}}},
    "transform": [{"path": "/code", "op": "trim"}, {"op": "coerce", "path": "/qty", "to": "integer"}]}$$,
    'dry_steps_src', 'doc');
-- the same through two transforms: the steps differ (no trim), the counts follow each spec
SELECT checked, passed, failed, newly_failing, newly_passing
  FROM pipeline.test('dry_steps', $${"schema": {"properties": {"code": {"maxLength": 3}, "qty": {"minimum": 9, "maximum": 50}}},
    "transform": [{"op": "coerce", "path": "/qty", "to": "integer"}]}$$, 'dry_steps_src', 'doc');
-- no steps on either side ("transform" absent and empty compare equal)
SELECT pipeline.define('dry_nosteps', '{"schema": {"maximum": 10}}');
CREATE TABLE dry_nums (doc jsonb);
INSERT INTO dry_nums VALUES ('5'), ('20'), ('"x"');
SELECT checked, passed, newly_failing, newly_passing
  FROM pipeline.test('dry_nosteps', '{"transform": [], "schema": {"maximum": 4}}', 'dry_nums', 'doc');
DROP TABLE dry_steps_src, dry_nums;
SELECT pipeline.drop('dry_steps'), pipeline.drop('dry_nosteps');
