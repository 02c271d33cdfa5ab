-- Findings of PostgreSQL's own regression suite run with the hook
-- (scripts/pg_core_regress.sh): statements that PostgreSQL rejects must get
-- PostgreSQL's own error, in warn and enforce mode alike, and never crash the
-- backend.
\set VERBOSITY terse
SET safemigrate.small_table_rows = 0;   -- judge the small fixtures like big tables
CREATE SCHEMA pgr_findings;
SET search_path = pgr_findings, public;
CREATE TABLE unparted (a int, b text);
INSERT INTO unparted VALUES (1, 'x');
CREATE TABLE list_parted (a int, b text) PARTITION BY LIST (a);
CREATE TABLE fail_part (a int);
INSERT INTO fail_part VALUES (1);
CREATE TABLE fail_part_b (a int, b int);
INSERT INTO fail_part_b VALUES (1, 1);
CREATE VIEW v AS SELECT a, b FROM unparted;
ANALYZE unparted, fail_part, fail_part_b;

-- ATTACH PARTITION to a table that is not partitioned: the hook looked for
-- its partition key and crashed the backend (alter_table.sql).
ALTER TABLE unparted ATTACH PARTITION fail_part FOR VALUES IN (1);
SET safemigrate.mode = warn;
ALTER TABLE unparted ATTACH PARTITION fail_part FOR VALUES IN (1);
RESET safemigrate.mode;
SELECT 'backend alive' AS still_connected;

-- A partition that PostgreSQL rejects (missing column, other column type, bad
-- bound): its own error, not one from the hook's look at the bound.
ALTER TABLE list_parted ATTACH PARTITION fail_part FOR VALUES IN (1);
ALTER TABLE list_parted ATTACH PARTITION fail_part_b FOR VALUES IN (1);
ALTER TABLE list_parted ATTACH PARTITION fail_part_b FOR VALUES FROM (1) TO (10);
SET safemigrate.mode = warn;
ALTER TABLE list_parted ATTACH PARTITION fail_part FOR VALUES IN (1);
ALTER TABLE list_parted ATTACH PARTITION fail_part_b FOR VALUES IN (1);
RESET safemigrate.mode;
-- A compatible partition is still judged (the bound is not implied by a CHECK).
CREATE TABLE ok_part (a int, b text);
INSERT INTO ok_part VALUES (1, 'y');
ANALYZE ok_part;
SET safemigrate.rewrite = off;
ALTER TABLE list_parted ATTACH PARTITION ok_part FOR VALUES IN (1);
RESET safemigrate.rewrite;

-- SET NOT NULL on a view: enforce mode rewrote it into steps (ADD CONSTRAINT
-- ... NOT VALID first), and the step's error replaced PostgreSQL's.  Only a
-- table's statement is rewritten.
ALTER TABLE v ALTER COLUMN a SET NOT NULL;
SET safemigrate.mode = warn;
ALTER TABLE v ALTER COLUMN a SET NOT NULL;
RESET safemigrate.mode;

RESET search_path;
RESET safemigrate.small_table_rows;
/* safemigrate: expand-contract */ DROP SCHEMA pgr_findings CASCADE;
