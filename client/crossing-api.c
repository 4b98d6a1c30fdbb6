/* crossing-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each call is one GTask: the request is sent with soup_session_send_and_read,
 * the answer parsed by crossing_api_parse_reply(), and a per-call function
 * turns the JSON object into the reply struct. Replies from the network are
 * checked member by member; nothing in them is trusted to be well typed.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "crossing-token.h"

#include "crossing-api.h"

/* No reply of the contract comes near this; a larger one is not ours, and
 * reading stops there. */
#define MAX_REPLY_BYTES (256 * 1024)
/* A server's error message longer than this is not a sentence for a person. */
#define MAX_MESSAGE_BYTES 300
#define READ_CHUNK (16 * 1024)

struct _CrossingApi
{
  GObject      parent_instance;

  SoupSession *session;
  char        *server_url;
  char        *base_url;     /* server_url + base path */
  guint        timeout_ms;
};

G_DEFINE_FINAL_TYPE (CrossingApi, crossing_api, G_TYPE_OBJECT)

typedef gpointer (*ReplyFunc) (JsonObject  *object,
                               GError     **error);

typedef struct {
  SoupMessage    *msg;
  ReplyFunc       func;
  GDestroyNotify  free_func;
  GInputStream   *stream;
  GByteArray     *body;
  /* Cancelled by the caller's cancellable or by the deadline; the reply
   * to a cancelled call says which. */
  GCancellable   *cancellable;
  GCancellable   *caller_cancellable;
  gulong          caller_handler;
  guint           deadline_id;
  guint           timeout_ms;
  gboolean        timed_out;
} Call;

static gpointer             status_reply    (JsonObject   *object,
                                             GError      **error);
static CrossingStatusReply *too_early_reply (SoupMessage  *msg,
                                             GBytes       *body);
static char                *order_url       (CrossingApi  *self,
                                             const char   *endpoint,
                                             const char   *order_id,
                                             const char   *event_token);

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->deadline_id, g_source_remove);
  if (call->caller_cancellable != NULL)
    g_cancellable_disconnect (call->caller_cancellable, call->caller_handler);
  g_clear_object (&call->caller_cancellable);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_clear_object (&call->msg);
  g_free (call);
}

/* ---- reply structs ------------------------------------------------------- */

void
crossing_start_reply_free (CrossingStartReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->order_id);
  g_free (reply->claim_url);
  g_free (reply->desktop_token);
  g_free (reply->event_token);
  g_free (reply->user_code);
  g_free (reply->verification_uri);
  g_free (reply->subject);
  g_free (reply);
}

void
crossing_status_reply_free (CrossingStatusReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->data, json_object_unref);
  g_free (reply);
}

void
crossing_finalize_reply_free (CrossingFinalizeReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->session_token);
  g_free (reply->subject);
  g_free (reply->public_key_hex);
  g_free (reply->signature_hex);
  g_free (reply->message);
  g_free (reply);
}

void
crossing_session_info_free (CrossingSessionInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->user_name);
  g_free (info->subject);
  g_free (info);
}

/* ---- JSON helpers -------------------------------------------------------- */

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

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  /* Times in ms: past 1e15 (year 33658) or negative is no time, and would
   * overflow the arithmetic on it. */
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 value = json_node_get_int (node);
      if (value >= 0 && value < G_GINT64_CONSTANT (1000000000000000))
        return value;
    }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double value = json_node_get_double (node);
      if (value >= 0 && value < 1e15)
        return (gint64) value;
    }
  return 0;
}

/* A time as the companion writes it: epoch ms (before the Better Auth
 * shapes) or an ISO-8601 string (after). 0 when absent or unreadable. */
static gint64
member_time (JsonObject *object,
             const char *name)
{
  const char *text = member_string (object, name);
  g_autoptr(GDateTime) time = NULL;

  if (text == NULL)
    return member_int (object, name);
  if (strlen (text) > 64 || (time = g_date_time_new_from_iso8601 (text, NULL)) == NULL)
    return 0;
  return MAX (0, g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000);
}

