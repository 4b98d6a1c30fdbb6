/* crossing-order.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every request of one order carries the order's GCancellable; a new order
 * or the object's disposal cancels it, so no callback lands on a stale
 * order. Callbacks hold a reference on the order while they run.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "crossing-sse-parser.h"
#include "crossing-token.h"

#include "crossing-error.h"
#include "crossing-order-private.h"

#define MAX_BACKOFF_MS 30000
#define READ_CHUNK 4096

struct _CrossingOrder
{
  GObject             parent_instance;

  SoupSession        *session;
  char               *server_url;
  char               *api;
  CrossingKind        kind;
  char               *title;
  char               *summary;
  char               *payload_hash;

  CrossingOrderState  state;
  GCancellable       *cancellable;   /* of the current order */
  char               *order_id;
  char               *desktop_token;
  char               *event_token;
  char               *claim_url;
  char               *check_code;
  gint64              expires_at;
  guint               renewals;
  char               *error;

  /* the event stream */
  CrossingSseParser  *parser;
  gboolean            parser_stale;  /* belongs to an order we dropped */
  gboolean            stream_seen;   /* a stream of this order was open */
  GInputStream       *stream;
  gboolean            reconnecting;
  guint               backoff_ms;
  guint               reconnect_id;

  /* the result */
  char               *session_token;
  char               *subject;
  char               *user_name;
  gint64              session_expires_at;
  char               *signature;
};

G_DEFINE_FINAL_TYPE (CrossingOrder, crossing_order, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_RECONNECTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void open_stream (CrossingOrder *self);
static void start_order (CrossingOrder *self);

const char *
crossing_order_state_to_string (CrossingOrderState state)
{
  static const char *names[] = {
    "idle", "starting", "waiting", "scanned", "finalizing", "signed-in", "done", "rejected",
    "cancelled", "expired", "failed",
  };

  g_return_val_if_fail (state <= CROSSING_ORDER_FAILED, "invalid");
  return names[state];
}

static void
set_state (CrossingOrder      *self,
           CrossingOrderState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  if (state == CROSSING_ORDER_SCANNED)
    g_debug ("state: %s, check code %s", crossing_order_state_to_string (state),
             self->check_code != NULL ? self->check_code : "none");
  else if (state == CROSSING_ORDER_WAITING)
    g_debug ("state: %s, order %s", crossing_order_state_to_string (state), self->order_id);
  else
    g_debug ("state: %s", crossing_order_state_to_string (state));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_reconnecting (CrossingOrder *self,
                  gboolean       reconnecting)
{
  if (self->reconnecting == reconnecting)
    return;
  self->reconnecting = reconnecting;
  g_debug ("stream %s", reconnecting ? "lost, reconnecting" : "connected");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static gboolean
is_following (CrossingOrder *self)
{
  return self->state == CROSSING_ORDER_WAITING || self->state == CROSSING_ORDER_SCANNED;
}

static void
fail (CrossingOrder *self,
      const GError  *error)
{
  g_free (self->error);
  self->error = crossing_error_describe (error, self->server_url);
  g_debug ("error: %s", error->message);
  set_state (self, CROSSING_ORDER_FAILED);
}

/* Forgets the current order's follow-up: requests, stream, timers. */
static void
drop_order (CrossingOrder *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->stream);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  set_reconnecting (self, FALSE);
  /* Events are handled from inside the parser's feed(): it may not be freed
   * here. The next order's stream starts from a fresh one. */
  self->parser_stale = TRUE;
  self->stream_seen = FALSE;
}

static void
clear_result (CrossingOrder *self)
{
  g_clear_pointer (&self->session_token, g_free);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->user_name, g_free);
  g_clear_pointer (&self->signature, g_free);
  g_clear_pointer (&self->check_code, g_free);
  g_clear_pointer (&self->error, g_free);
  self->session_expires_at = 0;
}

/* ---- JSON over HTTP ------------------------------------------------------ */

typedef void (*ReplyFunc) (CrossingOrder *self,
                           JsonObject    *reply,
                           GHashTable    *headers,
                           const GError  *error);

typedef struct {
  CrossingOrder *self;
  SoupMessage   *msg;
  ReplyFunc      func;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->self);
  g_clear_object (&request->msg);
  g_free (request);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
parse_object (GBytes  *bytes,
              GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *data;
  gsize len;
  JsonNode *root;

  data = g_bytes_get_data (bytes, &len);
  if (len == 0 || len > 64 * 1024 || !json_parser_load_from_data (parser, data, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not JSON");
      return NULL;
    }
  if (JSON_NODE_HOLDS_NULL (root))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      request_free (request);
      return;
    }

  if (bytes != NULL)
    {
      status = soup_message_get_status (request->msg);
      reply = parse_object (bytes, SOUP_STATUS_IS_SUCCESSFUL (status) ? &error : NULL);
      if (!SOUP_STATUS_IS_SUCCESSFUL (status) && error == NULL)
        {
          int code = crossing_error_from_code (member_string (reply, "code"));
          const char *message = member_string (reply, "message");

          g_set_error (&error, CROSSING_ERROR, code >= 0 ? code : CROSSING_ERROR_INTERNAL,
                       "%s", message != NULL ? message : soup_status_get_phrase (status));
          g_clear_pointer (&reply, json_object_unref);
        }
    }

  request->func (request->self, reply, NULL, error);
  request_free (request);
}

static void
send_json (CrossingOrder *self,
           const char    *method,
           const char    *url,
           JsonBuilder   *body,
           ReplyFunc      func)
{
  Request *request = g_new0 (Request, 1);

  request->self = g_object_ref (self);
  request->func = func;
  request->msg = soup_message_new (method, url);
  if (body != NULL)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (body);
      char *text = json_to_string (root, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
    }
  if (self->session_token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->session_token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (request->msg),
                                    "Authorization", bearer);
    }
  soup_session_send_and_read_async (self->session, request->msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, on_reply, request);
}

