/* companion-cross-device.c: the cross-device routes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads each request's fields, checks their shape, and hands them to the
 * engine; the engine owns the contract's behaviour.
 */
#define G_LOG_DOMAIN "companion-cross-device"

#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-approve.h"
#include "companion-core.h"
#include "companion-cross-device.h"
#include "companion-page.h"

#define PREFIX CROSSING_CROSS_DEVICE_PREFIX

struct _CompanionCrossDevice
{
  CompanionCore   *core;
  CompanionEngine *engine;
  char            *page_api_base;   /* what the phone page calls, same origin */
  /* issue 14: --geoip-db, reopened on SIGHUP */
  CompanionGeoip  *geoip;
  guint            sighup_id;
};

#define MAX_CONTEXT_PAIRS  8
#define MAX_CONTEXT_VALUE  200

static gboolean
is_payload_hash (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return *value != '\0';
}

static gboolean
reply_json (CompanionReply *reply,
            JsonNode       *response)
{
  if (response == NULL)
    return FALSE;
  companion_reply_take_json (reply, SOUP_STATUS_OK, response);
  return TRUE;
}

/* The order ID (a well-formed token, else ORDER_NOT_FOUND) and one token. */
static gboolean
get_order_and_token (CompanionRequest  *request,
                     const char        *token_field,
                     const char       **out_order_id,
                     const char       **out_token,
                     GError           **error)
{
  return companion_request_get_token (request, "orderId", CROSSING_ERROR_ORDER_NOT_FOUND,
                                      out_order_id, error) &&
         companion_request_get_string (request, token_field, TRUE, COMPANION_MAX_TOKEN_FIELD,
                                       out_token, error);
}

/* Custom context: at most 8 string pairs, keys ^[a-z][a-z0-9_]{0,31}$ and
 * not a built-in detail, values 1 to 200 characters without control
 * characters. @out_pairs: key, value, ..., NULL (pointing into the body),
 * or NULL without context. */
static gboolean
get_context (CompanionRequest   *request,
             const char       ***out_pairs,
             GError            **error)
{
  JsonNode *node = json_object_get_member (request->body, "context");
  g_autoptr(GPtrArray) pairs = NULL;
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  *out_pairs = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return companion_invalid_request (error, "The field %s must be an object", "context");
  if (json_object_get_size (json_node_get_object (node)) > MAX_CONTEXT_PAIRS)
    return companion_invalid_request (error, "The field %s may have at most %d pairs",
                                      "context", MAX_CONTEXT_PAIRS);

  pairs = g_ptr_array_new ();
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      const char *text;

      if (!g_regex_match_simple ("^[a-z][a-z0-9_]{0,31}$", key, G_REGEX_DOLLAR_ENDONLY, 0) ||
          companion_order_is_builtin_detail (key))
        return companion_invalid_request (error, "A context key must be a-z, 0-9 and _, "
                                          "at most 32, and not a built-in detail");
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING ||
          (text = json_node_get_string (value)) == NULL || *text == '\0' ||
          g_utf8_strlen (text, -1) > MAX_CONTEXT_VALUE || !crossing_string_is_clean (text))
        return companion_invalid_request (error, "A context value must be a string of 1 to %d "
                                          "characters without control characters",
                                          MAX_CONTEXT_VALUE);
      g_ptr_array_add (pairs, (gpointer) key);
      g_ptr_array_add (pairs, (gpointer) text);
    }
  g_ptr_array_add (pairs, NULL);
  *out_pairs = (const char **) g_ptr_array_free (g_steal_pointer (&pairs), FALSE);
  return TRUE;
}

