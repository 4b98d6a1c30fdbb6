/* companion-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-server"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "crossing-json.h"
#include "crossing-token.h"

#include "companion-limits.h"
#include "companion-page.h"
#include "companion-server.h"

#define MAX_TOKEN_FIELD 128
#define MAX_USER_AGENT 256
#define LISTEN_BACKLOG 1024

struct _CompanionServer
{
  GObject            parent_instance;

  CompanionConfig   *config;
  CompanionStore    *store;
  CompanionEventHub *hub;
  CompanionEngine   *engine;
  CompanionLimits   *limits;
  SoupServer        *server;
  char              *url;
  char              *api_prefix;    /* "{basePath}/cross-device" */
  char              *page_api_base; /* what the phone page calls, same origin */
};

G_DEFINE_FINAL_TYPE (CompanionServer, companion_server, G_TYPE_OBJECT)

typedef JsonNode *(*PostHandler) (CompanionServer   *self,
                                  SoupServerMessage *msg,
                                  JsonObject        *body,
                                  GError           **error);

/* ---- responses ---------------------------------------------------------- */

static void
on_wrote_body_uncork (SoupServerMessage *msg,
                      gpointer           user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 0, NULL);
}

/* libsoup writes the headers and the body in two send()s, and with
 * TCP_NODELAY each leaves as its own packet: corked until the body is
 * written, a small answer leaves in one packet (five fewer per flow). */
static void
cork_until_written (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL && g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 1, NULL))
    g_signal_connect (msg, "wrote-body", G_CALLBACK (on_wrote_body_uncork), NULL);
}

static void
send_json (SoupServerMessage *msg,
           guint              status,
           JsonNode          *node)
{
  gsize len = 0;
  char *text = json_to_string (node, FALSE);

  cork_until_written (msg);
  len = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    text, len);
}

static void
send_error_message (SoupServerMessage *msg,
                    CrossingError      code,
                    const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, crossing_error_to_code (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message != NULL ? message
                                                          : crossing_error_default_message (code));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_json (msg, crossing_error_to_http_status (code), node);
}

static void
send_error (SoupServerMessage *msg,
            CrossingError      code)
{
  send_error_message (msg, code, NULL);
}

static void
send_gerror (SoupServerMessage *msg,
             const GError      *error)
{
  if (error->domain == CROSSING_ERROR && error->code != CROSSING_ERROR_INTERNAL)
    {
      send_error_message (msg, error->code, error->message);
      return;
    }

  /* Database and other internal failures: the detail is for the log. */
  g_warning ("Internal error on %s: %s", g_uri_get_path (soup_server_message_get_uri (msg)),
             error->message);
  send_error (msg, CROSSING_ERROR_INTERNAL);
}

static void
send_rate_limited (SoupServerMessage *msg,
                   guint              retry_after,
                   const char        *message)
{
  g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                seconds);
  send_error_message (msg, CROSSING_ERROR_RATE_LIMITED, message);
}

/* A wrong token, proof or order ID: what someone guessing would get. */
static gboolean
is_failed_attempt (const GError *error)
{
  guint status;

  if (error == NULL || error->domain != CROSSING_ERROR)
    return FALSE;
  status = crossing_error_to_http_status (error->code);
  return status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_NOT_FOUND;
}

static void
send_method_not_allowed (SoupServerMessage *msg,
                         const char        *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  send_error (msg, CROSSING_ERROR_METHOD_NOT_ALLOWED);
}

/* ---- request fields ------------------------------------------------------ */

static gboolean invalid (GError     **error,
                         const char  *format,
                         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_REQUEST, message);
  return FALSE;
}

/* A string member: missing or null gives NULL (an error when @required);
 * another type, a control character or more than @max_chars characters is
 * an INVALID_REQUEST. */
static gboolean
get_string (JsonObject  *body,
            const char  *field,
            gboolean     required,
            guint        max_chars,
            const char **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (body, field);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return invalid (error, "The field %s is required", field);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, "The field %s must be a string", field);

  *out = json_node_get_string (node);
  if (!crossing_string_is_clean (*out))
    return invalid (error, "The field %s contains a control character", field);
  if (g_utf8_strlen (*out, -1) > max_chars)
    return invalid (error, "The field %s is too long", field);
  return TRUE;
}

