/* client-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "client-test-server.h"

static void
reply (SoupServerMessage *msg,
       guint              status,
       const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  TestServer *self = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  const char *authorization = soup_message_headers_get_one (request_headers, "Authorization");

  g_free (self->last_authorization);
  self->last_authorization = g_strdup (authorization);
  if (request_body->length > 0)
    {
      g_free (self->last_body);
      self->last_body = g_strndup (request_body->data, request_body->length);
    }

  if (g_str_equal (path, "/api/auth/cross-device/start"))
    {
      g_autofree char *body = NULL;

      self->n_start++;
      body = self->start_body != NULL
             ? g_strdup (self->start_body)
             : g_strdup_printf ("{\"orderId\":\"ORDER%u\",\"adapterId\":\"ed25519\",\"kind\":\"login\","
                                "\"status\":\"created\",\"claimToken\":\"claim%u\","
                                "\"claimUrl\":\"%s/cross-device/claim/ORDER%u?token=claim%u\","
                                "\"eventToken\":\"event%u\",\"desktopToken\":\"desktop%u\","
                                "\"expiresAt\":%" G_GINT64_FORMAT ",\"userCode\":\"WDJB-MJH%c\","
                                "\"verificationUri\":\"%s/cross-device/code\"%s%s%s}",
                                self->n_start, self->n_start, self->url, self->n_start,
                                self->n_start, self->n_start, self->n_start,
                                g_get_real_time () / 1000 + 120000,
                                'B' + (char) MIN (self->n_start, 20), self->url,
                                self->start_subject != NULL ? ",\"subject\":\"" : "",
                                self->start_subject != NULL ? self->start_subject : "",
                                self->start_subject != NULL ? "\"" : "");
      reply (msg, self->start_status, body);
    }
  else if (g_str_equal (path, "/api/auth/cross-device/events"))
    {
      const char *last_id = soup_message_headers_get_one (request_headers, "Last-Event-ID");
      g_autofree char *text = NULL;
      SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);

      self->n_events++;
      g_ptr_array_add (self->last_event_ids, g_strdup (last_id != NULL ? last_id : ""));
      if (self->n_events == self->events_busy_at)
        {
          soup_message_headers_replace (response_headers, "Retry-After", "1");
          reply (msg, 429, "{\"code\":\"RATE_LIMITED\",\"message\":\"Too many open event streams\"}");
          return;
        }
      if (self->events_status != 200)
        {
          reply (msg, self->events_status,
                 "{\"code\":\"INVALID_EVENT_TOKEN\",\"message\":\"Invalid event token\"}");
          return;
        }
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_replace (response_headers, "Content-Type", self->events_type);
      soup_message_headers_replace (response_headers, "Cache-Control", "no-cache");
      if (self->n_events <= self->events_silent)
        {
          /* Held back on its way: the headers, and not one byte after. */
          soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
          g_ptr_array_add (self->held, g_object_ref (msg));
          return;
        }
      text = g_queue_pop_head (&self->event_bodies);
      if (text != NULL)
        {
          soup_message_body_append (soup_server_message_get_response_body (msg),
                                    SOUP_MEMORY_COPY, text, strlen (text));
          return;
        }
      /* Nothing scripted: an idle stream that stays open. */
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                ": idle\n\n", 8);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
  else if (g_str_equal (path, "/api/auth/cross-device/status"))
    {
      gint64 now = g_get_monotonic_time ();
      const char *text = g_queue_get_length (&self->status_bodies) > 1
                         ? g_queue_peek_head (&self->status_bodies)
                         : g_queue_peek_tail (&self->status_bodies);

      self->n_status++;
      g_array_append_val (self->status_times, now);
      if (self->n_status == self->status_slow_down_at)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", "2");
          reply (msg, 429, "{\"code\":\"SLOW_DOWN\",\"message\":\"Polled too early\","
                           "\"interval\":2}");
          return;
        }
      if (text == NULL)
        {
          reply (msg, 404, "{\"code\":\"ORDER_NOT_FOUND\",\"message\":\"Order not found\"}");
          return;
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Cache-Control", "no-store");
      reply (msg, 200, text);
      if (g_queue_get_length (&self->status_bodies) > 1)
        g_free (g_queue_pop_head (&self->status_bodies));
    }
  else if (g_str_equal (path, "/api/auth/cross-device/finalize"))
    {
      self->n_finalize++;
      reply (msg, 200, self->finalize_body != NULL ? self->finalize_body
             : "{\"ok\":true,\"orderId\":\"ORDER1\",\"status\":\"finalized\",\"kind\":\"login\","
               "\"redirectTo\":\"/\",\"token\":\"sessiontoken123\"}");
    }
  else if (g_str_equal (path, "/api/auth/cross-device/cancel"))
    {
      self->n_cancel++;
      reply (msg, 200, "{\"ok\":true,\"orderId\":\"ORDER1\",\"status\":\"cancelled\"}");
    }
  else if (g_str_equal (path, "/api/auth/get-session"))
    reply (msg, 200, self->session_body != NULL ? self->session_body
           : "{\"session\":{\"id\":\"s1\",\"userId\":\"u1\",\"expiresAt\":1900000000000,"
             "\"createdAt\":1800000000000},\"user\":{\"id\":\"u1\",\"name\":\"Ada\","
             "\"subject\":\"ed25519:abcd\",\"createdAt\":1800000000000}}");
  else if (g_str_equal (path, "/api/auth/health"))
    reply (msg, 200, "{\"status\":\"ok\",\"store\":\"sqlite\",\"version\":\"0.1.0\"}");
  else if (g_str_equal (path, "/api/auth/sign-out"))
    {
      self->n_sign_out++;
      reply (msg, 200, "{\"success\":true}");
    }
  else
    reply (msg, 404, "{\"code\":\"NOT_FOUND\",\"message\":\"Not found\"}");
}

