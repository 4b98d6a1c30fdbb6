/* companion-event-hub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A stream is a SoupServerMessage whose body never completes until the order
 * ends. We write a frame, unpause the message so libsoup sends it, and keep
 * a "finished" handler to forget the message the moment the client leaves:
 * after "finished" the message is never touched again.
 */
#define G_LOG_DOMAIN "companion-events"

#include "config.h"

#include "companion-event-hub.h"

typedef struct {
  CompanionEventHub *hub;
  SoupServerMessage *msg;
  char              *order_id;
  gulong             finished_id;
  GSource           *hangup_watch;   /* NULL when not watching */
} Subscriber;

struct _CompanionEventHub
{
  GObject     parent_instance;

  /* order id -> GPtrArray of Subscriber* (the array owns nothing) */
  GHashTable *by_order;
  GHashTable *subscribers;      /* Subscriber* set, owns them */
  guint       max_streams;
  guint       max_streams_per_order;
  guint       keepalive_ms;
  guint       keepalive_id;
};

G_DEFINE_FINAL_TYPE (CompanionEventHub, companion_event_hub, G_TYPE_OBJECT)

static void
subscriber_free (Subscriber *sub)
{
  g_clear_signal_handler (&sub->finished_id, sub->msg);
  if (sub->hangup_watch != NULL)
    {
      g_source_destroy (sub->hangup_watch);
      g_clear_pointer (&sub->hangup_watch, g_source_unref);
    }
  g_free (sub->order_id);
  g_free (sub);
}

/* Forgets @sub; its message is left to libsoup. */
static void
drop_subscriber (CompanionEventHub *self,
                 Subscriber        *sub)
{
  GPtrArray *list = g_hash_table_lookup (self->by_order, sub->order_id);

  if (list != NULL)
    {
      g_ptr_array_remove_fast (list, sub);
      if (list->len == 0)
        g_hash_table_remove (self->by_order, sub->order_id);
    }
  g_hash_table_remove (self->subscribers, sub);

  if (g_hash_table_size (self->subscribers) == 0)
    g_clear_handle_id (&self->keepalive_id, g_source_remove);
}

static void
on_finished (SoupServerMessage *msg,
             Subscriber        *sub)
{
  /* The connection is gone: the handler must not be disconnected later
   * from a message that may be freed. */
  sub->finished_id = 0;
  g_debug ("Stream of an order closed by the client");
  drop_subscriber (sub->hub, sub);
}

/* libsoup reads nothing from a connection while its response is paused, so
 * a client that leaves an idle stream would only be noticed at the next
 * write. Its socket turning readable tells us at once: an event-stream
 * client sends nothing more, so readable means end of file or reset. */
static gboolean
on_client_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  Subscriber *sub = user_data;
  CompanionEventHub *self = sub->hub;
  SoupServerMessage *msg = sub->msg;
  g_autoptr(GError) error = NULL;
  char byte;
  GInputVector vector = { &byte, 1 };
  int flags = G_SOCKET_MSG_PEEK;
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  if (n > 0)
    {
      /* Bytes after the request (or TLS records): not ours to judge; the
       * keepalive's write will find a dead client. */
      g_clear_pointer (&sub->hangup_watch, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  g_debug ("Stream of an order left by the client");
  drop_subscriber (self, sub);
  companion_event_hub_end_stream (msg);
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

void
companion_event_hub_begin_stream (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autofree char *retry = g_strdup_printf ("retry: %d\n\n", CROSSING_SSE_RETRY_MS);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache, no-transform");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_COPY, retry, strlen (retry));
}

void
companion_event_hub_write_event (SoupServerMessage *msg,
                                 gint64             seq,
                                 CrossingStatus     status,
                                 const char        *data)
{
  char *frame = g_strdup_printf ("id: %" G_GINT64_FORMAT "\nevent: %s\ndata: %s\n\n", seq,
                                 crossing_status_to_string (status), data);

  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_TAKE,
                            frame, strlen (frame));
}

void
companion_event_hub_end_stream (SoupServerMessage *msg)
{
  soup_message_body_complete (soup_server_message_get_response_body (msg));
}

static void
write_keepalive (SoupServerMessage *msg)
{
  static const char comment[] = ": keepalive\n\n";

  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            comment, sizeof comment - 1);
  soup_server_message_unpause (msg);
}

static gboolean
on_keepalive (gpointer user_data)
{
  CompanionEventHub *self = user_data;
  GHashTableIter iter;
  Subscriber *sub;

  g_hash_table_iter_init (&iter, self->subscribers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &sub, NULL))
    write_keepalive (sub->msg);

  return G_SOURCE_CONTINUE;
}

CompanionEventHub *
companion_event_hub_new (guint max_streams,
                         guint max_streams_per_order)
{
  CompanionEventHub *self = g_object_new (COMPANION_TYPE_EVENT_HUB, NULL);

  self->max_streams = max_streams;
  self->max_streams_per_order = max_streams_per_order;
  return self;
}

