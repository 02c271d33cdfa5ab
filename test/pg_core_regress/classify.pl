#!/usr/bin/perl
# test/pg_core_regress/classify.pl: compares runs of PostgreSQL's core
# regression suite with a baseline run and sorts every difference.
#
#   perl classify.pl --outdir DIR --rules FILE [--check] BASELINE RUN...
#
# DIR/NAME holds one pg_regress run (pg_regress.log, results/, server.log);
# FILE has one "rule-id SQLSTATE" per line (the rule catalogue).  For each
# run, a test whose status or output differs from the baseline's (two passes
# are equal, whichever expected file each matched) is diffed against the
# baseline's output, and every change group (a run of -/+ lines) is one of:
#
#   ours        the added lines are our own messages, whole: an ERROR or
#               WARNING that starts with a rule id of the catalogue, the
#               NOTICE of a rewrite ("pg_safemigrate rewrote the statement"),
#               the lock protocol's "could not lock table ... within N ms" and
#               "pg_safemigrate cancelled or terminated", each with the DETAIL,
#               HINT, CONTEXT and continuation lines that follow it; and the
#               removed lines, if any, are the output of the statement our
#               ERROR rejected (it did not run).
#   cascade     no message of ours, but a consequence of a statement we
#               rejected earlier in the run (in schedule order): the group's
#               statement, that statement's output or the removed lines name
#               a tainted relation.  Tainted are: the relations a rejected
#               statement names (as the object of TABLE, INDEX, VIEW,
#               SEQUENCE, CONSTRAINT, ON, REFERENCES, ONLY, OF, PARTITION,
#               INTO, STATISTICS, TRIGGER, POLICY, RULE, SCHEMA, RENAME TO,
#               CREATE/ALTER/DROP TYPE, DOMAIN, FUNCTION ..., in a DROP's
#               list, or quoted and schema-qualified in our message) and what
#               an earlier CREATE created together with them (the index ON a
#               table whose DROP we rejected survives too); then whatever a
#               later statement that names a tainted relation names (CREATE
#               TABLE t2 AS SELECT * FROM t1), and the statement of every
#               cascade group.  Names PostgreSQL derives from a tainted one
#               (t_pkey, t_a_key, _t) count as it.  Also a cascade: the rest
#               of a transaction block our ERROR aborted ("current transaction
#               is aborted").
#   after_rewrite
#               the same for relations a statement we rewrote (CONCURRENTLY,
#               steps) named, when no rejection explains the group.
#   known       listed in --known FILE with the reason (see that file).
#   unexplained anything else, listed in DIR/RUN/unexplained.txt (cascade.txt,
#               after_rewrite.txt and known.txt list the others).
#
# Prints one line per run:
#   pg_core_regress: mode=RUN tests=N passed=P failed=F crashes=C connection_lost=L same_as_baseline=yes|no
#                    hunks=H ours=O cascade=K after_rewrite=R known=W unexplained=U
# and one line with our messages per rule.  Crashes are server-log lines of a
# backend that died (terminated by signal, was terminated, TRAP:, PANIC:);
# connection_lost counts result files where psql lost the server.  With
# --check the exit status is 1 unless the run named off is
# the same as the baseline, no run crashed or lost a connection, and no run
# has an unexplained group.
use strict;
use warnings;
use Getopt::Long;

my ($outdir, $rulesfile, $knownfile, $check) = ('', '', '', 0);
GetOptions('outdir=s' => \$outdir, 'rules=s' => \$rulesfile, 'known=s' => \$knownfile, 'check' => \$check)
	or die "bad arguments\n";
my ($base, @runs) = @ARGV;
die "usage: classify.pl --outdir DIR --rules FILE [--check] BASELINE RUN...\n" unless $outdir && $rulesfile && $base;

my @rules;
open(my $rf, '<', $rulesfile) or die "$rulesfile: $!\n";
while (<$rf>) { push @rules, $1 if /^([a-z][a-z-]*) SM/; }
close $rf;
die "no rules in $rulesfile\n" unless @rules;
my $rule_re = join('|', map { quotemeta } @rules);

my $severity = qr/^(?:ERROR|WARNING|NOTICE|INFO|LOG|DEBUG\d?|FATAL|PANIC):  /;
my $ours_error = qr/^ERROR:  (?:(?:$rule_re): |could not lock (?:table|index|sequence|view|materialized view) ".*" with \w+ within \d+ ms|pg_safemigrate )/;
my $ours_first = qr/^(?:(?:ERROR|WARNING):  (?:$rule_re): |NOTICE:  pg_safemigrate rewrote the statement |ERROR:  could not lock (?:table|index|sequence|view|materialized view) ".*" with \w+ within \d+ ms|(?:ERROR|WARNING):  pg_safemigrate )/;

