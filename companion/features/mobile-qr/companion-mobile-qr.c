/* companion-mobile-qr.c: the mobile-QR routes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each mobile-QR challenge is a cross-device login order: these handlers
 * read the plugin's fields, call the order engine, and reshape its answers.
 * The order's desktop token is the browser's poll cookie; its challenge ID
 * is the phone's credential.
 */
#define G_LOG_DOMAIN "companion-mobile-qr"

#include "config.h"

#include <string.h>

#include "crossing-token.h"

#include "companion-core.h"
#include "companion-cross-device.h"
#include "companion-sessions.h"
#include "companion-mobile-qr.h"
#include "companion-mobile-qr-page.h"

#define PREFIX CROSSING_MOBILE_QR_PREFIX
#define POLL_COOKIE CROSSING_MOBILE_QR_POLL_COOKIE

/* Seconds between status polls the client is told to wait: a hint only,
 * nothing refuses a faster poll (see PROTOCOL.md, "Mobile QR"). */
#define POLL_INTERVAL 3

typedef struct {
  CompanionCore   *core;
  CompanionEngine *engine;        /* cross-device's */
  /* {publicPrefix}{basePath}/mobile-qr: the poll cookie's Path, and what
   * the phone page calls. */
  char            *api_base;
} CompanionMobileQr;

static void
reply_no_store (CompanionReply *reply,
                JsonBuilder    *builder)
{
  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static gboolean
get_provider (CompanionRequest  *request,
              CrossingAdapter   *out_adapter,
              GError           **error)
{
  const char *provider = NULL;

  if (!companion_request_get_string (request, "providerId", TRUE, 32, &provider, error))
    return FALSE;
  *out_adapter = crossing_adapter_from_string (provider);
  /* The seed's phone signs with an Ed25519 key; passkeys are cross-device's. */
  if (!crossing_adapter_signs_with_key (*out_adapter))
    return companion_fail (error, CROSSING_ERROR_UNSUPPORTED_ADAPTER);
  return TRUE;
}

static char *
build_signing_url (CompanionMobileQr *self,
                   const char        *challenge_id)
{
  CompanionConfig *config = companion_core_get_config (self->core);
  g_autoptr(GString) url = g_string_new (config->mobile_qr_signing_path_template);

  g_string_replace (url, "{challengeId}", challenge_id, 0);
  g_string_prepend (url, config->public_url);
  return g_string_free (g_steal_pointer (&url), FALSE);
}

static gboolean
handle_start (gpointer           state,
              CompanionRequest  *request,
              CompanionReply    *reply,
              GError           **error)
{
  CompanionMobileQr *self = state;
  CompanionConfig *config = companion_core_get_config (self->core);
  CompanionStartRequest start = { 0, };
  g_autoptr(JsonNode) order = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *signing_url = NULL;
  JsonObject *object;
  const char *challenge_id;

  if (!get_provider (request, &start.adapter, error) ||
      !companion_request_get_string (request, "returnTo", FALSE, 2048, &start.return_to, error) ||
      !companion_request_get_string (request, "displayTitle", FALSE, CROSSING_MAX_TITLE_CHARS,
                                     &start.title, error) ||
      !companion_request_get_string (request, "displaySummary", FALSE,
                                     CROSSING_MAX_SUMMARY_CHARS, &start.summary, error))
    return FALSE;
  if (start.return_to == NULL)
    start.return_to = config->mobile_qr_return_to;
  else if (!crossing_return_to_is_allowed (start.return_to))
    return companion_fail (error, CROSSING_ERROR_RETURN_TO_NOT_ALLOWED);

  start.kind = CROSSING_KIND_LOGIN;
  start.origin = request->origin;
  start.requester_ip = request->client_ip;
  start.requester_user_agent = request->user_agent;
  start.challenge_id_is_credential = TRUE;
  order = companion_engine_start (self->engine, &start, error);
  if (order == NULL)
    return FALSE;

  object = json_node_get_object (order);
  challenge_id = json_object_get_string_member (object, "challengeId");
  signing_url = build_signing_url (self, challenge_id);

  /* A new start from the same browser replaces the cookie. */
  companion_core_reply_cookie (self->core, reply, POLL_COOKIE,
                               json_object_get_string_member (object, "desktopToken"),
                               self->api_base, "Strict", (int) config->order_ttl);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "challengeId", challenge_id);
  companion_json_add_string (builder, "providerId", crossing_adapter_to_string (start.adapter));
  companion_json_add_string (builder, "signingUrl", signing_url);
  companion_json_add_int (builder, "expiresAt", json_object_get_int_member (object, "expiresAt"));
  companion_json_add_int (builder, "interval", POLL_INTERVAL);
  json_builder_end_object (builder);
  reply_no_store (reply, builder);
  return TRUE;
}