/* The order ID and a token: both required strings of token size. */
static gboolean
get_order_and_token (JsonObject  *body,
                     const char  *token_field,
                     const char **out_order_id,
                     const char **out_token,
                     GError     **error)
{
  if (!get_string (body, "orderId", TRUE, MAX_TOKEN_FIELD, out_order_id, error) ||
      !get_string (body, token_field, TRUE, MAX_TOKEN_FIELD, out_token, error))
    return FALSE;

  /* An ID that cannot exist is not looked up. */
  if (!crossing_token_is_well_formed (*out_order_id))
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_ORDER_NOT_FOUND,
                           crossing_error_default_message (CROSSING_ERROR_ORDER_NOT_FOUND));
      return FALSE;
    }
  return TRUE;
}

static const char *
request_header (SoupServerMessage *msg,
                const char        *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (msg), name);
}

static char *
requester_ip (CompanionServer   *self,
              SoupServerMessage *msg)
{
  const char *forwarded;

  /* The proxy appends the address it saw: the last entry is the one we can
   * trust, whatever the client put before it. */
  forwarded = self->config->trust_proxy ? request_header (msg, "X-Forwarded-For") : NULL;
  if (forwarded != NULL)
    {
      const char *last = strrchr (forwarded, ',');
      g_autofree char *ip = g_strstrip (g_strdup (last != NULL ? last + 1 : forwarded));

      if (g_hostname_is_ip_address (ip))
        return g_steal_pointer (&ip);
    }

  return g_strdup (soup_server_message_get_remote_host (msg));
}

static char *
requester_user_agent (SoupServerMessage *msg)
{
  const char *ua = request_header (msg, "User-Agent");
  g_autofree char *valid = NULL;
  GString *clean;

  if (ua == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (ua, -1);
  clean = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0' && g_utf8_strlen (clean->str, -1) < MAX_USER_AGENT;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (clean, (c < 0x20 || c == 0x7f) ? ' ' : c);
    }
  return g_string_free (clean, FALSE);
}

/* ---- cross-device endpoints ---------------------------------------------- */

static gboolean
is_payload_hash (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return *value != '\0';
}

static gboolean
is_allowed_return_to (const char *value)
{
  return value[0] == '/' && value[1] != '/' && strchr (value, '\\') == NULL &&
         strstr (value, "://") == NULL;
}

static JsonNode *
handle_start (CompanionServer   *self,
              SoupServerMessage *msg,
              JsonObject        *body,
              GError           **error)
{
  CompanionStartRequest request = { 0, };
  g_autofree char *ip = NULL;
  g_autofree char *user_agent = NULL;
  const char *kind = NULL;
  const char *adapter = NULL;

  if (!get_string (body, "kind", TRUE, 32, &kind, error) ||
      !get_string (body, "adapterId", FALSE, 32, &adapter, error) ||
      !get_string (body, "returnTo", FALSE, 2048, &request.return_to, error) ||
      !get_string (body, "displayTitle", FALSE, CROSSING_MAX_TITLE_CHARS, &request.title,
                   error) ||
      !get_string (body, "displaySummary", FALSE, CROSSING_MAX_SUMMARY_CHARS, &request.summary,
                   error) ||
      !get_string (body, "payloadHash", FALSE, CROSSING_MAX_PAYLOAD_HASH_CHARS,
                   &request.payload_hash, error))
    return NULL;

  request.kind = crossing_kind_from_string (kind);
  if (request.kind == CROSSING_KIND_INVALID)
    {
      invalid (error, "The field %s must be login, sign or transaction", "kind");
      return NULL;
    }

  request.adapter = adapter != NULL ? crossing_adapter_from_string (adapter)
                                    : CROSSING_DEFAULT_ADAPTER;
  if (request.adapter == CROSSING_ADAPTER_INVALID)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER,
                           crossing_error_default_message (CROSSING_ERROR_UNSUPPORTED_ADAPTER));
      return NULL;
    }

  if (request.return_to != NULL && !is_allowed_return_to (request.return_to))
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_RETURN_TO_NOT_ALLOWED,
                           crossing_error_default_message (CROSSING_ERROR_RETURN_TO_NOT_ALLOWED));
      return NULL;
    }

  if (request.payload_hash != NULL && !is_payload_hash (request.payload_hash))
    {
      invalid (error, "The field %s must be hex or base64url", "payloadHash");
      return NULL;
    }

  ip = requester_ip (self, msg);
  user_agent = requester_user_agent (msg);
  request.origin = request_header (msg, "Origin");
  request.requester_ip = ip;
  request.requester_user_agent = user_agent;

  return companion_engine_start (self->engine, &request, error);
}