static JsonBuilder *
order_body (CrossingOrder *self)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "orderId");
  json_builder_add_string_value (b, self->order_id);
  json_builder_set_member_name (b, "desktopToken");
  json_builder_add_string_value (b, self->desktop_token);
  json_builder_end_object (b);
  return b;
}

static char *
api_url (CrossingOrder *self,
         const char    *endpoint)
{
  return g_strconcat (self->api, CROSSING_CROSS_DEVICE_PREFIX "/", endpoint, NULL);
}

/* ---- finalize and session ------------------------------------------------ */

static void
on_session (CrossingOrder *self,
            JsonObject    *reply,
            GHashTable    *headers,
            const GError  *error)
{
  JsonObject *session = NULL, *user = NULL;

  if (reply != NULL && json_object_has_member (reply, "user") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (reply, "user")))
    user = json_object_get_object_member (reply, "user");
  if (reply != NULL && json_object_has_member (reply, "session") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (reply, "session")))
    session = json_object_get_object_member (reply, "session");

  /* The session works even when its details cannot be read. */
  if (user != NULL)
    {
      g_free (self->user_name);
      self->user_name = g_strdup (member_string (user, "name"));
      if (member_string (user, "subject") != NULL)
        {
          g_free (self->subject);
          self->subject = g_strdup (member_string (user, "subject"));
        }
    }
  if (session != NULL)
    self->session_expires_at = member_int (session, "expiresAt");

  set_state (self, CROSSING_ORDER_SIGNED_IN);
}

