-- Findings of the fourth review of the expand-contract helpers (session 11),
-- each fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 500) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 6000) IS NOT NULL AS expansion_ids_set;

-- 1. contract() checks that every row is in sync before it drops the old
-- column: rows a trigger of the table kept the backfill from updating...
CREATE TABLE e4_inv (id int PRIMARY KEY, email text, archived bool NOT NULL DEFAULT false);
CREATE FUNCTION e4_freeze() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN IF OLD.archived THEN RETURN NULL; END IF; RETURN NEW; END$$;
CREATE TRIGGER e4_freeze BEFORE UPDATE ON e4_inv FOR EACH ROW EXECUTE FUNCTION e4_freeze();
INSERT INTO e4_inv VALUES (1, 'a@x', false), (2, 'b@x', true), (3, 'c@x', true);
CALL safemigrate.expand_rename_column('e4_inv', 'email', 'mail') \gset
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
SELECT id, email, mail FROM e4_inv ORDER BY id;
-- (the way out the HINT gives: a backfill the trigger lets through)
ALTER TABLE e4_inv DISABLE TRIGGER e4_freeze;
CALL safemigrate.backfill('e4_inv', 'mail = email', 'NOT (ROW(mail)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(email)::pg_catalog.record)');
ALTER TABLE e4_inv ENABLE TRIGGER e4_freeze;
CALL safemigrate.contract(:expansion_id);
SELECT id, mail FROM e4_inv ORDER BY id;
-- ... writes made while the sync trigger was off...
CREATE TABLE e4_off (id int PRIMARY KEY, email text);
INSERT INTO e4_off VALUES (1, 'a@x');
CALL safemigrate.expand_rename_column('e4_off', 'email', 'mail') \gset
ALTER TABLE e4_off DISABLE TRIGGER USER;
UPDATE e4_off SET email = 'changed@x' WHERE id = 1;
INSERT INTO e4_off (id, email) VALUES (2, 'b@x');
CALL safemigrate.contract(:expansion_id);
\echo :LAST_ERROR_SQLSTATE
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'e4_off'::regclass ORDER BY tgname;
-- enabled again, but as ORIGIN triggers (not ALWAYS): still refused, and the
-- hint's way out (the expand procedure again) enables both ALWAYS
ALTER TABLE e4_off ENABLE TRIGGER USER;
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
CALL safemigrate.expand_rename_column('e4_off', 'email', 'mail');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'e4_off'::regclass ORDER BY tgname;
CALL safemigrate.contract(:expansion_id);
\echo :LAST_ERROR_SQLSTATE
SELECT id, email, mail FROM e4_off ORDER BY id;
CALL safemigrate.expand_abort(:expansion_id);

-- 2. The new column is added with DEFAULT NULL: a domain's default does not
-- fill it in the old application's inserts (which then overwrote the value)...
CREATE DOMAIN e4_qty AS int DEFAULT 0;
CREATE TABLE e4_dom (id int PRIMARY KEY, qty e4_qty);
INSERT INTO e4_dom VALUES (1, 7);
CALL safemigrate.expand_rename_column('e4_dom', 'qty', 'quantity') \gset
INSERT INTO e4_dom (id, qty) VALUES (2, 42);
INSERT INTO e4_dom (id, quantity) VALUES (3, 43);
SELECT id, qty, quantity FROM e4_dom ORDER BY id;
CALL safemigrate.contract(:expansion_id);
-- ... and after contract the domain's default applies again
INSERT INTO e4_dom (id) VALUES (4);
SELECT id, quantity FROM e4_dom ORDER BY id;
-- A default given to the new column during the expansion is refused by the
-- sync trigger, the expand procedure and contract().
CREATE TABLE e4_def (id int PRIMARY KEY, status text DEFAULT 'active');
CALL safemigrate.expand_rename_column('e4_def', 'status', 'state') \gset
ALTER TABLE e4_def ALTER COLUMN state SET DEFAULT 'new';
\set VERBOSITY default
INSERT INTO e4_def (id, status) VALUES (1, 'old-app');
\set VERBOSITY terse
CALL safemigrate.expand_rename_column('e4_def', 'status', 'state');
CALL safemigrate.contract(:expansion_id);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE e4_def ALTER COLUMN state DROP DEFAULT;
INSERT INTO e4_def (id, status) VALUES (1, 'old-app');
CALL safemigrate.contract(:expansion_id);
INSERT INTO e4_def (id) VALUES (2);
SELECT * FROM e4_def ORDER BY id;
-- A two-way type change whose default does not convert: contract() takes the
-- new default itself (the HINT no longer says to set it on the new column).
SET TimeZone = 'UTC';
CREATE TABLE e4_ts (id int PRIMARY KEY, created_at timestamp DEFAULT now());
CALL safemigrate.expand_alter_column_type('e4_ts', 'created_at', 'timestamptz',
       using_expr => $$created_at AT TIME ZONE 'UTC'$$, reverse_using => $$created_at_new AT TIME ZONE 'UTC'$$) \gset
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
INSERT INTO e4_ts (id, created_at) VALUES (1, '2020-01-01 00:00');
CALL safemigrate.contract(:expansion_id, new_default => 'now()');
SELECT id, created_at FROM e4_ts;
SELECT pg_get_expr(adbin, adrelid) AS created_at_default FROM pg_attrdef WHERE adrelid = 'e4_ts'::regclass;
RESET TimeZone;