/* An optional boolean member: absent or null is FALSE. */
static gboolean
get_optional_bool (CompanionRequest  *request,
                   const char        *field,
                   gboolean          *out,
                   GError           **error)
{
  JsonNode *node = json_object_get_member (request->body, field);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return companion_invalid_request (error, "The field %s must be true or false", field);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
handle_start (gpointer           state,
              CompanionRequest  *request,
              CompanionReply    *reply,
              GError           **error)
{
  CompanionCrossDevice *self = state;
  CompanionStartRequest start = { 0, };
  g_autofree const char **context = NULL;
  const char *kind = NULL;
  const char *adapter = NULL;

  if (!companion_request_get_string (request, "kind", TRUE, 32, &kind, error) ||
      !get_optional_bool (request, "userCode", &start.user_code, error) ||
      !companion_request_get_string (request, "adapterId", FALSE, 32, &adapter, error) ||
      !companion_request_get_string (request, "returnTo", FALSE, 2048, &start.return_to, error) ||
      !companion_request_get_string (request, "displayTitle", FALSE, CROSSING_MAX_TITLE_CHARS,
                                     &start.title, error) ||
      !companion_request_get_string (request, "displaySummary", FALSE,
                                     CROSSING_MAX_SUMMARY_CHARS, &start.summary, error) ||
      !companion_request_get_string (request, "payloadHash", FALSE,
                                     CROSSING_MAX_PAYLOAD_HASH_CHARS, &start.payload_hash, error) ||
      !companion_request_get_string (request, "subject", FALSE, 128, &start.subject, error) ||
      !get_context (request, &context, error))
    return FALSE;

  start.kind = crossing_kind_from_string (kind);
  if (start.kind == CROSSING_KIND_INVALID)
    return companion_invalid_request (error, "The field %s must be login, sign or transaction",
                                      "kind");

  /* Without adapterId, an identified order's follows from its subject. */
  start.adapter = adapter != NULL ? crossing_adapter_from_string (adapter)
                  : start.subject != NULL ? CROSSING_ADAPTER_INVALID
                  : CROSSING_DEFAULT_ADAPTER;
  if (adapter != NULL && start.adapter == CROSSING_ADAPTER_INVALID)
    return companion_fail (error, CROSSING_ERROR_UNSUPPORTED_ADAPTER);
  if (start.return_to != NULL && !crossing_return_to_is_allowed (start.return_to))
    return companion_fail (error, CROSSING_ERROR_RETURN_TO_NOT_ALLOWED);
  if (start.payload_hash != NULL && !is_payload_hash (start.payload_hash))
    return companion_invalid_request (error, "The field %s must be hex or base64url",
                                      "payloadHash");

  start.origin = request->origin;
  start.requester_ip = request->client_ip;
  start.requester_user_agent = request->user_agent;
  start.details = context;
  return reply_json (reply, companion_engine_start (self->engine, &start, error));
}

static gboolean
handle_approve (gpointer           state,
                CompanionRequest  *request,
                CompanionReply    *reply,
                GError           **error)
{
  CompanionCrossDevice *self = state;
  CompanionApproveRequest approve = { 0, };
  JsonObject *proof;

  if (!get_order_and_token (request, "challengeToken", &approve.order_id,
                            &approve.challenge_token, error) ||
      !companion_request_get_string (request, "checkCode", FALSE, 8, &approve.check_code, error) ||
      !companion_json_get_object (request->body, "proof", &proof, error) ||
      !companion_json_get_string (proof, "publicKeyHex", TRUE, 128, &approve.public_key_hex,
                                  error) ||
      !companion_json_get_string (proof, "signatureHex", TRUE, 256, &approve.signature_hex,
                                  error) ||
      !companion_json_get_string (proof, "address", FALSE, 64, &approve.address, error))
    return FALSE;

  approve.origin = request->origin;
  return reply_json (reply, companion_engine_approve (self->engine, &approve, error));
}

static gboolean
handle_finalize (gpointer           state,
                 CompanionRequest  *request,
                 CompanionReply    *reply,
                 GError           **error)
{
  CompanionCrossDevice *self = state;
  g_autofree char *session_token = NULL;
  const char *order_id, *token;
  JsonNode *response;

  if (!get_order_and_token (request, "desktopToken", &order_id, &token, error))
    return FALSE;

  response = companion_engine_finalize (self->engine, order_id, token, request->client_ip,
                                        request->user_agent, &session_token, error);
  if (response == NULL)
    return FALSE;
  if (session_token != NULL)
    companion_core_reply_session (self->core, reply, session_token);
  return reply_json (reply, response);
}

/* The routes whose body is the order ID and one token. */
typedef JsonNode *(*TokenAction) (CompanionEngine  *engine,
                                  const char       *order_id,
                                  const char       *token,
                                  GError          **error);

static gboolean
handle_token_action (CompanionCrossDevice  *self,
                     CompanionRequest      *request,
                     CompanionReply        *reply,
                     const char            *token_field,
                     TokenAction            action,
                     GError               **error)
{
  const char *order_id, *token;

  if (!get_order_and_token (request, token_field, &order_id, &token, error))
    return FALSE;
  return reply_json (reply, action (self->engine, order_id, token, error));
}

static gboolean
handle_claim (gpointer state, CompanionRequest *request, CompanionReply *reply, GError **error)
{
  return handle_token_action (state, request, reply, "claimToken", companion_engine_claim, error);
}

static gboolean
handle_challenge (gpointer state, CompanionRequest *request, CompanionReply *reply, GError **error)
{
  return handle_token_action (state, request, reply, "challengeToken",
                              companion_engine_challenge, error);
}

static gboolean
handle_reject (gpointer state, CompanionRequest *request, CompanionReply *reply, GError **error)
{
  return handle_token_action (state, request, reply, "challengeToken", companion_engine_reject,
                              error);
}

static gboolean
handle_cancel (gpointer state, CompanionRequest *request, CompanionReply *reply, GError **error)
{
  return handle_token_action (state, request, reply, "desktopToken", companion_engine_cancel,
                              error);
}

static gboolean
handle_events (gpointer           state,
               CompanionRequest  *request,
               CompanionReply    *reply,
               GError           **error)
{
  CompanionCrossDevice *self = state;
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(GPtrArray) events = NULL;
  const char *order_id = companion_request_get_query (request, "orderId");
  const char *event_token = companion_request_get_query (request, "eventToken");
  const char *last_id_header = companion_request_get_header (request, "Last-Event-ID");
  CompanionEventHub *hub = companion_core_get_hub (self->core);
  gint64 after;
  guint64 last_id;

  if (order_id == NULL || event_token == NULL)
    return companion_invalid_request (error, "The query needs orderId and eventToken");
  if (!crossing_token_is_well_formed (order_id))
    return companion_fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);

  order = companion_engine_open_events (self->engine, order_id, event_token, error);
  if (order == NULL)
    return FALSE;

  if (!crossing_status_is_terminal (order->status) &&
      !companion_event_hub_can_subscribe (hub, order_id))
    {
      companion_reply_set_header (reply, "Retry-After", "5");
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_RATE_LIMITED,
                           "Too many open event streams");
      return FALSE;
    }

  if (last_id_header != NULL &&
      g_ascii_string_to_unsigned (last_id_header, 10, 0, G_MAXINT64, &last_id, NULL))
    after = (gint64) last_id;
  else if (order->event_seq > 0)
    after = order->event_seq - 1;   /* only the current state */
  else
    after = 0;

  events = companion_store_list_events (companion_core_get_store (self->core), order_id, after,
                                        error);
  if (events == NULL)
    return FALSE;

  companion_reply_set_stream (reply, order_id, events, crossing_status_is_terminal (order->status));
  return TRUE;
}

