-- The hook enforces every rule of the classifier: one statement per rule,
-- with its SQLSTATE, and the safe alternative succeeding.
-- The fixtures are small: test the rules, not the small-table exemption (08_policy).
SET safemigrate.small_table_rows = 0;
CREATE SCHEMA enforce_test;
SET search_path = enforce_test, public;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric(10,2), status text,
                     placed date);
INSERT INTO orders SELECT g, g % 100, g, 'new', date '2026-01-01' + g % 365 FROM generate_series(1, 5000) g;
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(0, 99) g;
CREATE MATERIALIZED VIEW customer_names AS SELECT id, name FROM customers;
CREATE FUNCTION sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || split_part(SQLERRM, ':', 1);
END $$;

SELECT s AS statement, sqlstate_of(s) AS outcome FROM unnest(ARRAY[
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)',
  'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0)',
  'ALTER TABLE orders ALTER COLUMN status SET NOT NULL',
  'ALTER TABLE orders ADD CONSTRAINT orders_status_key UNIQUE (id, status)',
  'ALTER TABLE customers ADD PRIMARY KEY (name)',
  'ALTER TABLE orders ADD COLUMN ref uuid DEFAULT gen_random_uuid()',
  'ALTER TABLE orders ADD COLUMN seq bigserial',
  'ALTER TABLE orders ALTER COLUMN total TYPE float8',
  'ALTER TABLE orders DROP COLUMN placed',
  'ALTER TABLE orders RENAME COLUMN status TO state',
  'ALTER TABLE orders RENAME TO purchases',
  'ALTER TABLE orders SET UNLOGGED',
  'VACUUM FULL orders',
  'CLUSTER orders USING orders_pkey',
  'REFRESH MATERIALIZED VIEW customer_names',
  'TRUNCATE orders',
  'DROP TABLE customers',
  'REINDEX TABLE orders',
  'DROP INDEX orders_pkey',
  'LOCK TABLE orders IN SHARE MODE',
  -- the safe forms run
  'ALTER TABLE orders ADD COLUMN note text',
  'ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now()',
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk',
  'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT total_positive',
  'ALTER TABLE orders ADD CONSTRAINT status_nn CHECK (status IS NOT NULL) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT status_nn',
  'ALTER TABLE orders ALTER COLUMN status SET NOT NULL',
  'ALTER TABLE orders DROP CONSTRAINT status_nn',
  -- (with the validated CHECK on it, the type change would re-check every row: the CHECK comes off first)
  'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)',
  'ALTER TABLE orders DROP CONSTRAINT total_positive',
  'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)',
  'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT total_positive',
  '/* safemigrate: expand-contract */ ALTER TABLE orders DROP COLUMN placed',
  'LOCK TABLE orders IN ROW EXCLUSIVE MODE'
]) AS s;
VACUUM orders;

-- The full text of one rejection: rule, lock, size, duration, safe SQL.
\set VERBOSITY default
ALTER TABLE orders ADD COLUMN ref uuid DEFAULT gen_random_uuid();
ALTER TABLE orders ALTER COLUMN status DROP NOT NULL, ALTER COLUMN status SET NOT NULL, ADD COLUMN x int DEFAULT random();
\set VERBOSITY terse

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA enforce_test CASCADE;
