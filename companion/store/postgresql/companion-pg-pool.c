/* companion-pg-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each connection lives in a slot. A slot whose connection broke, or
 * could not connect, waits out its backoff on a timer and tries again;
 * nothing here waits for anything but the main loop. Callbacks of
 * connection tasks hold a reference on the pool and find their slot by
 * the connection, as a slot may have moved on (closed, reconnected) by the
 * time they run.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-pg-pool.h"
#include "companion-pg-transaction.h"

typedef struct {
  CompanionPgConnection *conn;        /* NULL while waiting to retry */
  GSource               *retry;
  guint                  backoff_ms;  /* the next wait */
  gboolean               listener;
  gboolean               subscribed;  /* listener: LISTEN done */
  gboolean               was_up;      /* listener: subscribed before */
  gboolean               tried;       /* its first attempt has ended */
  gboolean               leased;      /* a transaction holds it */
} Slot;

typedef struct {
  GTask              *task;
  CompanionPgRequest *request;
  GSource            *cancel_source;
  GList              *link;          /* in the pool's queue while waiting */
  gboolean            begin;         /* its request is a BEGIN: a transaction */
} Job;

struct _CompanionPgPool
{
  GObject       parent_instance;

  char         *conninfo;
  char         *display_name;
  GMainContext *context;
  GCancellable *cancellable;    /* cancelled on close */

  GPtrArray    *slots;          /* Slot, for requests */
  Slot         *listener;       /* NULL until something LISTENs */
  GPtrArray    *channels;       /* char * */

  GQueue        waiting;        /* Job */
  guint         depth;
  guint         timeout_ms;
  guint64       n_attempts;
  GSource      *ping;           /* keeps the LISTEN connection honest */
  guint         backoff_first_ms;
  guint         backoff_max_ms;

  GTask        *start_task;
  gboolean      started;
  gboolean      closed;
  gboolean      available;
};

G_DEFINE_FINAL_TYPE (CompanionPgPool, companion_pg_pool, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  NOTIFICATION,
  RECONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void slot_connect (CompanionPgPool *self,
                          Slot            *slot);
static void dispatch (CompanionPgPool *self);

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ---- jobs ---- */

static void
job_free (Job *job)
{
  destroy_source (&job->cancel_source);
  g_clear_pointer (&job->request, companion_pg_request_free);
  g_clear_object (&job->task);
  g_free (job);
}

static void
job_fail (Job    *job,
          GError *error)
{
  g_task_return_error (job->task, error);
  job_free (job);
}

static void
fail_waiting (CompanionPgPool *self,
              const char      *why)
{
  Job *job;

  while ((job = g_queue_pop_head (&self->waiting)) != NULL)
    {
      job->link = NULL;
      job_fail (job, g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                                  "%s", why));
    }
}

static gboolean
job_cancelled (GCancellable *cancellable,
               gpointer      user_data)
{
  Job *job = user_data;
  CompanionPgPool *self = g_task_get_source_object (job->task);

  g_queue_delete_link (&self->waiting, job->link);
  job->link = NULL;
  g_clear_pointer (&job->cancel_source, g_source_unref);
  g_task_return_error_if_cancelled (job->task);
  job_free (job);
  return G_SOURCE_REMOVE;
}

/* ---- availability ---- */

static gboolean
slot_is_up (Slot *slot)
{
  return slot->conn != NULL && companion_pg_connection_is_ready (slot->conn) &&
         (!slot->listener || slot->subscribed);
}

static void
update_available (CompanionPgPool *self)
{
  gboolean available = FALSE;

  for (guint i = 0; i < self->slots->len && !available; i++)
    available = slot_is_up (g_ptr_array_index (self->slots, i));

  if (available == self->available)
    return;
  self->available = available;
  if (available)
    g_message ("PostgreSQL at %s is reachable", self->display_name);
  else if (!self->closed)
    g_message ("PostgreSQL at %s is unreachable; retrying", self->display_name);
  if (!available && self->start_task == NULL)
    fail_waiting (self, "PostgreSQL is unreachable");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* ---- slots ---- */

static Slot *
find_slot (CompanionPgPool       *self,
           CompanionPgConnection *conn)
{
  if (self->listener != NULL && self->listener->conn == conn)
    return self->listener;
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = g_ptr_array_index (self->slots, i);

      if (slot->conn == conn)
        return slot;
    }
  return NULL;
}