# Known differences (--known FILE): "MODE TEST STATEMENT | reason" lines; a
# group of that run and test whose statement starts with STATEMENT (its first
# line) is counted as known, with the reason, instead of unexplained.
my @known;
if ($knownfile) {
	open(my $kf, '<', $knownfile) or die "$knownfile: $!\n";
	while (<$kf>) {
		chomp;
		next if /^\s*(?:#|$)/;
		/^(\S+)\s+(\S+)\s+(.*?)\s*\|\s*(.+)$/ or die "$knownfile:$.: expected MODE TEST STATEMENT | reason\n";
		push @known, { mode => $1, test => $2, stmt => $3, reason => $4, used => 0 };
	}
	close $kf;
}

my $aborted = qr/^ERROR:  current transaction is aborted, commands ignored until end of transaction block$/;

sub slurp_lines {
	my ($f) = @_;
	open(my $fh, '<', $f) or return undef;
	my @l = <$fh>;
	close $fh;
	chomp @l;
	return \@l;
}

# name => status (ok, failed, ignored), in schedule order
sub statuses {
	my ($run) = @_;
	my (%st, @order);
	my $log = slurp_lines("$outdir/$run/pg_regress.log") or die "$outdir/$run/pg_regress.log: $!\n";
	for (@$log) {
		next unless /^(?:test |\s+)(\S+)\s+\.\.\. (ok|FAILED|failed \(ignored\))/;
		my $s = $2 eq 'ok' ? 'ok' : ($2 eq 'FAILED' ? 'failed' : 'ignored');
		push @order, $1 unless exists $st{$1};
		$st{$1} = $s;
	}
	return (\%st, \@order);
}

sub crashes {
	my ($run) = @_;
	my $log = slurp_lines("$outdir/$run/server.log") || [];
	my @c = grep { /terminated by signal|was terminated|TRAP:|PANIC:|failed assertion/ } @$log;
	my $lost = 0;
	for my $f (glob("$outdir/$run/results/*.out")) {
		my $r = slurp_lines($f) || [];
		$lost++ if grep { /server closed the connection unexpectedly|unexpected EOF|connection to server was lost/ } @$r;
	}
	return (scalar(@c), $lost, \@c);
}

# The echoed statement that produced the output at line index $i (0-based) of
# @$lines: back to the line ending in ';' before $i, then back to its start.
sub statement_before {
	my ($lines, $i) = @_;
	my $j = $i - 1;
	my $limit = 60;
	$j-- while $j >= 0 && $limit-- > 0 && $lines->[$j] !~ /;\s*(?:--.*)?$/;
	return '' if $j < 0 || $limit <= 0;
	my @stmt = ($lines->[$j]);
	my $k = $j - 1;
	while ($k >= 0 && @stmt < 25) {
		my $l = $lines->[$k];
		last if $l =~ /;\s*(?:--.*)?$/ || $l =~ /^\s*$/ || $l =~ /^--/ || $l =~ $severity
			|| $l =~ /^(?:DETAIL|HINT|CONTEXT|QUERY|LINE \d+):/ || $l =~ /^\(\d+ rows?\)$/;
		unshift @stmt, $l;
		$k--;
	}
	return join("\n", @stmt);
}

my $ident = qr/(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_\$]*)/;
my $qname = qr/(?:$ident\.)?$ident/;

sub norm {
	my ($n) = @_;
	return $n =~ /^"(.*)"$/ ? $1 : lc $n;
}

# A name and, when qualified by a schema other than public, its schema.
sub add_qname {
	my ($n, $q) = @_;
	my @parts = split /\./, $q;
	$n->{ norm($parts[-1]) } = 1;
	$n->{ norm($parts[0]) } = 1 if @parts > 1 && lc($parts[0]) ne 'public' && lc($parts[0]) ne 'pg_catalog';
}

