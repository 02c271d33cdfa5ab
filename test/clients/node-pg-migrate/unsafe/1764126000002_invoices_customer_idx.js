// The UNSAFE first draft of migration 2: a plain CREATE INDEX inside the migration's transaction.
// pg_safemigrate rejects it (create-index-blocking, SM001); test/clients/run.sh runs it to show
// what node-pg-migrate reports, then runs ../migrations/1764126000002_invoices_customer_idx.js.
exports.up = (pgm) => {
  pgm.createIndex('invoices', 'customer_id');
};

exports.down = (pgm) => {
  pgm.dropIndex('invoices', 'customer_id');
};
