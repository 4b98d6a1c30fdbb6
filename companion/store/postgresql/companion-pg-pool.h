/* companion-pg-pool.h: a few PostgreSQL connections and a queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. The pool keeps @size connections for
 * requests and, once something LISTENs, one more for notifications. A
 * request goes to the connected connection with the fewest requests in
 * flight (at most the pipeline depth each), else waits in a queue. A
 * connection that breaks is made again after a backoff (doubling up to a
 * maximum, with jitter); while no connection is up, requests fail at once
 * with UNAVAILABLE instead of waiting.
 */
#pragma once

#include <gio/gio.h>

#include "companion-pg-connection.h"
#include "companion-pg-transaction.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_PG_POOL (companion_pg_pool_get_type ())
G_DECLARE_FINAL_TYPE (CompanionPgPool, companion_pg_pool, COMPANION, PG_POOL, GObject)

/* Signals:
 * "notification" (const char *channel, const char *payload): a NOTIFY on
 *   a channel given to companion_pg_pool_listen().
 * "reconnected" (): the LISTEN connection was lost and is subscribed
 *   again; notifications sent in between are lost, so read what changed.
 * Property "available" (gboolean, read-only): at least one connection for
 *   requests is up. */

/* @conninfo: any libpq connection string or URI ("" for the PG*
 * environment); UNSUPPORTED when libpq cannot parse it (the message does
 * not quote it). @size: connections for requests, at least 1. */
CompanionPgPool *companion_pg_pool_new                (const char           *conninfo,
                                                       guint                 size,
                                                       GError              **error);
/* The first reconnect waits about @first_ms, each failure doubles it up
 * to @max_ms. Defaults: 100 ms, 5 s. */
void             companion_pg_pool_set_backoff        (CompanionPgPool      *self,
                                                       guint                 first_ms,
                                                       guint                 max_ms);
/* Before starting: a request with no answer after @timeout_ms breaks
 * its connection (its requests fail with UNAVAILABLE, it reconnects), and
 * the LISTEN connection is pinged as often, so that a server gone silent
 * is noticed there too. 0: never. Default: 10 s, for the short statements
 * of a store. */
void             companion_pg_pool_set_timeout        (CompanionPgPool      *self,
                                                       guint                 timeout_ms);
/* Requests in flight on one connection at a time; default 4. */
void             companion_pg_pool_set_pipeline_depth (CompanionPgPool      *self,
                                                       guint                 depth);
/* Subscribes to @channel on the dedicated connection, now and after every
 * reconnect. */
void             companion_pg_pool_listen             (CompanionPgPool      *self,
                                                       const char           *channel);

/* Connects every connection; done when the first is up, or with the
 * error of the last when none could connect (they keep retrying). */
void             companion_pg_pool_start_async        (CompanionPgPool      *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean         companion_pg_pool_start_finish       (CompanionPgPool      *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Runs @request (taken) as one transaction on one connection; see
 * companion_pg_connection_execute_async() for the result and errors.
 * UNAVAILABLE at once while no connection is up. */
void             companion_pg_pool_execute_async      (CompanionPgPool      *self,
                                                       CompanionPgRequest   *request,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
GPtrArray       *companion_pg_pool_execute_finish     (CompanionPgPool      *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* A transaction that holds one connection until it commits or rolls
 * back (see companion-pg-transaction.h); waits for a connection like a
 * request, and fails the same ways. */
void             companion_pg_pool_begin_async        (CompanionPgPool      *self,
                                                       CompanionPgIsolation  isolation,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
CompanionPgTransaction *companion_pg_pool_begin_finish (CompanionPgPool     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
/* For companion-pg-transaction.c: @conn serves everyone again. */
void             companion_pg_pool_release            (CompanionPgPool      *self,
                                                       CompanionPgConnection *conn);

gboolean         companion_pg_pool_get_available      (CompanionPgPool      *self);
/* Connections for requests that are up. */
guint            companion_pg_pool_get_n_connected    (CompanionPgPool      *self);
/* Requests waiting for a connection. */
guint            companion_pg_pool_get_n_waiting      (CompanionPgPool      *self);
/* Connection attempts so far, LISTEN's included (for tests, metrics). */
guint64          companion_pg_pool_get_n_attempts     (CompanionPgPool      *self);
/* The LISTEN connection is up and subscribed. */
gboolean         companion_pg_pool_get_listening      (CompanionPgPool      *self);
/* The connection string for a log, without the password. */
const char      *companion_pg_pool_get_display_name   (CompanionPgPool      *self);
/* Drops every connection and stops reconnecting; waiting and later
 * requests fail with UNAVAILABLE. */
void             companion_pg_pool_close              (CompanionPgPool      *self);

G_END_DECLS