/* TRUE and the value when @name is a JSON boolean. */
static gboolean
member_boolean (JsonObject *object,
                const char *name,
                gboolean   *value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  *value = json_node_get_boolean (node);
  return TRUE;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/* A string the window may show: clean, and short enough to lay out. */
static gboolean
is_showable (const char *str,
             gsize       max_len)
{
  return str != NULL && strlen (str) <= max_len && crossing_string_is_clean (str);
}

static gboolean
is_hex (const char *str,
        gsize       max_len)
{
  if (str == NULL || *str == '\0' || strlen (str) > max_len)
    return FALSE;
  for (const char *p = str; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* A link the window shows or encodes: http(s), clean, short enough for a
 * QR code at level M (2331 bytes). */
static gboolean
is_web_link (const char *url)
{
  return url != NULL && strlen (url) <= 2048 && crossing_string_is_clean (url) &&
         (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://"));
}

/* A code to type, as the contract writes it ("WDJB-MJHT"): capital letters
 * and digits in groups joined by dashes, nothing a screen could misread. */
static gboolean
is_user_code (const char *code)
{
  gsize len = code != NULL ? strlen (code) : 0;

  if (len < 4 || len > 16 || code[0] == '-' || code[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isupper (code[i]) && !g_ascii_isdigit (code[i]) && code[i] != '-')
      return FALSE;
  return TRUE;
}

static gpointer
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The server's answer lacks %s", what);
  return NULL;
}

/* The reason phrase is the server's text: shown only when it is short and clean. */
static const char *
clean_reason (guint       status,
              const char *reason)
{
  if (reason != NULL && strlen (reason) <= 64 && crossing_string_is_clean (reason))
    return reason;
  return soup_status_get_phrase (status) != NULL ? soup_status_get_phrase (status) : "";
}

JsonObject *
crossing_api_parse_reply (guint        status,
                          const char  *reason,
                          GBytes      *body,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *data = NULL;
  gsize len = 0;
  JsonNode *root = NULL;
  JsonObject *object = NULL;

  if (body != NULL)
    data = g_bytes_get_data (body, &len);
  reason = clean_reason (status, reason);
  if (len > 0 && len <= MAX_REPLY_BYTES &&
      crossing_json_is_strict (data, len, CROSSING_JSON_MAX_DEPTH) &&
      json_parser_load_from_data (parser, data, (gssize) len, NULL))
    root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);

  if (status >= 200 && status < 300)
    {
      if (root != NULL && JSON_NODE_HOLDS_NULL (root))
        return NULL;
      if (object == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The server's answer is not a JSON object (HTTP %u)", status);
          return NULL;
        }
      return json_object_ref (object);
    }

  /* A refusal: the contract's {code, message}, or a proxy's page. */
  {
    const char *code = member_string (object, "code");
    const char *message = member_string (object, "message");
    int value = code != NULL ? crossing_error_from_code (code) : -1;

    if (value >= 0)
      {
        /* The contract has two TRANSITION_CONFLICTs; the status tells them apart. */
        if (value == CROSSING_ERROR_TRANSITION_CONFLICT && status == 409)
          value = CROSSING_ERROR_TRANSITION_RACE;
        g_set_error_literal (error, CROSSING_ERROR, value,
                             message != NULL && crossing_string_is_clean (message) &&
                             *message != '\0' && strlen (message) <= MAX_MESSAGE_BYTES
                             ? message : crossing_error_default_message (value));
      }
    else if (status >= 500)
      g_set_error (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL, "HTTP %u %s", status, reason);
    else
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server answered HTTP %u %s", status, reason);
  }
  return NULL;
}

/* ---- one call ------------------------------------------------------------ */

/* Every error of a call goes out here: a call the deadline cancelled
 * says it timed out. */
static void
call_return_error (GTask  *task,
                   GError *error)
{
  Call *call = g_task_get_task_data (task);

  g_clear_handle_id (&call->deadline_id, g_source_remove);
  if (call->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "The server did not answer in full within %u s",
                           (call->timeout_ms + 999) / 1000);
    }
  g_task_return_error (task, error);
}

static void
call_complete (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;
  guint status = soup_message_get_status (call->msg);
  gpointer reply;

  g_clear_handle_id (&call->deadline_id, g_source_remove);
  if (call->body != NULL)
    body = g_byte_array_free_to_bytes (g_steal_pointer (&call->body));

  if (status == 429 && call->func == status_reply)
    {
      /* Polled too early: how long to wait is the answer. */
      g_task_return_pointer (task, too_early_reply (call->msg, body),
                             (GDestroyNotify) crossing_status_reply_free);
      return;
    }

  object = crossing_api_parse_reply (status, soup_message_get_reason_phrase (call->msg), body,
                                     &error);
  if (error != NULL)
    {
      call_return_error (task, g_steal_pointer (&error));
      return;
    }

  reply = call->func (object, &error);
  if (error != NULL)
    call_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, reply, call->free_func);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = NULL;
  gsize len;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      call_return_error (task, g_steal_pointer (&error));
      return;
    }

  len = g_bytes_get_size (chunk);
  if (len == 0)
    {
      g_clear_object (&call->stream);
      call_complete (task);
      return;
    }

  if (call->body->len + len > MAX_REPLY_BYTES)
    {
      /* Stop reading: closing the stream drops the connection. */
      g_clear_object (&call->stream);
      if (SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)))
        {
          call_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                                "The server's answer is larger than %u KiB",
                                                MAX_REPLY_BYTES / 1024));
          return;
        }
      /* A refusal with a huge page (a proxy's): its status says enough. */
      g_clear_pointer (&call->body, g_byte_array_unref);
      call_complete (task);
      return;
    }

  g_byte_array_append (call->body, g_bytes_get_data (chunk, NULL), (guint) len);
  g_input_stream_read_bytes_async (call->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   call->cancellable, on_body_read, g_steal_pointer (&task));
}

