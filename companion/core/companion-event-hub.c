/* companion-event-hub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A stream starts as a SoupServerMessage whose headers and first events
 * libsoup would send. For HTTP/1.x the hub then takes the connection over
 * (soup_server_message_steal_connection()) and writes the response itself:
 * each event is one chunk in one send(), written the moment it is
 * published, and an idle stream costs a socket and this struct rather than
 * libsoup's per-message state. All taken-over sockets share one epoll set
 * watched by one main-loop source, so thousands of idle streams add nothing
 * to each main-loop iteration. The response ends with "Connection: close"
 * after the terminal event.
 *
 * When a connection cannot be taken over (HTTP/2), the message stays with
 * libsoup: we append a frame, unpause the message so libsoup sends it, and
 * keep a "finished" handler to forget the message the moment the client
 * leaves; after "finished" the message is never touched again.
 */
#define G_LOG_DOMAIN "companion-events"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "companion-event-hub.h"

/* A client that lets this much output pile up is not reading: drop it. */
#define MAX_PENDING_BYTES (64 * 1024)

typedef struct {
  CompanionEventHub *hub;
  char              *order_id;

  /* While libsoup owns the connection */
  SoupServerMessage *msg;
  gulong             finished_id;
  GSource           *hangup_watch;   /* NULL when not watching */

  /* Once the hub owns it */
  GIOStream         *stream;
  GSocket           *socket;         /* the connection's, taken before the stream */
  int                fd;
  gboolean           chunked;        /* FALSE for HTTP/1.0: the body ends at close */
  gboolean           ending;         /* close once pending is written */
  GByteArray        *pending;        /* NULL when everything was sent */
} Subscriber;

struct _CompanionEventHub
{
  GObject     parent_instance;

  /* order id -> GPtrArray of Subscriber* (the array owns nothing) */
  GHashTable *by_order;
  GHashTable *subscribers;      /* Subscriber* set, owns them */
  GHashTable *draining;         /* ended streams still writing their last bytes, owns them */
  guint       max_streams;
  guint       max_streams_per_order;
  guint       keepalive_ms;
  guint       keepalive_id;
  int         epoll_fd;         /* -1 until the first stream is taken over */
  guint       epoll_id;
};

G_DEFINE_FINAL_TYPE (CompanionEventHub, companion_event_hub, G_TYPE_OBJECT)

static const char keepalive_comment[] = ": keepalive\n\n";

static void
subscriber_free (Subscriber *sub)
{
  if (sub->msg != NULL)
    g_clear_signal_handler (&sub->finished_id, sub->msg);
  if (sub->hangup_watch != NULL)
    {
      g_source_destroy (sub->hangup_watch);
      g_clear_pointer (&sub->hangup_watch, g_source_unref);
    }
  if (sub->stream != NULL)
    {
      /* Out of the set before the descriptor can be reused. */
      if (sub->hub->epoll_fd >= 0)
        epoll_ctl (sub->hub->epoll_fd, EPOLL_CTL_DEL, sub->fd, NULL);
      g_io_stream_close (sub->stream, NULL, NULL);
      g_clear_object (&sub->stream);
    }
  g_clear_object (&sub->socket);
  g_clear_pointer (&sub->pending, g_byte_array_unref);
  g_free (sub->order_id);
  g_free (sub);
}

/* Forgets @sub as a stream of its order. A taken-over stream that still has
 * bytes to write drains first; anything else is freed (a message is left to
 * libsoup). */
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

  if (sub->stream != NULL && sub->ending && sub->pending != NULL)
    {
      g_hash_table_steal (self->subscribers, sub);
      g_hash_table_add (self->draining, sub);
    }
  else
    g_hash_table_remove (self->subscribers, sub);

  if (g_hash_table_size (self->subscribers) == 0)
    g_clear_handle_id (&self->keepalive_id, g_source_remove);
}

