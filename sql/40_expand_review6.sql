-- Findings of the sixth review of the expand-contract helpers (session 12),
-- each fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 10000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 1000) IS NOT NULL AS expansion_ids_set;

-- 1. A change to a shorter varchar / char / bit refuses a value that does not
-- fit, like ALTER TABLE ... TYPE (an assignment), instead of cutting it (a
-- cast): the sync trigger, the backfill and a domain over varchar(n) alike.
CREATE TABLE e6_codes (id int PRIMARY KEY, code text);
INSERT INTO e6_codes VALUES (1, 'ABCDE'), (2, 'XY');
CALL safemigrate.expand_alter_column_type('e6_codes', 'code', 'varchar(5)') \gset
SELECT assign_type FROM safemigrate.expansions WHERE expansion_id = :expansion_id;
INSERT INTO e6_codes VALUES (3, 'LONGER-THAN-FIVE');
INSERT INTO e6_codes VALUES (4, 'ok');
UPDATE e6_codes SET code = 'TOO-LONG' WHERE id = 2;
CALL safemigrate.contract(:expansion_id);
SELECT id, code, pg_typeof(code) FROM e6_codes ORDER BY id;
CREATE TABLE e6_long (id int PRIMARY KEY, code text, flags int);
INSERT INTO e6_long VALUES (1, 'ABCDEFG', 5), (2, 'XY', 3);
CALL safemigrate.expand_alter_column_type('e6_long', 'code', 'char(3)');
SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'e6_long' AND status NOT IN ('aborted', 'contracted') \gset
SELECT status, rows_done, last_error FROM safemigrate.backfill_jobs
 WHERE job_id = (SELECT job_id FROM safemigrate.expansions WHERE expansion_id = :expansion_id);
CALL safemigrate.expand_abort(:expansion_id);
CALL safemigrate.expand_alter_column_type('e6_long', 'flags', 'bit(2)', using_expr => 'flags::bit(8)');
SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'e6_long' AND status NOT IN ('aborted', 'contracted') \gset
CALL safemigrate.expand_abort(:expansion_id);
CREATE DOMAIN e6_d5 AS varchar(5);
CALL safemigrate.expand_alter_column_type('e6_long', 'code', 'e6_d5');
SELECT expansion_id, assign_type FROM safemigrate.expansions
 WHERE table_name = 'e6_long' AND status NOT IN ('aborted', 'contracted') \gset
\echo :assign_type
CALL safemigrate.expand_abort(:expansion_id);
-- a value that fits converts as before (char(n) pads)
UPDATE e6_long SET code = 'ABC' WHERE id = 1;
CALL safemigrate.expand_alter_column_type('e6_long', 'code', 'char(4)') \gset
CALL safemigrate.contract(:expansion_id);
SELECT id, '[' || code::text || ']' AS code, octet_length(code) FROM e6_long ORDER BY id;

-- 6. A USING expression the backfill's UPDATE cannot run is refused before
-- anything is recorded: a column qualified "r.", an aggregate, a window or
-- set-returning function; a column named "$1" is not a parameter.
CREATE TABLE e6_opt (id int PRIMARY KEY, total numeric, "$1" int);
INSERT INTO e6_opt VALUES (1, 2.5, 7);
CALL safemigrate.expand_alter_column_type('e6_opt', 'total', 'bigint', using_expr => 'r.total::bigint');
CALL safemigrate.expand_alter_column_type('e6_opt', 'total', 'bigint', using_expr => 'sum(total)::bigint');
CALL safemigrate.expand_alter_column_type('e6_opt', 'total', 'bigint', using_expr => 'row_number() OVER ()');
CALL safemigrate.expand_alter_column_type('e6_opt', 'total', 'bigint', using_expr => 'generate_series(1, 2)');
SELECT count(*) AS recorded FROM safemigrate.expansions WHERE table_name = 'e6_opt';
CALL safemigrate.expand_rename_column('e6_opt', '$1', 'first') \gset
CALL safemigrate.contract(:expansion_id);
SELECT * FROM e6_opt;

-- 2. contract() checks the sync triggers of every partition: a partition's
-- clone disabled on its own lost that partition's writes; the expand
-- procedure run again enables it ALWAYS again.
CREATE TABLE e6_q (id int PRIMARY KEY, status text) PARTITION BY RANGE (id);
CREATE TABLE e6_q1 PARTITION OF e6_q FOR VALUES FROM (0) TO (100);
CREATE TABLE e6_q2 PARTITION OF e6_q FOR VALUES FROM (100) TO (200);
INSERT INTO e6_q SELECT g, 's' || g FROM generate_series(1, 150) g;
CALL safemigrate.expand_rename_column('e6_q', 'status', 'state') \gset
ALTER TABLE e6_q2 DISABLE TRIGGER USER;
UPDATE e6_q SET status = 'written-while-off' WHERE id = 107;
CALL safemigrate.contract(:expansion_id);
CALL safemigrate.expand_rename_column('e6_q', 'status', 'state');
SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('e6_q'::regclass, 'e6_q1'::regclass, 'e6_q2'::regclass) AND tgname NOT LIKE '%guard%'
 ORDER BY 1, 2;
