/* companion-server.c: the HTTP front
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The only code that reads a SoupServerMessage: it finds the route, checks
 * the request's shape (size, media type, strict JSON, rate limits), hands
 * the handler a CompanionRequest and writes the CompanionReply it fills.
 */
#define G_LOG_DOMAIN "companion-server"

#include "config.h"

#include <string.h>

#include "crossing-json.h"
#include "crossing-token.h"

#include "companion-core-private.h"
#include "companion-errors.h"
#include "companion-reply-private.h"
#include "companion-router.h"
#include "companion-server.h"

#define MAX_USER_AGENT 256
#define LISTEN_BACKLOG 1024
#define BODY_TOO_LARGE "companion-body-too-large"

struct _CompanionServer
{
  GObject            parent_instance;

  CompanionConfig   *config;
  CompanionStore    *store;
  CompanionEventHub *hub;
  CompanionLimits   *limits;
  CompanionCore     *core;
  CompanionRouter   *router;
  SoupServer        *server;
  char              *url;
};

G_DEFINE_FINAL_TYPE (CompanionServer, companion_server, G_TYPE_OBJECT)

/* ---- writing ------------------------------------------------------------- */

static void
send_error_message (SoupServerMessage *msg,
                    CrossingError      code,
                    const char        *message)
{
  g_autoptr(CompanionReply) reply = companion_reply_new ();

  companion_reply_set_error_code (reply, code, message);
  companion_reply_write (reply, msg);
}

static void
send_error (SoupServerMessage *msg,
            CrossingError      code)
{
  send_error_message (msg, code, NULL);
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

  if (error == NULL)
    return FALSE;
  status = crossing_error_to_http_status (companion_error_to_wire (error));
  return status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_NOT_FOUND;
}

/* ---- reading ------------------------------------------------------------- */

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

/* Control characters replaced, at most MAX_USER_AGENT characters. */
static char *
requester_user_agent (SoupServerMessage *msg)
{
  return crossing_string_scrub (request_header (msg, "User-Agent"), MAX_USER_AGENT);
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

/* How many members the objects of @node hold, at every depth. The strict
 * scan has bounded the depth. */
static gsize
count_members (JsonNode *node)
{
  gsize n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        n += 1 + count_members (member);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        n += count_members (json_array_get_element (array, i));
    }
  return n;
}

/* The body of a route that takes JSON: at most 16 KiB, application/json in
 * UTF-8, strict RFC 8259 (no duplicate members, no escaped NUL), an
 * object. An empty body reads as {} where the route allows it. */
static JsonParser *
parse_body (SoupServerMessage    *msg,
            CompanionRouteFlags   flags,
            GError              **error)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GBytes) bytes = NULL;
  JsonNode *root;
  const char *data;
  gsize len;
  gsize n_members;

  if ((flags & COMPANION_ROUTE_EMPTY_BODY) && request_body->length == 0)
    {
      json_parser_load_from_data (parser, "{}", 2, NULL);
      return g_steal_pointer (&parser);
    }

  if (!is_json_content_type (msg))
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE,
                           crossing_error_default_message (CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE));
      return NULL;
    }

  bytes = soup_message_body_flatten (request_body);
  data = g_bytes_get_data (bytes, &len);
  /* json-glib stops at a NUL; a body with one is not JSON. */
  if (len == 0 || memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    return companion_invalid_request (error, "The body is not valid JSON"), NULL;
  if (has_escaped_nul (data, len))
    return companion_invalid_request (error, "A string in the body contains a control character"),
           NULL;
  if (!crossing_json_scan (data, len, CROSSING_JSON_MAX_DEPTH, &n_members) ||
      !json_parser_load_from_data (parser, data, len, NULL))
    return companion_invalid_request (error, "The body is not valid JSON"), NULL;

  /* json-glib keeps the last of two members with the same name. A request
   * where two values compete is ambiguous: refuse it. A parsed object holds
   * each name once, and a value replaced takes its objects with it, so the
   * tree has fewer members than the text wrote exactly when a name repeats.
   * (Counted rather than watched through json-glib's "object-member"
   * signal, which costs an emission per member.) */
  root = json_parser_get_root (parser);
  if (root != NULL && count_members (root) != n_members)
    return companion_invalid_request (error, "A member appears twice in the same object"), NULL;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return companion_invalid_request (error, "The body must be a JSON object"), NULL;
  return g_steal_pointer (&parser);
}

