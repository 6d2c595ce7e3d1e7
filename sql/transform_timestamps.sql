-- parse_timestamp: iso8601, epoch and strptime formats to UTC text
SELECT pipeline.define('ts', $j${"transform": [
  {"op": "parse_timestamp", "path": "/iso"},
  {"op": "parse_timestamp", "path": "/fmt", "formats": ["%d/%m/%Y", "%b %d, %Y", "%Y%m%d %I:%M %p", "%Y-%m-%dT%H:%M:%S.%f%z"]},
  {"op": "parse_timestamp", "path": "/local", "timezone": "Europe/Paris"}
]}$j$);
SELECT pipeline.transform(d, 'ts')
  FROM (VALUES
    ('{"iso": "2024-05-01T13:45:00Z", "fmt": "01/05/2024", "local": "2024-05-01 13:45"}'::jsonb),
    ('{"iso": "2024-05-01t13:45:00.5+02:00", "fmt": "May 1, 2024", "local": "2024-01-15"}'),
    ('{"iso": " 2024-05-01 ", "fmt": "20240501 12:05 am", "local": "2024-03-31 02:30"}'),
    ('{"iso": "2024-05-01T13:45:00.1234567-0130", "fmt": "2024-05-01T13:45:00.25+05:30", "local": "2024-10-27 02:30"}'),
    ('{"iso": 1714571100, "fmt": 1714571100.000001, "local": "2024-05-01T13:45:00+00:00"}'),
    ('{"iso": "1714571100.5", "fmt": "1/5/2024", "local": "2024-05-01T13:45Z"}'),
    -- booleans, null and containers are left alone
    ('{"iso": true, "fmt": null, "local": ["2024-05-01"]}')
  ) v(d);
SELECT e->>'instanceLocation' AS at, e->>'keywordLocation' AS step, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors(
    '{"iso": "2024-02-30", "fmt": "32/01/2024", "local": "soon"}', 'ts')) e;
SELECT e->>'instanceLocation' AS at, e->>'error' AS error
  FROM jsonb_array_elements(pipeline.errors('{"iso": 1e13, "fmt": "2024-05-01T13:45:00+24:00"}', 'ts')) e;

SELECT pipeline.define('bad', '{"transform": [{"op": "parse_timestamp", "path": "/a", "formats": ["%Y-%Q"]}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "parse_timestamp", "path": "/a", "formats": []}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "parse_timestamp", "path": "/a", "timezone": "Mars/Olympus"}]}');
SELECT pipeline.define('bad', '{"transform": [{"op": "parse_timestamp", "path": "/a", "timezone": "UTC+3"}]}');
