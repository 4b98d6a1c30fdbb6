/* companion-pg-transaction.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include <string.h>

#include "companion-pg-pool.h"
#include "companion-pg-transaction.h"

struct _CompanionPgTransaction
{
  GObject                parent_instance;

  CompanionPgPool       *pool;
  CompanionPgConnection *conn;
  gboolean               finished;   /* committed or rolled back: released */
};

G_DEFINE_FINAL_TYPE (CompanionPgTransaction, companion_pg_transaction, G_TYPE_OBJECT)

CompanionPgTransaction *
companion_pg_transaction_new (GObject               *pool,
                              CompanionPgConnection *conn)
{
  CompanionPgTransaction *self;

  g_return_val_if_fail (COMPANION_IS_PG_POOL (pool), NULL);
  g_return_val_if_fail (COMPANION_IS_PG_CONNECTION (conn), NULL);

  self = g_object_new (COMPANION_TYPE_PG_TRANSACTION, NULL);
  self->pool = g_object_ref (COMPANION_PG_POOL (pool));
  self->conn = g_object_ref (conn);
  return self;
}

static gboolean
check_open (CompanionPgTransaction *self,
            GTask                  *task)
{
  if (!self->finished)
    return TRUE;
  g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                           "The transaction is over");
  return FALSE;
}

static void
executed (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *results;

  results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                    &error);
  if (results != NULL)
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
companion_pg_transaction_execute_async (CompanionPgTransaction *self,
                                        CompanionPgRequest     *request,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data)
{
  g_autoptr(CompanionPgRequest) owned = request;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMPANION_IS_PG_TRANSACTION (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_transaction_execute_async);
  if (!check_open (self, task))
    return;
  companion_pg_connection_execute_async (self->conn, g_steal_pointer (&owned), cancellable,
                                         executed, g_steal_pointer (&task));
}

GPtrArray *
companion_pg_transaction_execute_finish (CompanionPgTransaction  *self,
                                         GAsyncResult            *result,
                                         GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
release (CompanionPgTransaction *self)
{
  self->finished = TRUE;
  companion_pg_pool_release (self->pool, self->conn);
}

static void
committed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CompanionPgTransaction *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;

  results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                    &error);
  release (self);
  if (results == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* COMMIT of a transaction a failure aborted answers ROLLBACK. */
  if (strcmp (PQcmdStatus (g_ptr_array_index (results, 0)), "ROLLBACK") == 0)
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                               "A statement failed: the transaction was rolled back");
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
companion_pg_transaction_commit_async (CompanionPgTransaction *self,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_autoptr(CompanionPgRequest) request = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMPANION_IS_PG_TRANSACTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_transaction_commit_async);
  if (!check_open (self, task))
    return;

  request = companion_pg_request_new ();
  companion_pg_request_add (request, "COMMIT", 0, NULL);
  /* Not cancellable: a COMMIT once sent has its outcome either way. */
  companion_pg_connection_execute_async (self->conn, g_steal_pointer (&request), NULL,
                                         committed, g_steal_pointer (&task));
}

gboolean
companion_pg_transaction_commit_finish (CompanionPgTransaction  *self,
                                        GAsyncResult            *result,
                                        GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rolled_back (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GPtrArray) results = NULL;

  /* A failure here breaks the connection, which ends the transaction. */
  results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                    NULL);
}

void
companion_pg_transaction_rollback (CompanionPgTransaction *self)
{
  g_autoptr(CompanionPgRequest) request = NULL;

  g_return_if_fail (COMPANION_IS_PG_TRANSACTION (self));

  if (self->finished)
    return;
  /* Sent before the connection serves anyone else, so it comes first. */
  request = companion_pg_request_new ();
  companion_pg_request_add (request, "ROLLBACK", 0, NULL);
  companion_pg_connection_execute_async (self->conn, g_steal_pointer (&request), NULL,
                                         rolled_back, NULL);
  release (self);
}

static void
companion_pg_transaction_dispose (GObject *object)
{
  CompanionPgTransaction *self = COMPANION_PG_TRANSACTION (object);

  if (self->conn != NULL)
    companion_pg_transaction_rollback (self);
  g_clear_object (&self->conn);
  g_clear_object (&self->pool);

  G_OBJECT_CLASS (companion_pg_transaction_parent_class)->dispose (object);
}

static void
companion_pg_transaction_class_init (CompanionPgTransactionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = companion_pg_transaction_dispose;
}

static void
companion_pg_transaction_init (CompanionPgTransaction *self)
{
}