-- 3. Two-way: an update of another column keeps the value the new application
-- wrote to the new column (the reverse conversion rounded it in the old one),
-- and so does the backfill.
CREATE TABLE e4_price (id int PRIMARY KEY, price numeric(10,2), note text);
INSERT INTO e4_price VALUES (1, 9.99, ''), (2, 5.55, '');
CALL safemigrate.expand_alter_column_type('e4_price', 'price', 'numeric(12,4)',
       reverse_using => 'round(price_new, 2)', run_backfill => false) \gset
UPDATE e4_price SET price_new = 9.9875 WHERE id = 1;
UPDATE e4_price SET note = 'shipped' WHERE id = 1;
SELECT id, price, price_new FROM e4_price ORDER BY id;
CALL safemigrate.expand_alter_column_type('e4_price', 'price', 'numeric(12,4)',
       reverse_using => 'round(price_new, 2)');
SELECT id, price, price_new FROM e4_price ORDER BY id;
UPDATE e4_price SET price = 6.66 WHERE id = 2;
CALL safemigrate.contract(:expansion_id);
SELECT id, price FROM e4_price ORDER BY id;

-- 6. On a partitioned table contract() looks at every partition's indexes,
-- constraints and NOT NULL on the old column.
CREATE TABLE e4_pt (id int, k int, email text, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
CREATE TABLE e4_pt1 PARTITION OF e4_pt FOR VALUES IN (1);
CREATE TABLE e4_pt2 PARTITION OF e4_pt FOR VALUES IN (2);
CREATE UNIQUE INDEX e4_pt1_email_uq ON e4_pt1 (email);
ALTER TABLE e4_pt2 ADD CONSTRAINT e4_pt2_email_chk CHECK (email LIKE '%@%');
ALTER TABLE e4_pt1 ALTER COLUMN email SET NOT NULL;
INSERT INTO e4_pt SELECT g, 1 + g % 2, 'u' || g || '@x' FROM generate_series(1, 10) g;
CALL safemigrate.expand_rename_column('e4_pt', 'email', 'mail') \gset
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
CALL safemigrate.expand_abort(:expansion_id);
-- a partitioned table without a primary key is refused before anything is done (10.)
CREATE TABLE e4_nopk (id int, k int, v int) PARTITION BY LIST (k);
CREATE TABLE e4_nopk1 PARTITION OF e4_nopk FOR VALUES IN (1);
CALL safemigrate.expand_rename_column('e4_nopk', 'v', 'w');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS expansions FROM safemigrate.expansions WHERE table_name = 'e4_nopk';
SELECT count(*) AS new_columns FROM pg_attribute WHERE attrelid = 'e4_nopk'::regclass AND attname = 'w';

-- 11. expand_abort() refuses when the old column is gone: the new one holds the only copy.
-- (PostgreSQL itself refuses to drop either column while the expansion is
-- open: its disabled guard trigger depends on both; CASCADE drops it.)
CREATE TABLE e4_gone (id int PRIMARY KEY, a int);
INSERT INTO e4_gone VALUES (1, 1);
CALL safemigrate.expand_rename_column('e4_gone', 'a', 'b') \gset
/* safemigrate: expand-contract */ ALTER TABLE e4_gone DROP COLUMN a;
\echo :LAST_ERROR_SQLSTATE
/* safemigrate: expand-contract */ ALTER TABLE e4_gone DROP COLUMN a CASCADE;
CALL safemigrate.expand_abort(:expansion_id);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM e4_gone;

-- 8. expand_abort() refuses to drop a new column that another open expansion's
-- USING expression reads (its trigger would fail on every write).  Such an
-- expansion is now refused when it starts (9. below); one recorded before is
-- stood for by an edited row.
CREATE TABLE e4_t3 (id int PRIMARY KEY, a text, c int);
INSERT INTO e4_t3 VALUES (1, '5', 7);
CALL safemigrate.expand_rename_column('e4_t3', 'a', 'b') \gset e1_
CALL safemigrate.expand_alter_column_type('e4_t3', 'c', 'bigint', using_expr => 'c + b::int');
\echo :LAST_ERROR_SQLSTATE
CALL safemigrate.expand_alter_column_type('e4_t3', 'c', 'bigint') \gset e2_
UPDATE safemigrate.expansions SET using_expr = 'c + b::int' WHERE expansion_id = :e2_expansion_id;
CALL safemigrate.expand_abort(:e1_expansion_id);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS new_columns FROM pg_attribute WHERE attrelid = 'e4_t3'::regclass AND attname = 'b' AND NOT attisdropped;
UPDATE safemigrate.expansions SET using_expr = 'c' WHERE expansion_id = :e2_expansion_id;
CALL safemigrate.expand_abort(:e2_expansion_id);
CALL safemigrate.expand_abort(:e1_expansion_id);

-- 9. An expansion whose USING expression reads a column another open expansion
-- renames or converts is refused (the triggers fire one after the other).
CREATE TABLE e4_t17 (id int PRIMARY KEY, a int, c int);
INSERT INTO e4_t17 VALUES (1, 1, 100);
CALL safemigrate.expand_alter_column_type('e4_t17', 'c', 'bigint', using_expr => 'c + a') \gset
CALL safemigrate.expand_rename_column('e4_t17', 'a', 'b');
\echo :LAST_ERROR_SQLSTATE
CALL safemigrate.expand_abort(:expansion_id);
CALL safemigrate.expand_rename_column('e4_t17', 'a', 'b') \gset
CALL safemigrate.expand_alter_column_type('e4_t17', 'c', 'bigint', using_expr => 'c + a');
\echo :LAST_ERROR_SQLSTATE
CALL safemigrate.expand_abort(:expansion_id);

-- 7. Each transaction of an expand run locks the expansion's row and checks it
-- is still open: a run of an aborted expansion stops at once.
CREATE TABLE e4_rb (id int PRIMARY KEY, a int);
CALL safemigrate.expand_rename_column('e4_rb', 'a', 'b', run_backfill => false) \gset
CALL safemigrate.expand_abort(:expansion_id);
CALL safemigrate._expand_run(:expansion_id, 10, NULL, 200, true);
SELECT count(*) AS new_columns FROM pg_attribute WHERE attrelid = 'e4_rb'::regclass AND attname = 'b' AND NOT attisdropped;

-- 5. contract() keeps the column's comment, statistics target and options;
-- the new column of a type change keeps the old one's collation, or takes the
-- one new_type names; a NOTICE says the column is now the last one.
CREATE TABLE e4_meta (id int PRIMARY KEY, code varchar(10) COLLATE "C", other int);
COMMENT ON COLUMN e4_meta.code IS 'the code';
ALTER TABLE e4_meta ALTER COLUMN code SET STATISTICS 500;
ALTER TABLE e4_meta ALTER COLUMN code SET (n_distinct = 42);
INSERT INTO e4_meta VALUES (1, 'a', 1);
CALL safemigrate.expand_alter_column_type('e4_meta', 'code', 'varchar(20)') \gset
SELECT attname, attcollation::regcollation FROM pg_attribute WHERE attrelid = 'e4_meta'::regclass AND attname LIKE 'code%';
CALL safemigrate.contract(:expansion_id);
SELECT attname, format_type(atttypid, atttypmod), attcollation::regcollation, attstattarget,
       (SELECT array_agg(o) FROM unnest(attoptions) o WHERE o NOT LIKE 'pg_attver=%') AS options,
       col_description(attrelid, attnum)
  FROM pg_attribute WHERE attrelid = 'e4_meta'::regclass AND attname = 'code';
CALL safemigrate.expand_alter_column_type('e4_meta', 'code', 'varchar(30) COLLATE "POSIX"') \gset
SELECT attname, format_type(atttypid, atttypmod), attcollation::regcollation FROM pg_attribute
 WHERE attrelid = 'e4_meta'::regclass AND attname = 'code_new';
CALL safemigrate.contract(:expansion_id);

-- 4. A conversion that depends on the session's settings (timestamp to
-- timestamptz) runs with those of the expand call, whatever the writer's.
SET TimeZone = 'UTC';
CREATE TABLE e4_tz (id int PRIMARY KEY, t timestamp);
INSERT INTO e4_tz VALUES (1, '2020-01-01 12:00');
CALL safemigrate.expand_alter_column_type('e4_tz', 't', 'timestamptz', run_backfill => false) \gset
SET TimeZone = 'America/New_York';
INSERT INTO e4_tz VALUES (2, '2020-01-01 12:00');
CALL safemigrate.expand_alter_column_type('e4_tz', 't', 'timestamptz');
SHOW TimeZone;
CALL safemigrate.contract(:expansion_id);
SET TimeZone = 'UTC';
SELECT id, t FROM e4_tz ORDER BY id;
RESET TimeZone;