static void
on_finalized (CrossingOrder *self,
              JsonObject    *reply,
              GHashTable    *headers,
              const GError  *error)
{
  g_autofree char *url = NULL;
  JsonObject *artifact;

  if (error != NULL)
    {
      fail (self, error);
      return;
    }

  drop_order (self);

  if (self->kind == CROSSING_KIND_LOGIN)
    {
      const char *token = member_string (reply, "token");

      if (token == NULL || !crossing_token_is_well_formed (token))
        {
          g_autoptr(GError) bad = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                       "finalize without a token");
          fail (self, bad);
          return;
        }
      self->session_token = g_strdup (token);
      url = g_strconcat (self->api, "/get-session", NULL);
      send_json (self, SOUP_METHOD_GET, url, NULL, on_session);
      return;
    }

  artifact = json_object_has_member (reply, "proofArtifact") &&
             JSON_NODE_HOLDS_OBJECT (json_object_get_member (reply, "proofArtifact"))
             ? json_object_get_object_member (reply, "proofArtifact") : NULL;
  self->subject = g_strdup (member_string (artifact, "subject"));
  self->signature = g_strdup (member_string (artifact, "signatureHex"));
  set_state (self, CROSSING_ORDER_DONE);
}

static void
finalize_order (CrossingOrder *self)
{
  g_autoptr(JsonBuilder) body = order_body (self);
  g_autofree char *url = api_url (self, "finalize");

  set_state (self, CROSSING_ORDER_FINALIZING);
  send_json (self, SOUP_METHOD_POST, url, body, on_finalized);
}

/* ---- events -------------------------------------------------------------- */

void
crossing_order_handle_event (CrossingOrder *self,
                             const char    *event_type,
                             const char    *data)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GBytes) bytes = NULL;
  CrossingStatus status;

  g_return_if_fail (CROSSING_IS_ORDER (self));

  status = crossing_status_from_string (event_type);
  if (status == CROSSING_STATUS_INVALID || data == NULL)
    return;

  bytes = g_bytes_new (data, strlen (data));
  object = parse_object (bytes, NULL);
  /* An event for another order (a stale stream) changes nothing. */
  if (object == NULL || g_strcmp0 (member_string (object, "orderId"), self->order_id) != 0)
    return;

  switch (status)
    {
    case CROSSING_STATUS_CLAIMED:
    case CROSSING_STATUS_WAITING_USER:
      if (member_string (object, "checkCode") != NULL)
        {
          g_free (self->check_code);
          self->check_code = g_strdup (member_string (object, "checkCode"));
        }
      if (is_following (self))
        set_state (self, CROSSING_ORDER_SCANNED);
      break;

    case CROSSING_STATUS_APPROVED:
      if (is_following (self))
        finalize_order (self);
      break;

    case CROSSING_STATUS_REJECTED:
      drop_order (self);
      set_state (self, CROSSING_ORDER_REJECTED);
      break;

    case CROSSING_STATUS_CANCELLED:
      drop_order (self);
      set_state (self, CROSSING_ORDER_CANCELLED);
      break;

    case CROSSING_STATUS_EXPIRED:
      /* Nobody scanned it: show a fresh code, a few times, then ask. */
      if (self->state == CROSSING_ORDER_WAITING && self->renewals < CROSSING_ORDER_MAX_RENEWALS)
        {
          self->renewals++;
          g_debug ("unclaimed order expired, renewing (%u of %u)", self->renewals,
                   CROSSING_ORDER_MAX_RENEWALS);
          start_order (self);
          return;
        }
      drop_order (self);
      set_state (self, CROSSING_ORDER_EXPIRED);
      break;

    case CROSSING_STATUS_FINALIZED:
    case CROSSING_STATUS_CREATED:
    case CROSSING_STATUS_INVALID:
    default:
      break;
    }
}

static void
on_sse_event (const char *event_type,
              const char *data,
              const char *last_event_id,
              gpointer    user_data)
{
  crossing_order_handle_event (user_data, event_type, data);
}

static gboolean
on_reconnect (gpointer user_data)
{
  CrossingOrder *self = user_data;

  self->reconnect_id = 0;
  open_stream (self);
  return G_SOURCE_REMOVE;
}

