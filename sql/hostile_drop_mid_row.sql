-- A row's own code detaches and drops its pipeline, then looks the name up:
-- the cache forgets the pipeline, but the trigger still walking its spec
-- keeps it until the row is done (it was freed under the trigger).
CREATE TABLE hd (id int, v text);
SELECT pipeline.define('hd', '{"transform": [{"op": "upper", "path": "/v"}],
  "schema": {"properties": {"v": {"maxLength": 5}}}, "on_error": "quarantine"}');
SELECT pipeline.attach('hd', 'hd');
CREATE FUNCTION hd_drop(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF v = 'X' THEN
    PERFORM pipeline.detach('hd', 'hd');
    PERFORM pipeline.drop('hd');
    BEGIN
      PERFORM pipeline.validate('{}'::jsonb, 'hd');
    EXCEPTION WHEN undefined_object THEN
      RAISE NOTICE 'looked up: %', SQLERRM;
    END;
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN hd_text AS text CHECK (hd_drop(VALUE));
ALTER TABLE hd ALTER COLUMN v TYPE hd_text;
-- the step writes 'X' through the domain, whose CHECK drops the pipeline
INSERT INTO hd VALUES (1, 'x');
SELECT * FROM hd;
-- the trigger is gone with the detach; the table takes rows unchecked
INSERT INTO hd VALUES (2, 'y');
SELECT * FROM hd ORDER BY id;
DROP TABLE hd;
DROP DOMAIN hd_text;
DROP FUNCTION hd_drop(text);