static void
slot_drop_connection (CompanionPgPool *self,
                      Slot            *slot)
{
  g_autoptr(CompanionPgConnection) conn = g_steal_pointer (&slot->conn);

  if (conn == NULL)
    return;
  g_signal_handlers_disconnect_by_data (conn, self);
  slot->subscribed = FALSE;
  slot->leased = FALSE;
  companion_pg_connection_close (conn);
}

typedef struct {
  CompanionPgPool *pool;
  Slot            *slot;
} RetryData;

static gboolean
retry_fired (gpointer user_data)
{
  RetryData *data = user_data;

  g_clear_pointer (&data->slot->retry, g_source_unref);
  slot_connect (data->pool, data->slot);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (CompanionPgPool *self,
                Slot            *slot)
{
  RetryData *data;
  guint wait;

  if (self->closed || slot->retry != NULL)
    return;

  /* Half the backoff plus up to as much again, so that companions that
   * lost the same server do not all come back in step. */
  wait = slot->backoff_ms / 2 + g_random_int_range (0, (gint32) slot->backoff_ms / 2 + 1);
  slot->backoff_ms = MIN (slot->backoff_ms * 2, self->backoff_max_ms);

  data = g_new (RetryData, 1);
  data->pool = self;
  data->slot = slot;
  slot->retry = g_timeout_source_new (wait);
  g_source_set_callback (slot->retry, retry_fired, data, g_free);
  g_source_attach (slot->retry, self->context);
}

static void
on_closed (CompanionPgConnection *conn,
           const GError          *why,
           gpointer               user_data)
{
  CompanionPgPool *self = user_data;
  Slot *slot = find_slot (self, conn);

  if (slot == NULL)
    return;
  g_debug ("%s connection to %s closed: %s", slot->listener ? "LISTEN" : "A",
           self->display_name, why->message);
  slot_drop_connection (self, slot);
  slot->backoff_ms = self->backoff_first_ms;
  schedule_retry (self, slot);
  update_available (self);
}

static void
on_notification (CompanionPgConnection *conn,
                 const char            *channel,
                 const char            *payload,
                 gpointer               user_data)
{
  g_signal_emit (user_data, signals[NOTIFICATION], 0, channel, payload);
}

static void
start_done (CompanionPgPool *self,
            GError          *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    {
      fail_waiting (self, error->message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
subscribed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CompanionPgPool) self = user_data;
  CompanionPgConnection *conn = COMPANION_PG_CONNECTION (source);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  Slot *slot = find_slot (self, conn);

  results = companion_pg_connection_execute_finish (conn, result, &error);
  if (slot == NULL || self->closed)
    return;
  if (results == NULL)
    {
      g_message ("Cannot LISTEN on %s: %s", self->display_name, error->message);
      /* Its "closed" schedules the next attempt. */
      companion_pg_connection_close (conn);
      return;
    }

  slot->subscribed = TRUE;
  if (slot->was_up)
    g_signal_emit (self, signals[RECONNECTED], 0);
  slot->was_up = TRUE;
}

/* Sends LISTEN for every channel (again after a reconnect). */
static void
subscribe (CompanionPgPool *self,
           Slot            *slot)
{
  g_autoptr(CompanionPgRequest) request = companion_pg_request_new ();

  for (guint i = 0; i < self->channels->len; i++)
    {
      const char *channel = g_ptr_array_index (self->channels, i);
      g_autofree char *quoted = companion_pg_connection_quote_identifier (slot->conn, channel);
      g_autofree char *sql = g_strdup_printf ("LISTEN %s", quoted);

      companion_pg_request_add (request, sql, 0, NULL);
    }
  companion_pg_connection_execute_async (slot->conn, g_steal_pointer (&request), NULL,
                                         subscribed, g_object_ref (self));
}

static void
slot_connected (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CompanionPgPool) self = user_data;
  CompanionPgConnection *conn = COMPANION_PG_CONNECTION (source);
  g_autoptr(GError) error = NULL;
  Slot *slot = find_slot (self, conn);
  gboolean first_attempt;

  if (!companion_pg_connection_connect_finish (conn, result, &error) && slot != NULL)
    slot_drop_connection (self, slot);
  if (slot == NULL || self->closed)
    return;

  first_attempt = !slot->tried;
  slot->tried = TRUE;

  if (error != NULL)
    {
      g_debug ("Cannot connect to %s: %s", self->display_name, error->message);
      schedule_retry (self, slot);
      if (first_attempt && !slot->listener)
        {
          gboolean all_tried = TRUE;

          for (guint i = 0; i < self->slots->len; i++)
            all_tried &= ((Slot *) g_ptr_array_index (self->slots, i))->tried;
          if (all_tried && !self->available)
            start_done (self, g_steal_pointer (&error));
        }
      return;
    }

  slot->backoff_ms = self->backoff_first_ms;
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), self);
  if (slot->listener)
    {
      g_signal_connect (conn, "notification", G_CALLBACK (on_notification), self);
      subscribe (self, slot);
      return;
    }

  update_available (self);
  start_done (self, NULL);
  dispatch (self);
}