/* The stream ended or broke while the order still runs: come back later,
 * asking only for what was missed. */
static void
stream_lost (CrossingOrder *self,
             const GError  *error)
{
  gint64 retry = self->parser != NULL ? crossing_sse_parser_get_retry (self->parser) : -1;
  guint delay;

  g_clear_object (&self->stream);
  if (!is_following (self))
    return;

  if (error != NULL)
    g_debug ("stream error: %s", error->message);
  set_reconnecting (self, TRUE);

  delay = retry > 0 ? (guint) MIN (retry, MAX_BACKOFF_MS) : 1000;
  delay = MAX (delay, self->backoff_ms);
  self->backoff_ms = MIN (MAX (delay, 500) * 2, MAX_BACKOFF_MS);
  self->reconnect_id = g_timeout_add (delay, on_reconnect, self);
}

static void
on_stream_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      G_INPUT_STREAM (source) != self->stream)
    return;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      stream_lost (self, error);
      return;
    }

  set_reconnecting (self, FALSE);
  self->backoff_ms = 0;
  data = g_bytes_get_data (bytes, &len);
  if (!crossing_sse_parser_feed (self->parser, data, len, &error))
    {
      /* A hostile or broken server: stop reading, reconnect later. */
      crossing_sse_parser_reset (self->parser);
      stream_lost (self, error);
      return;
    }

  if (is_following (self) && self->stream != NULL)
    g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                     self->cancellable, on_stream_read, g_object_ref (self));
}

static void
on_stream_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  const char *type;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (stream == NULL)
    {
      stream_lost (self, error);
      return;
    }

  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)) ||
      g_strcmp0 (type, "text/event-stream") != 0)
    {
      g_autoptr(GError) bad = NULL;

      /* The order is gone or the token refused: nothing to reconnect to. */
      if (soup_message_get_status (msg) >= 400 && soup_message_get_status (msg) < 500 &&
          soup_message_get_status (msg) != 429)
        {
          bad = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "event stream refused (%u)", soup_message_get_status (msg));
          drop_order (self);
          fail (self, bad);
          return;
        }
      bad = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an event stream");
      stream_lost (self, bad);
      return;
    }

  crossing_sse_parser_reset (self->parser);
  self->stream_seen = TRUE;
  self->stream = g_steal_pointer (&stream);
  g_input_stream_read_bytes_async (self->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_stream_read, g_object_ref (self));
}

static void
open_stream (CrossingOrder *self)
{
  g_autofree char *base = api_url (self, "events");
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  const char *last_id;

  url = g_strdup_printf ("%s?orderId=%s&eventToken=%s", base, self->order_id, self->event_token);
  msg = soup_message_new (SOUP_METHOD_GET, url);
  if (msg == NULL)
    return;

  if (self->parser == NULL || self->parser_stale)
    {
      g_clear_pointer (&self->parser, crossing_sse_parser_free);
      self->parser = crossing_sse_parser_new (on_sse_event, NULL, self);
      self->parser_stale = FALSE;
    }
  /* Without an ID the server sends only the current state, which may not
   * carry the check code: a stream that was open and saw nothing has seen
   * everything up to event 0. */
  last_id = crossing_sse_parser_get_last_event_id (self->parser);
  if ((last_id == NULL || *last_id == '\0') && self->stream_seen)
    last_id = "0";
  if (last_id != NULL && *last_id != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Last-Event-ID",
                                  last_id);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "text/event-stream");

  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                           on_stream_opened, g_object_ref (self));
}

/* ---- start, cancel, sign out ---------------------------------------------- */

