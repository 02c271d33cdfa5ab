-- demo/schema.sql: a realistic clinic schema with a few hundred thousand rows.
CREATE EXTENSION pg_safemigrate;
CREATE ROLE demo_app LOGIN;
CREATE TABLE patients (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    born       date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE appointments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id bigint NOT NULL REFERENCES patients (id),
    starts_at  timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'booked',
    notes      text
);
INSERT INTO patients (name, email, born)
SELECT 'patient ' || g, 'patient' || g || '@example.org', date '1940-01-01' + ((g::bigint * 7919) % 30000)::int
  FROM generate_series(1, 200000) g;
INSERT INTO appointments (patient_id, starts_at, status, notes)
SELECT 1 + (g::bigint * 104729) % 200000,
       timestamptz '2025-01-01' + (g % 525600) * interval '1 minute',
       (ARRAY['booked', 'done', 'cancelled'])[1 + g % 3],
       CASE WHEN g % 5 = 0 THEN 'follow-up in ' || (g % 12) || ' weeks' END
  FROM generate_series(1, 500000) g;
VACUUM ANALYZE patients, appointments;
GRANT USAGE ON SCHEMA public TO demo_app;
