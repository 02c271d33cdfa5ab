-- test/oracle/documented.sql: statements the observer cannot run in a subtransaction.
--
-- CREATE/DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, DETACH PARTITION ... CONCURRENTLY, VACUUM,
-- REINDEX / CLUSTER of a partitioned table and REINDEX SCHEMA all call PreventInTransactionBlock()
-- (xact.c) or commit internally, so observe.sql's BEGIN ... EXCEPTION block cannot host them. Their
-- expected strongest lock per relation and rewrite flag are written here from PostgreSQL 15's source
-- (function names as in /work/shared/pg-facts.md sections 2-4) and documentation ("Explicit
-- Locking", the statements' reference pages). compare.sql checks safemigrate.check() against these
-- rows exactly like against the observed ones.
--
-- The lock is the strongest one the statement holds on the relation at any point (for the
-- multi-transaction commands: in any of their transactions, session locks included). probe.sql
-- (optional, needs dblink) runs each statement for real in a scratch database and confirms the
-- FIRST lock mode it requests on each listed relation and whether relfilenodes changed; its results
-- are in observed_pg15.txt and NOTES.md.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DROP TABLE IF EXISTS oracle.documented;
CREATE TABLE oracle.documented (
	id           int NOT NULL,
	stmt         text NOT NULL,
	relation     text NOT NULL,
	lock_mode    text NOT NULL,
	rewrites     bool NOT NULL,
	index_locks  text,            -- locks / rebuilds on indexes, free text
	source       text NOT NULL,   -- where in PG15 this comes from
	PRIMARY KEY (id, relation)
);

INSERT INTO oracle.documented (id, stmt, relation, lock_mode, rewrites, index_locks, source) VALUES
(2001, $$CREATE INDEX CONCURRENTLY parent_created_at_idx ON oracle.parent (created_at)$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'new index: built in phase 2, validated in phase 3; no lock blocks writers',
       'utility.c ProcessUtilitySlow T_IndexStmt: lockmode = concurrent ? ShareUpdateExclusiveLock : ShareLock; indexcmds.c DefineIndex: LockRelationIdForSession(SUE), WaitForLockers(ShareLock) twice, WaitForOlderSnapshots; docs CREATE INDEX "Building Indexes Concurrently"'),
(2002, $$CREATE UNIQUE INDEX CONCURRENTLY parent_email_uidx ON oracle.parent (email)$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'new unique index (INVALID if a duplicate is found)',
       'as 2001 (indexcmds.c DefineIndex)'),
(2003, $$CREATE INDEX CONCURRENTLY parent_stats_cc_idx ON oracle.parent_stats (child_count)$$,
       'oracle.parent_stats', 'ShareUpdateExclusiveLock', false,
       'new index on the materialized view',
       'as 2001; matviews accept CONCURRENTLY (indexcmds.c DefineIndex)'),
(2004, $$DROP INDEX CONCURRENTLY oracle.parent_name_idx$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'parent_name_idx: ShareUpdateExclusiveLock, then AccessExclusiveLock on the index only after WaitForLockers(AccessExclusiveLock) twice',
       'tablecmds.c RemoveRelations / RangeVarCallbackForDropRelation: heap_lockmode = concurrent ? ShareUpdateExclusiveLock : AccessExclusiveLock; index.c index_drop (concurrent: set indisvalid=false, commit, WaitForLockers, indisready=false, commit, WaitForLockers, then AccessExclusiveLock on the index)'),
(2005, $$REINDEX INDEX CONCURRENTLY oracle.parent_name_idx$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'parent_name_idx: ShareUpdateExclusiveLock (session); replaced by a new index (new relfilenode) built, validated and swapped; old one dropped concurrently',
       'indexcmds.c ReindexIndex -> ReindexRelationConcurrently: session ShareUpdateExclusiveLock on table and indexes, WaitForLockersMultiple(ShareLock) and (AccessExclusiveLock) phases, index_concurrently_swap, index_drop(concurrent)'),
(2006, $$REINDEX TABLE CONCURRENTLY oracle.parent$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'every index of parent (and its toast index) rebuilt as in 2005',
       'indexcmds.c ReindexTable -> ReindexRelationConcurrently'),
(2007, $$ALTER TABLE oracle.metrics DETACH PARTITION oracle.metrics_b CONCURRENTLY$$,
       'oracle.metrics', 'ShareUpdateExclusiveLock', false, NULL,
       'tablecmds.c AlterTableGetLockLevel AT_DetachPartition: concurrent ? ShareUpdateExclusiveLock : AccessExclusiveLock; utility.c ProcessUtilitySlow PreventInTransactionBlock("ALTER TABLE ... DETACH CONCURRENTLY"); refused with a default partition ("cannot detach partitions concurrently when a default partition exists", ATExecDetachPartition), hence metrics, not events'),
(2007, $$ALTER TABLE oracle.metrics DETACH PARTITION oracle.metrics_b CONCURRENTLY$$,
       'oracle.metrics_b', 'AccessExclusiveLock', false, NULL,
       'tablecmds.c ATExecDetachPartition: first transaction opens the partition with ShareUpdateExclusiveLock; after WaitForLockersMultiple(AccessExclusiveLock) the second transaction re-opens it with AccessExclusiveLock ("we will acquire AccessExclusiveLock below"); probe.sql: first rung (AccessShare held) already waits for AccessExclusiveLock'),
(2008, $$VACUUM oracle.parent$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false,
       'indexes vacuumed in place',
       'vacuum.c vacuum_rel: lmode = (options & VACOPT_FULL) ? AccessExclusiveLock : ShareUpdateExclusiveLock'),
(2009, $$VACUUM (ANALYZE) oracle.parent$$,
       'oracle.parent', 'ShareUpdateExclusiveLock', false, NULL,
       'vacuum.c vacuum_rel (SUE), analyze.c analyze_rel (SUE)'),
(2010, $$VACUUM FULL oracle.parent$$,
       'oracle.parent', 'AccessExclusiveLock', true,
       'all indexes rebuilt (new relfilenodes) under the table''s AccessExclusiveLock',
       'vacuum.c vacuum_rel (AccessExclusiveLock for FULL) -> cluster.c cluster_rel -> rebuild_relation: make_new_heap, copy_table_data, finish_heap_swap (reindex_relation)'),
(2011, $$VACUUM FULL oracle.parent_stats$$,
       'oracle.parent_stats', 'AccessExclusiveLock', true,
       'parent_stats_id_idx rebuilt',
       'as 2010 (matviews are vacuumed like tables)'),
(2012, $$VACUUM FULL oracle.events$$,
       'oracle.events_2023', 'AccessExclusiveLock', true, 'partition indexes rebuilt',
       'vacuum.c expand_vacuum_rel: find_all_inheritors, one transaction per partition; vacuum_rel (AccessExclusiveLock for FULL) -> cluster_rel'),
(2012, $$VACUUM FULL oracle.events$$,
       'oracle.events_2024', 'AccessExclusiveLock', true, 'partition indexes rebuilt', 'as above'),
(2012, $$VACUUM FULL oracle.events$$,
       'oracle.events_default', 'AccessExclusiveLock', true, 'partition indexes rebuilt', 'as above'),
(2012, $$VACUUM FULL oracle.events$$,
       'oracle.events', 'AccessExclusiveLock', false, NULL,
       'vacuum.c vacuum_rel opens the partitioned parent with lmode too, then returns ("no work to be done"); expand_vacuum_rel first takes AccessShareLock on it'),
(2013, $$REINDEX TABLE oracle.events$$,
       'oracle.events_2023', 'ShareLock', false, 'each partition''s indexes: AccessExclusiveLock, rebuilt (new relfilenodes)',
       'indexcmds.c ReindexTable -> ReindexPartitions (PreventInTransactionBlock "REINDEX TABLE"; one transaction per partition) -> reindex_relation: ShareLock on the table, AccessExclusiveLock on each index (index.c reindex_index)'),
(2013, $$REINDEX TABLE oracle.events$$,
       'oracle.events_2024', 'ShareLock', false, 'as above', 'as above'),
(2013, $$REINDEX TABLE oracle.events$$,
       'oracle.events_default', 'ShareLock', false, 'as above', 'as above'),
(2013, $$REINDEX TABLE oracle.events$$,
       'oracle.events', 'ShareLock', false, NULL,
       'indexcmds.c ReindexTable: RangeVarGetRelidExtended(relation, ShareLock, ...) on the partitioned table before ReindexPartitions'),
(2014, $$CLUSTER oracle.events USING events_pkey$$,
       'oracle.events_2023', 'AccessExclusiveLock', true, 'partition indexes rebuilt',
       'cluster.c cluster (PG15: partitioned tables allowed, PreventInTransactionBlock "CLUSTER", one transaction per partition, cluster_rel with AccessExclusiveLock)'),
(2014, $$CLUSTER oracle.events USING events_pkey$$,
       'oracle.events_2024', 'AccessExclusiveLock', true, 'partition indexes rebuilt', 'as above'),
(2014, $$CLUSTER oracle.events USING events_pkey$$,
       'oracle.events_default', 'AccessExclusiveLock', true, 'partition indexes rebuilt', 'as above'),
(2014, $$CLUSTER oracle.events USING events_pkey$$,
       'oracle.events', 'AccessExclusiveLock', false, NULL,
       'cluster.c cluster: RangeVarGetRelidExtended(stmt->relation, AccessExclusiveLock, ...) "to avoid lock-upgrade hazard", also for a partitioned table, in the first transaction; probe.sql confirms'),
(2015, $$REINDEX INDEX oracle.events_payload_idx$$,
       'oracle.events_2023', 'ShareLock', false, 'partition index AccessExclusiveLock, rebuilt',
       'indexcmds.c ReindexIndex -> ReindexPartitions (partitioned index; PreventInTransactionBlock "REINDEX INDEX") -> reindex_index: ShareLock on the heap, AccessExclusiveLock on the index'),
(2015, $$REINDEX INDEX oracle.events_payload_idx$$,
       'oracle.events_2024', 'ShareLock', false, 'as above', 'as above'),
(2015, $$REINDEX INDEX oracle.events_payload_idx$$,
       'oracle.events_default', 'ShareLock', false, 'as above', 'as above'),
(2015, $$REINDEX INDEX oracle.events_payload_idx$$,
       'oracle.events', 'ShareLock', false, 'events_payload_idx (partitioned index, no storage)',
       'indexcmds.c ReindexIndex: RangeVarCallbackForReindexIndex locks the index''s table with ShareLock (ShareUpdateExclusiveLock if CONCURRENTLY) before the index');
