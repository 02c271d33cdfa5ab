-- test/cli/dev_stub.sql: DEVELOPMENT STAND-IN ONLY -- NOT part of the extension, NEVER loaded by run.sh.
--
-- A rough PL/pgSQL imitation of safemigrate.check(text) and safemigrate.check_header(text), with the
-- signatures the real extension will provide, so that tools/pg_safemigrate and test/cli/run.sh can be
-- developed on a throwaway cluster before the C++ classifier exists.  It splits the script on ';'
-- outside quotes, dollar quotes and comments (statement text as the raw parser's stmt_location /
-- stmt_len give it: leading comments kept, ';' dropped, trimmed), and guesses verdicts from the
-- statement's first words (after leading comments).
-- Its verdicts are NOT the extension's: only the shape of the result is meant to match.
--
-- Load it by hand into a scratch database of a throwaway cluster:
--     psql -X -v ON_ERROR_STOP=1 -d DB -f test/cli/dev_stub.sql
-- Never load it into a database where the extension is (or will be) installed: it creates the schema
-- "safemigrate" that CREATE EXTENSION pg_safemigrate must own.

CREATE SCHEMA IF NOT EXISTS safemigrate;

CREATE OR REPLACE FUNCTION safemigrate.check(migration text)
RETURNS TABLE (stmt_no int, statement text, command text, relation text, lock_mode text,
               rewrites bool, scans bool, breaks_clients bool, category text, rule text,
               verdict text, reason text, safe_sql text)
LANGUAGE plpgsql STABLE STRICT AS $stub$
DECLARE
	n int := length(migration);
	i int := 1;
	ch text;
	nxt text;
	tag text;
	j int;
	st int := 0;          -- start of the current statement's first token, 0 = none yet
	seg int := 1;         -- start of the current segment: just after the previous ';'
	pieces text[] := '{}';
	starts int[] := '{}';
	p int;
	s text;
	w text;
	up text;
	body text;
	rel text;
	populated bool;
