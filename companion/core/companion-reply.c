/* companion-reply.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-reply"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "companion-errors.h"
#include "companion-reply-private.h"

struct _CompanionReply
{
  CompanionReplyKind  kind;
  guint               status;
  JsonNode           *json;
  GBytes             *bytes;
  char               *content_type;
  GPtrArray          *headers;   /* name, value, name, value, ... */
  GSList             *cookies;   /* SoupCookie */
  char               *stream_order;
  GPtrArray          *stream_events;
  gboolean            stream_ended;
};

CompanionReply *
companion_reply_new (void)
{
  CompanionReply *reply = g_new0 (CompanionReply, 1);

  reply->kind = COMPANION_REPLY_EMPTY;
  reply->status = SOUP_STATUS_NO_CONTENT;
  reply->headers = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

static void
clear_body (CompanionReply *reply)
{
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->bytes, g_bytes_unref);
  g_clear_pointer (&reply->content_type, g_free);
  g_clear_pointer (&reply->stream_order, g_free);
  g_clear_pointer (&reply->stream_events, g_ptr_array_unref);
}

void
companion_reply_free (CompanionReply *reply)
{
  if (reply == NULL)
    return;
  clear_body (reply);
  g_ptr_array_unref (reply->headers);
  g_slist_free_full (reply->cookies, (GDestroyNotify) soup_cookie_free);
  g_free (reply);
}

void
companion_reply_take_json (CompanionReply *reply,
                           guint           status,
                           JsonNode       *node)
{
  g_return_if_fail (reply != NULL);
  g_return_if_fail (node != NULL);

  clear_body (reply);
  reply->kind = COMPANION_REPLY_JSON;
  reply->status = status;
  reply->json = node;
}