/* Frees @sub wherever it is: an active stream or a draining one. */
static void
forget_subscriber (CompanionEventHub *self,
                   Subscriber        *sub)
{
  if (!g_hash_table_remove (self->draining, sub))
    {
      sub->ending = FALSE;
      drop_subscriber (self, sub);
    }
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

/* ---- streams the hub writes itself --------------------------------------- */

static void
watch_fd (Subscriber *sub,
          int         op)
{
  struct epoll_event ev = { 0, };

  /* Peer shutdown, reset or error: an event-stream client sends nothing
   * after its request, so this is it leaving. EPOLLRDHUP fires even when
   * unread bytes (a pipelined request, a TLS alert) sit in the socket. */
  ev.events = EPOLLRDHUP | (sub->pending != NULL ? EPOLLOUT : 0);
  ev.data.ptr = sub;
  epoll_ctl (sub->hub->epoll_fd, op, sub->fd, &ev);
}

/* Writes what is pending. FALSE: the client is gone. */
static gboolean
flush_pending (Subscriber *sub)
{
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (sub->stream));

  while (sub->pending != NULL)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (out, sub->pending->data,
                                                             sub->pending->len, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (n <= 0)
        return FALSE;
      if ((guint) n == sub->pending->len)
        g_clear_pointer (&sub->pending, g_byte_array_unref);
      else
        g_byte_array_remove_range (sub->pending, 0, n);
    }
  return TRUE;
}

/* Sends @data now, or queues what the socket does not take. FALSE: the
 * client is gone or not reading. */
static gboolean
send_or_queue (Subscriber *sub,
               const char *data,
               gsize       len)
{
  gboolean was_idle = sub->pending == NULL;

  if (was_idle)
    sub->pending = g_byte_array_sized_new (len);
  else if (sub->pending->len + len > MAX_PENDING_BYTES)
    return FALSE;
  g_byte_array_append (sub->pending, (const guint8 *) data, len);

  if (!was_idle)
    return TRUE;
  if (!flush_pending (sub))
    return FALSE;
  if (sub->pending != NULL)
    watch_fd (sub, EPOLL_CTL_MOD);
  return TRUE;
}

/* Appends @len bytes of @payload as one chunk of the body. */
static void
append_chunk (GString    *out,
              gboolean    chunked,
              const char *payload,
              gsize       len)
{
  if (len == 0)
    return;
  if (chunked)
    g_string_append_printf (out, "%" G_GSIZE_MODIFIER "x\r\n", len);
  g_string_append_len (out, payload, len);
  if (chunked)
    g_string_append (out, "\r\n");
}

static void
append_frame (GString        *out,
              gboolean        chunked,
              gint64          seq,
              CrossingStatus  status,
              const char     *data)
{
  g_autofree char *frame = g_strdup_printf ("id: %" G_GINT64_FORMAT "\nevent: %s\ndata: %s\n\n",
                                            seq, crossing_status_to_string (status), data);

  append_chunk (out, chunked, frame, strlen (frame));
}

/* Sends @text (already framed) to a taken-over stream; a failure forgets
 * the stream. FALSE when it was forgotten. */
static gboolean
stream_send (Subscriber *sub,
             const char *text,
             gsize       len)
{
  if (send_or_queue (sub, text, len))
    return TRUE;
  g_debug ("Stream of an order lost its client");
  forget_subscriber (sub->hub, sub);
  return FALSE;
}

/* Writes the last chunk and closes, now or once the pending bytes are out. */
static void
stream_end (CompanionEventHub *self,
            Subscriber        *sub,
            GString           *out)
{
  if (sub->chunked)
    g_string_append (out, "0\r\n\r\n");
  sub->ending = TRUE;
  if (send_or_queue (sub, out->str, out->len) && sub->pending != NULL)
    {
      /* Still writing: it drains once the socket takes the rest. */
      drop_subscriber (self, sub);
      return;
    }
  forget_subscriber (self, sub);
}

