/* companion-pg-connection.h: one libpq connection on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. A connection connects without blocking
 * (a host name looked up by GResolver, then PQconnectStart and
 * PQconnectPoll with its addresses), watches its socket with a GSource on
 * the thread-default main context of whoever made it, and runs requests in
 * pipeline mode: each request is its statements followed by one Sync, so
 * it is one implicit transaction (all or nothing) and a failed statement
 * never affects the next request. Several requests may be in flight.
 */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

#include "companion-store.h"

G_BEGIN_DECLS

/* A statement prepared once per connection, on its first use there. The
 * name must be unique for each SQL text; both must outlive the program
 * (use string literals). */
typedef struct {
  const char *name;
  const char *sql;
} CompanionPgStatement;

/* What one request runs: statements, in order, in one transaction. */
typedef struct _CompanionPgRequest CompanionPgRequest;

typedef enum {
  COMPANION_PG_READ_COMMITTED,
  COMPANION_PG_REPEATABLE_READ,
  COMPANION_PG_SERIALIZABLE,
} CompanionPgIsolation;

/* The statements and one Sync: an implicit transaction (READ COMMITTED,
 * all or nothing). */
CompanionPgRequest *companion_pg_request_new          (void);
/* The statements between BEGIN ISOLATION LEVEL @isolation and COMMIT; a
 * failure (a statement's, or the COMMIT's, such as a serialization
 * failure: UNAVAILABLE) rolls all of it back and leaves the connection
 * clean for the next request. */
CompanionPgRequest *companion_pg_request_new_transaction (CompanionPgIsolation isolation);
/* "BEGIN ISOLATION LEVEL …" */
const char         *companion_pg_isolation_begin_sql  (CompanionPgIsolation isolation);
void                companion_pg_request_free         (CompanionPgRequest         *request);
/* @params are text (NULL is SQL NULL) and copied. @sql is one statement. */
void                companion_pg_request_add          (CompanionPgRequest         *request,
                                                       const char                 *sql,
                                                       guint                       n_params,
                                                       const char *const          *params);
void                companion_pg_request_add_prepared (CompanionPgRequest         *request,
                                                       const CompanionPgStatement *statement,
                                                       guint                       n_params,
                                                       const char *const          *params);
guint               companion_pg_request_get_length   (CompanionPgRequest         *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionPgRequest, companion_pg_request_free)

#define COMPANION_TYPE_PG_CONNECTION (companion_pg_connection_get_type ())
G_DECLARE_FINAL_TYPE (CompanionPgConnection, companion_pg_connection,
                      COMPANION, PG_CONNECTION, GObject)

/* Signals:
 * "notification" (const char *channel, const char *payload): a NOTIFY on a
 *   channel this connection LISTENs to.
 * "closed" (const GError *why): the connection broke or was closed; every
 *   request in flight failed with UNAVAILABLE. Emitted once. */

/* @conninfo: any libpq connection string or URI; "" takes everything from
 * the PG* environment. It is not parsed before connecting: see
 * companion_pg_conninfo_check(). */
CompanionPgConnection *companion_pg_connection_new          (const char             *conninfo);

/* UNAVAILABLE when the server cannot be reached or refuses; the message
 * never holds the password. */
void                   companion_pg_connection_connect_async (CompanionPgConnection *self,
                                                              GCancellable          *cancellable,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
gboolean               companion_pg_connection_connect_finish (CompanionPgConnection *self,
                                                               GAsyncResult          *result,
                                                               GError               **error);

/* Sends @request (taken) at once. The result is a GPtrArray of PGresult,
 * one per statement (PQclear is its free function). Errors: a
 * COMPANION_STORE_ERROR mapped from the SQLSTATE (CONFLICT for a unique or
 * other integrity violation, UNAVAILABLE for a broken connection or a
 * serialization failure), or G_IO_ERROR_CANCELLED at once when
 * @cancellable is cancelled: the statements may still run on the server,
 * their result is dropped. */
void                   companion_pg_connection_execute_async (CompanionPgConnection *self,
                                                              CompanionPgRequest    *request,
                                                              GCancellable          *cancellable,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
GPtrArray             *companion_pg_connection_execute_finish (CompanionPgConnection *self,
                                                               GAsyncResult          *result,
                                                               GError               **error);

/* A request with no answer after @timeout_ms (0, the default: never)
 * breaks the connection: its requests fail with UNAVAILABLE and "closed"
 * is emitted. */
void                   companion_pg_connection_set_timeout   (CompanionPgConnection *self,
                                                              guint                  timeout_ms);
/* Connected and not closed. */
gboolean               companion_pg_connection_is_ready      (CompanionPgConnection *self);
/* Pipeline segments sent and not answered yet: requests, and the
 * prepares and ROLLBACKs sent for them. */
guint                  companion_pg_connection_get_n_pending (CompanionPgConnection *self);
/* @name quoted as an SQL identifier (for LISTEN); NULL when not ready. */
char                  *companion_pg_connection_quote_identifier (CompanionPgConnection *self,
                                                                 const char            *name);
/* Drops the connection: requests in flight fail with UNAVAILABLE, "closed"
 * is emitted. */
void                   companion_pg_connection_close         (CompanionPgConnection *self);

/* NULL when @conninfo is a connection string libpq can parse; else a
 * message that never quotes it (the password may be anywhere in it). */
char                  *companion_pg_conninfo_check           (const char            *conninfo);
/* @conninfo for a log: "postgresql://user@host:port/dbname", never the
 * password (from the string or the PG* environment). */
char                  *companion_pg_conninfo_redact          (const char            *conninfo);
/* @message with every occurrence of the password of @conninfo (or of
 * PGPASSWORD) replaced by "***". */
char                  *companion_pg_scrub_password           (const char            *message,
                                                              const char            *conninfo);

/* The store's error for a SQLSTATE (NULL: no SQLSTATE, a client-side or
 * connection failure). */
CompanionStoreError    companion_pg_error_code               (const char            *sqlstate);

/* Helpers for reading a result's text values. */
gint64                 companion_pg_result_get_int64         (const PGresult        *result,
                                                              int                    row,
                                                              int                    column);
/* NULL for SQL NULL. */
char                  *companion_pg_result_dup_text          (const PGresult        *result,
                                                              int                    row,
                                                              int                    column);

G_END_DECLS
