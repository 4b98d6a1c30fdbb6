/* crossing-sse-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every connection gets its own GCancellable; stop() cancels it, so a read
 * that completes afterwards finds itself cancelled and touches nothing. The
 * parser lives as long as the client (it carries the last event ID and the
 * retry time over connections) and is reset for each new one.
 *
 * Against a hostile server: the parser's limits bound what is buffered; a
 * stream that breaks the protocol (an over-long line or event, a NUL byte,
 * text that is not UTF-8, JSON nested deeper than any event of the
 * contract) or stalls (no event and no keepalive for the stall timeout,
 * however many bytes it drips) is dropped; only an event resets the backoff,
 * so such a server is retried ever more slowly, and after
 * CROSSING_SSE_CLIENT_MAX_VIOLATIONS of them in a row not at all. After a
 * full chunk the next read waits a millisecond, so a flood of events cannot
 * starve GTK's drawing (which runs below I/O priority); reads themselves
 * keep I/O priority, so a window that cannot keep up with its animations
 * cannot starve the stream either.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <libsoup/soup.h>

#include <string.h>

#include "crossing-api.h"
#include "crossing-protocol.h"
#include "crossing-sse-parser.h"

#include "crossing-sse-client.h"

#define READ_CHUNK 4096
/* The contract's event IDs are sequence numbers. */
#define MAX_EVENT_ID_LEN 64

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
  guint              violations;    /* connections in a row that broke the protocol */
  GError            *violation;     /* of the chunk being fed */
  guint              stall_timeout_ms;
  guint              stall_id;
  guint              resume_id;     /* the next read, after a full chunk */
  gint64             connected_at;  /* monotonic µs, 0 while not connected */
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
  ALIVE,
  LOST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_stream    (CrossingSseClient *self);
static void arm_stall_clock   (CrossingSseClient *self);
static void read_next         (CrossingSseClient *self);
static gboolean on_resume_read (gpointer           user_data);

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

  /* stop() from an earlier event of the same chunk, or a broken one before
   * it: say nothing more. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable) ||
      self->violation != NULL)
    return;

  /* Handlers parse the data as JSON: json-glib wants UTF-8 and recurses per
   * nesting level. */
  if (!g_utf8_validate (event_type, -1, NULL) || !g_utf8_validate (data, -1, NULL) ||
      !crossing_json_is_strict (data, strlen (data), CROSSING_JSON_MAX_DEPTH))
    {
      self->violation = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                             "The server sent an event that is not "
                                             "the JSON text of the contract");
      return;
    }

  /* A working stream: start the backoff over, and the stall clock. */
  self->attempts = 0;
  self->violations = 0;
  arm_stall_clock (self);
  g_signal_emit (self, signals[EVENT], 0, event_type, data, last_event_id);
}

static void
on_parser_comment (const char *comment,
                   gpointer    user_data)
{
  CrossingSseClient *self = user_data;

  /* Keepalives prove the stream alive, not that it works: the stall clock
   * restarts, the backoff does not. */
  if (self->cancellable != NULL && self->violation == NULL)
    {
      arm_stall_clock (self);
      g_signal_emit (self, signals[ALIVE], 0);
    }
}

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  CrossingSseClient *self = user_data;

  self->reconnect_id = 0;
  connect_stream (self);
  return G_SOURCE_REMOVE;
}

/* Ends the current connection, whatever it is doing: a read or a request
 * in flight finds its cancellable cancelled, the next gets a fresh one. */
static void
drop_connection (CrossingSseClient *self)
{
  g_clear_handle_id (&self->stall_id, g_source_remove);
  g_clear_handle_id (&self->resume_id, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  /* Unread, the body's connection is closed rather than reused. */
  g_clear_object (&self->stream);
}

/* The connection broke or ended: try again after the server's retry time. */
static void
connection_lost (CrossingSseClient *self,
                 const GError      *error)
{
  g_autoptr(CrossingSseClient) hold = g_object_ref (self);
  guint delay;

  g_clear_handle_id (&self->stall_id, g_source_remove);
  g_clear_handle_id (&self->resume_id, g_source_remove);
  g_clear_object (&self->stream);
  /* A connection that outlived the longest wait worked, events or not (a
   * proxy may cut idle streams): start the backoff over. */
  if (self->connected_at != 0 &&
      g_get_monotonic_time () - self->connected_at >= CROSSING_SSE_CLIENT_MAX_DELAY_MS * 1000)
    self->attempts = 0;
  self->connected_at = 0;
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
  /* Last: a handler may stop us, which also forgets the reconnection. */
  g_signal_emit (self, signals[LOST], 0, error);
}

static void fail (CrossingSseClient *self,
                  GError            *error);

/* The server broke the protocol or stalled: not a network hiccup. Retried
 * with growing delays a few times, as a restarting server may garble a
 * stream, then given up. */
static void
connection_broken (CrossingSseClient *self,
                   GError            *error)
{
  g_autoptr(GError) owned = error;

  drop_connection (self);
  crossing_sse_parser_reset (self->parser);
  self->connected_at = 0;
  self->violations++;
  g_debug ("stream broke the protocol (%u in a row): %s", self->violations, owned->message);
  if (self->violations >= CROSSING_SSE_CLIENT_MAX_VIOLATIONS)
    {
      fail (self, g_steal_pointer (&owned));
      return;
    }
  connection_lost (self, owned);
}

static gboolean
on_stall (gpointer user_data)
{
  CrossingSseClient *self = user_data;

  self->stall_id = 0;
  connection_broken (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                        "The event stream stalled: nothing arrived for %u s",
                                        (self->stall_timeout_ms + 999) / 1000));
  return G_SOURCE_REMOVE;
}

