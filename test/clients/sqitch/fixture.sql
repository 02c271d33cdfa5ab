-- test/clients/sqitch/fixture.sql: the existing table the sqitch plan changes (20,000 rows, analyzed).
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 20000) g;
ANALYZE accounts;
