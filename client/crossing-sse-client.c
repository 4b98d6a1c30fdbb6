/* crossing-sse-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every connection gets its own GCancellable; stop() cancels it, so a read
 * that completes afterwards finds itself cancelled and touches nothing. The
 * parser lives as long as the client (it carries the last event ID and the
 * retry time over connections) and is reset for each new one.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <libsoup/soup.h>

#include "crossing-protocol.h"
#include "crossing-sse-parser.h"

#include "crossing-sse-client.h"

#define READ_CHUNK 4096

struct _CrossingSseClient
{
  GObject            parent_instance;

  SoupSession       *session;
  char              *url;
  CrossingSseParser *parser;

  GCancellable      *cancellable;   /* of the current connection, NULL when stopped */
  GInputStream      *stream;
  guint              reconnect_id;
  guint              attempts;      /* failed connections in a row */
  char              *initial_event_id;
  guint              retry_after_ms; /* a 429's or 503's Retry-After, used once */
  gboolean           reconnecting;  /* lost, a reconnection is due */
};

G_DEFINE_FINAL_TYPE (CrossingSseClient, crossing_sse_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RECONNECTING,
  N_PROPS
};

enum {
  EVENT,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_stream (CrossingSseClient *self);

guint
crossing_sse_client_reconnect_delay (gint64 retry_ms,
                                     guint  attempt)
{
  guint64 delay = retry_ms >= 0 ? (guint64) retry_ms : CROSSING_SSE_RETRY_MS;

  /* A server asking for "retry: 0" would have us spin. */
  delay = MAX (delay, 100);
  for (guint i = 1; i < attempt && delay < CROSSING_SSE_CLIENT_MAX_DELAY_MS; i++)
    delay *= 2;
  return (guint) MIN (delay, CROSSING_SSE_CLIENT_MAX_DELAY_MS);
}

static void
set_reconnecting (CrossingSseClient *self,
                  gboolean           reconnecting)
{
  if (self->reconnecting == reconnecting)
    return;
  self->reconnecting = reconnecting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static void
on_parser_event (const char *event_type,
                 const char *data,
                 const char *last_event_id,
                 gpointer    user_data)
{
  CrossingSseClient *self = user_data;

  /* stop() from an earlier event of the same chunk: say nothing more. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  g_signal_emit (self, signals[EVENT], 0, event_type, data, last_event_id);
}

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  CrossingSseClient *self = user_data;

  self->reconnect_id = 0;
  connect_stream (self);
  return G_SOURCE_REMOVE;
}

/* The connection broke or ended: try again after the server's retry time. */
static void
connection_lost (CrossingSseClient *self,
                 const GError      *error)
{
  guint delay;

  g_clear_object (&self->stream);
  self->attempts++;
  delay = crossing_sse_client_reconnect_delay (crossing_sse_parser_get_retry (self->parser),
                                               self->attempts);
  delay = MAX (delay, MIN (self->retry_after_ms, CROSSING_SSE_CLIENT_MAX_DELAY_MS));
  self->retry_after_ms = 0;
  if (error != NULL)
    g_debug ("stream: %s; reconnecting in %u ms", error->message, delay);
  else
    g_debug ("stream ended; reconnecting in %u ms", delay);
  g_debug ("stream lost, reconnecting");
  set_reconnecting (self, TRUE);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->reconnect_id = g_timeout_add (delay, on_reconnect_timeout, self);
}

static void
fail (CrossingSseClient *self,
      GError            *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(CrossingSseClient) hold = g_object_ref (self);

  crossing_sse_client_stop (self);
  g_debug ("stream refused: %s", owned->message);
  g_signal_emit (self, signals[FAILED], 0, owned);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CrossingSseClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  const char *data;
  gboolean fed;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      G_INPUT_STREAM (source) != self->stream)
    return;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      connection_lost (self, error);
      return;
    }

  self->attempts = 0;
  data = g_bytes_get_data (bytes, &len);
  /* Handlers may stop us: keep this connection's cancellable to tell. */
  cancellable = g_object_ref (self->cancellable);
  fed = crossing_sse_parser_feed (self->parser, data, len, &error);
  if (g_cancellable_is_cancelled (cancellable))
    return;
  if (!fed)
    {
      /* A hostile or broken server: drop what it sent, reconnect later. */
      crossing_sse_parser_reset (self->parser);
      connection_lost (self, error);
      return;
    }

  g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_read, g_object_ref (self));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CrossingSseClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  const char *type;
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (stream == NULL)
    {
      connection_lost (self, error);
      return;
    }