static gboolean
on_epoll_ready (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  CompanionEventHub *self = user_data;
  struct epoll_event events[64];
  int n;

  /* Each event belongs to one stream; handling it touches no other. */
  while ((n = epoll_wait (fd, events, G_N_ELEMENTS (events), 0)) > 0)
    {
      for (int i = 0; i < n; i++)
        {
          Subscriber *sub = events[i].data.ptr;

          if (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            {
              g_debug ("Stream of an order left by the client");
              forget_subscriber (self, sub);
              continue;
            }
          if (!flush_pending (sub))
            {
              forget_subscriber (self, sub);
              continue;
            }
          if (sub->pending == NULL && sub->ending)
            forget_subscriber (self, sub);
          else if (sub->pending == NULL)
            watch_fd (sub, EPOLL_CTL_MOD);
        }
      if (n < (int) G_N_ELEMENTS (events))
        break;
    }
  return G_SOURCE_CONTINUE;
}

/* The status line, the headers set so far and the body appended so far, as
 * libsoup would have written them, for a connection the hub takes over. */
static GString *
serialize_response (SoupServerMessage *msg,
                    gboolean           chunked)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  GString *out = g_string_sized_new (1024);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  goffset offset = 0;
  GBytes *chunk;

  g_string_append_printf (out, "HTTP/1.%c %u %s\r\n", chunked ? '1' : '0',
                          soup_server_message_get_status (msg),
                          soup_server_message_get_reason_phrase (msg));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0 ||
          g_ascii_strcasecmp (name, "Content-Length") == 0 ||
          g_ascii_strcasecmp (name, "Connection") == 0)
        continue;
      g_string_append_printf (out, "%s: %s\r\n", name, value);
    }
  if (chunked)
    g_string_append (out, "Transfer-Encoding: chunked\r\n");
  g_string_append (out, "Connection: close\r\n\r\n");

  while ((chunk = soup_message_body_get_chunk (body, offset)) != NULL)
    {
      gsize size;
      const char *data = g_bytes_get_data (chunk, &size);

      append_chunk (out, chunked, data, size);
      g_bytes_unref (chunk);
      if (size == 0)
        break;
      offset += size;
    }
  return out;
}

static void
ensure_epoll (CompanionEventHub *self)
{
  if (self->epoll_fd >= 0)
    return;
  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epoll_fd < 0)
    return;
  self->epoll_id = g_unix_fd_add (self->epoll_fd, G_IO_IN, on_epoll_ready, self);
}

typedef enum {
  TAKEOVER_DONE,      /* the hub owns the connection and has written the response so far */
  TAKEOVER_LOST,      /* taken from libsoup, but the client is already gone */
  TAKEOVER_REFUSED,   /* libsoup keeps it (HTTP/2, or no socket) */
} Takeover;

/* Takes @msg's connection over and writes its response so far. */
static Takeover
take_over (CompanionEventHub *self,
           Subscriber        *sub,
           SoupServerMessage *msg)
{
  SoupHTTPVersion version = soup_server_message_get_http_version (msg);
  g_autoptr(GString) head = NULL;
  GSocket *socket;

  if (version != SOUP_HTTP_1_0 && version != SOUP_HTTP_1_1)
    return TAKEOVER_REFUSED;
  socket = soup_server_message_get_socket (msg);
  if (socket == NULL)
    return TAKEOVER_REFUSED;
  ensure_epoll (self);
  if (self->epoll_fd < 0)
    return TAKEOVER_REFUSED;

  sub->chunked = version == SOUP_HTTP_1_1;
  head = serialize_response (msg, sub->chunked);
  /* The socket through public API while libsoup still has the connection;
   * the stolen stream (plain or TLS) reveals it no longer. */
  sub->socket = g_object_ref (socket);
  /* From here on libsoup has let go of the connection, whatever happens. */
  sub->stream = soup_server_message_steal_connection (msg);
  if (sub->stream == NULL || g_socket_is_closed (socket))
    {
      if (sub->stream != NULL)
        g_io_stream_close (sub->stream, NULL, NULL);
      g_clear_object (&sub->stream);
      return TAKEOVER_LOST;
    }
  sub->fd = g_socket_get_fd (socket);
  watch_fd (sub, EPOLL_CTL_ADD);
  return send_or_queue (sub, head->str, head->len) ? TAKEOVER_DONE : TAKEOVER_LOST;
}

/* ---- streams libsoup writes ---------------------------------------------- */

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

/* The open streams, to walk while writing to them forgets some. */
static GPtrArray *
snapshot_subscribers (CompanionEventHub *self)
{
  GPtrArray *subs = g_ptr_array_sized_new (g_hash_table_size (self->subscribers));
  GHashTableIter iter;
  gpointer sub;

  g_hash_table_iter_init (&iter, self->subscribers);
  while (g_hash_table_iter_next (&iter, &sub, NULL))
    g_ptr_array_add (subs, sub);
  return subs;
}

static void
write_keepalive (Subscriber *sub)
{
  if (sub->stream != NULL)
    {
      g_autoptr(GString) out = g_string_sized_new (32);

      append_chunk (out, sub->chunked, keepalive_comment, sizeof keepalive_comment - 1);
      stream_send (sub, out->str, out->len);
      return;
    }

  soup_message_body_append (soup_server_message_get_response_body (sub->msg), SOUP_MEMORY_STATIC,
                            keepalive_comment, sizeof keepalive_comment - 1);
  soup_server_message_unpause (sub->msg);
}