static JsonNode *
handle_approve (CompanionServer   *self,
                SoupServerMessage *msg,
                JsonObject        *body,
                GError           **error)
{
  CompanionApproveRequest request = { 0, };
  JsonNode *proof_node;
  JsonObject *proof;

  if (!get_order_and_token (body, "challengeToken", &request.order_id, &request.challenge_token,
                            error) ||
      !get_string (body, "checkCode", FALSE, 8, &request.check_code, error))
    return NULL;

  proof_node = json_object_get_member (body, "proof");
  if (proof_node == NULL || !JSON_NODE_HOLDS_OBJECT (proof_node))
    {
      invalid (error, "The field %s must be an object", "proof");
      return NULL;
    }
  proof = json_node_get_object (proof_node);
  if (!get_string (proof, "publicKeyHex", TRUE, 128, &request.public_key_hex, error) ||
      !get_string (proof, "signatureHex", TRUE, 256, &request.signature_hex, error) ||
      !get_string (proof, "address", FALSE, 64, &request.address, error))
    return NULL;

  request.origin = request_header (msg, "Origin");
  return companion_engine_approve (self->engine, &request, error);
}



static gboolean
is_https (CompanionServer *self)
{
  return g_str_has_prefix (self->config->public_url, "https:");
}

static JsonNode *
handle_finalize (CompanionServer   *self,
                 SoupServerMessage *msg,
                 JsonObject        *body,
                 GError           **error)
{
  g_autofree char *session_token = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *user_agent = NULL;
  const char *order_id, *token;
  JsonNode *response;

  if (!get_order_and_token (body, "desktopToken", &order_id, &token, error))
    return NULL;

  ip = requester_ip (self, msg);
  user_agent = requester_user_agent (msg);
  response = companion_engine_finalize (self->engine, order_id, token, ip, user_agent,
                                        &session_token, error);
  if (response != NULL && session_token != NULL)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      g_autofree char *cookie = g_strdup_printf (
        "%s=%s; Max-Age=%u; Path=/; HttpOnly; SameSite=Lax%s", CROSSING_SESSION_COOKIE,
        session_token, self->config->session_ttl, is_https (self) ? "; Secure" : "");

      soup_message_headers_replace (headers, "set-auth-token", session_token);
      soup_message_headers_append (headers, "Set-Cookie", cookie);
    }
  return response;
}

/* Endpoints whose body is just the order ID and one token. */
typedef JsonNode *(*TokenAction) (CompanionEngine  *engine,
                                  const char       *order_id,
                                  const char       *token,
                                  GError          **error);

static const struct {
  const char  *name;
  PostHandler  handler;
  const char  *token_field;   /* for a TokenAction route */
  TokenAction  action;
} post_routes[] = {
  { "start", handle_start, NULL, NULL },
  { "claim", NULL, "claimToken", companion_engine_claim },
  { "challenge", NULL, "challengeToken", companion_engine_challenge },
  { "approve", handle_approve, NULL, NULL },
  { "reject", NULL, "challengeToken", companion_engine_reject },
  { "cancel", NULL, "desktopToken", companion_engine_cancel },
  { "finalize", handle_finalize, NULL, NULL },
};

