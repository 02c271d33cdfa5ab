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

SET safemigrate.mode = off;
DROP TABLE e6_codes, e6_long, e6_opt;
DROP DOMAIN e6_d5;
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