static gboolean
is_json (const char *content_type)
{
  return content_type != NULL && g_ascii_strcasecmp (content_type, "application/json") == 0;
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  const char *type;
  guint status;

  call->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (call->stream == NULL)
    {
      call_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (call->msg);
  headers = soup_message_get_response_headers (call->msg);
  type = soup_message_headers_get_content_type (headers, NULL);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      /* Followed, a redirect could carry the request and its bearer token
       * anywhere; a companion never sends one. */
      g_clear_object (&call->stream);
      call_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                            "The server redirected the request (HTTP %u); "
                                            "Crossing follows no redirects", status));
      return;
    }
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (!is_json (type))
        {
          g_clear_object (&call->stream);
          call_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                "The server answered with %s, not JSON",
                                                type != NULL && strlen (type) <= 64 &&
                                                crossing_string_is_clean (type)
                                                ? type : "no content type"));
          return;
        }
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
          soup_message_headers_get_content_length (headers) > MAX_REPLY_BYTES)
        {
          g_clear_object (&call->stream);
          call_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                                "The server's answer is larger than %u KiB",
                                                MAX_REPLY_BYTES / 1024));
          return;
        }
    }

  call->body = g_byte_array_new ();
  g_input_stream_read_bytes_async (call->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   call->cancellable, on_body_read, g_steal_pointer (&task));
}

