#!/usr/bin/perl
# test/fuzz/sql_fuzz.pl N FILE...: N mutants of the DDL statements found in
# FILE... (pg_regress .sql files), as a psql script that sends each mutant
# through safemigrate.check() and through the hook (in a transaction that is
# rolled back).  Mutations: cut at a token, drop a token, repeat a token,
# insert a keyword.  Deterministic (seeded).  Statements that could leave
# the test database (DATABASE, ROLE, TABLESPACE, SYSTEM, transaction control,
# signals to other backends) are skipped.
use strict;
use warnings;

my $n = shift @ARGV;
srand(20261126);
my @stmts;
for my $f (@ARGV) {
	open my $fh, '<', $f or next;
	local $/;
	my $text = <$fh>;
	close $fh;
	$text =~ s/^\\.*$//mg;          # psql meta-commands
	$text =~ s/^\s*--.*$//mg;        # comment lines
	for my $s (split /;\s*\n/, $text) {
		$s =~ s/^\s+|\s+$//g;
		next unless $s =~ /^(CREATE|ALTER|DROP|TRUNCATE|CLUSTER|VACUUM|REINDEX|REFRESH|LOCK|COMMENT|GRANT)\b/i;
		next if $s =~ /\$\$|\bDATABASE\b|\bROLE\b|\bUSER\b|\bTABLESPACE\b|\bSYSTEM\b|\bSUBSCRIPTION\b|\bEXTENSION\b|\bLANGUAGE\b/i;
		next if length($s) > 2000;
		push @stmts, $s;
	}
}
die "no statements\n" unless @stmts;
my @kw = (qw(CONCURRENTLY ONLY NOT VALID CASCADE IF EXISTS USING INDEX UNIQUE PRIMARY KEY DEFAULT NULL
  COLUMN CONSTRAINT CHECK FOREIGN REFERENCES TYPE SET DROP ADD ALTER PARTITION OF FOR VALUES FROM TO
  random() now() ( ) 1 'x' "" public. pg_catalog.), ',', '/*safemigrate:allow*/', '/*safemigrate:concurrent*/');
print "\\set VERBOSITY verbose\n\\set ON_ERROR_STOP 0\nSET client_min_messages = warning;\n";
print "SET statement_timeout = '5s';\n";
for my $i (1 .. $n) {
	my $s = $stmts[int(rand(@stmts))];
	my @t = ($s =~ /("(?:[^"]|"")*"|'(?:[^']|'')*'|\w+|\S)/g);
	next unless @t;
	my $op = int(rand(4));
	my $k = int(rand(@t));
	if ($op == 0) { @t = @t[0 .. $k]; }
	elsif ($op == 1) { splice(@t, $k, 1); }
	elsif ($op == 2) { splice(@t, $k, 0, $t[$k]); }
	else { splice(@t, $k, 0, $kw[int(rand(@kw))]); }
	# psql must see where each statement ends: balanced parentheses, no lone quote.
	my $depth = 0;
	my $bad = 0;
	for my $tok (@t) {
		$depth++ if $tok eq '(';
		$depth-- if $tok eq ')';
		$bad = 1 if $depth < 0 || $tok eq "'" || $tok eq '"' || $tok eq '$';
	}
	next if $bad || $depth != 0;
	my $m = join(' ', @t);
	next if $m =~ /\b(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PREPARE|END|ABORT|DATABASE|ROLE|USER|TABLESPACE|SYSTEM|EXTENSION)\b/i;
	next if $m =~ /\$sm_fz\$|;|\\/;
	print "SELECT count(*) >= 0 AS checked FROM safemigrate.check(\$sm_fz\$$m\$sm_fz\$);\n";
	print "BEGIN;\n$m;\nROLLBACK;\n";
}