BEGIN
	-- 1. split on ';' outside '...', E'...', "...", $tag$...$tag$, -- and /* */ comments
	WHILE i <= n LOOP
		ch := substr(migration, i, 1);
		nxt := substr(migration, i + 1, 1);
		IF ch = '-' AND nxt = '-' THEN
			j := strpos(substr(migration, i), E'\n');
			i := CASE WHEN j = 0 THEN n + 1 ELSE i + j END;
			CONTINUE;
		ELSIF ch = '/' AND nxt = '*' THEN
			j := strpos(substr(migration, i + 2), '*/');
			i := CASE WHEN j = 0 THEN n + 1 ELSE i + 2 + j + 1 END;
			CONTINUE;
		ELSIF ch ~ '\s' THEN
			i := i + 1;
			CONTINUE;
		END IF;
		IF st = 0 THEN
			st := i;
		END IF;
		IF ch = ';' THEN
			-- like the raw parser's stmt_location/stmt_len: from just after the previous ';'
			-- (leading comments included) up to this ';' (excluded), then trimmed
			IF st <> i THEN
				pieces := pieces || btrim(substr(migration, seg, i - seg), E' \t\r\n');
				starts := starts || st;
			END IF;
			st := 0;
			i := i + 1;
			seg := i;
		ELSIF ch = '''' THEN
			-- E'...' allows backslash escapes
			IF i > 1 AND upper(substr(migration, i - 1, 1)) = 'E'
			   AND (i = 2 OR substr(migration, i - 2, 1) !~ '[[:alnum:]_]') THEN
				i := i + 1;
				WHILE i <= n LOOP
					ch := substr(migration, i, 1);
					IF ch = '\' THEN i := i + 2;
					ELSIF ch = '''' AND substr(migration, i + 1, 1) = '''' THEN i := i + 2;
					ELSIF ch = '''' THEN EXIT;
					ELSE i := i + 1;
					END IF;
				END LOOP;
				i := i + 1;
			ELSE
				LOOP
					j := strpos(substr(migration, i + 1), '''');
					IF j = 0 THEN i := n + 1; EXIT; END IF;
					i := i + j + 1;
					EXIT WHEN substr(migration, i, 1) <> '''';
					i := i + 1;
				END LOOP;
			END IF;
		ELSIF ch = '"' THEN
			j := strpos(substr(migration, i + 1), '"');
			i := CASE WHEN j = 0 THEN n + 1 ELSE i + j + 1 END;
		ELSIF ch = '$' AND substr(migration, i) ~ '^\$([A-Za-z_][A-Za-z0-9_]*)?\$'
		      AND (i = 1 OR substr(migration, i - 1, 1) !~ '[[:alnum:]_]') THEN
			tag := substring(substr(migration, i) FROM '^(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)');
			j := strpos(substr(migration, i + length(tag)), tag);
			i := CASE WHEN j = 0 THEN n + 1 ELSE i + length(tag) + j - 1 + length(tag) END;
		ELSE
			i := i + 1;
		END IF;
	END LOOP;
	IF st > 0 THEN
		pieces := pieces || btrim(substr(migration, seg), E' \t\r\n');
		starts := starts || st;
	END IF;

	-- 2. a statement starting with a word that is no SQL keyword is a syntax error: let the real
	--    parser report it, with its position in the whole script (the text before the statement is
	--    blanked, so nothing can run: a syntax error stops the parse before anything executes).
	FOR p IN 1 .. coalesce(array_length(pieces, 1), 0) LOOP
		w := lower(substring(substr(migration, starts[p]) FROM '^[A-Za-z_]+'));
		IF w IS NOT NULL AND NOT EXISTS (SELECT FROM pg_get_keywords() k WHERE k.word = w) THEN
			EXECUTE regexp_replace(left(migration, starts[p] - 1), '\S', ' ', 'g') || substr(migration, starts[p]);
			RAISE EXCEPTION 'syntax error at or near "%"', w USING ERRCODE = 'syntax_error';
		END IF;
	END LOOP;

	-- 3. plausible rows
	FOR p IN 1 .. coalesce(array_length(pieces, 1), 0) LOOP
		s := pieces[p];
		body := regexp_replace(s, '^(\s|--[^\n]*|/\*([^*]|\*+[^*/])*\*+/)*', '');
		up := upper(regexp_replace(body, '\s+', ' ', 'g'));
		stmt_no := p;
		statement := s;
		command := substring(up FROM '^(CREATE UNIQUE INDEX|[A-Z]+(?: [A-Z]+)?)');
		relation := NULL; lock_mode := NULL; rule := NULL; reason := NULL; safe_sql := NULL;
		rewrites := false; scans := false; breaks_clients := false;
		category := 'instant-safe'; verdict := 'allow';
		IF up ~ '^CREATE (UNIQUE )?INDEX ' AND up !~ '^CREATE (UNIQUE )?INDEX CONCURRENTLY' THEN
			command := 'CREATE INDEX';
			rel := substring(s FROM '(?i)\sON\s+(?:ONLY\s+)?([A-Za-z0-9_."]+)');
			relation := rel;
			lock_mode := 'ShareLock';
			scans := true;
			category := 'concurrent';
			populated := false;
			IF to_regclass(rel) IS NOT NULL THEN
				EXECUTE format('SELECT EXISTS (SELECT FROM %s)', to_regclass(rel)) INTO populated;
			END IF;
			IF populated THEN
				verdict := 'reject';
				rule := 'create-index-blocking';
				reason := format(E'CREATE INDEX without CONCURRENTLY takes a ShareLock on "%s":\nINSERT, UPDATE and DELETE wait until the whole table has been read and the index built.', rel);
				safe_sql := regexp_replace(s, '(?i)(\mINDEX)', '\1 CONCURRENTLY');
			END IF;
		ELSIF up ~ '^CREATE (UNIQUE )?INDEX CONCURRENTLY' THEN
			command := 'CREATE INDEX';
			relation := substring(s FROM '(?i)\sON\s+(?:ONLY\s+)?([A-Za-z0-9_."]+)');
			lock_mode := 'ShareUpdateExclusiveLock';
			scans := true;
			category := 'concurrent';
		ELSIF up ~ '^CREATE TABLE' THEN
			relation := substring(body FROM '(?i)^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_."]+)');
			lock_mode := 'AccessExclusiveLock';
		ELSIF up ~ '^ALTER TABLE' THEN
			relation := substring(body FROM '(?i)^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([A-Za-z0-9_."]+)');
			lock_mode := 'AccessExclusiveLock';
			IF up ~ ' ALTER (COLUMN )?\S+ (SET DATA )?TYPE ' THEN
				rewrites := true; scans := true; breaks_clients := true;
				category := 'expand-contract'; verdict := 'reject'; rule := 'alter-column-type';
				reason := 'ALTER COLUMN ... TYPE rewrites the table under an AccessExclusiveLock';
			ELSIF up ~ ' FOREIGN KEY ' AND up !~ ' NOT VALID' THEN
				scans := true; category := 'concurrent'; verdict := 'rewrite'; rule := 'add-foreign-key-validating';
				lock_mode := 'ShareRowExclusiveLock';
				reason := 'ADD FOREIGN KEY validates every row while holding a ShareRowExclusiveLock';
				safe_sql := s || E' NOT VALID;\n'
					|| format('ALTER TABLE %s VALIDATE CONSTRAINT %s;', relation,
					          coalesce(substring(s FROM '(?i)ADD\s+CONSTRAINT\s+(\S+)'), 'the_constraint'));
			ELSIF up ~ ' DROP COLUMN ' THEN
				breaks_clients := true; category := 'expand-contract'; verdict := 'warn'; rule := 'drop-column';
				reason := 'clients that still read the column fail once it is gone';
			END IF;
		END IF;
		RETURN NEXT;
		-- like the extension, one row per relation the statement locks
		IF rule = 'add-foreign-key-validating' THEN
			relation := substring(body FROM '(?i)REFERENCES\s+([A-Za-z0-9_."]+)');
			verdict := 'allow'; rule := NULL; reason := NULL; safe_sql := NULL; scans := false;
			RETURN NEXT;
		END IF;
	END LOOP;
END
$stub$;

CREATE OR REPLACE FUNCTION safemigrate.check_header(migration text)
RETURNS text
LANGUAGE sql STABLE STRICT AS $stub$
	SELECT '-- safemigrate: ' || coalesce((
		SELECT c.category FROM safemigrate.check(migration) c
		ORDER BY array_position(ARRAY['expand-contract', 'concurrent', 'instant-safe'], c.category)
		LIMIT 1), 'instant-safe')
$stub$;

COMMENT ON FUNCTION safemigrate.check(text) IS 'DEVELOPMENT STAND-IN from test/cli/dev_stub.sql, not the extension';
COMMENT ON FUNCTION safemigrate.check_header(text) IS 'DEVELOPMENT STAND-IN from test/cli/dev_stub.sql, not the extension';