# Relation-like names a statement (and our message) refers to.
sub names_in {
	my ($stmt, @msgs) = @_;
	my %n;
	my $s = $stmt;
	$s =~ s/--[^\n]*//g;
	# Only statements that create, change or fill objects name them here
	# (a SELECT's JOIN ... ON names columns); lines before the statement's first keyword are dropped.
	if ($s =~ /^\s*((?:CREATE|ALTER|DROP|INSERT|TRUNCATE|CLUSTER|REINDEX|COMMENT|GRANT|REVOKE|LOCK)\b.*)/msi
		|| $s =~ /^\s*(SELECT\b[^;]*\bINTO\b.*)/msi) {
		$s = $1;
	} else {
		$s = '';
	}
	while ($s =~ /\b(?:TABLE|INDEX|VIEW|SEQUENCE|CONSTRAINT|ON|REFERENCES|ONLY|OF|PARTITION|INTO|STATISTICS|TRIGGER|POLICY|RULE|SCHEMA)\s+(?:(?:IF\s+(?:NOT\s+)?EXISTS|ONLY|CONCURRENTLY)\s+)*($qname)/gi) {
		add_qname(\%n, $1);
	}
	while ($s =~ /\b(?:CREATE|ALTER|DROP)\s+(?:TYPE|DOMAIN|FUNCTION|PROCEDURE|MATERIALIZED\s+VIEW|FOREIGN\s+TABLE)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?($qname)/gi) {
		add_qname(\%n, $1);
	}
	while ($s =~ /\bRENAME\s+TO\s+($qname)/gi) {
		add_qname(\%n, $1);
	}
	while ($s =~ /\bDROP\s+(?:TABLE|INDEX|VIEW|SEQUENCE|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?((?:$qname\s*,\s*)*$qname)/gi) {
		add_qname(\%n, $_) for split /\s*,\s*/, $1;
	}
	# Words that the keyword patterns catch but that name nothing.
	delete @n{qw(table index view sequence constraint only of partition into values select conflict update delete
		insert commit drop foreign primary unique check not null default the on using to as for set add with where
		from if exists concurrently public pg_catalog pg_temp information_schema relname relation column comment by
		trigger function type schema role database range list hash key system all each row statement when cascade
		restrict owned data attribute)};
	delete @n{ grep { length($_) < 2 || /^pg_/ } keys %n };
	# The relation our message names (quoted and schema-qualified), however short its name.
	for my $m (@msgs) {
		while ($m =~ /"([^"]+)\.([^"]+)"/g) {
			$n{$2} = 1;
			$n{$1} = 1 unless $1 eq 'public';
		}
	}
	return \%n;
}

sub mentions {
	my ($text, $taint) = @_;
	for my $w ($text =~ /("[^"]+"|[A-Za-z_][A-Za-z0-9_\$]*)/g) {
		my $n = norm($w);
		return $w if $taint->{$n};
		# A table's array type is its name with a leading underscore.
		$n =~ s/^_+//;
		return $w if $taint->{$n};
		# Names PostgreSQL derives from a table's (constraints, indexes, sequences).
		if ($n =~ /_(?:key|pkey|fkey|check|idx|seq|excl|not_null)$/) {
			my @p = split /_/, $n;
			for my $k (1 .. $#p) {
				return $w if $taint->{ join('_', @p[0 .. $k - 1]) };
			}
		}
	}
	return undef;
}

# Classify the change groups of one test's diff; returns counts and appends details.
sub classify_test {
	my ($run, $test, $cnt, $rules_seen, $details, $taint) = @_;
	my $old = "$outdir/$base/results/$test.out";
	my $new = "$outdir/$run/results/$test.out";
	my $newlines = slurp_lines($new) || [];
	$old = '/dev/null' unless -f $old;
	$new = '/dev/null' unless -f $new;
	open(my $dp, '-|', 'diff', '-U3', $old, $new) or die "diff: $!\n";
	my @groups;    # each: { pos => new-file index of its first line, minus => [...], plus => [...] }
	my ($newpos, $g) = (0, undef);
	while (my $l = <$dp>) {
		chomp $l;
		next if $l =~ /^(?:---|\+\+\+) /;
		if ($l =~ /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/) {
			$newpos = $1 - 1;
			$newpos = 0 if $newpos < 0;
			$g = undef;
			next;
		}
		my $c = substr($l, 0, 1);
		my $text = substr($l, 1);
		if ($c eq '-' || $c eq '+') {
			if (!$g) {
				$g = { pos => $newpos, minus => [], plus => [] };
				push @groups, $g;
			}
			push @{ $g->{ $c eq '-' ? 'minus' : 'plus' } }, $text;
			$newpos++ if $c eq '+';
		} else {
			$g = undef;
			$newpos++;
		}
	}
	close $dp;

	# Every echoed statement of the file (index of its last line, text), for
	# carrying the taint through statements whose output did not change.
	my @stmts;
	for my $i (0 .. $#$newlines) {
		my $l = $newlines->[$i];
		next unless $l =~ /;\s*(?:--.*)?$/;
		next if $l =~ $severity || $l =~ /^(?:DETAIL|HINT|CONTEXT|QUERY|LINE \d+):/;
		push @stmts, [ $i, statement_before($newlines, $i + 1) ];
	}
	my $next_stmt = 0;
	my $rejected_here = 0;
	my $rewrites = $taint->{'  rewritten'} ||= {};
	my $deps = $taint->{'  created with'} ||= {};
	# Statements up to line index $upto: one that names a tainted relation
	# taints what it names (CREATE TABLE t2 AS SELECT * FROM t1, ATTACH
	# PARTITION, REFERENCES); a CREATE records which names it created together
	# (an index ON t, a partition OF t), for a later rejected DROP of t.
	my $scan = sub {
		my ($upto) = @_;
		while ($next_stmt < @stmts && $stmts[$next_stmt][0] < $upto) {
			my $st = $stmts[$next_stmt++][1];
			my $n = names_in($st);
			if (mentions($st, $taint)) {
				$taint->{$_} = 1 for keys %$n;
			}
			if ($st =~ /^\s*CREATE\b/mi && keys %$n > 1) {
				for my $a (keys %$n) { $deps->{$_}{$a} = 1 for grep { $_ ne $a } keys %$n; }
			}
		}
	};
	# Taint names, and what was created together with them before.
	my $taint_names = sub {
		my @todo = @_;
		while (defined(my $x = shift @todo)) {
			next if $taint->{$x};
			$taint->{$x} = 1;
			push @todo, keys %{ $deps->{$x} || {} };
		}
	};
	for my $grp (@groups) {
		$cnt->{hunks}++;
		$scan->($grp->{pos});
		# Take our message blocks out of the added lines.
		my (@left_plus, $has_ours, $has_ours_error, $has_rewrite, @ourmsgs);
		my $in_block = 0;
		for my $l (@{ $grp->{plus} }) {
			if ($l =~ $ours_first) {
				$in_block = 1;
				$has_ours = 1;
				push @ourmsgs, $l;
				$has_ours_error = 1 if $l =~ $ours_error;
				if ($l =~ /^(?:ERROR|WARNING):  ($rule_re): /) { $rules_seen->{"$1"}++; }
				elsif ($l =~ /^NOTICE:  pg_safemigrate rewrote the statement \(rule ([a-z-]+)\)/) {
					$rules_seen->{"$1 (rewritten)"}++;
					$has_rewrite = 1;
				}
				elsif ($l =~ /could not lock /) { $rules_seen->{'lock protocol: could not lock'}++; }
				else { $rules_seen->{'other pg_safemigrate message'}++; }
				next;
			}
			if ($in_block && $l !~ $severity) {
				push @ourmsgs, $l if $l =~ /^DETAIL:/;
				next;
			}
			$in_block = 0;
			push @left_plus, $l;
		}
		my @left_minus = @{ $grp->{minus} };
		@left_minus = () if $has_ours_error && !@left_plus;    # the rejected statement's own output
		my $stmt = statement_before($newlines, $grp->{pos});
		if ($has_ours_error) {
			my $n = names_in($stmt, @ourmsgs);
			$taint_names->(keys %$n);
			$rejected_here = 1;
		}
		if ($has_rewrite) {
			my $n = names_in($stmt, @ourmsgs);
			$rewrites->{$_} = 1 for keys %$n;
		}
		if (!@left_plus && !@left_minus) {
			$cnt->{ours}++;
			next;
		}
		# The group's statement, its whole output in this run, and the removed lines.
		my $from = $grp->{pos};
		$from-- while $from > 0 && $grp->{pos} - $from < 60 && $newlines->[ $from - 1 ] !~ /;\s*(?:--.*)?$/;
		my $to = $grp->{pos} + @{ $grp->{plus} };
		$to++ while $to < @$newlines && $to - $grp->{pos} < 60 && $newlines->[$to] !~ /^\s*$/;
		my $scope = join("\n", $stmt, @$newlines[ $from .. ($to < @$newlines ? $to : $#$newlines) ], @left_minus);
		my $why = mentions($scope, $taint);
		$why = "\"$why\"" if defined $why;
		# Our ERROR inside a transaction block: what follows until its end is not run.
		$why = 'transaction aborted by our error'
			if !defined $why && $rejected_here && @left_plus && !grep { !/$aborted/ } @left_plus;
		if (defined $why) {
			$cnt->{cascade}++;
			my $n = names_in($stmt);
			$taint->{$_} = 1 for keys %$n;
			push @{ $details->{cascade} }, "$test:" . ($grp->{pos} + 1) . " ($why)\n"
				. "  statement: " . join("\n  ", split /\n/, $stmt) . "\n"
				. join('', map { "  -$_\n" } @left_minus) . join('', map { "  +$_\n" } @left_plus);
			next;
		}
		# A statement we ran in its safe form (CONCURRENTLY, NOT VALID + VALIDATE):
		# what differs later about the objects it named.
		my $rw = mentions($scope, $rewrites);
		if (defined $rw) {
			$cnt->{after_rewrite}++;
			push @{ $details->{after_rewrite} }, "$test:" . ($grp->{pos} + 1) . " (\"$rw\" was the object of a rewritten statement)\n"
				. "  statement: " . join("\n  ", split /\n/, $stmt) . "\n"
				. join('', map { "  -$_\n" } @left_minus) . join('', map { "  +$_\n" } @left_plus);
			next;
		}
		my $first = (split /\n/, $stmt)[0] // '';
		$first =~ s/^\s+|\s+$//g;
		if (my ($k) = grep { $_->{mode} eq $run && $_->{test} eq $test && index($first, $_->{stmt}) == 0 } @known) {
			$cnt->{known}++;
			$k->{used}++;
			push @{ $details->{known} }, "$test:" . ($grp->{pos} + 1) . " ($k->{reason})\n"
				. join('', map { "  -$_\n" } @left_minus) . join('', map { "  +$_\n" } @left_plus);
			next;
		}
		$cnt->{unexplained}++;
		push @{ $details->{unexplained} }, "$test:" . ($grp->{pos} + 1) . ($has_ours ? " (after a message of ours)" : '')
			. "\n  statement: " . join("\n  ", split /\n/, $stmt) . "\n"
			. join('', map { "  -$_\n" } @left_minus) . join('', map { "  +$_\n" } @left_plus);
	}
	$scan->(scalar @$newlines);
}

my ($bst, $border) = statuses($base);
my ($bcrash, $blost) = crashes($base);
my $bpass = grep { $bst->{$_} ne 'failed' } keys %$bst;
printf "pg_core_regress: mode=%s tests=%d passed=%d failed=%d crashes=%d connection_lost=%d\n",
	$base, scalar(@$border), $bpass, scalar(@$border) - $bpass, $bcrash, $blost;
my $status = 0;
$status = 1 if $bcrash || $blost;

for my $run (@runs) {
	my ($st, $order) = statuses($run);
	my ($ncrash, $lost, $crashlines) = crashes($run);
	my %cnt = (hunks => 0, ours => 0, cascade => 0, after_rewrite => 0, known => 0, unexplained => 0);
	my (%rules_seen, %details);
	my $same = 1;
	my %taint;    # relations a statement we rejected (or one it made fail) named, in schedule order
	my %all = map { $_ => 1 } (@$border, @$order);
	my @tests = (@$border, grep { !exists $bst->{$_} } @$order);
	for my $t (@tests) {
		my $a = $bst->{$t} // 'missing';
		my $b = $st->{$t} // 'missing';
		# An ignored test (random) is compared like a passing one.
		my $aok = $a eq 'ok' || $a eq 'ignored';
		my $bok = $b eq 'ok' || $b eq 'ignored';
		next if $aok && $bok;
		my $o = "$outdir/$base/results/$t.out";
		my $n = "$outdir/$run/results/$t.out";
		if ($a eq $b && -f $o && -f $n && system('cmp', '-s', $o, $n) == 0) {
			next;
		}
		$same = 0;
		classify_test($run, $t, \%cnt, \%rules_seen, \%details, \%taint);
	}
	my $pass = grep { $st->{$_} ne 'failed' } keys %$st;
	printf "pg_core_regress: mode=%s tests=%d passed=%d failed=%d crashes=%d connection_lost=%d same_as_baseline=%s hunks=%d ours=%d cascade=%d after_rewrite=%d known=%d unexplained=%d\n",
		$run, scalar(@$order), $pass, scalar(@$order) - $pass, $ncrash, $lost, $same ? 'yes' : 'no',
		@cnt{qw(hunks ours cascade after_rewrite known unexplained)};
	if (%rules_seen) {
		print "  messages of ours ($run): ", join(', ', map { "$_=$rules_seen{$_}" } sort keys %rules_seen), "\n";
	}
	print "  $_\n" for @$crashlines;
	for my $kind (qw(unexplained cascade after_rewrite known)) {
		my $f = "$outdir/$run/$kind.txt";
		open(my $fh, '>', $f) or die "$f: $!\n";
		print $fh @{ $details{$kind} || [] } ? join("\n", @{ $details{$kind} }) : "none\n";
		close $fh;
	}
	print "  unexplained groups: $outdir/$run/unexplained.txt\n" if $cnt{unexplained};
	$status = 1 if $ncrash || $lost || $cnt{unexplained} || ($run eq 'off' && !$same);

}
exit($check ? $status : 0);
