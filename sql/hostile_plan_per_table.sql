-- Tables that come and go through a pipeline trigger: the plan of a dropped
-- table's trigger is freed with the table (each one stayed in the backend's
-- cache memory, about 10 kB per table).
SELECT pipeline.define('hp', '{"transform": [{"op": "trim", "path": "/v"}],
  "schema": {"properties": {"v": {"maxLength": 50}}}}');
CREATE FUNCTION hp_churn(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    CREATE TABLE hp_t (id int, v text);
    PERFORM pipeline.attach('hp_t', 'hp');
    INSERT INTO hp_t VALUES (i, ' a ');
    DROP TABLE hp_t;
  END LOOP;
END $$;
SELECT hp_churn(50);
SELECT count(*) AS plans FROM pg_backend_memory_contexts
 WHERE name IN ('pipeline trigger plan', 'pipeline row');
-- a table that stays keeps its plan across statements
CREATE TABLE hp_keep (id int, v text);
SELECT pipeline.attach('hp_keep', 'hp');
INSERT INTO hp_keep VALUES (1, ' b ');
INSERT INTO hp_keep VALUES (2, ' c ');
SELECT count(*) AS plans FROM pg_backend_memory_contexts
 WHERE name = 'pipeline trigger plan';
SELECT * FROM hp_keep ORDER BY id;
DROP TABLE hp_keep;
DROP FUNCTION hp_churn(int);
SELECT pipeline.drop('hp');