/* issue 14: status polling, for desktops that cannot hold a stream */
static gboolean
handle_status (gpointer           state,
               CompanionRequest  *request,
               CompanionReply    *reply,
               GError           **error)
{
  CompanionCrossDevice *self = state;
  const char *order_id = companion_request_get_query (request, "orderId");
  const char *event_token = companion_request_get_query (request, "eventToken");
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *retry_after = NULL;
  JsonNode *response;
  guint interval = 0;

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  if (order_id == NULL || event_token == NULL)
    return companion_invalid_request (error, "The query needs orderId and eventToken");
  if (!crossing_token_is_well_formed (order_id))
    return companion_fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);
  if (strlen (event_token) > COMPANION_MAX_TOKEN_FIELD)
    return companion_fail (error, CROSSING_ERROR_INVALID_EVENT_TOKEN);

  response = companion_engine_status (self->engine, order_id, event_token, &interval, error);
  if (response != NULL)
    return reply_json (reply, response);
  if (!g_error_matches (*error, CROSSING_ERROR, CROSSING_ERROR_SLOW_DOWN))
    return FALSE;

  /* The error body plus the new interval, as RFC 8628's slow_down. */
  g_clear_error (error);
  retry_after = g_strdup_printf ("%u", interval);
  companion_reply_set_header (reply, "Retry-After", retry_after);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "code", crossing_error_to_code (CROSSING_ERROR_SLOW_DOWN));
  companion_json_add_string (builder, "message",
                             "Polled faster than the interval; wait the new interval");
  companion_json_add_int (builder, "interval", interval);
  json_builder_end_object (builder);
  companion_reply_take_json (reply, crossing_error_to_http_status (CROSSING_ERROR_SLOW_DOWN),
                             json_builder_get_root (builder));
  return TRUE;
}

/* issue 14: a code typed instead of the QR scanned */
static gboolean
handle_claim_by_code (gpointer           state,
                      CompanionRequest  *request,
                      CompanionReply    *reply,
                      GError           **error)
{
  CompanionCrossDevice *self = state;
  const char *user_code = NULL;
  guint retry_after = 0;
  JsonNode *response;

  if (!companion_request_get_string (request, "userCode", TRUE, 64, &user_code, error))
    return FALSE;

  response = companion_engine_claim_by_code (self->engine, user_code, request->client_ip,
                                             &retry_after, error);
  if (response == NULL && retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

      companion_reply_set_header (reply, "Retry-After", seconds);
    }
  return reply_json (reply, response);
}

