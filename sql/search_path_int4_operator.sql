-- The cache reads the registry through SPI with every operator qualified:
-- its "CASE $2 WHEN 0" resolved "=" for integers through the caller's
-- search_path, so a schema ahead of pg_catalog ran its owner's operator
-- with the rights of whoever validated (a superuser here).
CREATE ROLE regress_sp_user;
CREATE SCHEMA regress_sp_evil AUTHORIZATION regress_sp_user;
SET ROLE regress_sp_user;
CREATE FUNCTION regress_sp_evil.int4eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'hijacked: % = %', $1, $2;
    RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR regress_sp_evil.= (FUNCTION = regress_sp_evil.int4eq, LEFTARG = integer, RIGHTARG = integer);
RESET ROLE;
SELECT pipeline.define('sp_p', '{"schema": {"maximum": 1}}');
SET search_path = regress_sp_evil, pg_catalog, public;
-- no NOTICE: the active version and a pinned one are read without it
SELECT pipeline.validate('1', 'sp_p'), pipeline.validate('2', 'sp_p', 1);
RESET search_path;
SELECT pipeline.drop('sp_p');
DROP SCHEMA regress_sp_evil CASCADE;
DROP ROLE regress_sp_user;
