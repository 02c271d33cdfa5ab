// CREATE INDEX CONCURRENTLY cannot run in a transaction: this migration runs outside one
// (node-pg-migrate commits the pending single transaction before it and opens a new one after).
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('invoices', 'customer_id', { concurrently: true });
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.dropIndex('invoices', 'customer_id', { concurrently: true });
};