static void
slot_connect (CompanionPgPool *self,
              Slot            *slot)
{
  g_assert (slot->conn == NULL);

  if (self->closed)
    return;
  self->n_attempts++;
  slot->conn = companion_pg_connection_new (self->conninfo);
  companion_pg_connection_set_timeout (slot->conn, self->timeout_ms);
  companion_pg_connection_connect_async (slot->conn, self->cancellable, slot_connected,
                                         g_object_ref (self));
}

static void
slot_free (CompanionPgPool *self,
           Slot            *slot)
{
  destroy_source (&slot->retry);
  slot_drop_connection (self, slot);
  g_free (slot);
}

/* ---- requests ---- */

static void
ignore_result (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GPtrArray) results = NULL;

  /* A failure breaks the connection, whose "closed" does the rest. */
  results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                    NULL);
}

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Job *job = user_data;
  /* The job's task holds the pool only until job_free (). */
  CompanionPgPool *self = g_object_ref (g_task_get_source_object (job->task));
  GError *error = NULL;
  GPtrArray *results;

  results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                    &error);
  if (job->begin && results != NULL)
    {
      g_ptr_array_unref (results);
      g_task_return_pointer (job->task,
                             companion_pg_transaction_new (G_OBJECT (self),
                                                           COMPANION_PG_CONNECTION (source)),
                             g_object_unref);
    }
  else if (job->begin)
    {
      /* Cancelled, the BEGIN may still have run: end it before anyone
       * else's request lands in it. */
      CompanionPgRequest *rollback = companion_pg_request_new ();

      companion_pg_request_add (rollback, "ROLLBACK", 0, NULL);
      companion_pg_connection_execute_async (COMPANION_PG_CONNECTION (source), rollback, NULL,
                                             ignore_result, NULL);
      companion_pg_pool_release (self, COMPANION_PG_CONNECTION (source));
      g_task_return_error (job->task, error);
    }
  else if (results != NULL)
    g_task_return_pointer (job->task, results, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (job->task, error);
  job_free (job);
  dispatch (self);
  g_object_unref (self);
}

static void
dispatch (CompanionPgPool *self)
{
  while (self->waiting.length > 0)
    {
      Slot *best = NULL;
      guint best_pending = G_MAXUINT;
      Job *job;

      for (guint i = 0; i < self->slots->len; i++)
        {
          Slot *slot = g_ptr_array_index (self->slots, i);
          guint pending;

          if (!slot_is_up (slot) || slot->leased)
            continue;
          pending = companion_pg_connection_get_n_pending (slot->conn);
          if (pending < self->depth && pending < best_pending)
            {
              best = slot;
              best_pending = pending;
            }
        }
      if (best == NULL)
        return;

      job = g_queue_pop_head (&self->waiting);
      job->link = NULL;
      destroy_source (&job->cancel_source);
      /* Nothing else goes there after its BEGIN. */
      best->leased = job->begin;
      companion_pg_connection_execute_async (best->conn, g_steal_pointer (&job->request),
                                             g_task_get_cancellable (job->task), job_done, job);
    }
}

static void
enqueue (CompanionPgPool    *self,
         GTask              *task,
         CompanionPgRequest *request,
         gboolean            begin)
{
  g_autoptr(GTask) owned_task = task;
  g_autoptr(CompanionPgRequest) owned = request;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Job *job;

  if (self->closed || (!self->available && self->start_task == NULL))
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                               self->closed ? "The PostgreSQL pool is closed"
                               : "PostgreSQL is unreachable");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  job = g_new0 (Job, 1);
  job->task = g_steal_pointer (&owned_task);
  job->request = g_steal_pointer (&owned);
  job->begin = begin;
  g_queue_push_tail (&self->waiting, job);
  job->link = self->waiting.tail;
  if (cancellable != NULL)
    {
      job->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (job->cancel_source, G_SOURCE_FUNC (job_cancelled), job, NULL);
      g_source_attach (job->cancel_source, self->context);
    }
  dispatch (self);
}

