-- test/clients/psql/migration_unsafe.sql: run with psql -v ON_ERROR_STOP=1 -f.
-- 1. Instant (a nullable column without a default): applied.
ALTER TABLE orders ADD COLUMN note text;
-- 2. A plain CREATE INDEX sent on its own (psql autocommit): pg_safemigrate runs it as
--    CREATE INDEX CONCURRENTLY and prints a NOTICE.
CREATE INDEX orders_customer_idx ON orders (customer_id);
-- 3. A validating foreign key inside a transaction block: rejected (add-foreign-key-validating,
--    SM004); psql stops, the transaction is rolled back, and statement 4 never runs.
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
-- 4.
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
COMMIT;
