-- test/oracle/setup.sql: committed fixtures of the lock/rewrite oracle (schema "oracle").
--
-- Run as a superuser in an empty database, BEFORE "CREATE EXTENSION pg_safemigrate" (the policy would
-- otherwise judge these statements too):
--     psql -v ON_ERROR_STOP=1 [-v tablespace_dir=/some/empty/dir/owned/by/postgres] -f setup.sql
-- Without tablespace_dir an in-place tablespace (allow_in_place_tablespaces, PG15) is created inside
-- pg_tblspc/, which is enough to make SET TABLESPACE copy files.
--
-- Every table holds a few thousand committed rows, so nothing here is "empty" or "created in the
-- current transaction" when the corpus runs. Each corpus statement runs in a subtransaction that is
-- rolled back (observe.sql), so these fixtures never change after this script.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- ---------------------------------------------------------------------------------------------------
-- Objects that cannot be created inside a transaction block, or that live outside the schema
-- ---------------------------------------------------------------------------------------------------
DROP SCHEMA IF EXISTS oracle CASCADE;
DROP SCHEMA IF EXISTS oracle2 CASCADE;

\if :{?tablespace_dir}
DROP TABLESPACE IF EXISTS oracle_ts;
CREATE TABLESPACE oracle_ts LOCATION :'tablespace_dir';
\else
SELECT NOT EXISTS (SELECT FROM pg_tablespace WHERE spcname = 'oracle_ts') AS need_ts \gset
\if :need_ts
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE oracle_ts LOCATION '';
RESET allow_in_place_tablespaces;
\endif
\endif

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oracle_owner') THEN CREATE ROLE oracle_owner; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oracle_reader') THEN CREATE ROLE oracle_reader; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oracle_mover') THEN CREATE ROLE oracle_mover; END IF;
	-- a second table access method (same handler as heap) so that SET ACCESS METHOD really changes it
	IF NOT EXISTS (SELECT FROM pg_am WHERE amname = 'oracle_heap2') THEN
		CREATE ACCESS METHOD oracle_heap2 TYPE TABLE HANDLER heap_tableam_handler;
	END IF;
	-- a foreign-data wrapper without handler or validator: enough for ALTER ... OPTIONS
	IF NOT EXISTS (SELECT FROM pg_foreign_data_wrapper WHERE fdwname = 'oracle_fdw') THEN
		CREATE FOREIGN DATA WRAPPER oracle_fdw;
		CREATE SERVER oracle_srv FOREIGN DATA WRAPPER oracle_fdw;
	END IF;
END $$;

BEGIN;

CREATE SCHEMA oracle;
CREATE SCHEMA oracle2;            -- target of SET SCHEMA
SET LOCAL search_path = oracle, pg_catalog;

-- ---------------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------------
CREATE TYPE oracle.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN oracle.posint AS int CONSTRAINT posint_check CHECK (VALUE > 0);
CREATE DOMAIN oracle.label AS text;                                  -- unconstrained domain
CREATE DOMAIN oracle.shortcode AS text;                              -- only a NOT VALID constraint:
ALTER DOMAIN oracle.shortcode ADD CONSTRAINT shortcode_len CHECK (length(VALUE) <= 12) NOT VALID;
CREATE TYPE oracle.addr_t AS (street text, city text);

CREATE FUNCTION oracle.touch() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION oracle.noop_stmt() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RETURN NULL; END $$;

-- ---------------------------------------------------------------------------------------------------
-- parent (PK, referenced by child), child (FKs, CHECKs valid and NOT VALID)
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.parent (
	id          int PRIMARY KEY,
	name        text NOT NULL,
	email       text,
	created_at  timestamptz DEFAULT now(),
	score       int
);
INSERT INTO oracle.parent
SELECT g, 'name ' || g, 'user' || g || '@example.org', timestamptz '2024-01-01 00:00+00' + g * interval '1 hour', g % 100
FROM generate_series(1, 5000) g;
CREATE INDEX parent_name_idx ON oracle.parent (name);
CREATE INDEX parent_lower_name_idx ON oracle.parent (lower(name));
CREATE TRIGGER parent_touch_trg BEFORE UPDATE ON oracle.parent FOR EACH ROW EXECUTE FUNCTION oracle.touch();

