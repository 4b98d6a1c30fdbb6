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

/* No reply of the contract comes near this; a larger one is not ours. */
#define MAX_REPLY_BYTES (256 * 1024)

struct _CrossingApi
{
  GObject      parent_instance;

  SoupSession *session;
  char        *server_url;
  char        *base_url;     /* server_url + base path */
};

G_DEFINE_FINAL_TYPE (CrossingApi, crossing_api, G_TYPE_OBJECT)

typedef gpointer (*ReplyFunc) (JsonObject  *object,
                               GError     **error);

typedef struct {
  SoupMessage *msg;
  ReplyFunc    func;
  GDestroyNotify free_func;
} Call;

static void
call_free (Call *call)
{
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
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double value = json_node_get_double (node);
      if (value >= 0 && value < 1e15)
        return (gint64) value;
    }
  return 0;
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

static gpointer
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The server's answer lacks %s", what);
  return NULL;
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
  if (len > 0 && len <= MAX_REPLY_BYTES &&
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
                             message != NULL && crossing_string_is_clean (message) && *message
                             ? message : crossing_error_default_message (value));
      }
    else if (status >= 500)
      g_set_error (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL, "HTTP %u %s", status,
                   reason != NULL ? reason : "");
    else
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The server answered HTTP %u %s", status, reason != NULL ? reason : "");
  }
  return NULL;
}

/* ---- one call ------------------------------------------------------------ */

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;
  gpointer reply;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object = crossing_api_parse_reply (soup_message_get_status (call->msg),
                                     soup_message_get_reason_phrase (call->msg), body, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  reply = call->func (object, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, reply, call->free_func);
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

  soup_session_send_and_read_async (self->session, call->msg, G_PRIORITY_DEFAULT, cancellable,
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
  if (claim_url == NULL || strlen (claim_url) > 2048 || !crossing_string_is_clean (claim_url) ||
      (!g_str_has_prefix (claim_url, "https://") && !g_str_has_prefix (claim_url, "http://")))
    return invalid (error, "a claim link");
  reply->claim_url = g_strdup (claim_url);
  reply->expires_at = member_int (object, "expiresAt");
  return g_steal_pointer (&reply);
}

void
crossing_api_start_async (CrossingApi         *self,
                          CrossingKind         kind,
                          const char          *title,
                          const char          *summary,
                          const char          *payload_hash,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *url = NULL;

  g_return_if_fail (CROSSING_IS_API (self));
  g_return_if_fail (kind != CROSSING_KIND_INVALID);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, crossing_kind_to_string (kind));
  if (title != NULL)
    {
      json_builder_set_member_name (b, "displayTitle");
      json_builder_add_string_value (b, title);
    }
  if (summary != NULL)
    {
      json_builder_set_member_name (b, "displaySummary");
      json_builder_add_string_value (b, summary);
    }
  if (payload_hash != NULL)
    {
      json_builder_set_member_name (b, "payloadHash");
      json_builder_add_string_value (b, payload_hash);
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
  if (member_string (artifact, "subject") == NULL ||
      member_string (artifact, "signatureHex") == NULL)
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

  /* null: no valid session. */
  if (object == NULL)
    return NULL;
  if (user == NULL || session == NULL)
    return invalid (error, "the session");

  info = g_new0 (CrossingSessionInfo, 1);
  info->user_name = g_strdup (member_string (user, "name"));
  info->subject = g_strdup (member_string (user, "subject"));
  info->expires_at = member_int (session, "expiresAt");
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

/* ---- object -------------------------------------------------------------- */

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

char *
crossing_api_events_url (CrossingApi *self,
                         const char  *order_id,
                         const char  *event_token)
{
  g_autofree char *base = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;

  g_return_val_if_fail (CROSSING_IS_API (self), NULL);

  base = crossing_api_cross_device_url (self, "events");
  id = g_uri_escape_string (order_id, NULL, FALSE);
  token = g_uri_escape_string (event_token, NULL, FALSE);
  return g_strdup_printf ("%s?orderId=%s&eventToken=%s", base, id, token);
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

  self->session = soup_session_new_with_options ("user-agent", agent, "timeout", 30, NULL);
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
  return self;
}