static gboolean
on_deadline (gpointer user_data)
{
  Call *call = user_data;

  call->deadline_id = 0;
  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller,
                     GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
send_call (CrossingApi         *self,
           const char          *method,
           const char          *url,
           JsonBuilder         *body,
           const char          *session_token,
           ReplyFunc            func,
           GDestroyNotify       free_func,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);
  SoupMessageHeaders *headers;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  call->func = func;
  call->free_func = free_func;
  call->msg = soup_message_new (method, url);
  call->timeout_ms = self->timeout_ms;
  call->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->caller_cancellable = g_object_ref (cancellable);
      call->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                    g_object_ref (call->cancellable),
                                                    g_object_unref);
    }
  if (call->msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "The server address %s is not a valid URL", self->server_url);
      return;
    }

  headers = soup_message_get_request_headers (call->msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (body != NULL)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (body);
      char *text = json_to_string (root, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      soup_message_set_request_body_from_bytes (call->msg, "application/json", bytes);
    }
  if (session_token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", session_token, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }

  soup_message_add_flags (call->msg, SOUP_MESSAGE_NO_REDIRECT);
  /* However slowly the server drips its answer, the call ends in time. */
  call->deadline_id = g_timeout_add (call->timeout_ms, on_deadline, call);
  soup_session_send_async (self->session, call->msg, G_PRIORITY_DEFAULT, call->cancellable,
                           on_sent, g_steal_pointer (&task));
}

static gpointer
finish_call (CrossingApi   *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (CROSSING_IS_API (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonBuilder *
order_body (const char *order_id,
            const char *desktop_token)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "orderId");
  json_builder_add_string_value (b, order_id);
  json_builder_set_member_name (b, "desktopToken");
  json_builder_add_string_value (b, desktop_token);
  json_builder_end_object (b);
  return b;
}

static gpointer
ok_reply (JsonObject  *object,
          GError     **error)
{
  if (object == NULL)
    return invalid (error, "a body");
  return GINT_TO_POINTER (TRUE);
}

/* ---- start --------------------------------------------------------------- */

static gpointer
start_reply (JsonObject  *object,
             GError     **error)
{
  g_autoptr(CrossingStartReply) reply = g_new0 (CrossingStartReply, 1);
  const char *claim_url = member_string (object, "claimUrl");

  reply->order_id = g_strdup (member_string (object, "orderId"));
  reply->desktop_token = g_strdup (member_string (object, "desktopToken"));
  reply->event_token = g_strdup (member_string (object, "eventToken"));
  if (!crossing_token_is_well_formed (reply->order_id) ||
      !crossing_token_is_well_formed (reply->desktop_token) ||
      !crossing_token_is_well_formed (reply->event_token))
    return invalid (error, "the order and its tokens");
  /* A QR code at level M holds at most 2331 bytes; no sane link comes near. */
  if (!is_web_link (claim_url))
    return invalid (error, "a claim link");
  reply->claim_url = g_strdup (claim_url);
  reply->expires_at = member_int (object, "expiresAt");
  /* Extras the order works without: one the window could not show is
   * left out, and the QR still works. */
  if (is_user_code (member_string (object, "userCode")) &&
      is_web_link (member_string (object, "verificationUri")))
    {
      reply->user_code = g_strdup (member_string (object, "userCode"));
      reply->verification_uri = g_strdup (member_string (object, "verificationUri"));
    }
  if (is_showable (member_string (object, "subject"), 256))
    reply->subject = g_strdup (member_string (object, "subject"));
  return g_steal_pointer (&reply);
}

void
crossing_api_start_async (CrossingApi                *self,
                          const CrossingStartRequest *request,
                          GCancellable               *cancellable,
                          GAsyncReadyCallback         callback,
                          gpointer                    user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (request->kind != CROSSING_KIND_INVALID);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, crossing_kind_to_string (request->kind));
  if (request->title != NULL)
    {
      json_builder_set_member_name (b, "displayTitle");
      json_builder_add_string_value (b, request->title);
    }
  if (request->summary != NULL)
    {
      json_builder_set_member_name (b, "displaySummary");
      json_builder_add_string_value (b, request->summary);
    }
  if (request->payload_hash != NULL)
    {
      json_builder_set_member_name (b, "payloadHash");
      json_builder_add_string_value (b, request->payload_hash);
    }
  if (request->user_code)
    {
      json_builder_set_member_name (b, "userCode");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (request->subject != NULL)
    {
      json_builder_set_member_name (b, "subject");
      json_builder_add_string_value (b, request->subject);
    }
  json_builder_end_object (b);

  url = crossing_api_cross_device_url (self, "start");
  send_call (self, SOUP_METHOD_POST, url, b, NULL, start_reply,
             (GDestroyNotify) crossing_start_reply_free, crossing_api_start_async,
             cancellable, callback, user_data);
}

CrossingStartReply *
crossing_api_start_finish (CrossingApi   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return finish_call (self, result, crossing_api_start_async, error);
}

/* ---- status -------------------------------------------------------------- */

/* Seconds the server asks for, within what a person would wait. */
static guint
bounded_seconds (gint64 seconds)
{
  return (guint) CLAMP (seconds, 0, 300);
}

static gpointer
status_reply (JsonObject  *object,
              GError     **error)
{
  g_autoptr(CrossingStatusReply) reply = g_new0 (CrossingStatusReply, 1);
  const char *status = member_string (object, "status");
  JsonNode *sequence = object != NULL ? json_object_get_member (object, "sequence") : NULL;

  reply->status = status != NULL ? crossing_status_from_string (status) : CROSSING_STATUS_INVALID;
  if (reply->status == CROSSING_STATUS_INVALID || member_string (object, "orderId") == NULL)
    return invalid (error, "the order's status");
  reply->data = json_object_ref (object);
  reply->sequence = -1;
  if (sequence != NULL && JSON_NODE_HOLDS_VALUE (sequence) &&
      json_node_get_value_type (sequence) == G_TYPE_INT64 && json_node_get_int (sequence) >= 0)
    reply->sequence = json_node_get_int (sequence);
  reply->interval = bounded_seconds (member_int (object, "interval"));
  return g_steal_pointer (&reply);
}

static CrossingStatusReply *
too_early_reply (SoupMessage *msg,
                 GBytes      *body)
{
  CrossingStatusReply *reply = g_new0 (CrossingStatusReply, 1);
  const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                          "Retry-After");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  guint64 seconds;

  reply->too_early = TRUE;
  reply->sequence = -1;
  /* Only the delta-seconds form: a date would need a trustworthy clock. */
  if (retry_after != NULL &&
      g_ascii_string_to_unsigned (retry_after, 10, 0, 300, &seconds, NULL))
    reply->retry_after = (guint) seconds;
  /* SLOW_DOWN's body carries the order's new interval. */
  object = crossing_api_parse_reply (200, NULL, body, &error);
  if (g_strcmp0 (member_string (object, "code"), "SLOW_DOWN") == 0)
    reply->interval = bounded_seconds (member_int (object, "interval"));
  return reply;
}

void
crossing_api_status_async (CrossingApi         *self,
                           const char          *order_id,
                           const char          *event_token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (order_id != NULL && event_token != NULL);

  url = order_url (self, "status", order_id, event_token);
  send_call (self, SOUP_METHOD_GET, url, NULL, NULL, status_reply,
             (GDestroyNotify) crossing_status_reply_free, crossing_api_status_async,
             cancellable, callback, user_data);
}

CrossingStatusReply *
crossing_api_status_finish (CrossingApi   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return finish_call (self, result, crossing_api_status_async, error);
}

/* ---- cancel -------------------------------------------------------------- */

void
crossing_api_cancel_async (CrossingApi         *self,
                           const char          *order_id,
                           const char          *desktop_token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (order_id != NULL && desktop_token != NULL);

  b = order_body (order_id, desktop_token);
  url = crossing_api_cross_device_url (self, "cancel");
  send_call (self, SOUP_METHOD_POST, url, b, NULL, ok_reply, NULL, crossing_api_cancel_async,
             cancellable, callback, user_data);
}

gboolean
crossing_api_cancel_finish (CrossingApi   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return finish_call (self, result, crossing_api_cancel_async, error) != NULL;
}

/* ---- finalize ------------------------------------------------------------ */

static gpointer
finalize_reply (JsonObject  *object,
                GError     **error)
{
  g_autoptr(CrossingFinalizeReply) reply = g_new0 (CrossingFinalizeReply, 1);
  const char *kind = member_string (object, "kind");
  JsonObject *artifact;

  reply->kind = kind != NULL ? crossing_kind_from_string (kind) : CROSSING_KIND_INVALID;
  if (reply->kind == CROSSING_KIND_INVALID)
    return invalid (error, "the order's kind");

  if (reply->kind == CROSSING_KIND_LOGIN)
    {
      const char *token = member_string (object, "token");

      if (!crossing_token_is_well_formed (token))
        return invalid (error, "a session");
      reply->session_token = g_strdup (token);
      return g_steal_pointer (&reply);
    }

  artifact = member_object (object, "proofArtifact");
  /* The window shows these: lines of the signed message may break, nothing
   * else may, and none is long. */
  if (!is_showable (member_string (artifact, "subject"), 256) ||
      !is_hex (member_string (artifact, "signatureHex"), 1024) ||
      (member_string (artifact, "publicKeyHex") != NULL &&
       !is_hex (member_string (artifact, "publicKeyHex"), 1024)) ||
      (member_string (artifact, "message") != NULL &&
       (strlen (member_string (artifact, "message")) > CROSSING_MAX_BODY_SIZE ||
        !g_utf8_validate (member_string (artifact, "message"), -1, NULL))))
    return invalid (error, "the signature");
  reply->subject = g_strdup (member_string (artifact, "subject"));
  reply->public_key_hex = g_strdup (member_string (artifact, "publicKeyHex"));
  reply->signature_hex = g_strdup (member_string (artifact, "signatureHex"));
  reply->message = g_strdup (member_string (artifact, "message"));
  return g_steal_pointer (&reply);
}

void
crossing_api_finalize_async (CrossingApi         *self,
                             const char          *order_id,
                             const char          *desktop_token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (order_id != NULL && desktop_token != NULL);

  b = order_body (order_id, desktop_token);
  url = crossing_api_cross_device_url (self, "finalize");
  send_call (self, SOUP_METHOD_POST, url, b, NULL, finalize_reply,
             (GDestroyNotify) crossing_finalize_reply_free, crossing_api_finalize_async,
             cancellable, callback, user_data);
}

CrossingFinalizeReply *
crossing_api_finalize_finish (CrossingApi   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_call (self, result, crossing_api_finalize_async, error);
}

/* ---- sessions ------------------------------------------------------------ */

static gpointer
session_reply (JsonObject  *object,
               GError     **error)
{
  CrossingSessionInfo *info;
  JsonObject *user = member_object (object, "user");
  JsonObject *session = member_object (object, "session");
  const char *name = member_string (user, "name");
  const char *subject = member_string (user, "subject");

  /* null: no valid session. */
  if (object == NULL)
    return NULL;
  if (user == NULL || session == NULL)
    return invalid (error, "the session");
  /* The name is null (older companions) or a string. */
  if ((name != NULL && !is_showable (name, 256)) || (subject != NULL && !is_showable (subject, 256)))
    return invalid (error, "a readable user");

  info = g_new0 (CrossingSessionInfo, 1);
  info->user_name = name != NULL && *name != '\0' ? g_strdup (name) : NULL;
  info->subject = g_strdup (subject);
  info->expires_at = member_time (session, "expiresAt");
  info->created_at = member_time (session, "createdAt");
  /* Only a passkey subject has the flags; anything but two booleans says nothing. */
  if (subject != NULL && g_str_has_prefix (subject, "passkey:"))
    {
      JsonObject *passkey = member_object (user, "passkey");

      info->passkey = member_boolean (passkey, "backupEligible", &info->passkey_backup_eligible) &&
                      member_boolean (passkey, "backupState", &info->passkey_backup_state);
    }
  return info;
}

void
crossing_api_get_session_async (CrossingApi         *self,
                                const char          *session_token,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (session_token != NULL);

  url = g_strconcat (self->base_url, "/get-session", NULL);
  send_call (self, SOUP_METHOD_GET, url, NULL, session_token, session_reply,
             (GDestroyNotify) crossing_session_info_free, crossing_api_get_session_async,
             cancellable, callback, user_data);
}

CrossingSessionInfo *
crossing_api_get_session_finish (CrossingApi   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_call (self, result, crossing_api_get_session_async, error);
}

void
crossing_api_sign_out_async (CrossingApi         *self,
                             const char          *session_token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (session_token != NULL);

  url = g_strconcat (self->base_url, "/sign-out", NULL);
  send_call (self, SOUP_METHOD_POST, url, NULL, session_token, ok_reply, NULL,
             crossing_api_sign_out_async, cancellable, callback, user_data);
}

gboolean
crossing_api_sign_out_finish (CrossingApi   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_call (self, result, crossing_api_sign_out_async, error) != NULL;
}

/* ---- health -------------------------------------------------------------- */

static gpointer
health_reply (JsonObject  *object,
              GError     **error)
{
  const char *status = member_string (object, "status");
  const char *version = member_string (object, "version");

  if (g_strcmp0 (status, "ok") != 0)
    return invalid (error, "a health status");
  return g_strdup (version != NULL && is_showable (version, 64) ? version : "");
}

void
crossing_api_health_async (CrossingApi         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));

  url = g_strconcat (self->base_url, "/health", NULL);
  send_call (self, SOUP_METHOD_GET, url, NULL, NULL, health_reply, g_free,
             crossing_api_health_async, cancellable, callback, user_data);
}

