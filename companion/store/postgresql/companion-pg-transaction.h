/* companion-pg-transaction.h: a transaction that holds a pool connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. From companion_pg_pool_begin_async(): the
 * pool sends BEGIN on one of its connections and sends nothing else there
 * until the transaction commits or rolls back, so the caller can read,
 * decide, and write in between (a sweep that locks due orders FOR UPDATE
 * SKIP LOCKED, then expires each). Keep it short: its row locks hold other
 * companions back, and the connection serves nobody else meanwhile.
 */
#pragma once

#include <gio/gio.h>

#include "companion-pg-connection.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_PG_TRANSACTION (companion_pg_transaction_get_type ())
G_DECLARE_FINAL_TYPE (CompanionPgTransaction, companion_pg_transaction,
                      COMPANION, PG_TRANSACTION, GObject)

/* Runs @request (taken) inside the transaction; as
 * companion_pg_connection_execute_async(). After a statement fails, the
 * server refuses everything but the rollback. */
void       companion_pg_transaction_execute_async  (CompanionPgTransaction *self,
                                                    CompanionPgRequest     *request,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
GPtrArray *companion_pg_transaction_execute_finish (CompanionPgTransaction *self,
                                                    GAsyncResult           *result,
                                                    GError                **error);
/* COMMIT, and the connection goes back to the pool. FAILED when a
 * statement had failed (the server rolled it all back), UNAVAILABLE when
 * the connection broke (the outcome is then unknown), a serialization
 * failure as UNAVAILABLE too. */
void       companion_pg_transaction_commit_async   (CompanionPgTransaction *self,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean   companion_pg_transaction_commit_finish  (CompanionPgTransaction *self,
                                                    GAsyncResult           *result,
                                                    GError                **error);
/* ROLLBACK, and the connection goes back to the pool; also what the last
 * unref does to a transaction neither committed nor rolled back. */
void       companion_pg_transaction_rollback       (CompanionPgTransaction *self);

/* For the pool (a CompanionPgPool): @conn has just run BEGIN there. */
CompanionPgTransaction *companion_pg_transaction_new (GObject               *pool,
                                                      CompanionPgConnection *conn);

G_END_DECLS
