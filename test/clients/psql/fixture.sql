-- test/clients/psql/fixture.sql: the "production" tables the psql migrations change.  20,000 rows and
-- ANALYZE, so that the tables are neither small nor empty, nor created in the migration's transaction.
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric NOT NULL);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, g FROM generate_series(1, 20000) g;
ANALYZE customers, orders;