char *
crossing_api_health_finish (CrossingApi   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return finish_call (self, result, crossing_api_health_async, error);
}

/* ---- ledger -------------------------------------------------------------- */

void
crossing_ledger_balance_free (CrossingLedgerBalance *balance)
{
  if (balance == NULL)
    return;
  g_free (balance->asset);
  g_free (balance);
}

void
crossing_ledger_entry_free (CrossingLedgerEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->type);
  g_free (entry->asset);
  g_free (entry->reason);
  g_free (entry);
}

char *
crossing_ledger_format_amount (gint64 minor,
                               guint  scale)
{
  /* The magnitude as unsigned, so that even G_MININT64 has one. */
  guint64 magnitude = minor < 0 ? (guint64) (-(minor + 1)) + 1 : (guint64) minor;
  guint64 unit = 1;
  const char *sign = minor < 0 ? "-" : "";

  g_return_val_if_fail (scale <= CROSSING_LEDGER_MAX_SCALE, NULL);

  if (scale == 0)
    return g_strdup_printf ("%s%" G_GUINT64_FORMAT, sign, magnitude);
  for (guint i = 0; i < scale; i++)
    unit *= 10;
  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, sign,
                          magnitude / unit, (int) scale, magnitude % unit);
}

/* An integer member within [@min, @max]; a float, a string or anything
 * else is not one. */