static void
on_started (CrossingOrder *self,
            JsonObject    *reply,
            GHashTable    *headers,
            const GError  *error)
{
  const char *order_id, *desktop_token, *event_token, *claim_url;

  if (error != NULL)
    {
      fail (self, error);
      return;
    }

  order_id = member_string (reply, "orderId");
  desktop_token = member_string (reply, "desktopToken");
  event_token = member_string (reply, "eventToken");
  claim_url = member_string (reply, "claimUrl");
  if (!crossing_token_is_well_formed (order_id) || !crossing_token_is_well_formed (desktop_token) ||
      !crossing_token_is_well_formed (event_token) || claim_url == NULL ||
      !g_str_has_prefix (claim_url, "http"))
    {
      g_autoptr(GError) bad = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                   "start answer incomplete");
      fail (self, bad);
      return;
    }

  g_free (self->order_id);
  self->order_id = g_strdup (order_id);
  g_free (self->desktop_token);
  self->desktop_token = g_strdup (desktop_token);
  g_free (self->event_token);
  self->event_token = g_strdup (event_token);
  g_free (self->claim_url);
  self->claim_url = g_strdup (claim_url);
  self->expires_at = member_int (reply, "expiresAt");

  set_state (self, CROSSING_ORDER_WAITING);
  open_stream (self);
}

void
crossing_order_start (CrossingOrder *self)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  self->renewals = 0;
  start_order (self);
}

static void
start_order (CrossingOrder *self)
{
  g_autoptr(JsonBuilder) body = json_builder_new ();
  g_autofree char *url = NULL;

  drop_order (self);
  clear_result (self);
  g_clear_pointer (&self->order_id, g_free);
  set_state (self, CROSSING_ORDER_STARTING);

  json_builder_begin_object (body);
  json_builder_set_member_name (body, "kind");
  json_builder_add_string_value (body, crossing_kind_to_string (self->kind));
  if (self->title != NULL)
    {
      json_builder_set_member_name (body, "displayTitle");
      json_builder_add_string_value (body, self->title);
    }
  if (self->summary != NULL)
    {
      json_builder_set_member_name (body, "displaySummary");
      json_builder_add_string_value (body, self->summary);
    }
  if (self->payload_hash != NULL)
    {
      json_builder_set_member_name (body, "payloadHash");
      json_builder_add_string_value (body, self->payload_hash);
    }
  json_builder_end_object (body);

  url = api_url (self, "start");
  send_json (self, SOUP_METHOD_POST, url, body, on_started);
}

static void
on_cancelled (CrossingOrder *self,
              JsonObject    *reply,
              GHashTable    *headers,
              const GError  *error)
{
  /* The order may have ended on its own meanwhile: it is over either way. */
  if (error != NULL)
    g_debug ("cancel: %s", error->message);
  drop_order (self);
  set_state (self, CROSSING_ORDER_CANCELLED);
}

void
crossing_order_cancel (CrossingOrder *self)
{
  g_autoptr(JsonBuilder) body = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_ORDER (self));

  if (!is_following (self) && self->state != CROSSING_ORDER_STARTING)
    return;
  if (self->order_id == NULL)
    {
      drop_order (self);
      set_state (self, CROSSING_ORDER_CANCELLED);
      return;
    }

  body = order_body (self);
  url = api_url (self, "cancel");
  send_json (self, SOUP_METHOD_POST, url, body, on_cancelled);
}

static void
on_signed_out (CrossingOrder *self,
               JsonObject    *reply,
               GHashTable    *headers,
               const GError  *error)
{
  if (error != NULL)
    g_debug ("sign-out: %s", error->message);
  clear_result (self);
  set_state (self, CROSSING_ORDER_IDLE);
}

void
crossing_order_sign_out (CrossingOrder *self)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_ORDER (self));

  if (self->session_token == NULL)
    {
      clear_result (self);
      set_state (self, CROSSING_ORDER_IDLE);
      return;
    }
  url = g_strconcat (self->api, "/sign-out", NULL);
  send_json (self, SOUP_METHOD_POST, url, NULL, on_signed_out);
}

/* ---- boilerplate ---------------------------------------------------------- */

