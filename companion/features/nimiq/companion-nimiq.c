/* companion-nimiq.c: Nimiq direct sign-in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * /nonce issues a one-use nonce bound to the caller's origin; /verify uses
 * it up before anything else, rebuilds the message from what was issued
 * (the client never sends it), checks the signature as the nimiq-pay
 * adapter does and signs the address in.
 */
#define G_LOG_DOMAIN "companion-nimiq"

#include "config.h"

#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-core.h"
#include "companion-errors.h"
#include "companion-nimiq.h"
#include "companion-nimiq-page.h"
#include "companion-sessions.h"

#define PREFIX            CROSSING_NIMIQ_PREFIX
#define SWEEP_INTERVAL_S  60

typedef struct
{
  CompanionCore *core;
  char          *page_api_base;   /* what the sign-in page calls, same origin */
  guint          sweep_id;
} CompanionNimiq;

static gboolean
handle_nonce (gpointer           state,
              CompanionRequest  *request,
              CompanionReply    *reply,
              GError           **error)
{
  CompanionNimiq *self = state;
  CompanionConfig *config = companion_core_get_config (self->core);
  g_autofree char *nonce_id = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *id_hash = crossing_token_hash (nonce_id);
  /* 24 bytes: 32 characters of URL-safe base64, no padding. */
  g_autofree char *nonce_text = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *message = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  CompanionNimiqNonce nonce = { 0, };
  const char *origin;

  origin = request->origin != NULL ? request->origin : config->public_origin;
  if (!companion_config_is_trusted_origin (config, origin))
    return companion_fail (error, CROSSING_ERROR_UNTRUSTED_ORIGIN);

  /* Borrowed strings: the store copies what it keeps. */
  nonce.id_hash = id_hash;
  nonce.nonce = nonce_text;
  nonce.origin = (char *) origin;
  nonce.app_name = config->app_name;
  nonce.issued_at = crossing_now_ms ();
  nonce.expires_at = nonce.issued_at + (gint64) config->nimiq_nonce_ttl * 1000;
  if (!companion_store_insert_nimiq_nonce (companion_core_get_store (self->core), &nonce, error))
    return FALSE;

  message = crossing_nimiq_sign_in_message (nonce.app_name, nonce.origin, nonce.nonce,
                                            nonce.issued_at, nonce.expires_at);
  b = json_builder_new ();
  json_builder_begin_object (b);
  companion_json_add_string (b, "nonceId", nonce_id);
  companion_json_add_string (b, "nonce", nonce.nonce);
  companion_json_add_string (b, "message", message);
  companion_json_add_string (b, "origin", nonce.origin);
  companion_json_add_int (b, "issuedAt", nonce.issued_at);
  companion_json_add_int (b, "expiresAt", nonce.expires_at);
  json_builder_end_object (b);

  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, json_builder_get_root (b));
  return TRUE;
}

/* The shape of /verify's fields, before anything is looked up. */
static gboolean
read_verify_fields (CompanionRequest  *request,
                    const char       **out_nonce_id,
                    const char       **out_public_key_hex,
                    const char       **out_signature_hex,
                    const char       **out_address,
                    GError           **error)
{
  guint8 public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  guint8 signature[CROSSING_ED25519_SIGNATURE_BYTES];

  if (!companion_request_get_token (request, "nonceId", CROSSING_ERROR_INVALID_NONCE,
                                    out_nonce_id, error) ||
      !companion_request_get_string (request, "publicKeyHex", TRUE, 64, out_public_key_hex,
                                     error) ||
      !companion_request_get_string (request, "signatureHex", TRUE, 128, out_signature_hex,
                                     error) ||
      !companion_request_get_string (request, "address", FALSE, 64, out_address, error))
    return FALSE;

  if (!crossing_hex_decode (*out_public_key_hex, public_key, sizeof public_key))
    return companion_invalid_request (error, "The field %s must be 64 hex digits", "publicKeyHex");
  if (!crossing_hex_decode (*out_signature_hex, signature, sizeof signature))
    return companion_invalid_request (error, "The field %s must be 128 hex digits", "signatureHex");
  return TRUE;
}

/* The nonce of @nonce_id, used up whatever happens next. */
static CompanionNimiqNonce *
consume_nonce (CompanionNimiq  *self,
               const char      *nonce_id,
               GError         **error)
{
  g_autofree char *id_hash = crossing_token_hash (nonce_id);
  g_autoptr(GError) local_error = NULL;
  CompanionNimiqNonce *nonce;

  nonce = companion_store_consume_nimiq_nonce (companion_core_get_store (self->core), id_hash,
                                               crossing_now_ms (), &local_error);
  if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
    companion_fail (error, CROSSING_ERROR_INVALID_NONCE);
  else if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return nonce;
}