static char *
session_token_from (SoupServerMessage *msg,
                    GHashTable        *cookies)
{
  const char *authorization = request_header (msg, "Authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));
  return cookies != NULL ? g_strdup (g_hash_table_lookup (cookies, CROSSING_SESSION_COOKIE))
                         : NULL;
}

/* ---- CORS ---------------------------------------------------------------- */

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
  /* Idempotency-Hit: the ledger's replays, for a browser app of an admin. */
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers",
                                "set-auth-token, Idempotency-Hit");
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
                                    "Content-Type, Authorization, Last-Event-ID, Idempotency-Key");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", "600");
    }
  soup_message_headers_replace (headers, "Allow", allow);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* ---- dispatch ------------------------------------------------------------ */

/* Writes a handler's stream reply: the events it read, then either the end
 * or the hub's live events. */
static void
write_stream (CompanionServer   *self,
              SoupServerMessage *msg,
              CompanionReply    *reply)
{
  GPtrArray *events = companion_reply_get_stream_events (reply);
  const char *order_id = companion_reply_get_stream_order (reply);

  companion_reply_write (reply, msg);
  companion_event_hub_begin_stream (msg);
  for (guint i = 0; i < events->len; i++)
    {
      CompanionEvent *event = g_ptr_array_index (events, i);

      companion_event_hub_write_event (msg, event->seq, event->status, event->data);
    }

  if (companion_reply_get_stream_ended (reply))
    companion_event_hub_end_stream (msg);
  else
    {
      companion_event_hub_subscribe (self->hub, order_id, msg);
      companion_limits_keep_open (self->limits, msg);
    }
}