static JsonNode *
handle_token_route (CompanionServer   *self,
                    SoupServerMessage *msg,
                    JsonObject        *body,
                    guint              route,
                    GError           **error)
{
  const char *order_id, *token;

  if (!get_order_and_token (body, post_routes[route].token_field, &order_id, &token, error))
    return NULL;
  return post_routes[route].action (self->engine, order_id, token, error);
}

static gboolean
is_json_content_type (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GHashTable) params = NULL;
  const char *type;
  const char *charset;
  const char *coding = soup_message_headers_get_one (headers, "Content-Encoding");

  /* A gzipped (or otherwise coded) body is not JSON as it stands. */
  if (coding != NULL && g_ascii_strcasecmp (coding, "identity") != 0)
    return FALSE;

  type = soup_message_headers_get_content_type (headers, &params);
  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    return FALSE;

  charset = params != NULL ? g_hash_table_lookup (params, "charset") : NULL;
  return charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0;
}

/* json-glib ends a string at an escaped NUL, so "a\u0000b" would arrive as a
 * clean "a": find the escape itself, a "u0000" after an odd run of
 * backslashes (outside strings a backslash is not JSON at all). */
static gboolean
has_escaped_nul (const char *data,
                 gsize       len)
{
  for (gsize i = 1; i + 5 <= len; i++)
    {
      gsize backslashes = 0;

      if (memcmp (data + i, "u0000", 5) != 0)
        continue;
      while (backslashes < i && data[i - 1 - backslashes] == '\\')
        backslashes++;
      if (backslashes % 2 == 1)
        return TRUE;
    }
  return FALSE;
}

#define BODY_TOO_LARGE "companion-body-too-large"

/* json-glib keeps the last of two members with the same name. A request
 * where two values compete is ambiguous: refuse it. The parser adds each
 * member before it tells, so a repeat leaves an object smaller than the
 * number of members it was told of. */
typedef struct {
  GHashTable *told;   /* JsonObject -> members told */
  gboolean    duplicate;
} MemberCount;

static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  MemberCount *count = user_data;
  guint told;

  if (count->told == NULL)
    count->told = g_hash_table_new (NULL, NULL);
  told = GPOINTER_TO_UINT (g_hash_table_lookup (count->told, object)) + 1;
  g_hash_table_insert (count->told, object, GUINT_TO_POINTER (told));
  if (told > json_object_get_size (object))
    count->duplicate = TRUE;
}

static void
serve_post (CompanionServer   *self,
            SoupServerMessage *msg,
            guint              route)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) response = NULL;
  g_autofree char *ip = requester_ip (self, msg);
  MemberCount members = { NULL, FALSE };
  gboolean loaded;
  JsonNode *root;
  const char *data;
  gsize len;
  guint retry_after = 0;

  if (request_body->length > CROSSING_MAX_BODY_SIZE ||
      g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE) != NULL)
    {
      send_error (msg, CROSSING_ERROR_PAYLOAD_TOO_LARGE);
      return;
    }

  if (post_routes[route].handler == handle_start
        ? !companion_limits_allow_start (self->limits, ip, &retry_after)
        : !companion_limits_allow_attempt (self->limits, ip, &retry_after))
    {
      send_rate_limited (msg, retry_after, post_routes[route].handler == handle_start
                                             ? "Too many orders started; try again later"
                                             : "Too many failed attempts; try again later");
      return;
    }

  if (!is_json_content_type (msg))
    {
      send_error (msg, CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE);
      return;
    }

  bytes = soup_message_body_flatten (request_body);
  data = g_bytes_get_data (bytes, &len);
  /* json-glib stops at a NUL; a body with one is not JSON. */
  if (len == 0 || memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST, "The body is not valid JSON");
      return;
    }

  if (has_escaped_nul (data, len))
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST,
                          "A string in the body contains a control character");
      return;
    }

  if (!crossing_json_is_strict (data, len, CROSSING_JSON_MAX_DEPTH))
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST, "The body is not valid JSON");
      return;
    }

  parser = json_parser_new_immutable ();
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &members);
  loaded = json_parser_load_from_data (parser, data, len, NULL);
  g_clear_pointer (&members.told, g_hash_table_unref);
  if (!loaded)
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST, "The body is not valid JSON");
      return;
    }
  if (members.duplicate)
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST,
                          "A member appears twice in the same object");
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST, "The body must be a JSON object");
      return;
    }

  if (post_routes[route].handler != NULL)
    response = post_routes[route].handler (self, msg, json_node_get_object (root), &error);
  else
    response = handle_token_route (self, msg, json_node_get_object (root), route, &error);
  if (response == NULL)
    {
      if (is_failed_attempt (error))
        companion_limits_count_failure (self->limits, ip);
      send_gerror (msg, error);
      return;
    }
  send_json (msg, SOUP_STATUS_OK, response);
}

