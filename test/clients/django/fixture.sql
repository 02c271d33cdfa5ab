-- test/clients/django/fixture.sql: production rows in the table that migration 0001 created (20,000, analyzed).
INSERT INTO shop_product (name, sku) SELECT 'product ' || g, 'sku-' || g FROM generate_series(1, 20000) g;
ANALYZE shop_product;