static gboolean
handle_page (gpointer           state,
             CompanionRequest  *request,
             CompanionReply    *reply,
             GError           **error)
{
  CompanionCrossDevice *self = state;

  /* The page's own names are relative to {publicPrefix}/cross-device/. */
  companion_page_serve (request->path + strlen (PREFIX "/"), self->page_api_base,
                        companion_request_get_header (request, "Accept-Language"), reply);
  return TRUE;
}

#define POST_JSON(path, extra, handler) \
  { "POST", PREFIX path, COMPANION_ROUTE_JSON_BODY | (extra), handler }
#define PAGE(path, handler) \
  { "GET", PREFIX path, COMPANION_ROUTE_PUBLIC | COMPANION_ROUTE_PREFIX, handler }, \
  { "HEAD", PREFIX path, COMPANION_ROUTE_PUBLIC | COMPANION_ROUTE_PREFIX, handler }

static const CompanionRoute routes[] = {
  POST_JSON ("/start", COMPANION_ROUTE_LIMIT_STARTS, handle_start),
  POST_JSON ("/claim", COMPANION_ROUTE_CHECKS_TOKEN, handle_claim),
  POST_JSON ("/challenge", COMPANION_ROUTE_CHECKS_TOKEN, handle_challenge),
  POST_JSON ("/approve", COMPANION_ROUTE_CHECKS_TOKEN, handle_approve),
  POST_JSON ("/reject", COMPANION_ROUTE_CHECKS_TOKEN, handle_reject),
  POST_JSON ("/cancel", COMPANION_ROUTE_CHECKS_TOKEN, handle_cancel),
  POST_JSON ("/finalize", COMPANION_ROUTE_CHECKS_TOKEN, handle_finalize),
  { "GET", PREFIX "/events", COMPANION_ROUTE_CHECKS_TOKEN, handle_events },
  { "GET", PREFIX "/status", COMPANION_ROUTE_CHECKS_TOKEN, handle_status },
  PAGE ("/claim/", handle_page),
  PAGE ("/assets/", handle_page),
  /* issue 14 */
  POST_JSON ("/claim-by-code", 0, handle_claim_by_code),
  { "GET", PREFIX "/code", COMPANION_ROUTE_PUBLIC, handle_page },
  { "HEAD", PREFIX "/code", COMPANION_ROUTE_PUBLIC, handle_page },
};

static const CompanionCommand commands[] = {
  { "approve", companion_approve_main, "Play the phone: approve a claim link from a terminal" },
};

static void cross_device_destroy (gpointer state);

/* The databases are updated monthly: replace the file, then SIGHUP. */
static gboolean
on_sighup (gpointer user_data)
{
  CompanionCrossDevice *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!companion_geoip_reopen (self->geoip, &error))
    g_warning ("%s; keeping the one in use", error->message);
  return G_SOURCE_CONTINUE;
}

static gpointer
cross_device_create (CompanionCore  *core,
                     GError        **error)
{
  CompanionCrossDevice *self = g_new0 (CompanionCrossDevice, 1);
  CompanionConfig *config = companion_core_get_config (core);

  self->core = core;
  self->engine = companion_engine_new (config, companion_core_get_store (core));
  self->page_api_base = g_strconcat (config->public_prefix, config->base_path, PREFIX, NULL);

  /* issue 14: a database named but unreadable stops the companion here. */
  if (config->geoip_db != NULL)
    {
      self->geoip = companion_geoip_open (config->geoip_db, error);
      if (self->geoip == NULL)
        {
          cross_device_destroy (self);
          return NULL;
        }
      companion_engine_set_geoip (self->engine, self->geoip);
      self->sighup_id = g_unix_signal_add (SIGHUP, on_sighup, self);
    }
  return self;
}

static void
cross_device_start (gpointer state)
{
  CompanionCrossDevice *self = state;

  companion_engine_start_timers (self->engine);
}

static void
cross_device_destroy (gpointer state)
{
  CompanionCrossDevice *self = state;

  g_clear_handle_id (&self->sighup_id, g_source_remove);
  g_clear_object (&self->geoip);
  g_clear_object (&self->engine);
  g_free (self->page_api_base);
  g_free (self);
}

CompanionEngine *
companion_cross_device_get_engine (CompanionCrossDevice *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->engine;
}

const CompanionFeature companion_cross_device_feature = {
  .name = "cross-device",
  .create = cross_device_create,
  .start = cross_device_start,
  .destroy = cross_device_destroy,
  .routes = routes,
  .n_routes = G_N_ELEMENTS (routes),
  .commands = commands,
  .n_commands = G_N_ELEMENTS (commands),
};
