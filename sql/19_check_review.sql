-- Findings of a review of check(), rehearse() and the command-line tool
-- (2026-11-26), each fixed and kept here.
SET safemigrate.small_table_rows = 0;
CREATE TABLE cr (id int PRIMARY KEY, b int);
INSERT INTO cr SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE cr;

-- What PostgreSQL refuses inside the script's BEGIN ... COMMIT is an error, not "allow".
SELECT stmt_no, command, verdict, reason FROM safemigrate.check($$
BEGIN;
CREATE INDEX CONCURRENTLY cr_b_idx ON cr (b);
REINDEX TABLE CONCURRENTLY cr;
VACUUM cr;
COMMIT;
CREATE INDEX CONCURRENTLY cr_b_idx ON cr (b);
$$) WHERE command NOT IN ('BEGIN', 'COMMIT') ORDER BY stmt_no;
-- COMMIT AND CHAIN starts the next transaction block at once.
SELECT stmt_no, command, verdict FROM safemigrate.check($$
BEGIN; SELECT 1; COMMIT AND CHAIN; CREATE INDEX ON cr (b); COMMIT;
$$) WHERE command = 'CREATE INDEX';
-- A table that does not exist (check() does not follow a RENAME): an error, not "allow".
SELECT stmt_no, command, verdict, reason FROM safemigrate.check($$
ALTER TABLE cr RENAME TO cr2;
CREATE INDEX ON cr2 (b);
ALTER TABLE IF EXISTS cr3 ADD COLUMN z int;
$$) ORDER BY stmt_no;

-- Objects created earlier in the script by other statements count as new too
-- (SELECT INTO, an index for ALTER INDEX); ALTER INDEX / SEQUENCE are not
-- judged as tables: the partitioned-index recipe checks clean.
SELECT stmt_no, command, verdict FROM safemigrate.check($$
CREATE TABLE pi (a int) PARTITION BY RANGE (a);
CREATE TABLE pi1 PARTITION OF pi FOR VALUES FROM (0) TO (10);
CREATE INDEX pi_a_idx ON ONLY pi (a);
CREATE INDEX CONCURRENTLY pi1_a_idx ON pi1 (a);
ALTER INDEX pi_a_idx ATTACH PARTITION pi1_a_idx;
SELECT * INTO cr_copy FROM cr;
ALTER TABLE cr_copy ADD COLUMN z int;
CREATE SEQUENCE cr_seq;
ALTER SEQUENCE cr_seq RESTART;
$$) ORDER BY stmt_no;

-- rehearse(): a table the statement drops is listed with its lock.
SELECT stmt_no, relation, lock_mode, error FROM safemigrate.rehearse($$
/* safemigrate: expand-contract */ DROP TABLE cr;
$$);
-- lock_wait: NULL is an error; below 1 ms is 1 ms (0 would mean no limit); a SET
-- lock_timeout in the script does not lift it.
SELECT * FROM safemigrate.rehearse('SELECT 1', NULL);
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_connect('crblocker', format('host=%s port=%s dbname=%s', current_setting('unix_socket_directories'),
       current_setting('port'), current_database()));
SELECT dblink_exec('crblocker', 'BEGIN');
SELECT dblink_exec('crblocker', 'LOCK cr IN ACCESS SHARE MODE');
SET client_min_messages = warning;  -- the NOTICE counts the other sessions
SELECT stmt_no, error FROM safemigrate.rehearse('ALTER TABLE cr ADD COLUMN z int', '0');
SELECT stmt_no, error FROM safemigrate.rehearse('SET lock_timeout = 0; ALTER TABLE cr ADD COLUMN z int', '50ms');
RESET client_min_messages;
-- The lock protocol's error says what ended it: here lock_retries, before lock_timeout.
SET safemigrate.lock_retries = 2;
SET safemigrate.lock_timeout = '30s';
\set VERBOSITY terse
ALTER TABLE cr ADD COLUMN y int;
\set VERBOSITY default
RESET safemigrate.lock_retries;
RESET safemigrate.lock_timeout;
SELECT dblink_exec('crblocker', 'ROLLBACK');
SELECT dblink_disconnect('crblocker');

