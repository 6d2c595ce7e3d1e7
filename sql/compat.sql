-- pg_jsonschema-compatible functions.
SET client_min_messages = warning;

SELECT pipeline.json_matches_schema('{"type": "object", "required": ["a"]}', '{"a": 1}'),
       pipeline.json_matches_schema('{"type": "object", "required": ["a"]}', '{"b": 1}'),
       pipeline.jsonb_matches_schema('{"maxLength": 3}', '"abcd"');

-- json (not jsonb) instances keep their meaning
SELECT pipeline.json_matches_schema('{"uniqueItems": true}', '[1, 1.0]');

SELECT pipeline.jsonschema_is_valid('{"type": "string"}'),
       pipeline.jsonschema_is_valid('{"type": "strng"}'),
       pipeline.jsonschema_is_valid('{"minLength": -1}'),
       pipeline.jsonschema_is_valid('{"pattern": "(("}'),
       pipeline.jsonschema_is_valid('{"$ref": "#/nowhere"}'),
       pipeline.jsonschema_is_valid('{"$schema": "http://json-schema.org/draft-07/schema#", "items": [true]}'),
       pipeline.jsonschema_is_valid('true');

SELECT pipeline.jsonschema_validation_errors('{"properties": {"n": {"type": "integer"}}, "required": ["m"]}',
                                             '{"n": "x"}');
SELECT pipeline.jsonschema_validation_errors('{"type": "integer"}', '1');

-- a bad schema is an error with the pointer of the bad part
SELECT pipeline.jsonb_matches_schema('{"properties": {"a": {"minimum": "1"}}}', '{}');

-- in a CHECK constraint (the schema is compiled once per backend, not per row)
CREATE TABLE customers (
    doc jsonb CHECK (pipeline.jsonb_matches_schema(
        '{"type": "object", "required": ["email"], "properties": {"email": {"format": "email"}}}', doc))
);
INSERT INTO customers SELECT jsonb_build_object('email', 'user' || i || '@example.com')
  FROM generate_series(1, 1000) i;
INSERT INTO customers VALUES ('{"email": "broken"}');
INSERT INTO customers VALUES ('{}');
SELECT count(*) FROM customers;

-- the GUC pipeline.format_assertion turns format checks off for these functions
SET pipeline.format_assertion = off;
SELECT pipeline.jsonb_matches_schema('{"format": "email"}', '"broken"');
RESET pipeline.format_assertion;
SELECT pipeline.jsonb_matches_schema('{"format": "email"}', '"broken"');

-- the prefix is reserved
SET pipeline.no_such_setting = 1;