static void
serve_events (CompanionServer   *self,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  const char *order_id = query != NULL ? g_hash_table_lookup (query, "orderId") : NULL;
  const char *event_token = query != NULL ? g_hash_table_lookup (query, "eventToken") : NULL;
  const char *last_id_header = request_header (msg, "Last-Event-ID");
  g_autofree char *ip = requester_ip (self, msg);
  gint64 after = -1;
  guint64 last_id;
  guint retry_after = 0;

  if (!companion_limits_allow_attempt (self->limits, ip, &retry_after))
    {
      send_rate_limited (msg, retry_after, "Too many failed attempts; try again later");
      return;
    }

  if (order_id == NULL || event_token == NULL)
    {
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST,
                          "The query needs orderId and eventToken");
      return;
    }
  if (!crossing_token_is_well_formed (order_id))
    {
      companion_limits_count_failure (self->limits, ip);
      send_error (msg, CROSSING_ERROR_ORDER_NOT_FOUND);
      return;
    }

  order = companion_engine_open_events (self->engine, order_id, event_token, &error);
  if (order == NULL)
    {
      if (is_failed_attempt (error))
        companion_limits_count_failure (self->limits, ip);
      send_gerror (msg, error);
      return;
    }

  if (!crossing_status_is_terminal (order->status) &&
      !companion_event_hub_can_subscribe (self->hub, order_id))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "5");
      send_error_message (msg, CROSSING_ERROR_RATE_LIMITED, "Too many open event streams");
      return;
    }

  if (last_id_header != NULL &&
      g_ascii_string_to_unsigned (last_id_header, 10, 0, G_MAXINT64, &last_id, NULL))
    after = (gint64) last_id;
  else if (order->event_seq > 0)
    after = order->event_seq - 1;   /* only the current state */
  else
    after = 0;

  events = companion_store_list_events (self->store, order_id, after, &error);
  if (events == NULL)
    {
      send_gerror (msg, error);
      return;
    }

  companion_event_hub_begin_stream (msg);
  for (guint i = 0; i < events->len; i++)
    {
      CompanionEvent *event = g_ptr_array_index (events, i);

      companion_event_hub_write_event (msg, event->seq, event->status, event->data);
    }

  if (crossing_status_is_terminal (order->status))
    companion_event_hub_end_stream (msg);
  else
    {
      companion_event_hub_subscribe (self->hub, order_id, msg);
      companion_limits_keep_open (self->limits, msg);
    }
}

/* ---- sessions ------------------------------------------------------------ */

static char *
session_token_from_request (SoupServerMessage *msg)
{
  const char *authorization = request_header (msg, "Authorization");
  const char *cookie_header = request_header (msg, "Cookie");
  g_autoptr(GHashTable) cookies = NULL;

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));

  if (cookie_header == NULL)
    return NULL;

  cookies = soup_header_parse_semi_param_list (cookie_header);
  return g_strdup (g_hash_table_lookup (cookies, CROSSING_SESSION_COOKIE));
}

