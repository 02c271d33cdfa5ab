// A plain createIndex in a migration without a transaction: the statement reaches the server on its
// own, and pg_safemigrate runs it as CREATE INDEX CONCURRENTLY (safemigrate.rewrite = on).
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('invoices', 'amount');
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.dropIndex('invoices', 'amount', { concurrently: true });
};
