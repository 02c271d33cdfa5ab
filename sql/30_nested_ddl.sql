-- Judging a statement runs none of the user's code: an IMMUTABLE function in
-- a USING expression (PostgreSQL folds it when it plans the change) is not
-- called by the hook's judgement nor by check(), so it cannot run DDL the
-- hook judges in the middle of another judgement (a backend crash: the outer
-- statement's state pointed into memory the nested failure freed).
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE TABLE nd_big (id int, c int);
INSERT INTO nd_big SELECT g, g FROM generate_series(1, 2000) g;
CREATE TABLE nd_small (a int);
CREATE TABLE nd_log (note text);
CREATE FUNCTION nd_ferr(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RAISE EXCEPTION 'nd_ferr'; END $$;
CREATE FUNCTION nd_g() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO nd_log VALUES ('nd_g ran');
  BEGIN
    EXECUTE 'ALTER TABLE nd_small ALTER COLUMN a TYPE bigint USING a + nd_ferr(1), ADD COLUMN x1 int, ADD COLUMN x2 int';
  EXCEPTION WHEN others THEN RAISE NOTICE 'nd_g caught: %', SQLERRM;
  END;
  RETURN 0;
END $$;
CREATE FUNCTION nd_f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN nd_g() + $1; END $$;
ANALYZE nd_big;
RESET safemigrate.mode;
-- check() runs nothing
SELECT relation, verdict, rewrites FROM safemigrate.check(
  'ALTER TABLE nd_big ADD COLUMN n int, ALTER COLUMN c TYPE bigint USING c + nd_f(1), ADD CONSTRAINT nd_big_n CHECK (n > 0)')
 ORDER BY 1, 2;
SELECT count(*) AS calls FROM nd_log;
-- the hook judges it a rewrite without calling it
ALTER TABLE nd_big ADD COLUMN n int, ALTER COLUMN c TYPE bigint USING c + nd_f(1), ADD CONSTRAINT nd_big_n CHECK (n > 0);
SELECT count(*) AS calls FROM nd_log;
-- allowed (mode off), PostgreSQL folds the function while planning the change: the nested DDL is judged on its own
SET safemigrate.mode = off;
ALTER TABLE nd_big ADD COLUMN n int, ALTER COLUMN c TYPE bigint USING c + nd_f(1), ADD CONSTRAINT nd_big_n CHECK (n > 0);
RESET safemigrate.mode;
SELECT count(*) AS calls FROM nd_log;
SELECT pg_typeof(c) FROM nd_big LIMIT 1;
-- a built-in function still folds: int -> bigint through the plain cast rewrites, varchar(10) -> varchar(20) does not
CREATE TABLE nd_v (s varchar(10));
INSERT INTO nd_v SELECT 'x' FROM generate_series(1, 100);
SELECT relation, rewrites FROM safemigrate.check('ALTER TABLE nd_v ALTER COLUMN s TYPE varchar(20) USING s::varchar(20)');

SET safemigrate.mode = off;
DROP TABLE nd_big, nd_small, nd_log, nd_v;
DROP FUNCTION nd_f(int), nd_g(), nd_ferr(int);
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