static void
serve_get_session (CompanionServer   *self,
                   SoupServerMessage *msg)
{
  g_autofree char *token = session_token_from_request (msg);
  g_autofree char *ip = requester_ip (self, msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) response = NULL;
  guint retry_after = 0;

  if (!companion_limits_allow_attempt (self->limits, ip, &retry_after))
    {
      send_rate_limited (msg, retry_after, "Too many failed attempts; try again later");
      return;
    }

  response = companion_engine_get_session (self->engine, token, &error);
  if (response == NULL)
    {
      if (is_failed_attempt (error))
        companion_limits_count_failure (self->limits, ip);
      send_gerror (msg, error);
      return;
    }
  /* No session for a token that was sent: a guess, or an old token. */
  if (token != NULL && JSON_NODE_HOLDS_NULL (response))
    companion_limits_count_failure (self->limits, ip);
  send_json (msg, SOUP_STATUS_OK, response);
}

static void
serve_sign_out (CompanionServer   *self,
                SoupServerMessage *msg)
{
  g_autofree char *token = session_token_from_request (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) response = NULL;
  g_autofree char *cookie = NULL;

  if (!companion_engine_sign_out (self->engine, token, &error))
    {
      send_gerror (msg, error);
      return;
    }

  cookie = g_strdup_printf ("%s=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax%s",
                            CROSSING_SESSION_COOKIE, is_https (self) ? "; Secure" : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  response = json_builder_get_root (builder);
  send_json (msg, SOUP_STATUS_OK, response);
}

/* ---- operations ---------------------------------------------------------- */

/* 200 while the store answers, 503 when it does not: for load balancers,
 * the systemd unit and the desktop app's check of a server URL. */
static void
serve_health (CompanionServer   *self,
              SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) response = NULL;
  gboolean ok;

  companion_store_count_pending (self->store, &error);
  ok = error == NULL;
  if (!ok)
    g_warning ("Health check: the store does not answer: %s", error->message);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, ok ? "ok" : "unavailable");
  json_builder_set_member_name (builder, "store");
  json_builder_add_string_value (builder, companion_store_get_backend_name (self->store));
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);
  response = json_builder_get_root (builder);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  if (!ok)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "5");
  send_json (msg, ok ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, response);
}

/* ---- routing ------------------------------------------------------------- */

/* Browser apps on a trusted origin may call the API from their pages. */
static gboolean
apply_cors (CompanionServer   *self,
            SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *origin = request_header (msg, "Origin");

  if (origin == NULL || !companion_config_is_trusted_origin (self->config, origin))
    return FALSE;

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (headers, "Access-Control-Allow-Credentials", "true");
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers", "set-auth-token");
  soup_message_headers_append (headers, "Vary", "Origin");
  return TRUE;
}

static void
serve_preflight (CompanionServer   *self,
                 SoupServerMessage *msg,
                 const char        *allow)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (apply_cors (self, msg))
    {
      soup_message_headers_replace (headers, "Access-Control-Allow-Methods", allow);
      soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
                                    "Content-Type, Authorization, Last-Event-ID");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", "600");
    }
  soup_message_headers_replace (headers, "Allow", allow);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
