-- The safe SQL of the rules, run as given: the volatile-default ADD COLUMN
-- keeps the column's COLLATE, keeps a domain's own default out (DEFAULT NULL)
-- and names what the definition also has (to add after the fill); a type change
-- that rewrites gives the expand procedure's call, which adds the new column
-- itself, with the statement's USING expression.
SET safemigrate.small_table_rows = 0;
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 9800) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 980) IS NOT NULL AS expansion_ids_set;
SET safemigrate.mode = off;
CREATE TABLE ss (id int PRIMARY KEY, a int);
INSERT INTO ss SELECT g, g FROM generate_series(1, 50) g;
ANALYZE ss;
CREATE DOMAIN ss_money AS numeric(12,2) DEFAULT 0;
RESET safemigrate.mode;
SELECT safe_sql FROM safemigrate.check($$ALTER TABLE ss ADD COLUMN c text COLLATE "C" NOT NULL DEFAULT md5(random()::text) CHECK (c <> '')$$);
SELECT safe_sql FROM safemigrate.check($$ALTER TABLE ss ADD COLUMN m ss_money DEFAULT random() * 10$$);
-- run as given: the existing rows stay NULL (the fill is the next step), not the domain's 0
ALTER TABLE ss ADD COLUMN m ss_money DEFAULT NULL;
ALTER TABLE ss ALTER COLUMN m SET DEFAULT (random() * (10)::double precision);
SELECT count(*) FILTER (WHERE m IS NULL) AS still_null FROM ss;
SELECT safe_sql FROM safemigrate.check($$ALTER TABLE ss ALTER COLUMN a TYPE text$$);
SELECT safe_sql FROM safemigrate.check($$ALTER TABLE ss ALTER COLUMN a TYPE text USING a::text || '!'$$);
-- the call runs as given
CALL safemigrate.expand_alter_column_type('public.ss', 'a', 'text');
SELECT a, a_new FROM ss WHERE id = 7;
SELECT expansion_id AS e FROM safemigrate.expansions WHERE table_name = 'ss' \gset
CALL safemigrate.expand_abort(:e);
-- with a USING expression the call passes it on as written (quotes and
-- backslashes in an E'' literal, read the same whatever
-- standard_conforming_strings is), and runs as given
SELECT safe_sql FROM safemigrate.check($$ALTER TABLE ss ALTER COLUMN a TYPE text USING a::text || E'\\' || 'it''s'$$);
SELECT split_part(safe_sql, E'\n', 1) AS step
  FROM safemigrate.check($$ALTER TABLE ss ALTER COLUMN a TYPE text USING a::text || E'\\' || 'it''s'$$) \gexec
SELECT a, a_new FROM ss WHERE id = 7;
SELECT expansion_id AS e FROM safemigrate.expansions WHERE table_name = 'ss' AND status <> 'aborted' \gset
CALL safemigrate.expand_abort(:e);
-- a comment inside the expression: the placeholder, not a broken call
SELECT split_part(safe_sql, E'\n', 1) AS step
  FROM safemigrate.check($$ALTER TABLE ss ALTER COLUMN a TYPE text USING a::text -- why
  || 'x'$$);
SET safemigrate.mode = off;
DROP TABLE ss;
DROP DOMAIN ss_money;
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