-- 12. An update that writes NULL to the new column on a row the backfill has
-- not reached yet is the application's write (a second trigger, BEFORE UPDATE
-- OF the new column, tells it from an update of other columns).
CREATE TABLE e4_null (id int PRIMARY KEY, email text, note text);
INSERT INTO e4_null VALUES (1, 'a@x', ''), (2, 'b@x', ''), (3, 'c@x', '');
CALL safemigrate.expand_rename_column('e4_null', 'email', 'mail', run_backfill => false) \gset
UPDATE e4_null SET mail = NULL WHERE id = 1;
UPDATE e4_null SET note = 'x' WHERE id = 2;
SELECT id, email, mail FROM e4_null ORDER BY id;
CALL safemigrate.expand_rename_column('e4_null', 'email', 'mail');
CALL safemigrate.contract(:expansion_id);
SELECT id, mail FROM e4_null ORDER BY id;
CREATE TABLE e4_null2 (id int PRIMARY KEY, amount numeric(10,2), note text);
INSERT INTO e4_null2 VALUES (1, 1.25, ''), (2, 2.50, '');
CALL safemigrate.expand_alter_column_type('e4_null2', 'amount', 'numeric(12,4)',
       reverse_using => 'round(amount_new, 2)', run_backfill => false) \gset
UPDATE e4_null2 SET amount_new = NULL WHERE id = 1;
SELECT id, amount, amount_new FROM e4_null2 ORDER BY id;
CALL safemigrate.expand_alter_column_type('e4_null2', 'amount', 'numeric(12,4)',
       reverse_using => 'round(amount_new, 2)');
CALL safemigrate.contract(:expansion_id);
SELECT id, amount FROM e4_null2 ORDER BY id;

SET safemigrate.mode = off;
DROP TABLE e4_null, e4_null2, e4_inv, e4_off, e4_dom, e4_def, e4_ts, e4_price, e4_pt, e4_nopk, e4_gone, e4_t3, e4_t17, e4_rb, e4_meta, e4_tz;
DROP FUNCTION e4_freeze();
DROP DOMAIN e4_qty;
RESET safemigrate.mode;