route_api (CompanionServer   *self,
           SoupServerMessage *msg,
           const char        *method,
           const char        *rest,
           GHashTable        *query)
{
  const char *name;

  if (g_str_has_prefix (rest, CROSSING_CROSS_DEVICE_PREFIX "/"))
    {
      name = rest + strlen (CROSSING_CROSS_DEVICE_PREFIX "/");

      if (strcmp (name, "events") == 0)
        {
          if (method == SOUP_METHOD_OPTIONS)
            serve_preflight (self, msg, "GET");
          else if (method != SOUP_METHOD_GET)
            send_method_not_allowed (msg, "GET");
          else
            serve_events (self, msg, query);
          return;
        }

      for (guint i = 0; i < G_N_ELEMENTS (post_routes); i++)
        {
          if (strcmp (name, post_routes[i].name) != 0)
            continue;
          if (method == SOUP_METHOD_OPTIONS)
            serve_preflight (self, msg, "POST");
          else if (method != SOUP_METHOD_POST)
            send_method_not_allowed (msg, "POST");
          else
            serve_post (self, msg, i);
          return;
        }
    }
  else if (strcmp (rest, "/get-session") == 0)
    {
      if (method == SOUP_METHOD_OPTIONS)
        serve_preflight (self, msg, "GET");
      else if (method != SOUP_METHOD_GET)
        send_method_not_allowed (msg, "GET");
      else
        serve_get_session (self, msg);
      return;
    }
  else if (strcmp (rest, "/health") == 0)
    {
      if (method == SOUP_METHOD_OPTIONS)
        serve_preflight (self, msg, "GET");
      else if (method != SOUP_METHOD_GET)
        send_method_not_allowed (msg, "GET");
      else
        serve_health (self, msg);
      return;
    }
  else if (strcmp (rest, "/sign-out") == 0)
    {
      if (method == SOUP_METHOD_OPTIONS)
        serve_preflight (self, msg, "POST");
      else if (method != SOUP_METHOD_POST)
        send_method_not_allowed (msg, "POST");
      else
        serve_sign_out (self, msg);
      return;
    }

  send_error (msg, CROSSING_ERROR_NOT_FOUND);
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  CompanionServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *base = self->config->base_path;
  const char *prefix = self->config->public_prefix;
  static const char page_prefix[] = CROSSING_CROSS_DEVICE_PREFIX "/";

  /* Behind a proxy that keeps the public URL's path, drop it. */
  if (*prefix != '\0' && g_str_has_prefix (path, prefix) && path[strlen (prefix)] == '/')
    path += strlen (prefix);

  apply_cors (self, msg);

  if (g_str_has_prefix (path, base) && path[strlen (base)] == '/')
    {
      route_api (self, msg, method, path + strlen (base), query);
      return;
    }

  if (g_str_has_prefix (path, page_prefix) &&
      (g_str_has_prefix (path + strlen (page_prefix), "claim/") ||
       g_str_has_prefix (path + strlen (page_prefix), "assets/")))
    {
      companion_page_handle (msg, path + strlen (page_prefix), self->page_api_base);
      return;
    }

  send_error (msg, CROSSING_ERROR_NOT_FOUND);
}

/* Past the limit, drops what was read and marks the request: the answer is
 * a 413 once the body ends (or the request timeout ends the connection). */
static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (body->length <= CROSSING_MAX_BODY_SIZE &&
      g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE) == NULL)
    return;
  g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE, GINT_TO_POINTER (TRUE));
  soup_message_body_truncate (body);
}

/* Refuses oversized bodies from their headers, before reading them. */
static void
on_request_headers (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* Both lengths: a proxy in front may have read the other one. Refuse
   * rather than guess where this request ends, and close. */
  if (soup_message_headers_get_one (headers, "Content-Length") != NULL &&
      soup_message_headers_get_one (headers, "Transfer-Encoding") != NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      send_error_message (msg, CROSSING_ERROR_INVALID_REQUEST,
                          "A request may not carry both Content-Length and Transfer-Encoding");
      return;
    }

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > CROSSING_MAX_BODY_SIZE)
        send_error (msg, CROSSING_ERROR_PAYLOAD_TOO_LARGE);
      break;
    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_EOF:
      /* No length up front: keep at most the limit. */
      g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
      break;
    case SOUP_ENCODING_UNRECOGNIZED:
    case SOUP_ENCODING_NONE:
    case SOUP_ENCODING_BYTERANGES:
    default:
      break;
    }
}

/* ---- life cycle ---------------------------------------------------------- */

CompanionServer *
companion_server_new (CompanionConfig *config,
                      CompanionStore  *store)
{
  CompanionServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (COMPANION_IS_STORE (store), NULL);

  self = g_object_new (COMPANION_TYPE_SERVER, NULL);
  self->config = config;
  self->store = g_object_ref (store);
  self->hub = companion_event_hub_new (config->max_streams, config->max_streams_per_order);
  companion_event_hub_attach_store (self->hub, store);
  self->limits = companion_limits_new (config, store);
  self->api_prefix = g_strconcat (config->base_path, CROSSING_CROSS_DEVICE_PREFIX, NULL);
  return self;
}