static gboolean
member_bounded_int (JsonObject *object,
                    const char *name,
                    gint64      min,
                    gint64      max,
                    gint64     *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return *value >= min && *value <= max;
}

static gboolean
is_asset_code (const char *code)
{
  gsize len = code != NULL ? strlen (code) : 0;

  if (len < 1 || len > 32 || !g_ascii_islower (code[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_islower (code[i]) && !g_ascii_isdigit (code[i]) && code[i] != '_')
      return FALSE;
  return TRUE;
}

/* The member @name: an array of at most @max objects. */
static JsonArray *
member_object_array (JsonObject *object,
                     const char *name,
                     guint       max)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  if (json_array_get_length (array) > max)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      return NULL;
  return array;
}

static gpointer
ledger_balances_reply (JsonObject  *object,
                       GError     **error)
{
  JsonArray *rows = member_object_array (object, "balances", CROSSING_LEDGER_MAX_BALANCES);
  g_autoptr(GPtrArray) balances = NULL;

  if (rows == NULL)
    return invalid (error, "the balances");
  balances = g_ptr_array_new_with_free_func ((GDestroyNotify) crossing_ledger_balance_free);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *asset = member_string (row, "asset");
      g_autoptr(CrossingLedgerBalance) balance = g_new0 (CrossingLedgerBalance, 1);
      gint64 scale = 0;

      if (!is_asset_code (asset) ||
          !member_bounded_int (row, "scale", 0, CROSSING_LEDGER_MAX_SCALE, &scale) ||
          !member_bounded_int (row, "posted", 0, CROSSING_LEDGER_MAX_AMOUNT, &balance->posted) ||
          !member_bounded_int (row, "reserved", 0, CROSSING_LEDGER_MAX_AMOUNT, &balance->reserved) ||
          !member_bounded_int (row, "available", 0, CROSSING_LEDGER_MAX_AMOUNT, &balance->available))
        return invalid (error, "a readable balance");
      for (guint j = 0; j < balances->len; j++)
        if (g_str_equal (((CrossingLedgerBalance *) balances->pdata[j])->asset, asset))
          return invalid (error, "one balance per asset");
      balance->asset = g_strdup (asset);
      balance->scale = (guint) scale;
      g_ptr_array_add (balances, g_steal_pointer (&balance));
    }
  return g_steal_pointer (&balances);
}

