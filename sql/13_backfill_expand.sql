-- Expand-contract helpers: rename a column, change a column's type, SET NOT
-- NULL without a long lock; status view, abort, restart after a failure.
-- Their DDL goes through the hook in enforce mode (small tables judged too).
SET safemigrate.small_table_rows = 0;
SHOW safemigrate.mode;
CREATE TABLE orders (id bigint PRIMARY KEY, status text DEFAULT 'new', qty int, total numeric);
INSERT INTO orders SELECT g, 's' || g % 3, g % 100, g * 1.5 FROM generate_series(1, 3000) g;
ANALYZE orders;

-- The naive rename is rejected; the hint names the helper.
ALTER TABLE orders RENAME COLUMN status TO state;

-- Expand: new column, sync trigger, backfill.
CALL safemigrate.expand_rename_column('orders', 'status', 'state', batch_size => 1000);
SELECT count(*) FILTER (WHERE state IS NOT DISTINCT FROM status) AS in_sync, count(*) AS total FROM orders;
SELECT expansion_id, table_name, kind, old_column, new_column, status, job_id, backfill_status, rows_done, next_step
  FROM safemigrate.expansion_status;
-- Both columns follow writes from the old and the new application.
INSERT INTO orders (id, status) VALUES (5001, 'old-app');
INSERT INTO orders (id, state) VALUES (5002, 'new-app');
UPDATE orders SET status = 'old-app-update' WHERE id = 1;
UPDATE orders SET state = 'new-app-update' WHERE id = 2;
UPDATE orders SET qty = 7 WHERE id = 3;
SELECT id, status, state FROM orders WHERE id IN (1, 2, 3, 5001, 5002) ORDER BY id;
-- Running it again is harmless.
CALL safemigrate.expand_rename_column('orders', 'status', 'state');
-- Contract: the trigger and the old column go; the default moves to the new column.
CALL safemigrate.contract(1);
\d orders
SELECT id, state FROM orders WHERE id IN (1, 2, 5001, 5002) ORDER BY id;
CALL safemigrate.contract(1);
CALL safemigrate.expand_abort(1);
SELECT count(*) AS open_expansions FROM safemigrate.expansion_status;

-- Change a column's type.  Without the backfill, contract refuses.
CALL safemigrate.expand_alter_column_type('orders', 'qty', 'bigint', run_backfill => false);
CALL safemigrate.contract(2);
SELECT expansion_id, kind, old_column, new_column, new_type, using_expr, status, backfill_status, next_step
  FROM safemigrate.expansion_status;
SELECT job_id AS job FROM safemigrate.expansions WHERE expansion_id = 2 \gset
CALL safemigrate.backfill_resume(:job);
-- Writes during the expansion are converted by the trigger.
UPDATE orders SET qty = 777 WHERE id = 3;
INSERT INTO orders (id, qty) VALUES (6000, 42);
SELECT id, qty, qty_new FROM orders WHERE id IN (3, 4, 6000) ORDER BY id;
-- The expand call finds the done backfill and marks the expansion expanded.
CALL safemigrate.expand_alter_column_type('orders', 'qty', 'bigint');
CALL safemigrate.contract(2);
\d orders
SELECT count(*) FILTER (WHERE qty = id % 100) AS converted FROM orders WHERE id <= 3000 AND id <> 3;
SELECT id, qty FROM orders WHERE id IN (3, 6000) ORDER BY id;

-- A USING expression that fails on some row: the backfill fails, the
-- expansion stays resumable; after the data is fixed, the same call finishes.
CALL safemigrate.expand_alter_column_type('orders', 'total', 'int', using_expr => '(1000000 / (total - 15))::int',
                                          batch_size => 1000);
SELECT expansion_id, status, backfill_status, rows_done, next_step FROM safemigrate.expansion_status;
UPDATE orders SET total = 16 WHERE total = 15;
CALL safemigrate.expand_alter_column_type('orders', 'total', 'int', using_expr => '(1000000 / (total - 15))::int');
SELECT count(*) FILTER (WHERE total_new IS NOT DISTINCT FROM (1000000 / (total - 15))::int) AS converted,
       count(*) AS total FROM orders;
-- Abort: back to the original shape.
CALL safemigrate.expand_abort(3);
\d orders
CALL safemigrate.expand_abort(3);
CALL safemigrate.contract(3);
SELECT expansion_id, kind, status FROM safemigrate.expansions ORDER BY 1;

-- Two-way sync for a type change (reverse_using): during the expansion the
-- application may write either column.  The conversion here is lossy
-- (numeric to int): the backfill and the trigger never change the old
-- column's value when the new one is already its conversion.
CALL safemigrate.expand_alter_column_type('orders', 'total', 'int', using_expr => 'round(total)::int',
                                          reverse_using => 'total_new::numeric');
SELECT count(*) FILTER (WHERE total = id * 1.5) AS old_kept, count(*) FILTER (WHERE total_new = round(total)) AS converted,
       count(*) AS total FROM orders;
UPDATE orders SET total_new = 99 WHERE id = 10;          -- the new application: the old column follows
UPDATE orders SET total = 12.6 WHERE id = 11;            -- the old application: the new column follows
UPDATE orders SET total = 30.4, total_new = 30 WHERE id = 12;  -- both, consistent: kept as written
INSERT INTO orders (id, total_new) VALUES (6001, 7);
INSERT INTO orders (id, total) VALUES (6002, 8.4);
SELECT id, total, total_new FROM orders WHERE id IN (10, 11, 12, 6001, 6002) ORDER BY id;
SELECT reverse_expr FROM safemigrate.expansions WHERE expansion_id = 4;
CALL safemigrate.expand_abort(4);
DELETE FROM orders WHERE id IN (6001, 6002);

-- Bad input.
CALL safemigrate.expand_rename_column('orders', 'nope', 'x');
CALL safemigrate.expand_rename_column('orders', 'qty', 'total');
CALL safemigrate.expand_rename_column(NULL, 'qty', 'x');
CALL safemigrate.expand_rename_column('orders', 'qty', NULL);
CALL safemigrate.expand_alter_column_type('orders', 'qty', 'no_such_type');
CALL safemigrate.expand_alter_column_type('orders', 'qty', NULL);
CALL safemigrate.expand_rename_column('no_such_table', 'qty', 'x');
CALL safemigrate.contract(99);
CALL safemigrate.expand_abort(99);
BEGIN;
CALL safemigrate.expand_rename_column('orders', 'qty', 'quantity');
ROLLBACK;

-- SET NOT NULL without a long lock (the steps the hook's rewrite of a plain SET NOT NULL also runs).
UPDATE orders SET total = 0 WHERE total IS NULL;
CALL safemigrate.set_not_null('orders', 'total');
\d orders
CALL safemigrate.set_not_null('orders', 'total');
-- NULLs present: VALIDATE fails and the NOT VALID check stays; after fixing, the same call finishes.
ALTER TABLE orders ADD COLUMN note text;
UPDATE orders SET note = 'n' WHERE id > 10;
CALL safemigrate.set_not_null('orders', 'note');
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'c';
UPDATE orders SET note = 'n' WHERE note IS NULL;
CALL safemigrate.set_not_null('orders', 'note');
SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname IN ('note', 'total');
SELECT count(*) AS leftover_checks FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'c';
CALL safemigrate.set_not_null('orders', 'nope');
CALL safemigrate.set_not_null(NULL, 'note');

/* safemigrate: expand-contract */ DROP TABLE orders;