-- the write made while it was off is found by the row check
CALL safemigrate.contract(:expansion_id);

-- 3. ... whose hint, for a type change, sets the expand call's settings
-- before its backfill (the conversion under another TimeZone made every row
-- differ); run as given, contract then goes through.
SET TimeZone = 'UTC';
CREATE TABLE e6_ev (id int PRIMARY KEY, at timestamp);
INSERT INTO e6_ev SELECT g, '2026-01-01'::timestamp + g * interval '1 hour' FROM generate_series(1, 10) g;
CALL safemigrate.expand_alter_column_type('e6_ev', 'at', 'timestamptz') \gset
ALTER TABLE e6_ev DISABLE TRIGGER USER;
UPDATE e6_ev SET at = at + interval '1 day' WHERE id <= 3;
CALL safemigrate.expand_alter_column_type('e6_ev', 'at', 'timestamptz');
SET TimeZone = 'America/New_York';
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
SET TimeZone = 'UTC'; SET DateStyle = 'Postgres, MDY'; SET IntervalStyle = 'postgres_verbose'; SET search_path = "$user", public; CALL safemigrate.backfill('e6_ev', 'at_new = (at)::pg_catalog.timestamptz', 'NOT ((ROW(at_new)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW((at)::timestamp with time zone)::pg_catalog.record))');
SET TimeZone = 'America/New_York';
CALL safemigrate.contract(:expansion_id);
SET TimeZone = 'UTC';
SELECT id, at FROM e6_ev WHERE id <= 4 ORDER BY id;
RESET TimeZone; RESET DateStyle; RESET IntervalStyle;

-- 4. A trigger UPDATE OF the old column does not fire when the new
-- application writes the new column: a WARNING names it.
CREATE TABLE e6_ord (id int PRIMARY KEY, status text);
CREATE TABLE e6_events (id int, old text, new text);
CREATE FUNCTION e6_log() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO e6_events VALUES (NEW.id, OLD.status, NEW.status); RETURN NULL; END$$;
CREATE TRIGGER e6_status_changed AFTER UPDATE OF status ON e6_ord FOR EACH ROW EXECUTE FUNCTION e6_log();
INSERT INTO e6_ord VALUES (1, 'new'), (2, 'new');
\set VERBOSITY default
CALL safemigrate.expand_rename_column('e6_ord', 'status', 'state') \gset
\set VERBOSITY terse
CREATE OR REPLACE TRIGGER e6_status_changed AFTER UPDATE OF status, state ON e6_ord FOR EACH ROW EXECUTE FUNCTION e6_log();
CALL safemigrate.expand_rename_column('e6_ord', 'status', 'state');
UPDATE e6_ord SET state = 'paid' WHERE id = 2;
SELECT * FROM e6_events;
DROP TRIGGER e6_status_changed ON e6_ord;
CALL safemigrate.expand_abort(:expansion_id);

-- 6b. Any batch_size: the bounds the adaptive size moves in take it.
CREATE TABLE e6_bs (id int PRIMARY KEY, v int);
INSERT INTO e6_bs SELECT g, g FROM generate_series(1, 300) g;
CALL safemigrate.expand_alter_column_type('e6_bs', 'v', 'bigint', batch_size => 50) \gset
SELECT batch_size, min_batch_size, max_batch_size, batches FROM safemigrate.backfill_jobs
 WHERE job_id = (SELECT job_id FROM safemigrate.expansions WHERE expansion_id = :expansion_id);
CALL safemigrate.expand_abort(:expansion_id);

-- 10. The expand call in the hints names the table as it is now: renamed,
-- and another table of the old name created, it is not the wrong one.
CREATE TABLE e6_ren (id int PRIMARY KEY, qty int);
INSERT INTO e6_ren VALUES (1, 1);
CALL safemigrate.expand_alter_column_type('e6_ren', 'qty', 'bigint', run_backfill => false) \gset
SET safemigrate.mode = off;
ALTER TABLE e6_ren RENAME TO e6_ren_v2;
CREATE TABLE e6_ren (id int PRIMARY KEY, qty int);
RESET safemigrate.mode;
SELECT table_name, next_step FROM safemigrate.expansion_status WHERE expansion_id = :expansion_id;
CALL safemigrate.expand_abort(:expansion_id);

