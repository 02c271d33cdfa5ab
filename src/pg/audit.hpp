/*-------------------------------------------------------------------------
 *
 * audit.hpp
 *	  The DDL audit: every DDL attempt of every session of the cluster, its
 *	  duration, the policy's action and the outcome of its transaction, as a
 *	  row of safemigrate.ddl_audit in the database safemigrate.database.
 *
 * A backend keeps the attempts of its current transaction in its own memory
 * and, when the transaction ends (commit, abort, PREPARE, or the internal
 * commits of CONCURRENTLY builds and rewrite steps), puts them into a ring
 * buffer in shared memory with their final outcome.  A background worker
 * drains the ring and inserts the rows in its own transactions, so that a
 * rollback of the audited transaction cannot take its audit rows with it.
 * See ../shared/pg-facts.md section 7.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include <cstdint>

#include "core/audit.hpp"

struct Node;
struct PlannedStmt;

namespace safemigrate::pg {

struct SmVerdict;

/* safemigrate.audit and friends (see audit.cpp). */
extern bool sm_audit;
extern char *sm_audit_database;
extern int sm_audit_queue_kb;
extern int sm_audit_statement_max;
extern char *sm_migration_id;
extern int sm_audit_log_level;

/* Define the audit settings (from sm_define_gucs, before the prefix is reserved). */
void sm_audit_define_gucs();

/*
 * From _PG_init (preloaded only): request shared memory, register the
 * background worker, install the transaction callbacks and the log hook.
 */
void sm_audit_init();

/*
 * Whether the hook audits this statement: DDL (as log_statement = ddl sees
 * it), REINDEX and VACUUM FULL, sent by a client or a function, not a
 * sub-command of another statement.  Cheap: one switch on the node tag.
 */
bool sm_audit_wanted(const Node *tree, int context) noexcept;

/* One DDL attempt (or one step of a rewrite) in the making. */
struct SmAttempt;

/*
 * Start recording an attempt: its id, start time, session facts and text.
 * attempt_id and step are 0 for a statement, the attempt's id and the step
 * number for a step of a rewrite.  C-style frame; may ereport.
 */
SmAttempt *sm_audit_begin(const PlannedStmt *pstmt, const char *query_string, std::int64_t attempt_id, int step);

/* The id of an attempt (for the steps that belong to it). */
std::int64_t sm_audit_id(const SmAttempt *a) noexcept;

/* What the classifier and the policy said.  C-style frame; may ereport. */
void sm_audit_set_verdict(SmAttempt *a, const SmVerdict *v);

/* The statements run in place of the original one.  C-style frame; may ereport. */
void sm_audit_set_executed(SmAttempt *a, const char *sql);

/* The policy action so far (rejected, warned, rewritten, overridden, allowed). */
void sm_audit_set_action(SmAttempt *a, core::AuditAction action) noexcept;
core::AuditAction sm_audit_action(const SmAttempt *a) noexcept;
/* A rule found while the statement ran (a CASCADE's drops): its id and category for the attempt's row. */
void sm_audit_add_rule(SmAttempt *a, const char *rule_id, const char *category);

/* The statement ran to its end.  May ereport (out of memory only). */
void sm_audit_succeeded(SmAttempt *a);

/*
 * The statement failed: call in PG_CATCH, before PG_RE_THROW.  Copies the
 * error's SQLSTATE and message; the action becomes failed unless the policy
 * rejected the statement.  Does not ereport.
 */
void sm_audit_failed(SmAttempt *a) noexcept;

/*
 * The attempt a (NULL: the innermost one) failed after part of its work
 * committed (what: e.g. "steps 1 to 2"): its row keeps outcome
 * aborted, the outcome of its last transaction, and its message says what
 * was committed, as "<error message> (committed before the error: <what>)".
 * Call before sm_audit_failed.  Does not ereport.
 */
void sm_audit_note_committed(SmAttempt *a, const char *what) noexcept;

/*
 * A step of the attempt a has finished (sm_audit_succeeded or _failed): its
 * lock wait and retries are added to the attempt's, and its blockers are the
 * attempt's when it has none yet.  Does not ereport.
 */
void sm_audit_add_step(SmAttempt *a, const SmAttempt *step) noexcept;

/* The lock protocol reports its waits for the innermost attempt. Does not ereport. */
void sm_audit_note_lock_wait(std::int64_t wait_us, int retries, const char *blockers) noexcept;

} // namespace safemigrate::pg