/* safemigrate: expand-contract */ DROP TABLE cr;
RESET safemigrate.small_table_rows;

-- check(migration, single_transaction => true): the script as a tool that wraps
-- it in one transaction runs it; no rewrite can run there.
CREATE TABLE cr_one (id int PRIMARY KEY, v int);
INSERT INTO cr_one SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE cr_one;
SET safemigrate.small_table_rows = 0;
SET safemigrate.rewrite = on;
SELECT stmt_no, verdict FROM safemigrate.check(
  'ALTER TABLE cr_one ADD COLUMN note text; CREATE INDEX cr_one_v ON cr_one (v);') WHERE relation IS NOT NULL ORDER BY 1;
SELECT stmt_no, verdict FROM safemigrate.check(
  'ALTER TABLE cr_one ADD COLUMN note text; CREATE INDEX cr_one_v ON cr_one (v);', true) WHERE relation IS NOT NULL ORDER BY 1;
SELECT stmt_no, verdict FROM safemigrate.check('CREATE INDEX CONCURRENTLY cr_one_v ON cr_one (v);', true);
RESET safemigrate.rewrite;
RESET safemigrate.small_table_rows;
SET safemigrate.mode = off;
DROP TABLE cr_one;
RESET safemigrate.mode;

-- SET search_path and SET TimeZone in the script hold for the statements
-- after them (timestamp <-> timestamptz rewrites unless TimeZone is UTC), and
-- are undone when check() returns; a bad value is the SET's error row.
CREATE SCHEMA cr_s;
CREATE TABLE cr_s.cr_ts (id int, ts timestamp);
INSERT INTO cr_s.cr_ts SELECT g, now() FROM generate_series(1, 2000) g;
ANALYZE cr_s.cr_ts;
SET safemigrate.small_table_rows = 0;
SET TimeZone = 'UTC';
SELECT stmt_no, command, relation, verdict, left(reason, 60) AS reason FROM safemigrate.check($$
SET search_path = cr_s, public;
ALTER TABLE cr_ts ALTER COLUMN ts TYPE timestamptz;
SET TimeZone = 'America/New_York';
ALTER TABLE cr_ts ALTER COLUMN ts TYPE timestamptz;
SET TimeZone = 'No/Such_Zone';
RESET TimeZone;
ALTER TABLE cr_ts ALTER COLUMN ts TYPE timestamptz;
$$) ORDER BY stmt_no;
-- ... as the script's transactions have them: SET LOCAL ends with its block
-- (and does nothing outside one), ROLLBACK undoes a SET, RESET ALL and
-- DISCARD ALL reset (safemigrate.small_table_rows too: set again after
-- them).  Each final statement runs under America/New_York.
SET TimeZone = 'America/New_York';
SELECT n, (SELECT verdict FROM safemigrate.check(script) WHERE command LIKE 'ALTER TABLE%') AS last_alter
  FROM (VALUES
    (1, 'BEGIN; SET LOCAL TimeZone = ''UTC''; COMMIT; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (2, 'BEGIN; SET TimeZone = ''UTC''; ROLLBACK; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (3, 'SET LOCAL TimeZone = ''UTC''; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (4, 'SET TimeZone = ''UTC''; RESET ALL; SET safemigrate.small_table_rows = 0; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (5, 'SET TimeZone = ''UTC''; DISCARD ALL; SET safemigrate.small_table_rows = 0; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (6, 'BEGIN; SET TimeZone = ''UTC''; COMMIT; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (7, 'BEGIN; SET LOCAL TimeZone = ''UTC''; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz; COMMIT;'),
    (8, 'BEGIN; SET LOCAL TimeZone = ''UTC''; SAVEPOINT a; SET LOCAL TimeZone = ''America/New_York''; ROLLBACK TO SAVEPOINT a; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz; COMMIT;'),
    (9, 'BEGIN; SAVEPOINT a; SET TimeZone = ''UTC''; ROLLBACK TO SAVEPOINT a; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz; COMMIT;'),
    (10, 'BEGIN; SAVEPOINT a; SET TimeZone = ''UTC''; RELEASE SAVEPOINT a; COMMIT; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;'),
    (11, 'BEGIN; SAVEPOINT a; SET TimeZone = ''UTC''; ROLLBACK TO SAVEPOINT a; COMMIT; ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;')
  ) AS v(n, script) ORDER BY n;
-- SET of the safemigrate settings the verdicts read (mode, rewrite, allow,
-- small_table_rows, small_table_size, require_declaration) holds the same
-- way: the hook would judge the statements after it so.
SELECT stmt_no, command, verdict, rule FROM safemigrate.check($$
CREATE INDEX cr_i1 ON cr_s.cr_ts (id);
SET safemigrate.allow = 'create-index-blocking';
CREATE INDEX cr_i2 ON cr_s.cr_ts (id);
RESET safemigrate.allow;
SET safemigrate.rewrite = off;
CREATE INDEX cr_i3 ON cr_s.cr_ts (id);
BEGIN;
SET LOCAL safemigrate.mode = warn;
ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;
COMMIT;
ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;
SET safemigrate.small_table_rows = 1000000;
ALTER TABLE cr_s.cr_ts ALTER COLUMN ts TYPE timestamptz;
SET safemigrate.mode = 'no such mode';
SET safemigrate.mode = off;
ALTER TABLE cr_s.cr_ts DROP COLUMN ts;
$$) ORDER BY stmt_no;
-- They are superuser settings: a script that sets one fails there for another role.
CREATE ROLE regress_sm_cr;
GRANT USAGE ON SCHEMA cr_s TO regress_sm_cr;
GRANT SELECT ON cr_s.cr_ts TO regress_sm_cr;
SET ROLE regress_sm_cr;
SELECT stmt_no, command, verdict, left(reason, 100) AS reason FROM safemigrate.check($$
SET safemigrate.mode = off;
ALTER TABLE cr_s.cr_ts DROP COLUMN ts;
$$) ORDER BY stmt_no;
RESET ROLE;
-- ... and as the script's transactions decide: a statement that fails or is
-- rejected in a block makes its COMMIT a rollback and the SETs after it
-- void (until ROLLBACK TO a savepoint); AND CHAIN without a block is an
-- error and opens none; DISCARD ALL cannot run in a block; SET ROLE and
-- SET SESSION AUTHORIZATION change who may set and override.
SELECT n, (SELECT string_agg(verdict, ' ' ORDER BY stmt_no) FROM safemigrate.check(script)) AS verdicts,
       (SELECT verdict FROM safemigrate.check(script) WHERE command LIKE 'ALTER TABLE%' ORDER BY stmt_no DESC LIMIT 1) AS last_alter
  FROM (VALUES
    (1, 'ROLLBACK AND CHAIN; SET safemigrate.mode = warn; ROLLBACK; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (2, 'COMMIT AND CHAIN; SET LOCAL safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (3, 'BEGIN; SET safemigrate.mode = warn; ALTER TABLE cr_s.no_such ADD COLUMN x int; COMMIT; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (4, 'BEGIN; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0); SET safemigrate.mode = warn; COMMIT; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (5, 'BEGIN; SAVEPOINT a; ALTER TABLE cr_s.no_such ADD COLUMN x int; ROLLBACK TO SAVEPOINT a; SET safemigrate.mode = warn; COMMIT; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (6, 'SET safemigrate.mode = warn; BEGIN; DISCARD ALL; COMMIT; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (7, 'SET ROLE regress_sm_cr; SET safemigrate.mode = off; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (8, 'SET ROLE regress_sm_cr; /* safemigrate:allow add-check-validating */ ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (9, 'SET SESSION AUTHORIZATION regress_sm_cr; RESET ROLE; SET safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (10, 'SET ROLE regress_sm_cr; DISCARD ALL; SET safemigrate.small_table_rows = 0; SET safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (11, 'BEGIN; SET ROLE regress_sm_cr; ROLLBACK; SET safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (12, 'BEGIN; SET safemigrate.mode = warn; ROLLBACK TO SAVEPOINT nosuch; COMMIT; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (13, 'RELEASE SAVEPOINT a; SET safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);'),
    (14, 'BEGIN; SET ROLE regress_sm_cr; SET SESSION AUTHORIZATION DEFAULT; COMMIT; SET safemigrate.mode = warn; ALTER TABLE cr_s.cr_ts ADD CONSTRAINT cr_c CHECK (id > 0);')
  ) AS v(n, script) ORDER BY n;
SELECT current_user = session_user AS role_restored;
-- A relation renamed earlier in the script is the relation it was for DROP,
-- TRUNCATE, LOCK, RENAME and SET SCHEMA (a table swap drops a table with
-- data); ALTER TABLE on the new name stays an error row (its column facts).
SELECT stmt_no, command, verdict, rule FROM safemigrate.check($$
ALTER TABLE cr_s.cr_ts RENAME TO cr_ts_old;
TRUNCATE cr_s.cr_ts_old;
DROP TABLE cr_s.cr_ts_old;
ALTER TABLE cr_s.cr_ts_old ALTER COLUMN id TYPE bigint;
CREATE TABLE cr_s.cr_new (id bigint PRIMARY KEY);
ALTER INDEX cr_s.cr_new_pkey RENAME TO cr_new_pk;
$$) ORDER BY stmt_no;
-- an index renamed, or created by the script on a table with data, then dropped: the drop of an index of
-- that table (rewritten CONCURRENTLY);
-- a rename in a block rolled back is not followed (the name does not exist when the script runs)
CREATE INDEX cr_ts_id ON cr_s.cr_ts (id);
SELECT stmt_no, command, verdict, rule FROM safemigrate.check($$
ALTER INDEX cr_s.cr_ts_id RENAME TO cr_ts_id2;
DROP INDEX cr_s.cr_ts_id2;
CREATE INDEX CONCURRENTLY cr_ts_id3 ON cr_s.cr_ts (id);
DROP INDEX cr_s.cr_ts_id3;
BEGIN;
ALTER TABLE cr_s.cr_ts RENAME TO cr_gone;
ROLLBACK;
DROP TABLE cr_s.cr_gone;
$$) ORDER BY stmt_no;
-- check()'s facts exist only while it runs: a cursor over it, still open,
-- does not make the hook judge a table by its facts of before (it was empty).
CREATE TABLE cr_s.cr_grow (a int);
BEGIN;
DECLARE cr_c CURSOR FOR SELECT relation, verdict FROM safemigrate.check('CREATE INDEX cr_grow_x ON cr_s.cr_grow (a)');
FETCH 1 FROM cr_c;
INSERT INTO cr_s.cr_grow SELECT generate_series(1, 5000);
ANALYZE cr_s.cr_grow;
CREATE INDEX cr_grow_a ON cr_s.cr_grow (a);
ROLLBACK;
SHOW search_path;
SHOW TimeZone;
SHOW safemigrate.mode;
SHOW safemigrate.rewrite;
SHOW safemigrate.small_table_rows;
RESET TimeZone;
RESET safemigrate.small_table_rows;
SET safemigrate.mode = off;
DROP SCHEMA cr_s CASCADE;
DROP ROLE regress_sm_cr;
RESET safemigrate.mode;