/* A session like every sign-in's (companion-sessions.c), with no order. */
static CompanionUser *
sign_in (CompanionNimiq          *self,
         const CompanionRequest  *request,
         const char              *subject,
         char                   **out_session_token,
         GError                 **error)
{
  CompanionConfig *config = companion_core_get_config (self->core);
  CompanionStore *store = companion_core_get_store (self->core);
  CompanionSessionRequest session = {
    .subject = subject,
    .create_user = config->registration_open,
    .ttl_seconds = config->session_ttl,
    .ip_address = request->client_ip,
    .user_agent = request->user_agent,
  };
  g_autofree char *session_token = NULL;
  CompanionUser *user;

  if (!companion_sessions_create (store, &session, &session_token, NULL, error))
    return NULL;
  user = companion_store_get_user_by_subject (store, subject, error);
  if (user == NULL)
    {
      companion_error_from_store (error);
      return NULL;
    }
  *out_session_token = g_steal_pointer (&session_token);
  return user;
}

static JsonNode *
verified_response (const CompanionUser *user,
                   const char          *session_token)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  companion_json_add_string (b, "token", session_token);
  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", user->id);
  /* The operator's name, else the address as written (PROTOCOL.md, "Sessions"). */
  companion_json_add_string (b, "name", user->name != NULL ? user->name : user->subject);
  companion_json_add_string (b, "subject", user->subject);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
handle_verify (gpointer           state,
               CompanionRequest  *request,
               CompanionReply    *reply,
               GError           **error)
{
  CompanionNimiq *self = state;
  g_autoptr(CompanionNimiqNonce) nonce = NULL;
  g_autoptr(CompanionUser) user = NULL;
  g_autofree char *message = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *session_token = NULL;
  const char *nonce_id, *public_key_hex, *signature_hex, *address;

  if (!read_verify_fields (request, &nonce_id, &public_key_hex, &signature_hex, &address, error))
    return FALSE;

  /* First, so a second request for the same nonce finds nothing, whatever
   * becomes of this one. */
  nonce = consume_nonce (self, nonce_id, error);
  if (nonce == NULL)
    return FALSE;

  if (request->origin != NULL && strcmp (request->origin, nonce->origin) != 0)
    return companion_fail (error, CROSSING_ERROR_ORIGIN_MISMATCH);

  message = crossing_nimiq_sign_in_message (nonce->app_name, nonce->origin, nonce->nonce,
                                            nonce->issued_at, nonce->expires_at);
  if (!crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, message, public_key_hex, signature_hex,
                              address, &subject, NULL, error))
    return FALSE;

  user = sign_in (self, request, subject, &session_token, error);
  if (user == NULL)
    return FALSE;

  g_debug ("Nimiq sign-in of user %.8s…", user->id);
  companion_core_reply_session (self->core, reply, session_token);
  companion_reply_set_header (reply, "Cache-Control", "no-store");
  companion_reply_take_json (reply, SOUP_STATUS_OK, verified_response (user, session_token));
  return TRUE;
}

static gboolean
handle_page (gpointer           state,
             CompanionRequest  *request,
             CompanionReply    *reply,
             GError           **error)
{
  CompanionNimiq *self = state;

  /* The page's own names are relative to {publicPrefix}/nimiq/. */
  companion_nimiq_page_serve (request->path + strlen (PREFIX "/"), self->page_api_base, reply);
  return TRUE;
}

#define PAGE(path, flags) \
  { "GET", PREFIX path, COMPANION_ROUTE_PUBLIC | (flags), handle_page }, \
  { "HEAD", PREFIX path, COMPANION_ROUTE_PUBLIC | (flags), handle_page }

static const CompanionRoute routes[] = {
  { "POST", PREFIX "/nonce",
    COMPANION_ROUTE_JSON_BODY | COMPANION_ROUTE_EMPTY_BODY | COMPANION_ROUTE_LIMIT_STARTS,
    handle_nonce },
  { "POST", PREFIX "/verify", COMPANION_ROUTE_JSON_BODY | COMPANION_ROUTE_CHECKS_TOKEN,
    handle_verify },
  PAGE ("/sign-in", 0),
  PAGE ("/assets/", COMPANION_ROUTE_PREFIX),
};

/* Expired nonces cannot be used (consume checks the time); this only keeps
 * the table small. */
static gboolean
sweep (gpointer user_data)
{
  CompanionNimiq *self = user_data;
  g_autoptr(GError) error = NULL;

  companion_store_sweep_nimiq_nonces (companion_core_get_store (self->core), crossing_now_ms (),
                                      &error);
  if (error != NULL)
    g_warning ("Cannot sweep expired Nimiq nonces: %s", error->message);
  return G_SOURCE_CONTINUE;
}

static gpointer
nimiq_create (CompanionCore  *core,
              GError        **error)
{
  CompanionNimiq *self = g_new0 (CompanionNimiq, 1);
  CompanionConfig *config = companion_core_get_config (core);

  self->core = core;
  self->page_api_base = g_strconcat (config->public_prefix, config->base_path, PREFIX, NULL);
  return self;
}

static void
nimiq_start (gpointer state)
{
  CompanionNimiq *self = state;

  sweep (self);
  self->sweep_id = g_timeout_add_seconds (SWEEP_INTERVAL_S, sweep, self);
}

static void
nimiq_destroy (gpointer state)
{
  CompanionNimiq *self = state;

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_free (self->page_api_base);
  g_free (self);
}

const CompanionFeature companion_nimiq_feature = {
  .name = "nimiq",
  .create = nimiq_create,
  .start = nimiq_start,
  .destroy = nimiq_destroy,
  .routes = routes,
  .n_routes = G_N_ELEMENTS (routes),
};
