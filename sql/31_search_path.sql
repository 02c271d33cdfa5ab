-- The extension's own SQL runs none of a user's functions or operators: a
-- role with CREATE on public puts an operator or function there whose
-- argument types match a call of rehearse() or blockers() exactly (the
-- built-in needs a cast), to run with the rights of the superuser who calls
-- them.  Both pin search_path for their own code; rehearse() still runs the
-- script under the caller's path.  blockers() also names the sessions that
-- hold a partition, and sees sessions that connected since an earlier call
-- in the same transaction.
SET safemigrate.mode = off;
CREATE TABLE sp_called (what text);
CREATE FUNCTION public.sp_mul(numeric, integer) RETURNS numeric LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('numeric * integer'); RETURN $1 OPERATOR(pg_catalog.*) $2::numeric; END$$;
CREATE OPERATOR public.* (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = public.sp_mul);
CREATE FUNCTION public.sp_eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('oid = regclass'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END$$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.sp_eq);
CREATE TABLE sp_t (id int, d int NOT NULL) PARTITION BY RANGE (d);
CREATE TABLE sp_t1 PARTITION OF sp_t FOR VALUES FROM (0) TO (100);
RESET safemigrate.mode;
SELECT stmt_no, error FROM safemigrate.rehearse('SELECT 1; SELECT count(*) FROM sp_t');
SELECT count(*) FROM safemigrate.blockers('sp_t');
SELECT what, count(*) FROM sp_called GROUP BY what;
-- ... nor set_not_null(), the expand-contract procedures, or a backfill of a varchar key (varchar has no
-- comparison operators of its own: the batches name the key type's btree operators)
SET safemigrate.mode = off;
CREATE FUNCTION public.sp_le(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('varchar <= varchar'); RETURN $1::text OPERATOR(pg_catalog.<=) $2::text; END$$;
CREATE OPERATOR public.<= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.sp_le);
CREATE FUNCTION public.sp_and(smallint, integer) RETURNS integer LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('smallint & integer'); RETURN $1::int OPERATOR(pg_catalog.&) $2; END$$;
CREATE OPERATOR public.& (LEFTARG = smallint, RIGHTARG = integer, FUNCTION = public.sp_and);
CREATE FUNCTION public.sp_cat(name, name) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('name || name'); RETURN $1::text OPERATOR(pg_catalog.||) $2::text; END$$;
CREATE OPERATOR public.|| (LEFTARG = name, RIGHTARG = name, FUNCTION = public.sp_cat);
CREATE FUNCTION public.sp_tcat(text, integer) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('text || integer'); RETURN $1 OPERATOR(pg_catalog.||) $2::text; END$$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = integer, FUNCTION = public.sp_tcat);
CREATE FUNCTION public.sp_icat(integer, integer) RETURNS integer LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sp_called VALUES ('integer || integer'); RETURN $1; END$$;
CREATE OPERATOR public.|| (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.sp_icat);
CREATE TABLE sp_v (code varchar(20) PRIMARY KEY, total int, total2 int, email text);
INSERT INTO sp_v SELECT 'c' || g::text, g, NULL, 'e' || g::text FROM generate_series(1, 30) g;
RESET safemigrate.mode;
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 5000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 400) IS NOT NULL AS expansion_ids_set;
CALL safemigrate.backfill('sp_v', 'total2 = total', batch_size => 5, min_batch_size => 5, max_batch_size => 5);
CALL safemigrate.set_not_null('sp_v', 'email');
CALL safemigrate.expand_rename_column('sp_v', 'total', 'amount') \gset
CALL safemigrate.contract(:expansion_id);
SELECT count(*) FILTER (WHERE total2 = amount) AS backfilled, count(*) AS total FROM sp_v;
SELECT what, count(*) FROM sp_called GROUP BY what;
-- the script itself runs under the caller's search_path (and its SET holds for the statements after it)
CREATE SCHEMA sp_s;
SET safemigrate.mode = off;
CREATE TABLE sp_s.sp_only (id int);
RESET safemigrate.mode;
SELECT stmt_no, error IS NULL AS ran FROM safemigrate.rehearse('SET search_path = sp_s, public; SELECT count(*) FROM sp_only');
SHOW search_path;
-- another session reads the partition: blockers() of the parent names it
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
BEGIN;
SELECT count(*) AS before_it_connected FROM safemigrate.blockers('sp_t');
SELECT dblink_connect('sp_other', format('host=%s port=%s dbname=%s application_name=sp_other',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('sp_other', 'BEGIN; LOCK TABLE sp_t1 IN ACCESS SHARE MODE');
SELECT held_mode, application_name FROM safemigrate.blockers('sp_t');
COMMIT;
SELECT dblink_disconnect('sp_other');
-- NULL is an error, not "no blockers"
SELECT count(*) FROM safemigrate.blockers(NULL);
SELECT count(*) FROM safemigrate.blockers('sp_t', NULL);

SET safemigrate.mode = off;
DROP TABLE sp_t, sp_called, sp_v;
DROP SCHEMA sp_s CASCADE;
DROP OPERATOR public.* (numeric, integer);
DROP OPERATOR public.= (oid, regclass);
DROP OPERATOR public.<= (varchar, varchar);
DROP OPERATOR public.& (smallint, integer);
DROP OPERATOR public.|| (name, name);
DROP OPERATOR public.|| (text, integer);
DROP OPERATOR public.|| (integer, integer);
DROP FUNCTION public.sp_mul(numeric, integer), public.sp_eq(oid, regclass), public.sp_le(varchar, varchar),
  public.sp_and(smallint, integer), public.sp_cat(name, name), public.sp_tcat(text, integer),
  public.sp_icat(integer, integer);
RESET safemigrate.mode;
