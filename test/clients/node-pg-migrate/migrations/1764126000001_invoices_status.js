// A nullable column without a default: instant, fine inside the migration's transaction.
exports.up = (pgm) => {
  pgm.addColumn('invoices', { status: { type: 'text' } });
};

exports.down = (pgm) => {
  // DROP COLUMN breaks clients still using it (rule drop-column): declare that nothing does.
  pgm.sql('/* safemigrate: expand-contract */ ALTER TABLE invoices DROP COLUMN status');
};