static gboolean
handle_challenge (gpointer           state,
                  CompanionRequest  *request,
                  CompanionReply    *reply,
                  GError           **error)
{
  CompanionMobileQr *self = state;
  CompanionConfig *config = companion_core_get_config (self->core);
  JsonNode *envelope;
  JsonObject *object;

  /* One that cannot exist is not looked up. */
  if (!crossing_token_is_well_formed (request->rest))
    return companion_fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);

  envelope = companion_engine_open_by_challenge_id (self->engine, request->rest,
                                                    config->mobile_qr_check_code, error);
  if (envelope == NULL)
    return FALSE;

  object = json_node_get_object (envelope);
  json_object_set_string_member (object, "providerId",
                                 json_object_get_string_member (object, "adapterId"));
  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, envelope);
  return TRUE;
}

static gboolean
handle_complete (gpointer           state,
                 CompanionRequest  *request,
                 CompanionReply    *reply,
                 GError           **error)
{
  CompanionMobileQr *self = state;
  CompanionApproveRequest approve = { 0, };
  g_autoptr(JsonNode) approved = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!companion_request_get_token (request, "challengeId", CROSSING_ERROR_ORDER_NOT_FOUND,
                                    &approve.challenge_id, error) ||
      !get_provider (request, &approve.adapter, error) ||
      !companion_request_get_string (request, "publicKeyHex", TRUE, 128, &approve.public_key_hex,
                                     error) ||
      !companion_request_get_string (request, "signatureHex", TRUE, 256, &approve.signature_hex,
                                     error) ||
      !companion_request_get_string (request, "address", FALSE, 64, &approve.address, error) ||
      !companion_request_get_string (request, "checkCode", FALSE, 8, &approve.check_code, error))
    return FALSE;

  approve.origin = request->origin;
  approved = companion_engine_approve (self->engine, &approve, error);
  if (approved == NULL)
    return FALSE;

  /* Never a token: the phone does not get a session. */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  companion_json_add_string (builder, "challengeId", approve.challenge_id);
  companion_json_add_string (builder, "status", "approved");
  json_builder_end_object (builder);
  reply_no_store (reply, builder);
  return TRUE;
}

/* approved -> finalized: the session is made here, once. */
static gboolean
reply_approved (CompanionMobileQr       *self,
                const CompanionRequest  *request,
                const CompanionOrder    *order,
                const char              *poll_token,
                const char              *challenge_id,
                CompanionReply          *reply,
                GError                 **error)
{
  g_autoptr(JsonNode) finalized = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *session_token = NULL;
  const char *redirect_to;
  JsonObject *user;

  finalized = companion_engine_finalize (self->engine, order->id, poll_token, request->client_ip,
                                         request->user_agent, &session_token, error);
  if (finalized == NULL)
    return FALSE;
  session = companion_sessions_get (companion_core_get_store (self->core), session_token, error);
  if (session == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (session))
    return companion_fail (error, CROSSING_ERROR_INTERNAL);
  user = json_object_get_object_member (json_node_get_object (session), "user");

  companion_core_reply_session (self->core, reply, session_token);
  companion_core_reply_cookie (self->core, reply, POLL_COOKIE, "", self->api_base, "Strict",
                               0);

  redirect_to = json_object_get_string_member (json_node_get_object (finalized), "redirectTo");
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "status", "approved");
  companion_json_add_string (builder, "challengeId", challenge_id);
  companion_json_add_string (builder, "redirectTo", redirect_to);
  companion_json_add_string (builder, "token", session_token);
  json_builder_set_member_name (builder, "user");
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "id", json_object_get_string_member (user, "id"));
  json_builder_set_member_name (builder, "name");
  json_builder_add_value (builder, json_node_copy (json_object_get_member (user, "name")));
  companion_json_add_string (builder, "subject", json_object_get_string_member (user, "subject"));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  reply_no_store (reply, builder);
  return TRUE;
}

/* The seed knows three statuses: every other end reads as expired. */
static const char *
expired_reason (CrossingStatus status)
{
  if (status == CROSSING_STATUS_REJECTED)
    return "rejected";
  if (status == CROSSING_STATUS_CANCELLED)
    return "cancelled";
  return "expired";
}