static void
dispatch (CompanionServer           *self,
          SoupServerMessage         *msg,
          const CompanionRouteEntry *entry,
          const char                *path,
          const char                *rest,
          GHashTable                *query)
{
  const CompanionRoute *route = entry->route;
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(CompanionReply) reply = companion_reply_new ();
  g_autoptr(JsonParser) parser = NULL;
  gboolean is_page = (route->flags & COMPANION_ROUTE_PUBLIC) != 0;
  g_autoptr(GHashTable) cookies = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ip = requester_ip (self, msg);
  g_autofree char *user_agent = requester_user_agent (msg);
  g_autofree char *session_token = NULL;
  const char *cookie_header = request_header (msg, "Cookie");
  CompanionRequest request = { 0, };
  guint retry_after = 0;

  gboolean defer_body = (route->flags & COMPANION_ROUTE_DEFER_BODY) != 0;
  g_autoptr(GError) body_error = NULL;
  g_autoptr(GBytes) raw_body = NULL;

  if ((route->flags & COMPANION_ROUTE_JSON_BODY) &&
      (request_body->length > CROSSING_MAX_BODY_SIZE ||
       g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE) != NULL))
    {
      if (!defer_body)
        {
          send_error (msg, CROSSING_ERROR_PAYLOAD_TOO_LARGE);
          return;
        }
      body_error = g_error_new_literal (CROSSING_ERROR, CROSSING_ERROR_PAYLOAD_TOO_LARGE,
                                        crossing_error_default_message (CROSSING_ERROR_PAYLOAD_TOO_LARGE));
    }

  if ((route->flags & COMPANION_ROUTE_LIMIT_STARTS) &&
      !companion_limits_allow_start (self->limits, ip, &retry_after))
    {
      send_rate_limited (msg, retry_after, "Too many orders started; try again later");
      return;
    }
  if ((route->flags & COMPANION_ROUTE_CHECKS_TOKEN) &&
      !companion_limits_allow_attempt (self->limits, ip, &retry_after))
    {
      send_rate_limited (msg, retry_after, "Too many failed attempts; try again later");
      return;
    }

  if ((route->flags & COMPANION_ROUTE_JSON_BODY) && body_error == NULL)
    {
      parser = parse_body (msg, route->flags, &error);
      if (parser == NULL && !defer_body)
        {
          companion_reply_set_error (reply, error);
          companion_reply_write (reply, msg);
          return;
        }
      if (parser == NULL)
        body_error = g_steal_pointer (&error);
      else
        {
          request.body = json_node_get_object (json_parser_get_root (parser));
          raw_body = soup_message_body_flatten (request_body);
          request.raw_body = g_bytes_get_data (raw_body, &request.raw_body_len);
        }
    }
  request.body_error = body_error;

  if (cookie_header != NULL)
    cookies = soup_header_parse_semi_param_list (cookie_header);
  session_token = session_token_from (msg, cookies);

  request.core = self->core;
  request.method = soup_server_message_get_method (msg);
  request.path = path;
  request.rest = rest;
  request.query = query;
  request.origin = request_header (msg, "Origin");
  request.client_ip = ip;
  request.user_agent = user_agent;
  request.session_token = session_token;
  request.headers = soup_server_message_get_request_headers (msg);
  request.cookies = cookies;

  if (is_page)
    companion_reply_set_page_headers (reply);
  if (!route->handler (entry->state, &request, reply, &error))
    {
      if ((route->flags & COMPANION_ROUTE_CHECKS_TOKEN) && is_failed_attempt (error))
        companion_limits_count_failure (self->limits, ip);
      companion_reply_set_error (reply, error);
    }

  if (self->core->metrics != NULL)
    {
      companion_metrics_count_request (self->core->metrics, route->path,
                                       companion_reply_get_status (reply));
      if (companion_reply_get_header (reply, "set-auth-token") != NULL)
        companion_metrics_count_sign_in (self->core->metrics, entry->owner);
    }

  if (companion_reply_get_kind (reply) == COMPANION_REPLY_STREAM)
    write_stream (self, msg, reply);
  else
    companion_reply_write (reply, msg);
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
  const CompanionRouteEntry *entry;
  g_autoptr(CompanionReply) reply = NULL;
  g_autofree char *allow = NULL;
  gboolean is_public = TRUE;
  const char *rest;

  /* Behind a proxy that keeps the public URL's path, drop it. */
  if (*prefix != '\0' && g_str_has_prefix (path, prefix) && path[strlen (prefix)] == '/')
    path += strlen (prefix);

  apply_cors (self, msg);

  if (g_str_has_prefix (path, base) && path[strlen (base)] == '/')
    {
      path += strlen (base);
      is_public = FALSE;
    }

  entry = companion_router_lookup (self->router, is_public, method, path, &rest, &allow);
  if (entry != NULL)
    {
      dispatch (self, msg, entry, path, rest, query);
      return;
    }
  /* Pages are not for other origins' scripts: no preflight for them. */
  if (allow != NULL && method == SOUP_METHOD_OPTIONS && !is_public)
    {
      serve_preflight (self, msg, allow);
      return;
    }

  reply = companion_reply_new ();
  if (is_public)
    companion_reply_set_page_headers (reply);
  if (allow != NULL)
    {
      companion_reply_set_header (reply, "Allow", allow);
      companion_reply_set_error_code (reply, CROSSING_ERROR_METHOD_NOT_ALLOWED, NULL);
    }
  else
    companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
  if (self->core->metrics != NULL)
    companion_metrics_count_request (self->core->metrics, "unmatched",
                                     companion_reply_get_status (reply));
  companion_reply_write (reply, msg);
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
  /* The hub fans out what the store says it committed. */
  companion_event_hub_attach_store (self->hub, store);
  self->limits = companion_limits_new (config, store);
  self->core = companion_core_new (config, store, self->hub, self->limits);
  self->router = companion_router_new ();
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

  if (!companion_core_create_features (self->core, error))
    return FALSE;
  companion_router_add (self->router, "core", companion_core_routes, companion_core_n_routes,
                        NULL);
  if (self->core->metrics != NULL)
    companion_router_add (self->router, "core", &companion_metrics_route, 1, NULL);
  for (gsize i = 0; companion_features[i] != NULL; i++)
    companion_router_add (self->router, companion_features[i]->name, companion_features[i]->routes,
                          companion_features[i]->n_routes, self->core->states[i]);
  return TRUE;
}

const char *
companion_server_get_url (CompanionServer *self)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return self->url;
}

gpointer
companion_server_get_feature (CompanionServer *self,
                              const char      *name)
{
  g_return_val_if_fail (COMPANION_IS_SERVER (self), NULL);
  return companion_core_get_feature (self->core, name);
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
  g_clear_pointer (&self->core, companion_core_free);
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
  g_clear_pointer (&self->router, companion_router_free);

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
