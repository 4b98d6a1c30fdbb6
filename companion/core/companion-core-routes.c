/* companion-core-routes.c: what every deployment answers, whatever its
 * features: health, get-session and sign-out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-core"

#include "config.h"

#include <string.h>

#include "companion-core-private.h"
#include "companion-sessions.h"

/* 200 while the store answers, 503 when it does not: for load balancers,
 * the systemd unit and the desktop app's check of a server URL. */
static gboolean
handle_health (gpointer           state,
               CompanionRequest  *request,
               CompanionReply    *reply,
               GError           **error)
{
  g_autoptr(GError) store_error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean ok;

  companion_store_count_pending (companion_core_get_store (request->core), &store_error);
  ok = store_error == NULL;
  if (!ok)
    g_warning ("Health check: the store does not answer: %s", store_error->message);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, ok ? "ok" : "unavailable");
  json_builder_set_member_name (builder, "store");
  json_builder_add_string_value (builder,
                                 companion_store_get_backend_name (companion_core_get_store (request->core)));
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);

  if (!ok)
    companion_reply_set_header (reply, "Retry-After", "5");
  companion_reply_take_json (reply, ok ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE,
                             json_builder_get_root (builder));
  return TRUE;
}

static gboolean
handle_get_session (gpointer           state,
                    CompanionRequest  *request,
                    CompanionReply    *reply,
                    GError           **error)
{
  JsonNode *response;

  response = companion_sessions_get (companion_core_get_store (request->core),
                                     request->session_token, error);
  if (response == NULL)
    return FALSE;
  /* No session for a token that was sent: a guess, or an old token. */
  if (request->session_token != NULL && JSON_NODE_HOLDS_NULL (response))
    companion_core_count_failure (request->core, request);
  companion_reply_take_json (reply, SOUP_STATUS_OK, response);
  return TRUE;
}

static gboolean
handle_sign_out (gpointer           state,
                 CompanionRequest  *request,
                 CompanionReply    *reply,
                 GError           **error)
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (!companion_sessions_sign_out (companion_core_get_store (request->core),
                                    request->session_token, error))
    return FALSE;

  companion_core_reply_end_session (request->core, reply);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static gboolean
is_loopback (const char *ip)
{
  g_autoptr(GInetAddress) address = ip != NULL ? g_inet_address_new_from_string (ip) : NULL;

  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* For a scraper on the same host, or behind the trusted proxy on it: to
 * anyone else there is no such route. */
static gboolean
handle_metrics (gpointer           state,
                CompanionRequest  *request,
                CompanionReply    *reply,
                GError           **error)
{
  g_autoptr(GBytes) text = NULL;
  char *body;

  if (!is_loopback (request->client_ip))
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_NOT_FOUND,
                           crossing_error_default_message (CROSSING_ERROR_NOT_FOUND));
      return FALSE;
    }

  body = companion_metrics_render (request->core->metrics);
  text = g_bytes_new_take (body, strlen (body));
  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                             text);
  return TRUE;
}

const CompanionRoute companion_metrics_route = {
  "GET", "/metrics", 0, handle_metrics
};

const CompanionRoute companion_core_routes[] = {
  { "GET", "/health", 0, handle_health },
  { "GET", "/get-session", COMPANION_ROUTE_CHECKS_TOKEN, handle_get_session },
  { "POST", "/sign-out", 0, handle_sign_out },
};
const gsize companion_core_n_routes = G_N_ELEMENTS (companion_core_routes);