static gboolean
handle_status (gpointer           state,
               CompanionRequest  *request,
               CompanionReply    *reply,
               GError           **error)
{
  CompanionMobileQr *self = state;
  const char *poll_token = companion_request_get_cookie (request, POLL_COOKIE);
  const char *challenge_id = companion_request_get_query (request, "challengeId");
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (poll_token == NULL || *poll_token == '\0')
    return companion_fail (error, CROSSING_ERROR_INVALID_POLL_TOKEN);
  if (challenge_id == NULL)
    return companion_invalid_request (error, "The query needs challengeId");
  if (!crossing_token_is_well_formed (challenge_id))
    return companion_fail (error, CROSSING_ERROR_ORDER_NOT_FOUND);

  order = companion_engine_get_by_challenge_id (self->engine, challenge_id, error);
  if (order == NULL)
    return FALSE;
  if (!crossing_token_verify (poll_token, order->desktop_token_hash))
    return companion_fail (error, CROSSING_ERROR_INVALID_POLL_TOKEN);

  if (order->status == CROSSING_STATUS_APPROVED)
    return reply_approved (self, request, order, poll_token, challenge_id, reply, error);
  if (order->status == CROSSING_STATUS_FINALIZED)
    return companion_fail (error, CROSSING_ERROR_FINALIZE_ALREADY_USED);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (crossing_status_is_terminal (order->status))
    {
      companion_json_add_string (builder, "status", "expired");
      companion_json_add_string (builder, "challengeId", challenge_id);
      companion_json_add_string (builder, "reason", expired_reason (order->status));
    }
  else
    {
      companion_json_add_string (builder, "status", "pending");
      companion_json_add_string (builder, "challengeId", challenge_id);
      json_builder_set_member_name (builder, "scanned");
      json_builder_add_boolean_value (builder, order->status != CROSSING_STATUS_CREATED);
      companion_json_add_int (builder, "expiresAt", order->expires_at);
      companion_json_add_int (builder, "interval", POLL_INTERVAL);
      if (order->check_code != NULL)
        companion_json_add_string (builder, "checkCode", order->check_code);
    }
  json_builder_end_object (builder);
  reply_no_store (reply, builder);
  return TRUE;
}

static gboolean
handle_page (gpointer           state,
             CompanionRequest  *request,
             CompanionReply    *reply,
             GError           **error)
{
  CompanionMobileQr *self = state;
  CompanionConfig *config = companion_core_get_config (self->core);

  companion_mobile_qr_page_serve (request->rest, self->api_base, config->public_prefix, reply);
  return TRUE;
}

#define PAGE(path, handler) \
  { "GET", path, COMPANION_ROUTE_PUBLIC | COMPANION_ROUTE_PREFIX, handler }, \
  { "HEAD", path, COMPANION_ROUTE_PUBLIC | COMPANION_ROUTE_PREFIX, handler }

static const CompanionRoute routes[] = {
  { "POST", PREFIX "/start", COMPANION_ROUTE_JSON_BODY | COMPANION_ROUTE_LIMIT_STARTS,
    handle_start },
  { "GET", PREFIX "/challenge/", COMPANION_ROUTE_PREFIX | COMPANION_ROUTE_CHECKS_TOKEN,
    handle_challenge },
  { "POST", PREFIX "/complete", COMPANION_ROUTE_JSON_BODY | COMPANION_ROUTE_CHECKS_TOKEN,
    handle_complete },
  { "GET", PREFIX "/status", COMPANION_ROUTE_CHECKS_TOKEN, handle_status },
  PAGE ("/qr/phone/", handle_page),
};

static gpointer
mobile_qr_create (CompanionCore  *core,
                  GError        **error)
{
  CompanionCrossDevice *cross_device = companion_core_get_feature (core, "cross-device");
  CompanionConfig *config = companion_core_get_config (core);
  CompanionMobileQr *self;

  if (cross_device == NULL)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL,
                           "needs the cross-device feature before it");
      return NULL;
    }

  self = g_new0 (CompanionMobileQr, 1);
  self->core = core;
  self->engine = g_object_ref (companion_cross_device_get_engine (cross_device));
  self->api_base = g_strconcat (config->public_prefix, config->base_path, PREFIX, NULL);
  return self;
}

static void
mobile_qr_destroy (gpointer state)
{
  CompanionMobileQr *self = state;

  g_clear_object (&self->engine);
  g_free (self->api_base);
  g_free (self);
}

const CompanionFeature companion_mobile_qr_feature = {
  .name = "mobile-qr",
  .create = mobile_qr_create,
  .destroy = mobile_qr_destroy,
  .routes = routes,
  .n_routes = G_N_ELEMENTS (routes),
};