TestServer *
test_server_new (void)
{
  TestServer *self = g_new0 (TestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, handle, self, NULL);
  soup_server_listen (self->server, address, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (self->server);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_queue_init (&self->event_bodies);
  g_queue_init (&self->status_bodies);
  self->status_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->events_type = g_strdup ("text/event-stream");
  self->events_status = 200;
  self->start_status = 200;
  self->last_event_ids = g_ptr_array_new_with_free_func (g_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
test_server_free (TestServer *self)
{
  soup_server_disconnect (self->server);
  g_ptr_array_unref (self->held);
  g_clear_object (&self->server);
  g_queue_clear_full (&self->event_bodies, g_free);
  g_queue_clear_full (&self->status_bodies, g_free);
  g_array_unref (self->status_times);
  g_free (self->start_subject);
  g_ptr_array_unref (self->last_event_ids);
  g_free (self->url);
  g_free (self->events_type);
  g_free (self->start_body);
  g_free (self->finalize_body);
  g_free (self->session_body);
  g_free (self->last_authorization);
  g_free (self->last_body);
  g_free (self);
}

void
test_server_queue_events (TestServer *self,
                          const char *text)
{
  g_queue_push_tail (&self->event_bodies, g_strdup (text));
}

void
test_server_queue_status (TestServer *self,
                          const char *text)
{
  g_queue_push_tail (&self->status_bodies, g_strdup (text));
}

char *
test_event (guint       id,
            const char *status,
            const char *order_id)
{
  return g_strdup_printf ("id: %u\nevent: %s\ndata: {\"orderId\":\"%s\",\"status\":\"%s\","
                          "\"kind\":\"login\",\"redirectTo\":\"/\"%s}\n\n",
                          id, status, order_id, status,
                          g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "");
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
test_wait_until (gboolean (*done) (gpointer data),
                 gpointer   data,
                 guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return done (data);
}

/* ---- the hostile server -------------------------------------------------- */

struct _TestRawServer
{
  GSocketService *service;
  char           *url;
  TestRawHandler  handler;
  gpointer        user_data;
  GCancellable   *cancellable;   /* cancelled when the server stops */
  GMutex          lock;
  GPtrArray      *threads;       /* GThread *, joined by free */
  gint            requests;      /* atomic */
  gint            hangups;       /* atomic */
};

typedef struct {
  TestRawServer     *server;
  GSocketConnection *connection;
} RawJob;

/* Reads up to the end of the head, then as much body as it announces, so
 * the client never finds its request unread (the kernel would reset the
 * connection and hide the answer). */
static char *
read_request (TestRawServer *self,
              GInputStream  *in)
{
  g_autoptr(GString) buffer = g_string_new (NULL);
  const char *end = NULL;
  gsize head_len;
  guint64 body_len = 0;
  g_autofree char *lower = NULL;
  const char *length;

  while ((end = strstr (buffer->str, "\r\n\r\n")) == NULL)
    {
      char chunk[1024];
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, self->cancellable, NULL);

      if (n <= 0 || buffer->len > 64 * 1024)
        return NULL;
      g_string_append_len (buffer, chunk, n);
    }
  head_len = (gsize) (end - buffer->str) + 4;
  lower = g_ascii_strdown (buffer->str, (gssize) head_len);
  length = strstr (lower, "\r\ncontent-length:");
  if (length != NULL)
    body_len = g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10);
  while (buffer->len - head_len < body_len)
    {
      char chunk[1024];
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, self->cancellable, NULL);

      if (n <= 0)
        return NULL;
      g_string_append_len (buffer, chunk, n);
    }
  g_string_truncate (buffer, head_len);
  return g_string_free (g_steal_pointer (&buffer), FALSE);
}

static gpointer
serve_connection (gpointer data)
{
  RawJob *job = data;
  TestRawServer *self = job->server;
  GIOStream *io = G_IO_STREAM (job->connection);
  g_autofree char *head = read_request (self, g_io_stream_get_input_stream (io));

  if (head != NULL)
    {
      g_auto(GStrv) words = g_strsplit_set (head, " \r\n", 3);

      g_atomic_int_inc (&self->requests);
      if (g_strv_length (words) >= 2)
        self->handler (self, g_io_stream_get_output_stream (io), words[0], words[1], head,
                       self->user_data);
    }
  g_io_stream_close (io, NULL, NULL);
  g_object_unref (job->connection);
  g_free (job);
  return NULL;
}

static gboolean
on_raw_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source_object,
                 gpointer           user_data)
{
  TestRawServer *self = user_data;
  RawJob *job = g_new0 (RawJob, 1);

  job->server = self;
  job->connection = g_object_ref (connection);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->threads, g_thread_new ("raw-server", serve_connection, job));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