void
companion_pg_pool_execute_async (CompanionPgPool    *self,
                                 CompanionPgRequest *request,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(CompanionPgRequest) owned = request;
  GTask *task;

  g_return_if_fail (COMPANION_IS_PG_POOL (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_pool_execute_async);
  enqueue (self, task, g_steal_pointer (&owned), FALSE);
}

void
companion_pg_pool_begin_async (CompanionPgPool      *self,
                               CompanionPgIsolation  isolation,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  CompanionPgRequest *request;
  GTask *task;

  g_return_if_fail (COMPANION_IS_PG_POOL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_pool_begin_async);
  request = companion_pg_request_new ();
  companion_pg_request_add (request, companion_pg_isolation_begin_sql (isolation), 0, NULL);
  enqueue (self, task, request, TRUE);
}

CompanionPgTransaction *
companion_pg_pool_begin_finish (CompanionPgPool  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
companion_pg_pool_release (CompanionPgPool       *self,
                           CompanionPgConnection *conn)
{
  Slot *slot;

  g_return_if_fail (COMPANION_IS_PG_POOL (self));

  /* Not when it broke meanwhile: the slot has moved on. */
  slot = find_slot (self, conn);
  if (slot == NULL || !slot->leased)
    return;
  slot->leased = FALSE;
  dispatch (self);
}

GPtrArray *
companion_pg_pool_execute_finish (CompanionPgPool  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the pool ---- */

CompanionPgPool *
companion_pg_pool_new (const char  *conninfo,
                       guint        size,
                       GError     **error)
{
  g_autofree char *problem = NULL;
  CompanionPgPool *self;

  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (size >= 1, NULL);

  problem = companion_pg_conninfo_check (conninfo);
  if (problem != NULL)
    {
      g_set_error_literal (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED,
                           problem);
      return NULL;
    }

  self = g_object_new (COMPANION_TYPE_PG_POOL, NULL);
  self->conninfo = g_strdup (conninfo);
  self->display_name = companion_pg_conninfo_redact (conninfo);
  for (guint i = 0; i < size; i++)
    g_ptr_array_add (self->slots, g_new0 (Slot, 1));
  return self;
}

void
companion_pg_pool_set_backoff (CompanionPgPool *self,
                               guint            first_ms,
                               guint            max_ms)
{
  g_return_if_fail (COMPANION_IS_PG_POOL (self));
  g_return_if_fail (first_ms >= 1 && max_ms >= first_ms);

  self->backoff_first_ms = first_ms;
  self->backoff_max_ms = max_ms;
}

/* The LISTEN connection only ever reads: without a request now and then
 * it would not notice a server that went silent. */
static gboolean
ping_listener (gpointer user_data)
{
  CompanionPgPool *self = user_data;
  Slot *slot = self->listener;

  if (slot != NULL && slot_is_up (slot) && companion_pg_connection_get_n_pending (slot->conn) == 0)
    companion_pg_connection_execute_async (slot->conn, companion_pg_request_new (), NULL,
                                           ignore_result, NULL);
  return G_SOURCE_CONTINUE;
}

void
companion_pg_pool_set_timeout (CompanionPgPool *self,
                               guint            timeout_ms)
{
  g_return_if_fail (COMPANION_IS_PG_POOL (self));
  g_return_if_fail (!self->started);

  self->timeout_ms = timeout_ms;
}

void
companion_pg_pool_set_pipeline_depth (CompanionPgPool *self,
                                      guint            depth)
{
  g_return_if_fail (COMPANION_IS_PG_POOL (self));
  g_return_if_fail (depth >= 1);

  self->depth = depth;
  dispatch (self);
}

void
companion_pg_pool_listen (CompanionPgPool *self,
                          const char      *channel)
{
  g_return_if_fail (COMPANION_IS_PG_POOL (self));
  g_return_if_fail (channel != NULL);

  g_ptr_array_add (self->channels, g_strdup (channel));
  if (self->listener == NULL)
    {
      self->listener = g_new0 (Slot, 1);
      self->listener->listener = TRUE;
      self->listener->backoff_ms = self->backoff_first_ms;
      if (self->started)
        slot_connect (self, self->listener);
    }
  else if (self->listener->subscribed)
    subscribe (self, self->listener);
}

void
companion_pg_pool_start_async (CompanionPgPool    *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMPANION_IS_PG_POOL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_pool_start_async);
  if (self->started || self->closed)
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                               "A PostgreSQL pool starts once");
      return;
    }

  self->started = TRUE;
  self->start_task = g_steal_pointer (&task);
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = g_ptr_array_index (self->slots, i);

      slot->backoff_ms = self->backoff_first_ms;
      slot_connect (self, slot);
    }
  if (self->listener != NULL)
    slot_connect (self, self->listener);
  if (self->timeout_ms > 0)
    {
      self->ping = g_timeout_source_new (self->timeout_ms);
      g_source_set_callback (self->ping, ping_listener, self, NULL);
      g_source_attach (self->ping, self->context);
    }
}

