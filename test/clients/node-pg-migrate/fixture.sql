-- test/clients/node-pg-migrate/fixture.sql: the existing table the migrations change (20,000 rows, analyzed).
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric NOT NULL);
INSERT INTO invoices SELECT g, g % 500, g FROM generate_series(1, 20000) g;
ANALYZE invoices;