TestRawServer *
test_raw_server_new (TestRawHandler handler,
                     gpointer       user_data)
{
  TestRawServer *self = g_new0 (TestRawServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  self->handler = handler;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  self->threads = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  self->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  self->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_raw_incoming), self);
  g_socket_service_start (self->service);
  return self;
}

void
test_raw_server_free (TestRawServer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_unref (self->threads);
  g_clear_object (&self->service);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->lock);
  g_free (self->url);
  g_free (self);
}

const char *
test_raw_server_get_url (TestRawServer *self)
{
  return self->url;
}

guint
test_raw_server_get_requests (TestRawServer *self)
{
  return (guint) g_atomic_int_get (&self->requests);
}

guint
test_raw_server_get_hangups (TestRawServer *self)
{
  return (guint) g_atomic_int_get (&self->hangups);
}

gboolean
test_raw_write (TestRawServer *self,
                GOutputStream *out,
                const void    *data,
                gsize          len)
{
  g_autoptr(GError) error = NULL;

  if (g_output_stream_write_all (out, data, len, NULL, self->cancellable, &error))
    return TRUE;
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_atomic_int_inc (&self->hangups);
  return FALSE;
}

gboolean
test_raw_write_str (TestRawServer *self,
                    GOutputStream *out,
                    const char    *text)
{
  return test_raw_write (self, out, text, strlen (text));
}

gboolean
test_raw_write_endless (TestRawServer *self,
                        GOutputStream *out,
                        char           byte,
                        gsize          max)
{
  char chunk[16 * 1024];

  memset (chunk, byte, sizeof chunk);
  for (gsize written = 0; written < max; written += sizeof chunk)
    if (!test_raw_write (self, out, chunk, sizeof chunk))
      return FALSE;
  return TRUE;
}

gboolean
test_raw_drip (TestRawServer *self,
               GOutputStream *out,
               const char    *text,
               guint          interval_ms)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      gint64 until = g_get_monotonic_time () + interval_ms * G_TIME_SPAN_MILLISECOND;

      if (!test_raw_write (self, out, p, 1))
        return FALSE;
      while (g_get_monotonic_time () < until)
        {
          if (g_cancellable_is_cancelled (self->cancellable))
            return FALSE;
          g_usleep (5000);
        }
    }
  return TRUE;
}