void
companion_event_hub_set_keepalive_interval (CompanionEventHub *self,
                                            guint              interval_ms)
{
  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));
  g_return_if_fail (interval_ms > 0);

  self->keepalive_ms = interval_ms;
  /* A running timer switches to the new interval at once. */
  if (self->keepalive_id != 0)
    {
      g_clear_handle_id (&self->keepalive_id, g_source_remove);
      self->keepalive_id = g_timeout_add (self->keepalive_ms, on_keepalive, self);
    }
}

gboolean
companion_event_hub_can_subscribe (CompanionEventHub *self,
                                   const char        *order_id)
{
  g_return_val_if_fail (COMPANION_IS_EVENT_HUB (self), FALSE);

  return g_hash_table_size (self->subscribers) < self->max_streams &&
         companion_event_hub_get_n_streams_for_order (self, order_id) < self->max_streams_per_order;
}

void
companion_event_hub_subscribe (CompanionEventHub *self,
                               const char        *order_id,
                               SoupServerMessage *msg)
{
  Subscriber *sub;
  GPtrArray *list;

  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  sub = g_new0 (Subscriber, 1);
  sub->hub = self;
  sub->msg = msg;
  sub->order_id = g_strdup (order_id);
  sub->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), sub);
  if (soup_server_message_get_socket (msg) != NULL)
    {
      sub->hangup_watch = g_socket_create_source (soup_server_message_get_socket (msg),
                                                  G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (sub->hangup_watch, G_SOURCE_FUNC (on_client_readable), sub, NULL);
      g_source_attach (sub->hangup_watch, g_main_context_get_thread_default ());
    }

  list = g_hash_table_lookup (self->by_order, order_id);
  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->by_order, g_strdup (order_id), list);
    }
  g_ptr_array_add (list, sub);
  g_hash_table_add (self->subscribers, sub);

  if (self->keepalive_id == 0)
    self->keepalive_id = g_timeout_add (self->keepalive_ms, on_keepalive, self);

  soup_server_message_unpause (msg);
}

void
companion_event_hub_publish (CompanionEventHub *self,
                             const char        *order_id,
                             gint64             seq,
                             CrossingStatus     status,
                             const char        *data)
{
  g_autoptr(GPtrArray) subs = NULL;
  GPtrArray *list;
  gboolean terminal = crossing_status_is_terminal (status);

  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));

  list = g_hash_table_lookup (self->by_order, order_id);
  if (list == NULL)
    return;

  /* Dropping subscribers changes the list: walk a copy. */
  subs = g_ptr_array_copy (list, NULL, NULL);
  for (guint i = 0; i < subs->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (subs, i);
      SoupServerMessage *msg = sub->msg;

      companion_event_hub_write_event (msg, seq, status, data);
      if (terminal)
        {
          companion_event_hub_end_stream (msg);
          drop_subscriber (self, sub);
        }
      soup_server_message_unpause (msg);
    }
}

void
companion_event_hub_close_all (CompanionEventHub *self)
{
  g_autoptr(GList) subs = NULL;

  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));

  subs = g_hash_table_get_keys (self->subscribers);
  for (GList *l = subs; l != NULL; l = l->next)
    {
      Subscriber *sub = l->data;
      SoupServerMessage *msg = sub->msg;

      companion_event_hub_end_stream (msg);
      drop_subscriber (self, sub);
      soup_server_message_unpause (msg);
    }
}

guint
companion_event_hub_get_n_streams (CompanionEventHub *self)
{
  g_return_val_if_fail (COMPANION_IS_EVENT_HUB (self), 0);
  return g_hash_table_size (self->subscribers);
}

guint
companion_event_hub_get_n_streams_for_order (CompanionEventHub *self,
                                             const char        *order_id)
{
  GPtrArray *list;

  g_return_val_if_fail (COMPANION_IS_EVENT_HUB (self), 0);

  list = g_hash_table_lookup (self->by_order, order_id);
  return list != NULL ? list->len : 0;
}

static void
companion_event_hub_dispose (GObject *object)
{
  CompanionEventHub *self = (CompanionEventHub *) object;

  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->subscribers != NULL)
    companion_event_hub_close_all (self);

  G_OBJECT_CLASS (companion_event_hub_parent_class)->dispose (object);
}

static void
companion_event_hub_finalize (GObject *object)
{
  CompanionEventHub *self = (CompanionEventHub *) object;

  g_clear_pointer (&self->by_order, g_hash_table_unref);
  g_clear_pointer (&self->subscribers, g_hash_table_unref);

  G_OBJECT_CLASS (companion_event_hub_parent_class)->finalize (object);
}

static void
companion_event_hub_class_init (CompanionEventHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_event_hub_dispose;
  object_class->finalize = companion_event_hub_finalize;
}

static void
companion_event_hub_init (CompanionEventHub *self)
{
  self->by_order = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  self->subscribers = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) subscriber_free, NULL);
  self->keepalive_ms = COMPANION_KEEPALIVE_SECONDS * 1000;
}
