-- A realistic migration of 36 statements, safe and unsafe mixed, run with psql
-- (autocommit, one statement at a time) against a populated database: every
-- unsafe statement is rewritten or rejected with an actionable message, every
-- safe statement runs unchanged.
CREATE SCHEMA clinic;
SET search_path = clinic, public;
CREATE TABLE patients (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100), born date,
                       created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE appointments (id bigint PRIMARY KEY, patient_id bigint NOT NULL, starts_at timestamptz NOT NULL,
                           status text, notes text, fee numeric(8,2));
INSERT INTO patients SELECT g, 'patient ' || g, 'p' || g || '@example.org', date '1950-01-01' + g % 20000, now()
  FROM generate_series(1, 30000) g;
INSERT INTO appointments SELECT g, 1 + g % 30000, timestamptz '2026-01-01' + g * interval '7 minutes',
       (ARRAY['booked', 'done'])[1 + g % 2], NULL, 50 FROM generate_series(1, 60000) g;
CREATE MATERIALIZED VIEW daily_counts AS SELECT starts_at::date AS day, count(*) AS n FROM appointments GROUP BY 1;
CREATE UNIQUE INDEX CONCURRENTLY daily_counts_day ON daily_counts (day);
CREATE INDEX CONCURRENTLY appointments_status_idx ON appointments (status);
ANALYZE;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- 1-8: instant, catalog-only changes: run unchanged.
ALTER TABLE appointments ADD COLUMN room text;
ALTER TABLE appointments ADD COLUMN reminder_sent boolean NOT NULL DEFAULT false;
ALTER TABLE appointments ADD COLUMN booked_at timestamptz DEFAULT now();
ALTER TABLE appointments ALTER COLUMN status SET DEFAULT 'booked';
ALTER TABLE patients ALTER COLUMN email TYPE varchar(320);
ALTER TABLE appointments ALTER COLUMN fee TYPE numeric(10,2);
COMMENT ON COLUMN appointments.room IS 'where the appointment takes place';
ALTER INDEX appointments_status_idx RENAME TO appointments_status_ix;
-- 9-12: new objects: run unchanged.
CREATE TABLE rooms (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO rooms VALUES (1, 'A'), (2, 'B');
CREATE INDEX rooms_name_idx ON rooms (name);
CREATE VIEW upcoming AS SELECT * FROM appointments WHERE starts_at > now();
-- 13-18: the playbook's online forms: run unchanged.
CREATE INDEX CONCURRENTLY appointments_starts_at_idx ON appointments (starts_at);
ALTER TABLE appointments ADD CONSTRAINT appointments_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id) NOT VALID;
ALTER TABLE appointments VALIDATE CONSTRAINT appointments_patient_fk;
ALTER TABLE appointments ADD CONSTRAINT appointments_fee_check CHECK (fee >= 0) NOT VALID;
ALTER TABLE appointments VALIDATE CONSTRAINT appointments_fee_check;
ALTER TABLE appointments ALTER COLUMN starts_at SET STATISTICS 500;
-- 19-23: unsafe, rewritten to the CONCURRENTLY form.
CREATE INDEX appointments_room_idx ON appointments (room);
CREATE UNIQUE INDEX patients_email_key ON patients (email);
REINDEX INDEX appointments_status_ix;
REFRESH MATERIALIZED VIEW daily_counts;
DROP INDEX appointments_room_idx;
-- 24-36: unsafe: run as safe steps (NOT VALID + VALIDATE, SET NOT NULL through a CHECK,
-- UNIQUE through CREATE UNIQUE INDEX CONCURRENTLY), or rejected with the rule, the lock,
-- the table's size and the safe SQL.
ALTER TABLE appointments ADD CONSTRAINT appointments_patient_fk2 FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE appointments ALTER COLUMN status SET NOT NULL;
ALTER TABLE appointments ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE appointments ALTER COLUMN patient_id TYPE int;
ALTER TABLE patients RENAME COLUMN name TO full_name;
ALTER TABLE appointments DROP COLUMN notes;
ALTER TABLE appointments ADD CONSTRAINT appointments_starts_at_check CHECK (starts_at > '2000-01-01');
ALTER TABLE patients ADD CONSTRAINT patients_name_key UNIQUE (name);
VACUUM FULL appointments;
CLUSTER appointments USING appointments_pkey;
TRUNCATE appointments;
LOCK TABLE patients IN ACCESS EXCLUSIVE MODE;
ALTER TABLE appointments RENAME TO visits;

-- What the migration did: the safe statements' effects are all there.
SELECT count(*) FILTER (WHERE attname IN ('room', 'reminder_sent', 'booked_at')) AS new_columns,
       count(*) FILTER (WHERE attname = 'token') AS rejected_column
  FROM pg_attribute WHERE attrelid = 'appointments'::regclass AND NOT attisdropped;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'appointments'::regclass ORDER BY 1;
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index
 WHERE indrelid IN ('appointments'::regclass, 'patients'::regclass) ORDER BY 1;
SELECT count(*) AS appointments FROM appointments;

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA clinic CASCADE;