static gboolean
on_keepalive (gpointer user_data)
{
  CompanionEventHub *self = user_data;
  g_autoptr(GPtrArray) subs = snapshot_subscribers (self);

  /* A failed write forgets its stream: walk a copy. */
  for (guint i = 0; i < subs->len; i++)
    write_keepalive (g_ptr_array_index (subs, i));

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
  sub->fd = -1;
  sub->order_id = g_strdup (order_id);

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

  switch (take_over (self, sub, msg))
    {
    case TAKEOVER_DONE:
      return;
    case TAKEOVER_LOST:
      forget_subscriber (self, sub);
      return;
    case TAKEOVER_REFUSED:
    default:
      break;
    }

  sub->msg = msg;
  sub->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), sub);
  if (soup_server_message_get_socket (msg) != NULL)
    {
      sub->hangup_watch = g_socket_create_source (soup_server_message_get_socket (msg),
                                                  G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (sub->hangup_watch, G_SOURCE_FUNC (on_client_readable), sub, NULL);
      g_source_attach (sub->hangup_watch, g_main_context_get_thread_default ());
    }
  soup_server_message_unpause (msg);
}

/* Sends one event to @sub; a terminal one ends the stream. */
static void
publish_to (CompanionEventHub *self,
            Subscriber        *sub,
            gint64             seq,
            CrossingStatus     status,
            const char        *data,
            gboolean           terminal)
{
  SoupServerMessage *msg = sub->msg;

  if (sub->stream != NULL)
    {
      g_autoptr(GString) out = g_string_sized_new (256);

      append_frame (out, sub->chunked, seq, status, data);
      if (terminal)
        stream_end (self, sub, out);
      else
        stream_send (sub, out->str, out->len);
      return;
    }

  companion_event_hub_write_event (msg, seq, status, data);
  if (terminal)
    {
      companion_event_hub_end_stream (msg);
      drop_subscriber (self, sub);
    }
  soup_server_message_unpause (msg);
}

static void
on_event_committed (CompanionStore *store,
                    const char     *order_id,
                    gint64          seq,
                    int             status,
                    const char     *data,
                    gpointer        user_data)
{
  companion_event_hub_publish (user_data, order_id, seq, (CrossingStatus) status, data);
}

void
companion_event_hub_attach_store (CompanionEventHub *self,
                                  CompanionStore    *store)
{
  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));
  g_return_if_fail (COMPANION_IS_STORE (store));

  g_signal_connect_object (store, "event-committed", G_CALLBACK (on_event_committed), self, 0);
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
    publish_to (self, g_ptr_array_index (subs, i), seq, status, data, terminal);
}

void
companion_event_hub_close_all (CompanionEventHub *self)
{
  g_autoptr(GPtrArray) subs = NULL;

  g_return_if_fail (COMPANION_IS_EVENT_HUB (self));

  subs = snapshot_subscribers (self);
  for (guint i = 0; i < subs->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (subs, i);
      SoupServerMessage *msg = sub->msg;

      if (sub->stream != NULL)
        {
          g_autoptr(GString) out = g_string_new (NULL);

          stream_end (self, sub, out);
          continue;
        }
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
  /* Whatever has not drained by now never will. */
  if (self->draining != NULL)
    g_hash_table_remove_all (self->draining);
  g_clear_handle_id (&self->epoll_id, g_source_remove);
  if (self->epoll_fd >= 0)
    {
      close (self->epoll_fd);
      self->epoll_fd = -1;
    }

  G_OBJECT_CLASS (companion_event_hub_parent_class)->dispose (object);
}

static void
companion_event_hub_finalize (GObject *object)
{
  CompanionEventHub *self = (CompanionEventHub *) object;

  g_clear_pointer (&self->by_order, g_hash_table_unref);
  g_clear_pointer (&self->subscribers, g_hash_table_unref);
  g_clear_pointer (&self->draining, g_hash_table_unref);

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
  self->draining = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) subscriber_free, NULL);
  self->epoll_fd = -1;
  self->keepalive_ms = COMPANION_KEEPALIVE_SECONDS * 1000;
}