  status = soup_message_get_status (msg);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (status >= 400 && status < 500 && status != 429)
    {
      /* The order is gone or the token refused: nothing to reconnect to. */
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               "The server refused the event stream (HTTP %u)", status));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GError) busy = g_error_new (G_IO_ERROR, G_IO_ERROR_BUSY, "HTTP %u", status);
      const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                              "Retry-After");
      guint64 seconds;

      /* Only the delta-seconds form: a date would need a trustworthy clock. */
      if (retry_after != NULL &&
          g_ascii_string_to_unsigned (retry_after, 10, 0, 3600, &seconds, NULL))
        self->retry_after_ms = (guint) seconds * 1000;
      connection_lost (self, busy);
      return;
    }
  if (g_strcmp0 (type, "text/event-stream") != 0)
    {
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The server sent %s, not an event stream",
                               type != NULL ? type : "no content type"));
      return;
    }

  crossing_sse_parser_reset (self->parser);
  self->stream = g_steal_pointer (&stream);
  g_debug ("stream connected");
  set_reconnecting (self, FALSE);
  g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_read, g_object_ref (self));
}

static void
connect_stream (CrossingSseClient *self)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->url);
  SoupMessageHeaders *headers;
  const char *last_id = crossing_sse_parser_get_last_event_id (self->parser);

  if (msg == NULL)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                       "The event stream's address is not a valid URL"));
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  if ((last_id == NULL || *last_id == '\0') && self->initial_event_id != NULL)
    last_id = self->initial_event_id;
  if (last_id != NULL && *last_id != '\0')
    soup_message_headers_replace (headers, "Last-Event-ID", last_id);

  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable, on_sent,
                           g_object_ref (self));
}

void
crossing_sse_client_start (CrossingSseClient *self)
{
  g_return_if_fail (CROSSING_IS_SSE_CLIENT (self));

  crossing_sse_client_stop (self);
  self->cancellable = g_cancellable_new ();
  self->attempts = 0;
  connect_stream (self);
}

void
crossing_sse_client_set_initial_event_id (CrossingSseClient *self,
                                          const char        *event_id)
{
  g_return_if_fail (CROSSING_IS_SSE_CLIENT (self));

  g_free (self->initial_event_id);
  self->initial_event_id = g_strdup (event_id);
}

void
crossing_sse_client_stop (CrossingSseClient *self)
{
  g_return_if_fail (CROSSING_IS_SSE_CLIENT (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  /* Stopped on purpose: not waiting to reconnect. */
  set_reconnecting (self, FALSE);
}

gboolean
crossing_sse_client_get_reconnecting (CrossingSseClient *self)
{
  g_return_val_if_fail (CROSSING_IS_SSE_CLIENT (self), FALSE);
  return self->reconnecting;
}

const char *
crossing_sse_client_get_last_event_id (CrossingSseClient *self)
{
  g_return_val_if_fail (CROSSING_IS_SSE_CLIENT (self), NULL);
  return crossing_sse_parser_get_last_event_id (self->parser);
}

guint
crossing_sse_client_get_attempts (CrossingSseClient *self)
{
  g_return_val_if_fail (CROSSING_IS_SSE_CLIENT (self), 0);
  return self->attempts;
}

static void
crossing_sse_client_dispose (GObject *object)
{
  CrossingSseClient *self = (CrossingSseClient *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (crossing_sse_client_parent_class)->dispose (object);
}

static void
crossing_sse_client_finalize (GObject *object)
{
  CrossingSseClient *self = (CrossingSseClient *) object;

  g_clear_pointer (&self->parser, crossing_sse_parser_free);
  g_free (self->url);
  g_free (self->initial_event_id);

  G_OBJECT_CLASS (crossing_sse_client_parent_class)->finalize (object);
}

static void
crossing_sse_client_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CrossingSseClient *self = CROSSING_SSE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_RECONNECTING:
      g_value_set_boolean (value, self->reconnecting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
crossing_sse_client_class_init (CrossingSseClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = crossing_sse_client_dispose;
  object_class->finalize = crossing_sse_client_finalize;
  object_class->get_property = crossing_sse_client_get_property;

  properties[PROP_RECONNECTING] =
    g_param_spec_boolean ("reconnecting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (event_type, data, last_event_id) */
  signals[EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 3,
                                 G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
crossing_sse_client_init (CrossingSseClient *self)
{
  g_autofree char *agent = g_strdup_printf ("crossing/%s", PACKAGE_VERSION);

  /* A read that waits a minute means a dead connection: the server's
   * keepalives come at least every 15 s. */
  self->session = soup_session_new_with_options ("user-agent", agent, "timeout", 60, NULL);
  self->parser = crossing_sse_parser_new (on_parser_event, NULL, self);
}

CrossingSseClient *
crossing_sse_client_new (const char *url)
{
  CrossingSseClient *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (CROSSING_TYPE_SSE_CLIENT, NULL);
  self->url = g_strdup (url);
  return self;
}
