--
-- The hook's own work must not change the session: statements that commit
-- internally keep the session's lock_timeout, check() stops on a cancel, and
-- the hook's catalog queries cannot be redirected through search_path.
--

-- Statements that commit internally (REINDEX of a partitioned table, CLUSTER
-- of a partitioned table, VACUUM FULL): small tables, so allowed; lock_timeout
-- is applied while they run and the session's value is back afterwards.
CREATE TABLE b_part (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE b_part_1 PARTITION OF b_part FOR VALUES FROM (0) TO (100);
CREATE TABLE b_part_2 PARTITION OF b_part FOR VALUES FROM (100) TO (200);
CREATE INDEX b_part_id ON b_part (id);
INSERT INTO b_part SELECT g, 'x' FROM generate_series(0, 199) g;
CREATE TABLE b_small (id int);
SET lock_timeout = '7s';
REINDEX TABLE b_part;
SHOW lock_timeout;
REINDEX INDEX b_part_id;
SHOW lock_timeout;
CLUSTER b_part USING b_part_id;
SHOW lock_timeout;
VACUUM FULL b_small;
SHOW lock_timeout;
-- A failing one (no such index) restores it too.
CLUSTER b_part USING b_no_such_index;
SHOW lock_timeout;
RESET lock_timeout;

-- check() stops when cancelled (here by statement_timeout) instead of
-- reporting the cancel as an error row of the statement it was judging.
CREATE TABLE b_parent (id int PRIMARY KEY);
CREATE TABLE b_child (id int);
SET statement_timeout = '1ms';
SELECT count(*) FROM safemigrate.check(
    repeat('ALTER TABLE b_child ADD CONSTRAINT b_fk FOREIGN KEY (id) REFERENCES b_parent; ', 20000));
RESET statement_timeout;

-- The hook's catalog queries run with search_path = pg_catalog, pg_temp: an
-- operator placed before pg_catalog in the caller's search_path is not used.
CREATE SCHEMA b_trap;
CREATE FUNCTION b_trap.int2eq_trap(int2, int2) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'trap operator called';
    RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR b_trap.= (LEFTARG = int2, RIGHTARG = int2, FUNCTION = b_trap.int2eq_trap);
ALTER TABLE b_child ADD CONSTRAINT b_fk FOREIGN KEY (id) REFERENCES b_parent NOT VALID;
SET search_path = b_trap, pg_catalog, public;
-- DROP COLUMN looks up the foreign keys on the column (conkey = ANY ...).
SELECT rule, verdict FROM safemigrate.check('ALTER TABLE b_child DROP COLUMN id') ORDER BY 1;
ALTER TABLE b_child ALTER COLUMN id TYPE bigint;
RESET search_path;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'b_child'::regclass AND attname = 'id';

/* safemigrate: expand-contract */ DROP SCHEMA b_trap CASCADE;
/* safemigrate: expand-contract */ DROP TABLE b_child, b_parent, b_small, b_part;