static gboolean
is_entry_type (const char *type)
{
  static const char *const types[] = {
    "credit", "debit", "adjust", "reserve", "release", "capture"
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_strcmp0 (type, types[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A reason is the operator's text: clean, and without the C1 controls or
 * the bidirectional formatting characters that would turn its words (or
 * its digits) around on screen. */
static gboolean
is_plain_text (const char *str,
               gsize       max_len)
{
  if (!is_showable (str, max_len))
    return FALSE;
  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
          (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return FALSE;
    }
  return TRUE;
}

static gpointer
ledger_entries_reply (JsonObject  *object,
                      GError     **error)
{
  JsonArray *rows = member_object_array (object, "entries", 100);
  g_autoptr(GPtrArray) entries = NULL;

  if (rows == NULL)
    return invalid (error, "the entries");
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) crossing_ledger_entry_free);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *id = member_string (row, "id");
      const char *type = member_string (row, "type");
      const char *asset = member_string (row, "asset");
      const char *reason = member_string (row, "reason");
      JsonNode *reason_node = json_object_get_member (row, "reason");
      g_autoptr(CrossingLedgerEntry) entry = g_new0 (CrossingLedgerEntry, 1);

      if (id == NULL || *id == '\0' || !is_showable (id, 128) || !is_entry_type (type) ||
          !is_asset_code (asset) ||
          !member_bounded_int (row, "amount", 1, CROSSING_LEDGER_MAX_AMOUNT, &entry->amount) ||
          !member_bounded_int (row, "postedDelta", -CROSSING_LEDGER_MAX_AMOUNT,
                               CROSSING_LEDGER_MAX_AMOUNT, &entry->posted_delta) ||
          !member_bounded_int (row, "reservedDelta", -CROSSING_LEDGER_MAX_AMOUNT,
                               CROSSING_LEDGER_MAX_AMOUNT, &entry->reserved_delta))
        return invalid (error, "a readable entry");
      /* The reason is 1–120 characters of the contract, or null. */
      if (reason_node != NULL && !JSON_NODE_HOLDS_NULL (reason_node) &&
          (reason == NULL || *reason == '\0' || g_utf8_strlen (reason, -1) > 120 ||
           !is_plain_text (reason, 480)))
        return invalid (error, "a readable reason");
      entry->id = g_strdup (id);
      entry->type = g_strdup (type);
      entry->asset = g_strdup (asset);
      entry->reason = g_strdup (reason != NULL ? reason : "");
      entry->created_at = member_time (row, "createdAt");
      g_ptr_array_add (entries, g_steal_pointer (&entry));
    }
  return g_steal_pointer (&entries);
}

void
crossing_api_ledger_balance_async (CrossingApi         *self,
                                   const char          *session_token,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (session_token != NULL);

  url = g_strconcat (self->base_url, "/ledger/balance", NULL);
  send_call (self, SOUP_METHOD_GET, url, NULL, session_token, ledger_balances_reply,
             (GDestroyNotify) g_ptr_array_unref, crossing_api_ledger_balance_async,
             cancellable, callback, user_data);
}

GPtrArray *
crossing_api_ledger_balance_finish (CrossingApi   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_call (self, result, crossing_api_ledger_balance_async, error);
}

void
crossing_api_ledger_entries_async (CrossingApi         *self,
                                   const char          *session_token,
                                   guint                limit,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (session_token != NULL);

  url = g_strdup_printf ("%s/ledger/entries?limit=%u", self->base_url, CLAMP (limit, 1, 100));
  send_call (self, SOUP_METHOD_GET, url, NULL, session_token, ledger_entries_reply,
             (GDestroyNotify) g_ptr_array_unref, crossing_api_ledger_entries_async,
             cancellable, callback, user_data);
}

GPtrArray *
crossing_api_ledger_entries_finish (CrossingApi   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_call (self, result, crossing_api_ledger_entries_async, error);
}

GPtrArray *
crossing_api_ledger_balances_from_json (JsonObject  *object,
                                        GError     **error)
{
  return ledger_balances_reply (object, error);
}

GPtrArray *
crossing_api_ledger_entries_from_json (JsonObject  *object,
                                       GError     **error)
{
  return ledger_entries_reply (object, error);
}

/* ---- object -------------------------------------------------------------- */

void
crossing_api_set_timeout (CrossingApi *self,
                          guint        timeout_ms)
{
  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (timeout_ms > 0);

  self->timeout_ms = timeout_ms;
  /* Also the wait for each read: a silent server fails as soon. */
  g_object_set (self->session, "timeout", MAX (1, (timeout_ms + 999) / 1000), NULL);
}

const char *
crossing_api_get_server_url (CrossingApi *self)
{
  g_return_val_if_fail (CROSSING_IS_API (self), NULL);
  return self->server_url;
}

char *
crossing_api_cross_device_url (CrossingApi *self,
                               const char  *endpoint)
{
  g_return_val_if_fail (CROSSING_IS_API (self), NULL);
  return g_strconcat (self->base_url, CROSSING_CROSS_DEVICE_PREFIX "/", endpoint, NULL);
}

static char *
order_url (CrossingApi *self,
           const char  *endpoint,
           const char  *order_id,
           const char  *event_token)
{
  g_autofree char *base = crossing_api_cross_device_url (self, endpoint);
  g_autofree char *id = g_uri_escape_string (order_id, NULL, FALSE);
  g_autofree char *token = g_uri_escape_string (event_token, NULL, FALSE);

  return g_strdup_printf ("%s?orderId=%s&eventToken=%s", base, id, token);
}

char *
crossing_api_events_url (CrossingApi *self,
                         const char  *order_id,
                         const char  *event_token)
{
  g_return_val_if_fail (CROSSING_IS_API (self), NULL);
  return order_url (self, "events", order_id, event_token);
}

static void
crossing_api_dispose (GObject *object)
{
  CrossingApi *self = (CrossingApi *) object;

  g_clear_object (&self->session);

  G_OBJECT_CLASS (crossing_api_parent_class)->dispose (object);
}

static void
crossing_api_finalize (GObject *object)
{
  CrossingApi *self = (CrossingApi *) object;

  g_free (self->server_url);
  g_free (self->base_url);

  G_OBJECT_CLASS (crossing_api_parent_class)->finalize (object);
}

static void
crossing_api_class_init (CrossingApiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = crossing_api_dispose;
  object_class->finalize = crossing_api_finalize;
}

static void
crossing_api_init (CrossingApi *self)
{
  g_autofree char *agent = g_strdup_printf ("crossing/%s", PACKAGE_VERSION);

  self->timeout_ms = CROSSING_API_DEFAULT_TIMEOUT_MS;
  self->session = soup_session_new_with_options ("user-agent", agent,
                                                 "timeout", self->timeout_ms / 1000, NULL);
}

gboolean
crossing_api_url_is_loopback (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *host;

  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static char *
without_trailing_slashes (const char *text)
{
  char *copy = g_strdup (text != NULL ? text : "");
  gsize len = strlen (copy);

  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  return copy;
}

CrossingApi *
crossing_api_new (const char *server_url,
                  const char *base_path)
{
  CrossingApi *self;
  g_autofree char *path = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);

  self = g_object_new (CROSSING_TYPE_API, NULL);
  self->server_url = without_trailing_slashes (server_url);
  path = without_trailing_slashes (base_path != NULL ? base_path : CROSSING_DEFAULT_BASE_PATH);
  if (*path != '\0' && *path != '/')
    {
      char *slashed = g_strconcat ("/", path, NULL);
      g_free (path);
      path = slashed;
    }
  self->base_url = g_strconcat (self->server_url, path, NULL);
  if (crossing_api_url_is_loopback (self->server_url))
    soup_session_set_proxy_resolver (self->session, NULL);
  return self;
}

/* ---- replies without a server (the fuzz target) --------------------------- */

CrossingStartReply *
crossing_api_start_reply_from_json (JsonObject  *object,
                                    GError     **error)
{
  return start_reply (object, error);
}

CrossingFinalizeReply *
crossing_api_finalize_reply_from_json (JsonObject  *object,
                                       GError     **error)
{
  return finalize_reply (object, error);
}

CrossingSessionInfo *
crossing_api_session_info_from_json (JsonObject  *object,
                                     GError     **error)
{
  return session_reply (object, error);
}

CrossingStatusReply *
crossing_api_status_reply_from_json (JsonObject  *object,
                                     GError     **error)
{
  return status_reply (object, error);
}