void
companion_reply_set_error_code (CompanionReply *reply,
                                CrossingError   code,
                                const char     *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (reply != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, crossing_error_to_code (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message != NULL ? message
                                                          : crossing_error_default_message (code));
  json_builder_end_object (builder);
  companion_reply_take_json (reply, crossing_error_to_http_status (code),
                             json_builder_get_root (builder));
}

void
companion_reply_set_error (CompanionReply *reply,
                           const GError   *error)
{
  CrossingError code;

  g_return_if_fail (reply != NULL);
  g_return_if_fail (error != NULL);

  code = companion_error_to_wire (error);
  if (code == CROSSING_ERROR_INTERNAL)
    {
      /* Database and other internal failures: the detail is for the log. */
      g_warning ("Internal error: %s", error->message);
      companion_reply_set_error_code (reply, code, NULL);
    }
  else if (code == CROSSING_ERROR_UNAVAILABLE)
    {
      /* The store's own words may name hosts or files: the log has them. */
      if (error->domain != CROSSING_ERROR)
        g_message ("Store unavailable: %s", error->message);
      companion_reply_set_header (reply, "Retry-After", "5");
      companion_reply_set_error_code (reply, code, NULL);
    }
  else
    companion_reply_set_error_code (reply, code,
                                    error->domain == CROSSING_ERROR ? error->message : NULL);
}

void
companion_reply_set_bytes (CompanionReply *reply,
                           guint           status,
                           const char     *content_type,
                           GBytes         *bytes)
{
  g_return_if_fail (reply != NULL);
  g_return_if_fail (bytes != NULL);

  clear_body (reply);
  reply->kind = COMPANION_REPLY_BYTES;
  reply->status = status;
  reply->bytes = g_bytes_ref (bytes);
  reply->content_type = g_strdup (content_type);
}

void
companion_reply_set_header (CompanionReply *reply,
                            const char     *name,
                            const char     *value)
{
  g_return_if_fail (reply != NULL);

  for (guint i = 0; i < reply->headers->len; i += 2)
    {
      if (g_ascii_strcasecmp (g_ptr_array_index (reply->headers, i), name) == 0)
        {
          g_free (reply->headers->pdata[i + 1]);
          reply->headers->pdata[i + 1] = g_strdup (value);
          return;
        }
    }
  g_ptr_array_add (reply->headers, g_strdup (name));
  g_ptr_array_add (reply->headers, g_strdup (value));
}

void
companion_reply_take_cookie (CompanionReply *reply,
                             SoupCookie     *cookie)
{
  g_return_if_fail (reply != NULL);
  g_return_if_fail (cookie != NULL);

  reply->cookies = g_slist_append (reply->cookies, cookie);
}

void
companion_reply_set_stream (CompanionReply *reply,
                            const char     *order_id,
                            GPtrArray      *events,
                            gboolean        ended)
{
  g_return_if_fail (reply != NULL);
  g_return_if_fail (order_id != NULL);
  g_return_if_fail (events != NULL);

  clear_body (reply);
  reply->kind = COMPANION_REPLY_STREAM;
  reply->status = SOUP_STATUS_OK;
  reply->stream_order = g_strdup (order_id);
  reply->stream_events = g_ptr_array_ref (events);
  reply->stream_ended = ended;
}

/* A page runs only its own files and talks only to its own origin. */
static const char content_security_policy[] =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void
companion_reply_set_page_headers (CompanionReply *reply)
{
  g_return_if_fail (reply != NULL);

  companion_reply_set_header (reply, "Content-Security-Policy", content_security_policy);
  companion_reply_set_header (reply, "Referrer-Policy", "no-referrer");
  companion_reply_set_header (reply, "X-Content-Type-Options", "nosniff");
  companion_reply_set_header (reply, "X-Frame-Options", "DENY");
  /* A page's URL may carry a token: nothing may keep a copy of it. */
  companion_reply_set_header (reply, "Cache-Control", "no-store");
}

void
companion_json_add_string (JsonBuilder *builder,
                           const char  *name,
                           const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
companion_json_add_int (JsonBuilder *builder,
                        const char  *name,
                        gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

guint
companion_reply_get_status (const CompanionReply *reply)
{
  g_return_val_if_fail (reply != NULL, 0);
  return reply->status;
}

const char *
companion_reply_get_header (const CompanionReply *reply,
                            const char           *name)
{
  for (guint i = 0; i < reply->headers->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (reply->headers, i), name) == 0)
      return g_ptr_array_index (reply->headers, i + 1);
  return NULL;
}

CompanionReplyKind
companion_reply_get_kind (const CompanionReply *reply)
{
  return reply->kind;
}

const char *
companion_reply_get_stream_order (const CompanionReply *reply)
{
  return reply->stream_order;
}

GPtrArray *
companion_reply_get_stream_events (const CompanionReply *reply)
{
  return reply->stream_events;
}

gboolean
companion_reply_get_stream_ended (const CompanionReply *reply)
{
  return reply->stream_ended;
}

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

void
companion_reply_write (const CompanionReply *reply,
                       SoupServerMessage    *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  for (guint i = 0; i < reply->headers->len; i += 2)
    soup_message_headers_replace (headers, g_ptr_array_index (reply->headers, i),
                                  g_ptr_array_index (reply->headers, i + 1));
  for (GSList *l = reply->cookies; l != NULL; l = l->next)
    {
      g_autofree char *value = soup_cookie_to_set_cookie_header (l->data);

      soup_message_headers_append (headers, "Set-Cookie", value);
    }

  switch (reply->kind)
    {
    case COMPANION_REPLY_JSON:
      {
        char *text = json_to_string (reply->json, FALSE);

        cork_until_written (msg);
        soup_server_message_set_status (msg, reply->status, NULL);
        if (soup_message_headers_get_one (headers, "Cache-Control") == NULL)
          soup_message_headers_replace (headers, "Cache-Control", "no-store");
        soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                          SOUP_MEMORY_TAKE, text, strlen (text));
      }
      break;
    case COMPANION_REPLY_BYTES:
      soup_server_message_set_status (msg, reply->status, NULL);
      soup_message_headers_replace (headers, "Content-Type", reply->content_type);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), reply->bytes);
      break;
    case COMPANION_REPLY_EMPTY:
      soup_server_message_set_status (msg, reply->status, NULL);
      break;
    case COMPANION_REPLY_STREAM:
    default:
      break;
    }
}