CREATE TABLE oracle.child (
	id             bigint PRIMARY KEY,
	parent_id      int NOT NULL CONSTRAINT child_parent_id_fkey REFERENCES oracle.parent (id),
	alt_parent_id  int,
	qty            int,
	note           text,
	CONSTRAINT child_qty_check CHECK (qty >= 0)
);
INSERT INTO oracle.child SELECT g, 1 + g % 5000, 1 + (g * 7) % 5000, g % 50, 'note ' || g FROM generate_series(1, 6000) g;
ALTER TABLE oracle.child ADD CONSTRAINT child_note_len_check CHECK (length(note) < 100) NOT VALID;
ALTER TABLE oracle.child ADD CONSTRAINT child_alt_parent_fkey FOREIGN KEY (alt_parent_id) REFERENCES oracle.parent (id) NOT VALID;
CREATE INDEX child_parent_id_idx ON oracle.child (parent_id);

-- ---------------------------------------------------------------------------------------------------
-- typed: one column of each type whose ALTER COLUMN TYPE behaviour matters
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.typed (
	id    int PRIMARY KEY,
	v     varchar(20) CONSTRAINT typed_v_key UNIQUE,
	n     numeric(10,2),
	i     int,
	t     text,
	ts    timestamp,
	tstz  timestamptz,
	j     jsonb,
	c     char(5),
	d     oracle.posint,
	m     oracle.mood,
	sc    oracle.shortcode,
	tsr   tsrange
);
INSERT INTO oracle.typed
SELECT g, 'v-' || g, g * 1.25, g * 3, 'text ' || g,
       timestamp '2024-01-01' + g * interval '1 hour', timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',
       jsonb_build_object('k', g, 'tags', jsonb_build_array('a', 'b')), 'c' || (g % 1000), 1 + g % 500,
       (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::oracle.mood, 'sc' || g,
       tsrange(timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-01-01' + g * interval '1 hour' + interval '30 minutes')
FROM generate_series(1, 4000) g;
CREATE INDEX typed_i_idx ON oracle.typed (i);
CREATE INDEX typed_n_idx ON oracle.typed (n);
CREATE INDEX typed_ts_idx ON oracle.typed (ts);
CREATE STATISTICS oracle.typed_stats (dependencies) ON i, n FROM oracle.typed;

-- ---------------------------------------------------------------------------------------------------
-- SET NOT NULL: a valid CHECK (col IS NOT NULL) implies it; a NOT VALID one does not
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.notnull_ck (id int PRIMARY KEY, email text, CONSTRAINT notnull_ck_email_nn CHECK (email IS NOT NULL));
INSERT INTO oracle.notnull_ck SELECT g, 'e' || g FROM generate_series(1, 3000) g;
CREATE TABLE oracle.notnull_nv (id int PRIMARY KEY, email text);
INSERT INTO oracle.notnull_nv SELECT g, 'e' || g FROM generate_series(1, 3000) g;
ALTER TABLE oracle.notnull_nv ADD CONSTRAINT notnull_nv_email_nn CHECK (email IS NOT NULL) NOT VALID;

-- nopk: nullable id (ADD PRIMARY KEY must also SET NOT NULL)
CREATE TABLE oracle.nopk (id int, label text);
INSERT INTO oracle.nopk SELECT g, 'l' || g FROM generate_series(1, 3000) g;

-- uniq_src: unique indexes for ADD ... USING INDEX and REPLICA IDENTITY USING INDEX
CREATE TABLE oracle.uniq_src (id int NOT NULL, code text NOT NULL, label text);
INSERT INTO oracle.uniq_src SELECT g, 'code-' || g, 'l' || g FROM generate_series(1, 3000) g;
CREATE UNIQUE INDEX uniq_src_id_uidx ON oracle.uniq_src (id);
CREATE UNIQUE INDEX uniq_src_code_uidx ON oracle.uniq_src (code);
CREATE INDEX uniq_src_lower_label_idx ON oracle.uniq_src (lower(label));

-- ---------------------------------------------------------------------------------------------------
-- Partitioning: range-partitioned events (2 partitions + default), standalone tables to attach;
-- list-partitioned metrics without a default partition
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.events (
	id         int NOT NULL,
	created    date NOT NULL,
	parent_id  int,
	payload    text,
	PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
CREATE TABLE oracle.events_2023 PARTITION OF oracle.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE oracle.events_2024 PARTITION OF oracle.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE oracle.events_default PARTITION OF oracle.events DEFAULT;
INSERT INTO oracle.events
SELECT g, date '2023-01-01' + (g % 730), 1 + g % 5000, 'payload ' || g FROM generate_series(1, 6000) g;
INSERT INTO oracle.events
SELECT 100000 + g, date '2030-01-01' + (g % 300), 1 + g % 5000, 'late ' || g FROM generate_series(1, 1000) g;
CREATE INDEX events_payload_idx ON oracle.events (payload);
CREATE TRIGGER events_touch_trg BEFORE UPDATE ON oracle.events FOR EACH ROW EXECUTE FUNCTION oracle.touch();
-- a partitioned index created ON ONLY the parent (invalid until every partition's index is attached)
CREATE INDEX events_created_idx ON ONLY oracle.events (created);
CREATE INDEX events_2023_created_idx ON oracle.events_2023 (created);

-- to attach FOR VALUES FROM ('2025-01-01') TO ('2026-01-01'): has a valid CHECK implying the bound
CREATE TABLE oracle.events_2025 (
	id         int NOT NULL,
	created    date NOT NULL,
	parent_id  int,
	payload    text,
	PRIMARY KEY (id, created),
	CONSTRAINT events_2025_bound CHECK (created >= '2025-01-01' AND created < '2026-01-01')
);
INSERT INTO oracle.events_2025 SELECT 200000 + g, date '2025-01-01' + (g % 365), 1 + g % 5000, 'p ' || g FROM generate_series(1, 3000) g;
CREATE INDEX events_2025_payload_idx ON oracle.events_2025 (payload);

-- to attach FOR VALUES FROM ('2026-01-01') TO ('2027-01-01'): no CHECK, no indexes
CREATE TABLE oracle.events_2026 (id int NOT NULL, created date NOT NULL, parent_id int, payload text);
INSERT INTO oracle.events_2026 SELECT 300000 + g, date '2026-01-01' + (g % 365), 1 + g % 5000, 'p ' || g FROM generate_series(1, 3000) g;

CREATE TABLE oracle.metrics (k text NOT NULL, v int) PARTITION BY LIST (k);
CREATE TABLE oracle.metrics_a PARTITION OF oracle.metrics FOR VALUES IN ('a');
CREATE TABLE oracle.metrics_b PARTITION OF oracle.metrics FOR VALUES IN ('b');
INSERT INTO oracle.metrics SELECT (ARRAY['a', 'b'])[1 + g % 2], g FROM generate_series(1, 4000) g;
CREATE TABLE oracle.metrics_c (k text NOT NULL, v int);
INSERT INTO oracle.metrics_c SELECT 'c', g FROM generate_series(1, 2000) g;

-- ---------------------------------------------------------------------------------------------------
-- Materialized view with a unique index; views
-- ---------------------------------------------------------------------------------------------------
CREATE MATERIALIZED VIEW oracle.parent_stats AS
	SELECT p.id, count(c.id) AS child_count FROM oracle.parent p LEFT JOIN oracle.child c ON c.parent_id = p.id GROUP BY p.id;
CREATE UNIQUE INDEX parent_stats_id_idx ON oracle.parent_stats (id);
CREATE VIEW oracle.parent_v AS SELECT id, name FROM oracle.parent;

-- ---------------------------------------------------------------------------------------------------
-- accounts: rule, triggers, row level security, policy; accounts_log is the rule's target
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.accounts_log (id bigserial PRIMARY KEY, account_id int, at timestamptz DEFAULT now());
CREATE TABLE oracle.accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), status text);
INSERT INTO oracle.accounts SELECT g, 'owner' || (g % 50), g * 10.5, 'open' FROM generate_series(1, 3000) g;
INSERT INTO oracle.accounts_log (account_id) SELECT g FROM generate_series(1, 3000) g;
CREATE INDEX accounts_owner_idx ON oracle.accounts (owner);
CREATE RULE accounts_log_rule AS ON INSERT TO oracle.accounts DO ALSO INSERT INTO oracle.accounts_log (account_id) VALUES (NEW.id);
CREATE TRIGGER accounts_audit_trg AFTER UPDATE ON oracle.accounts FOR EACH ROW EXECUTE FUNCTION oracle.touch();
CREATE TRIGGER accounts_stmt_trg AFTER DELETE ON oracle.accounts FOR EACH STATEMENT EXECUTE FUNCTION oracle.noop_stmt();
ALTER TABLE oracle.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_owner_pol ON oracle.accounts USING (owner = current_user);

-- ---------------------------------------------------------------------------------------------------
-- Inheritance, typed tables, identity, generated, unlogged, clustered, serial, FK pair for DROP TABLE
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE oracle.inh_base (id int, val text);
CREATE TABLE oracle.inh_kid (extra int) INHERITS (oracle.inh_base);
CREATE TABLE oracle.inh_loner (id int, val text);
INSERT INTO oracle.inh_base SELECT g, 'b' || g FROM generate_series(1, 2000) g;
INSERT INTO oracle.inh_kid SELECT g, 'k' || g, g FROM generate_series(1, 2000) g;
INSERT INTO oracle.inh_loner SELECT g, 'l' || g FROM generate_series(1, 2000) g;

CREATE TABLE oracle.addresses OF oracle.addr_t;
CREATE TABLE oracle.addr_plain (street text, city text);
INSERT INTO oracle.addresses SELECT 'street ' || g, 'city ' || (g % 20) FROM generate_series(1, 2000) g;
INSERT INTO oracle.addr_plain SELECT 'street ' || g, 'city ' || (g % 20) FROM generate_series(1, 2000) g;

CREATE TABLE oracle.ident (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n int NOT NULL, label text);
INSERT INTO oracle.ident (n, label) SELECT g, 'i' || g FROM generate_series(1, 3000) g;

CREATE TABLE oracle.gen (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO oracle.gen (a) SELECT g FROM generate_series(1, 3000) g;

CREATE UNLOGGED TABLE oracle.scratch (id int PRIMARY KEY, payload text);
INSERT INTO oracle.scratch SELECT g, 's' || g FROM generate_series(1, 3000) g;

CREATE TABLE oracle.clustered (id int PRIMARY KEY, k int);
INSERT INTO oracle.clustered SELECT g, g % 97 FROM generate_series(1, 3000) g;
ALTER TABLE oracle.clustered CLUSTER ON clustered_pkey;

CREATE TABLE oracle.serial_tab (id serial PRIMARY KEY, val text);
INSERT INTO oracle.serial_tab (val) SELECT 'v' || g FROM generate_series(1, 3000) g;

CREATE TABLE oracle.ref_target (id int PRIMARY KEY, label text);
CREATE TABLE oracle.ref_source (id int PRIMARY KEY, target_id int REFERENCES oracle.ref_target (id));
INSERT INTO oracle.ref_target SELECT g, 't' || g FROM generate_series(1, 2000) g;
INSERT INTO oracle.ref_source SELECT g, 1 + g % 2000 FROM generate_series(1, 3000) g;

-- owned by oracle_mover, for ALTER TABLE ALL IN TABLESPACE ... OWNED BY
CREATE TABLE oracle.mover_t (id int, val text);
INSERT INTO oracle.mover_t SELECT g, 'm' || g FROM generate_series(1, 2000) g;
ALTER TABLE oracle.mover_t OWNER TO oracle_mover;

-- foreign table (no storage) for ALTER TABLE ... OPTIONS
CREATE FOREIGN TABLE oracle.ft (a int, b text) SERVER oracle_srv OPTIONS (source 'nowhere');

COMMIT;

-- ---------------------------------------------------------------------------------------------------
-- A partition left "pending detach" (pg_inherits.inhdetachpending), for DETACH PARTITION ... FINALIZE:
-- a DETACH ... CONCURRENTLY whose second transaction is cancelled (statement_timeout) while another
-- session still holds a lock on the parent. Uses contrib's dblink for the two extra sessions.
-- ---------------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA oracle;
CREATE TABLE oracle.pend (k text NOT NULL, v int) PARTITION BY LIST (k);
CREATE TABLE oracle.pend_a PARTITION OF oracle.pend FOR VALUES IN ('a');
CREATE TABLE oracle.pend_b PARTITION OF oracle.pend FOR VALUES IN ('b');
INSERT INTO oracle.pend SELECT (ARRAY['a', 'b'])[1 + g % 2], g FROM generate_series(1, 3000) g;
SELECT format('host=%s port=%s user=%s dbname=%s', split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port'), current_user, current_database()) AS oracle_conn \gset
SELECT oracle.dblink_connect('oracle_blocker', :'oracle_conn') AS ok1,
       oracle.dblink_exec('oracle_blocker', 'BEGIN') AS ok2,
       oracle.dblink_exec('oracle_blocker', 'LOCK TABLE ONLY oracle.pend IN ACCESS SHARE MODE') AS ok3,
       oracle.dblink_connect('oracle_detacher', :'oracle_conn') AS ok4,
       oracle.dblink_exec('oracle_detacher', 'SET statement_timeout = ''1s''') AS ok5,
       oracle.dblink_exec('oracle_detacher', 'ALTER TABLE oracle.pend DETACH PARTITION oracle.pend_a CONCURRENTLY', false) AS detach,
       oracle.dblink_exec('oracle_blocker', 'COMMIT') AS ok6,
       oracle.dblink_disconnect('oracle_blocker') AS ok7,
       oracle.dblink_disconnect('oracle_detacher') AS ok8
\gset
SELECT inhdetachpending AS pend_a_pending FROM pg_inherits WHERE inhrelid = 'oracle.pend_a'::regclass \gset
\if :pend_a_pending
\else
\echo 'setup.sql: could not leave oracle.pend_a pending detach'
\quit 3
\endif

ANALYZE;          -- realistic reltuples/relpages for a classifier that reads pg_class statistics
