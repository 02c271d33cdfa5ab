-- demo/migration_002.sql: the next migration of the clinic, checked before it runs.
ALTER TABLE appointments ADD COLUMN room text;
ALTER TABLE appointments ADD COLUMN checked_in_at timestamptz DEFAULT clock_timestamp();
ALTER TABLE appointments ADD CONSTRAINT appointments_room_check CHECK (room <> '');
ALTER TABLE patients ALTER COLUMN email TYPE varchar(320);
ALTER TABLE appointments ALTER COLUMN status SET NOT NULL;
CREATE INDEX appointments_starts_at_idx ON appointments (starts_at);
ALTER TABLE appointments RENAME COLUMN notes TO remarks;