CrossingOrder *
crossing_order_new (const char *server_url)
{
  CrossingOrder *self;
  g_autofree char *trimmed = NULL;
  g_autofree char *agent = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);

  self = g_object_new (CROSSING_TYPE_ORDER, NULL);
  trimmed = g_strdup (server_url);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  self->server_url = g_steal_pointer (&trimmed);
  self->api = g_strconcat (self->server_url, CROSSING_DEFAULT_BASE_PATH, NULL);
  agent = g_strdup_printf ("crossing/%s", PACKAGE_VERSION);
  self->session = soup_session_new_with_options ("user-agent", agent, "timeout", 30, NULL);
  return self;
}

static void
crossing_order_dispose (GObject *object)
{
  CrossingOrder *self = (CrossingOrder *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (crossing_order_parent_class)->dispose (object);
}

static void
crossing_order_finalize (GObject *object)
{
  CrossingOrder *self = (CrossingOrder *) object;

  clear_result (self);
  g_clear_pointer (&self->parser, crossing_sse_parser_free);
  g_free (self->server_url);
  g_free (self->api);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->payload_hash);
  g_free (self->order_id);
  g_free (self->desktop_token);
  g_free (self->event_token);
  g_free (self->claim_url);

  G_OBJECT_CLASS (crossing_order_parent_class)->finalize (object);
}

static void
crossing_order_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CrossingOrder *self = CROSSING_ORDER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_RECONNECTING:
      g_value_set_boolean (value, self->reconnecting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
crossing_order_class_init (CrossingOrderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = crossing_order_dispose;
  object_class->finalize = crossing_order_finalize;
  object_class->get_property = crossing_order_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, CROSSING_ORDER_IDLE, CROSSING_ORDER_FAILED,
                      CROSSING_ORDER_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECONNECTING] =
    g_param_spec_boolean ("reconnecting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
crossing_order_init (CrossingOrder *self)
{
  self->cancellable = g_cancellable_new ();
  self->kind = CROSSING_KIND_LOGIN;
}

#define GETTER(type, name, field) \
  type crossing_order_get_##name (CrossingOrder *self) \
  { \
    g_return_val_if_fail (CROSSING_IS_ORDER (self), 0); \
    return self->field; \
  }

GETTER (const char *, server_url, server_url)
GETTER (CrossingKind, kind, kind)
GETTER (CrossingOrderState, state, state)
GETTER (const char *, claim_url, claim_url)
GETTER (const char *, check_code, check_code)
GETTER (gint64, expires_at, expires_at)
GETTER (gboolean, reconnecting, reconnecting)
GETTER (const char *, error, error)
GETTER (const char *, subject, subject)
GETTER (const char *, user_name, user_name)
GETTER (gint64, session_expires_at, session_expires_at)
GETTER (const char *, signature, signature)
GETTER (guint, renewals, renewals)

void
crossing_order_set_kind (CrossingOrder *self,
                         CrossingKind   kind)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  self->kind = kind;
}

void
crossing_order_set_display (CrossingOrder *self,
                            const char    *title,
                            const char    *summary,
                            const char    *payload_hash)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_free (self->title);
  self->title = g_strdup (title);
  g_free (self->summary);
  self->summary = g_strdup (summary);
  g_free (self->payload_hash);
  self->payload_hash = g_strdup (payload_hash);
}

void
crossing_order_follow_for_test (CrossingOrder *self,
                                const char    *order_id,
                                guint          renewals)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  drop_order (self);
  clear_result (self);
  g_free (self->order_id);
  self->order_id = g_strdup (order_id);
  g_free (self->desktop_token);
  self->desktop_token = g_strdup ("test-desktop-token");
  g_free (self->claim_url);
  self->claim_url = g_strdup_printf ("%s/cross-device/claim/%s?token=test", self->server_url,
                                     order_id);
  self->renewals = renewals;
  self->expires_at = crossing_now_ms () + 120000;
  set_state (self, CROSSING_ORDER_WAITING);
}