gboolean
companion_server_listen (CompanionServer  *self,
                         GError          **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSList) uris = NULL;
  SoupServerListenOptions options = 0;
  const char *host;
  g_autofree char *server_header = g_strdup_printf ("crossing-companion/%s ", PACKAGE_VERSION);

  g_return_val_if_fail (COMPANION_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  if (self->config->tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (self->config->tls_cert,
                                                      self->config->tls_key, error);
      if (certificate == NULL)
        return FALSE;
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  self->server = soup_server_new ("server-header", server_header,
                                  "tls-certificate", certificate, NULL);
  soup_server_add_early_handler (self->server, NULL, on_request_headers, self, NULL);
  soup_server_add_handler (self->server, NULL, on_request, self, NULL);
  companion_limits_watch_server (self->limits, self->server);

  host = self->config->listen_host;
  address = g_inet_address_new_from_string (strcmp (host, "localhost") == 0 ? "127.0.0.1" : host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Cannot listen on %s", host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, self->config->listen_port);

  /* libsoup listens with a backlog of 10: a burst of new connections (a
   * room of desktops, a load test) would wait a second for the SYN retry.
   * Listen ourselves with room for bursts. */
  listener = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, socket_address, TRUE, error) ||
      !g_socket_listen (listener, error) ||
      !soup_server_listen_socket (self->server, listener, options, error))
    return FALSE;

  uris = soup_server_get_uris (self->server);
  if (uris != NULL)
    {
      GUri *uri = uris->data;
      g_autofree char *text = g_uri_to_string (uri);
      gsize len = strlen (text);

      if (len > 0 && text[len - 1] == '/')
        text[len - 1] = '\0';
      self->url = g_steal_pointer (&text);
    }
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  companion_config_set_listening_url (self->config, self->url);
  self->page_api_base = g_strconcat (self->config->public_prefix, self->api_prefix, NULL);

  self->engine = companion_engine_new (self->config, self->store);
  companion_engine_start_timers (self->engine);
  return TRUE;
}

const char *
companion_server_get_url (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->url;
}

CompanionEngine *
companion_server_get_engine (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->engine;
}

CompanionEventHub *
companion_server_get_hub (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->hub;
}

CompanionLimits *
companion_server_get_limits (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->limits;
}

SoupServer *
companion_server_get_soup_server (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->server;
}

void
companion_server_stop_accepting (CompanionServer *self)
{
  g_return_if_fail (COMPANION_IS_SERVER (self));

  if (self->server != NULL)
    {
      /* (transfer container): the list is ours to free. */
      g_autoptr(GSList) listeners = soup_server_get_listeners (self->server);

      for (GSList *l = listeners; l != NULL; l = l->next)
        g_socket_close (l->data, NULL);
    }

  companion_event_hub_close_all (self->hub);
}

void
companion_server_disconnect (CompanionServer *self)
{
  g_return_if_fail (COMPANION_IS_SERVER (self));

  /* libsoup frees a message whose connection it drops without emitting
   * "finished": end the event streams first, or the hub would keep them. */
  companion_event_hub_close_all (self->hub);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
}

static void
companion_server_dispose (GObject *object)
{
  CompanionServer *self = (CompanionServer *) object;

  if (self->hub != NULL)
    companion_event_hub_close_all (self->hub);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->engine);
  g_clear_object (&self->limits);
  g_clear_object (&self->hub);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (companion_server_parent_class)->dispose (object);
}

static void
companion_server_finalize (GObject *object)
{
  CompanionServer *self = (CompanionServer *) object;

  g_free (self->url);
  g_free (self->api_prefix);
  g_free (self->page_api_base);

  G_OBJECT_CLASS (companion_server_parent_class)->finalize (object);
}

static void
companion_server_class_init (CompanionServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = companion_server_dispose;
  object_class->finalize = companion_server_finalize;
}

static void
companion_server_init (CompanionServer *self)
{
}