/* From a connection's start to its end, an event or a keepalive must come
 * within the stall timeout: a dripping server cannot hold the stream. */
static void
arm_stall_clock (CrossingSseClient *self)
{
  g_clear_handle_id (&self->stall_id, g_source_remove);
  self->stall_id = g_timeout_add (self->stall_timeout_ms, on_stall, self);
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
  const char *nul;
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

  data = g_bytes_get_data (bytes, &len);
  /* Text has no NUL, and the parser would hand on events cut at one: what
   * comes before it is read, the stream ends there. */
  nul = memchr (data, '\0', len);

  /* Handlers may stop us: keep this connection's cancellable to tell. */
  cancellable = g_object_ref (self->cancellable);
  fed = crossing_sse_parser_feed (self->parser, data, nul != NULL ? (gsize) (nul - data) : len,
                                  &error);
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_clear_error (&self->violation);
      return;
    }
  if (fed && self->violation == NULL && nul != NULL)
    self->violation = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                           "The server sent a NUL byte in its event stream");
  if (!fed || self->violation != NULL)
    {
      /* A hostile or broken server: drop what it sent, reconnect later. */
      connection_broken (self, self->violation != NULL ? g_steal_pointer (&self->violation)
                                                       : g_steal_pointer (&error));
      return;
    }

  if (len == READ_CHUNK)
    {
      /* More is waiting, maybe a flood: GTK draws below I/O priority, so
       * leave the main loop a moment free for it before reading on. */
      self->resume_id = g_timeout_add (1, on_resume_read, self);
      return;
    }
  read_next (self);
}

static void
read_next (CrossingSseClient *self)
{
  g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_read, g_object_ref (self));
}

static gboolean
on_resume_read (gpointer user_data)
{
  CrossingSseClient *self = user_data;

  self->resume_id = 0;
  read_next (self);
  return G_SOURCE_REMOVE;
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
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      /* A redirect loop would have us reconnect forever; none is followed. */
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "The server redirected the event stream (HTTP %u); "
                               "Crossing follows no redirects", status));
      return;
    }
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
      gboolean showable = type != NULL && strlen (type) <= 64 && crossing_string_is_clean (type);

      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The server sent %s, not an event stream",
                               showable ? type : "no content type"));
      return;
    }

  crossing_sse_parser_reset (self->parser);
  self->stream = g_steal_pointer (&stream);
  self->connected_at = g_get_monotonic_time ();
  g_debug ("stream connected");
  set_reconnecting (self, FALSE);
  read_next (self);
}

static gboolean
is_header_safe (const char *value,
                gsize       max_len)
{
  gsize len = strlen (value);

  if (len > max_len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isprint (value[i]))
      return FALSE;
  return TRUE;
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
  /* The ID is the server's text, sent back in a header: only a sane one. */
  if (last_id != NULL && *last_id != '\0' && is_header_safe (last_id, MAX_EVENT_ID_LEN))
    soup_message_headers_replace (headers, "Last-Event-ID", last_id);

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  arm_stall_clock (self);
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
  self->violations = 0;
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
  g_clear_handle_id (&self->stall_id, g_source_remove);
  g_clear_handle_id (&self->resume_id, g_source_remove);
  self->connected_at = 0;
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

gsize
crossing_sse_client_get_buffered (CrossingSseClient *self)
{
  g_return_val_if_fail (CROSSING_IS_SSE_CLIENT (self), 0);
  return crossing_sse_parser_get_buffered (self->parser);
}

void
crossing_sse_client_set_stall_timeout (CrossingSseClient *self,
                                       guint              timeout_ms)
{
  g_return_if_fail (CROSSING_IS_SSE_CLIENT (self));
  g_return_if_fail (timeout_ms > 0);

  self->stall_timeout_ms = timeout_ms;
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
  g_clear_handle_id (&self->stall_id, g_source_remove);
  g_clear_handle_id (&self->resume_id, g_source_remove);
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
  g_clear_error (&self->violation);

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
  /* A keepalive arrived: the stream is alive, whether or not it has news. */
  signals[ALIVE] = g_signal_new ("alive", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A connection ended or broke, and a reconnection is due (the error, or
   * NULL when the server ended the stream). */
  signals[LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
crossing_sse_client_init (CrossingSseClient *self)
{
  g_autofree char *agent = g_strdup_printf ("crossing/%s", PACKAGE_VERSION);

  /* A read that waits a minute means a dead connection: the server's
   * keepalives come at least every 15 s. */
  self->session = soup_session_new_with_options ("user-agent", agent, "timeout", 60, NULL);
  self->parser = crossing_sse_parser_new (on_parser_event, on_parser_comment, self);
  crossing_sse_parser_set_limits (self->parser, CROSSING_SSE_CLIENT_MAX_LINE,
                                  CROSSING_SSE_CLIENT_MAX_EVENT);
  self->stall_timeout_ms = CROSSING_SSE_CLIENT_STALL_TIMEOUT_MS;
}

CrossingSseClient *
crossing_sse_client_new (const char *url)
{
  CrossingSseClient *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (CROSSING_TYPE_SSE_CLIENT, NULL);
  self->url = g_strdup (url);
  if (crossing_api_url_is_loopback (url))
    soup_session_set_proxy_resolver (self->session, NULL);
  return self;
}