-- 8. An UPDATE that writes both columns of a rename (or a two-way change)
-- with different values: the new column wins, as in an INSERT (they were
-- left apart, and contract's hint would have overwritten the new value).
CREATE TABLE e6_both (id int PRIMARY KEY, status text, total numeric(10,2));
INSERT INTO e6_both VALUES (1, 'a', 1.50), (2, 'b', 2.25);
CALL safemigrate.expand_rename_column('e6_both', 'status', 'state') \gset
UPDATE e6_both SET status = 'from-status', state = 'from-state' WHERE id = 1;
INSERT INTO e6_both (id, status, state) VALUES (3, 'from-status', 'from-state');
SELECT id, status, state FROM e6_both ORDER BY id;
CALL safemigrate.contract(:expansion_id);
CALL safemigrate.expand_alter_column_type('e6_both', 'total', 'bigint', using_expr => '(total * 100)::bigint',
                                          reverse_using => 'total_new / 100.0') \gset
UPDATE e6_both SET total = 9.99, total_new = 777 WHERE id = 2;
SELECT id, total, total_new FROM e6_both ORDER BY id;
CALL safemigrate.contract(:expansion_id);

-- 9. The new column keeps the old column's storage and compression.
CREATE TABLE e6_st (id int PRIMARY KEY, body text);
ALTER TABLE e6_st ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN body SET COMPRESSION pglz;
INSERT INTO e6_st VALUES (1, 'x');
CALL safemigrate.expand_rename_column('e6_st', 'body', 'content') \gset
CALL safemigrate.contract(:expansion_id);
SELECT attname, attstorage, attcompression FROM pg_attribute WHERE attrelid = 'e6_st'::regclass AND attname = 'content';

-- 10b. A partition or a typed table is refused before anything is recorded
-- (PostgreSQL refuses a column of its own).
CREATE TYPE e6_row AS (id int, v int);
CREATE TABLE e6_typed OF e6_row (PRIMARY KEY (id));
CALL safemigrate.expand_rename_column('e6_q1', 'status', 'state2');
CALL safemigrate.expand_rename_column('e6_typed', 'v', 'w');
SELECT count(*) AS recorded FROM safemigrate.expansions WHERE table_name IN ('e6_q1', 'e6_typed');

-- B5. Ids of new jobs and expansions come from their sequences: a role
-- cannot take ids ahead (OVERRIDING SYSTEM VALUE) and make every later
-- backfill or expansion of other roles fail on the key.
CREATE ROLE regress_e6_mallory;
SET ROLE regress_e6_mallory;
INSERT INTO safemigrate.backfill_jobs (job_id, relid, table_name, set_clause, batch_size, target_batch_ms, min_batch_size,
  max_batch_size, pause_ms, lock_timeout_ms, max_retries, status) OVERRIDING SYSTEM VALUE
SELECT g, 'pg_class', '-', '-', 1, 1, 1, 1, 0, 0, 0, 'cancelled' FROM generate_series(10020, 10030) g;
INSERT INTO safemigrate.expansions (expansion_id, relid, table_name, kind, old_column, new_column, sync_function, sync_trigger)
  OVERRIDING SYSTEM VALUE VALUES (1020, 'pg_class', 'x', 'rename column', 'a', 'b', 'x', 'x');
RESET ROLE;
SELECT count(*) AS taken FROM safemigrate.backfill_jobs WHERE job_id BETWEEN 10020 AND 10030;

-- B3. The progress views are security barriers: a cheap function of another
-- role in the query's WHERE runs after the owner filter, so it never sees the
-- texts and keys of jobs it may not see (its NOTICE printed them before).
CREATE TABLE e6_secret (id int PRIMARY KEY, token text);
INSERT INTO e6_secret VALUES (1, NULL);
SELECT safemigrate.backfill_create('e6_secret', $$token = 'sk_live_SECRET'$$) IS NOT NULL AS job_created;
SET ROLE regress_e6_mallory;
CREATE FUNCTION pg_temp.e6_peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
  $$BEGIN RAISE NOTICE 'seen: %', $1; RETURN true; END$$;
SELECT count(*) AS visible FROM safemigrate.backfill_progress WHERE pg_temp.e6_peek(set_clause);
SELECT count(*) AS visible FROM safemigrate.expansion_status WHERE pg_temp.e6_peek(using_expr);
DROP FUNCTION pg_temp.e6_peek(text);
RESET ROLE;

-- R4-1. A USING expression that names the table (q.amt) is refused: the sync
-- trigger evaluates it over the row alone, where it made every write fail.
CREATE TABLE e6_q3 (id int PRIMARY KEY, amt text);
INSERT INTO e6_q3 VALUES (1, '5');
CALL safemigrate.expand_alter_column_type('e6_q3', 'amt', 'int', using_expr => 'e6_q3.amt::int');
INSERT INTO e6_q3 VALUES (2, '6');

-- R4-2. PLAIN storage of a fixed-length old column is not copied onto a
-- varlena new column (it could never hold a value over a page).
CREATE TABLE e6_pl (id int PRIMARY KEY, n int);
INSERT INTO e6_pl VALUES (1, 1);
CALL safemigrate.expand_alter_column_type('e6_pl', 'n', 'text', using_expr => 'n::text') \gset
SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'e6_pl'::regclass AND attname = 'n_new';
CALL safemigrate.expand_abort(:expansion_id);

-- R4-3. contract's row check compares under assignment: a value too long for
-- the new varchar(n), written while the trigger was off, is out of sync (its
-- cut copy in the new column is not the same), not dropped.
CREATE TABLE e6_v (id int PRIMARY KEY, code varchar(10));
INSERT INTO e6_v VALUES (1, 'ab'), (2, 'cd');
CALL safemigrate.expand_alter_column_type('e6_v', 'code', 'varchar(2)') \gset
ALTER TABLE e6_v DISABLE TRIGGER USER;
UPDATE e6_v SET code = 'abzzzz' WHERE id = 1;
ALTER TABLE e6_v ENABLE TRIGGER USER;
CALL safemigrate.expand_alter_column_type('e6_v', 'code', 'varchar(2)');
CALL safemigrate.contract(:expansion_id);
SELECT * FROM e6_v ORDER BY id;
CALL safemigrate.expand_abort(:expansion_id);

-- R4-4. A value that does not convert fails only the writes of the old
-- column, not every UPDATE of its row.
CREATE TABLE e6_w (id int PRIMARY KEY, code varchar(10), note text);
INSERT INTO e6_w VALUES (1, 'abcdef', 'n'), (2, 'ab', 'n');
CALL safemigrate.expand_alter_column_type('e6_w', 'code', 'varchar(3)');
SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'e6_w' AND status NOT IN ('aborted', 'contracted') \gset
UPDATE e6_w SET note = 'm' WHERE id = 1;
UPDATE e6_w SET code = 'xyz' WHERE id = 1;
SELECT * FROM e6_w ORDER BY id;
CALL safemigrate.expand_abort(:expansion_id);

-- R4-5. An UPDATE naming the new column wins also when it writes the value the
-- column had (rename and two-way).
CREATE TABLE e6_r (id int PRIMARY KEY, status text, n int);
INSERT INTO e6_r VALUES (1, 'a', 1), (2, 'a', 0);
CALL safemigrate.expand_rename_column('e6_r', 'status', 'state') \gset
UPDATE e6_r SET status = 'x', state = 'a' WHERE id = 2;
SELECT id, status, state FROM e6_r ORDER BY id;
CALL safemigrate.contract(:expansion_id);
CALL safemigrate.expand_alter_column_type('e6_r', 'n', 'boolean', using_expr => 'n <> 0', reverse_using => 'n_new::int') \gset
UPDATE e6_r SET n = 0, n_new = true WHERE id = 1;
SELECT id, n, n_new FROM e6_r ORDER BY id;
CALL safemigrate.contract(:expansion_id);

-- R4-6. The search_path of the expand call: recorded with the settings, the
-- backfill and contract find the type (and the USING expression's functions)
-- the expand call found, from a session with another search_path.
CREATE SCHEMA e6_x;
CREATE TYPE e6_x.color AS ENUM ('red', 'green');
CREATE TABLE e6_c (id int PRIMARY KEY, col text);
INSERT INTO e6_c VALUES (1, 'red'), (2, 'green');
SET search_path = e6_x, public;
CALL safemigrate.expand_alter_column_type('e6_c', 'col', 'color', run_backfill => false) \gset
RESET search_path;
SELECT settings[4] AS search_path FROM safemigrate.expansions WHERE expansion_id = :expansion_id;
SELECT job_id AS e6_job FROM safemigrate.expansions WHERE expansion_id = :expansion_id \gset
CALL safemigrate.backfill_resume(:e6_job);
CALL safemigrate.contract(:expansion_id);
SELECT id, col, pg_typeof(col) FROM e6_c ORDER BY id;

SET safemigrate.mode = off;
DROP TABLE e6_codes, e6_long, e6_opt, e6_q, e6_ev, e6_ord, e6_events, e6_bs, e6_ren, e6_ren_v2, e6_both, e6_st, e6_typed, e6_q3, e6_pl, e6_v, e6_w, e6_r, e6_c, e6_secret;
DROP TYPE e6_row;
DROP SCHEMA e6_x CASCADE;
DROP FUNCTION e6_log();
DROP ROLE regress_e6_mallory;
DROP DOMAIN e6_d5;
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
