-- test/clients/psql/migration_safe.sql: the fix of migration_unsafe.sql's statements 3 and 4, run after it.
-- The foreign key as the HINT says: NOT VALID (enforced for new rows at once, no scan), then
-- VALIDATE CONSTRAINT, which scans under a ShareUpdateExclusiveLock that blocks no writes.
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
COMMIT;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