gboolean
companion_pg_pool_start_finish (CompanionPgPool  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
companion_pg_pool_get_available (CompanionPgPool *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), FALSE);
  return self->available;
}

guint
companion_pg_pool_get_n_connected (CompanionPgPool *self)
{
  guint n = 0;

  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), 0);
  for (guint i = 0; i < self->slots->len; i++)
    n += slot_is_up (g_ptr_array_index (self->slots, i));
  return n;
}

guint
companion_pg_pool_get_n_waiting (CompanionPgPool *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), 0);
  return self->waiting.length;
}

guint64
companion_pg_pool_get_n_attempts (CompanionPgPool *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), 0);
  return self->n_attempts;
}

gboolean
companion_pg_pool_get_listening (CompanionPgPool *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), FALSE);
  return self->listener != NULL && slot_is_up (self->listener);
}

const char *
companion_pg_pool_get_display_name (CompanionPgPool *self)
{
  g_return_val_if_fail (COMPANION_IS_PG_POOL (self), NULL);
  return self->display_name;
}

void
companion_pg_pool_close (CompanionPgPool *self)
{
  g_return_if_fail (COMPANION_IS_PG_POOL (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  destroy_source (&self->ping);
  g_cancellable_cancel (self->cancellable);
  start_done (self, g_error_new_literal (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                                         "The PostgreSQL pool was closed"));
  fail_waiting (self, "The PostgreSQL pool was closed");
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = g_ptr_array_index (self->slots, i);

      destroy_source (&slot->retry);
      slot_drop_connection (self, slot);
    }
  if (self->listener != NULL)
    {
      destroy_source (&self->listener->retry);
      slot_drop_connection (self, self->listener);
    }
  update_available (self);
}

static void
companion_pg_pool_dispose (GObject *object)
{
  CompanionPgPool *self = COMPANION_PG_POOL (object);

  companion_pg_pool_close (self);

  G_OBJECT_CLASS (companion_pg_pool_parent_class)->dispose (object);
}

static void
companion_pg_pool_finalize (GObject *object)
{
  CompanionPgPool *self = COMPANION_PG_POOL (object);

  for (guint i = 0; i < self->slots->len; i++)
    slot_free (self, g_ptr_array_index (self->slots, i));
  g_ptr_array_unref (self->slots);
  if (self->listener != NULL)
    slot_free (self, self->listener);
  g_ptr_array_unref (self->channels);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->display_name);
  g_free (self->conninfo);

  G_OBJECT_CLASS (companion_pg_pool_parent_class)->finalize (object);
}

static void
companion_pg_pool_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CompanionPgPool *self = COMPANION_PG_POOL (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
companion_pg_pool_class_init (CompanionPgPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_pg_pool_dispose;
  object_class->finalize = companion_pg_pool_finalize;
  object_class->get_property = companion_pg_pool_get_property;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE,
                  2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[RECONNECTED] =
    g_signal_new ("reconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE,
                  0);
}

static void
companion_pg_pool_init (CompanionPgPool *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->slots = g_ptr_array_new ();
  self->channels = g_ptr_array_new_with_free_func (g_free);
  self->depth = 4;
  self->timeout_ms = 10000;
  self->backoff_first_ms = 100;
  self->backoff_max_ms = 5000;
  g_queue_init (&self->waiting);
}
