/* companion-webauthn-adapter.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-webauthn"

#include "config.h"

#include <string.h>

#include "companion-errors.h"
#include "companion-reply.h"
#include "companion-webauthn.h"
#include "companion-webauthn-adapter.h"

/* What navigator.credentials asks for (PROTOCOL.md "Passkey approval"). */
#define WEBAUTHN_TIMEOUT_MS 60000

static gboolean
unsupported (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER, message);
  return FALSE;
}

static gboolean
host_is_within (const char *host,
                const char *domain)
{
  gsize host_len = strlen (host), domain_len = strlen (domain);

  if (g_ascii_strcasecmp (host, domain) == 0)
    return TRUE;
  return host_len > domain_len + 1 && host[host_len - domain_len - 1] == '.' &&
         g_ascii_strcasecmp (host + host_len - domain_len, domain) == 0;
}

static GUri *
public_uri (const CompanionConfig *config)
{
  return config->public_url != NULL ? g_uri_parse (config->public_url, G_URI_FLAGS_NONE, NULL)
                                    : NULL;
}

char *
companion_webauthn_rp_id (const CompanionConfig *config)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  if (config->rp_id != NULL)
    return g_strdup (config->rp_id);
  uri = public_uri (config);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  return g_ascii_strdown (g_uri_get_host (uri), -1);
}

/* ---- start and the envelope ---------------------------------------------- */

gboolean
companion_webauthn_check_start (const CompanionConfig  *config,
                                GError                **error)
{
  g_autoptr(GUri) uri = public_uri (config);
  g_autofree char *rp_id = NULL;
  const char *host;

  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return unsupported (error, "Passkeys need a public URL with a host name");
  /* WebAuthn runs in a secure context only, and an rpId is a domain. */
  if (g_hostname_is_ip_address (host))
    return unsupported (error, "Passkeys need the companion's public URL to name a host, "
                               "not an IP address: an IP address cannot be a relying party ID");
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 && !host_is_within (host, "localhost"))
    return unsupported (error, "Passkeys need the companion's public URL to be https "
                               "(or localhost): browsers offer them only in a secure context");
  rp_id = companion_webauthn_rp_id (config);
  /* A top-level domain alone cannot be one (browsers refuse any public
   * suffix; without a suffix list, at least the single labels). */
  if (rp_id == NULL || !host_is_within (host, rp_id) ||
      (strchr (rp_id, '.') == NULL && g_ascii_strcasecmp (rp_id, "localhost") != 0))
    return unsupported (error, "Passkeys need --rp-id to be the public URL's host or a parent "
                               "domain of it");
  return TRUE;
}

void
companion_webauthn_add_envelope (const CompanionConfig *config,
                                 const CompanionOrder  *order,
                                 JsonBuilder           *builder)
{
  g_autofree char *rp_id = companion_webauthn_rp_id (config);
  g_autofree char *challenge = companion_webauthn_challenge_for_message (order->message);

  json_builder_set_member_name (builder, "webauthn");
  json_builder_begin_object (builder);
  companion_json_add_string (builder, "rpId", rp_id);
  companion_json_add_string (builder, "challenge", challenge);
  companion_json_add_string (builder, "userVerification", "required");
  companion_json_add_int (builder, "timeout", WEBAUTHN_TIMEOUT_MS);
  /* Discoverable credentials: the phone's own sheet picks the passkey,
   * unless the order names the one passkey that may approve it. */
  json_builder_set_member_name (builder, "allowCredentials");
  json_builder_begin_array (builder);
  if (order->identified && order->subject != NULL &&
      g_str_has_prefix (order->subject, COMPANION_PASSKEY_SUBJECT_PREFIX))
    {
      json_builder_begin_object (builder);
      companion_json_add_string (builder, "type", "public-key");
      companion_json_add_string (builder, "id",
                                 order->subject + strlen (COMPANION_PASSKEY_SUBJECT_PREFIX));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/* ---- checking a proof ------------------------------------------------------ */

/* What an approval keeps: a new passkey (create) or its new sign count
 * (get), and the answer for the proof artifact. */
typedef struct {
  CompanionPasskey       *registration;      /* create */
  char                   *credential_id;
  guint32                 seen_sign_count;   /* get */
  guint32                 sign_count;
  gboolean                backup_state;
  CompanionWebauthnProof  answer;
} Keep;

static void
keep_free (gpointer data)
{
  Keep *keep = data;

  g_clear_pointer (&keep->registration, companion_passkey_free);
  g_free (keep->credential_id);
  g_free (keep->answer.order_id);
  g_free (keep->answer.credential_id);
  g_free (keep->answer.client_data_json);
  g_free (keep->answer.attestation_object);
  g_free (keep->answer.authenticator_data);
  g_free (keep->answer.signature);
  g_free (keep);
}

/* One log line naming the failed check (never the data); the phone gets
 * INVALID_PROOF with the check's own message, which quotes nothing. */
static gboolean
refuse (const CompanionOrder  *order,
        GError                *check_error,
        GError               **error)
{
  g_assert (check_error->domain == COMPANION_WEBAUTHN_ERROR);
  /* A message, not a warning: a refused proof is the network's doing. */
  g_message ("Order %.8s…: passkey proof refused: %s%s", order->id,
             companion_webauthn_check_name (check_error->code),
             check_error->code == COMPANION_WEBAUTHN_ERROR_SIGN_COUNT
             ? " (possibly a cloned authenticator)" : "");
  g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF, check_error->message);
  return FALSE;
}

static gboolean
refuse_code (const CompanionOrder     *order,
             CompanionWebauthnError    code,
             const char               *message,
             GError                  **error)
{
  g_autoptr(GError) check_error = g_error_new_literal (COMPANION_WEBAUTHN_ERROR, code, message);

  return refuse (order, check_error, error);
}

/* The passkey @credential_id names, NULL with *error unset when there is
 * none. */
static CompanionPasskey *
find_passkey (CompanionStore  *store,
              const char      *credential_id,
              GError         **error)
{
  g_autoptr(GError) store_error = NULL;
  CompanionPasskey *passkey = companion_store_get_passkey (store, credential_id, &store_error);

  if (passkey == NULL && !g_error_matches (store_error, COMPANION_STORE_ERROR,
                                           COMPANION_STORE_ERROR_NOT_FOUND))
    {
      companion_error_from_store (&store_error);
      g_propagate_error (error, g_steal_pointer (&store_error));
    }
  return passkey;
}

static gboolean
verify_create (const CompanionWebauthnExpected  *expected,
               CompanionStore                   *store,
               const CompanionOrder             *order,
               const CompanionPasskeyAnswer     *answer,
               CompanionAdapterResult           *out,
               GError                          **error)
{
  g_autoptr(CompanionWebauthnRegistration) registration = NULL;
  g_autoptr(CompanionPasskey) existing = NULL;
  g_autoptr(GError) check_error = NULL;
  GError *store_error = NULL;
  Keep *keep;

  registration = companion_webauthn_registration_new (expected, answer->credential_id,
                                                      answer->client_data_json,
                                                      answer->attestation_object, &check_error);
  if (registration == NULL)
    return refuse (order, check_error, error);

  existing = find_passkey (store, registration->credential_id, &store_error);
  if (store_error != NULL)
    {
      g_propagate_error (error, store_error);
      return FALSE;
    }
  if (existing != NULL)
    return refuse_code (order, COMPANION_WEBAUTHN_ERROR_ALREADY_REGISTERED,
                        "This passkey is registered already", error);

  keep = g_new0 (Keep, 1);
  keep->credential_id = g_strdup (registration->credential_id);
  keep->registration = g_new0 (CompanionPasskey, 1);
  keep->registration->credential_id = g_strdup (registration->credential_id);
  keep->registration->alg = registration->alg;
  keep->registration->public_key_cose =
    companion_webauthn_encode_field (g_bytes_get_data (registration->public_key_cose, NULL),
                                     g_bytes_get_size (registration->public_key_cose));
  keep->registration->sign_count = registration->sign_count;
  keep->registration->backup_eligible = (registration->flags & COMPANION_WEBAUTHN_FLAG_BE) != 0;
  keep->registration->backup_state = (registration->flags & COMPANION_WEBAUTHN_FLAG_BS) != 0;
  keep->registration->transports = g_strdup (answer->transports);
  keep->registration->attestation_format = g_strdup (registration->attestation_format);
  keep->registration->created_at = crossing_now_ms ();
  keep->answer.attestation_object = g_strdup (answer->attestation_object);
  keep->answer.client_data_json = g_strdup (answer->client_data_json);

  out->subject = g_strconcat (COMPANION_PASSKEY_SUBJECT_PREFIX, registration->credential_id, NULL);
  out->keep = keep;
  out->keep_free = keep_free;
  return TRUE;
}

static gboolean
verify_get (const CompanionWebauthnExpected  *expected,
            CompanionStore                   *store,
            const CompanionOrder             *order,
            const CompanionPasskeyAnswer     *answer,
            CompanionAdapterResult           *out,
            GError                          **error)
{
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
  g_autoptr(CompanionPasskey) passkey = NULL;
  g_autoptr(GError) check_error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *credential_id = NULL;
  GError *store_error = NULL;
  Keep *keep;

  assertion = companion_webauthn_assertion_new (expected, answer->client_data_json,
                                                answer->authenticator_data, answer->signature,
                                                &check_error);
  if (assertion == NULL)
    return refuse (order, check_error, error);

  /* Found by its canonical spelling, as it was registered. */
  id = companion_webauthn_decode_field (answer->credential_id, "credentialId", &check_error);
  if (id == NULL)
    return refuse (order, check_error, error);
  credential_id = companion_webauthn_encode_field (g_bytes_get_data (id, NULL),
                                                   g_bytes_get_size (id));
  passkey = find_passkey (store, credential_id, &store_error);
  if (store_error != NULL)
    {
      g_propagate_error (error, store_error);
      return FALSE;
    }
  if (passkey == NULL)
    return refuse_code (order, COMPANION_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL,
                        "No passkey with this credential id is registered", error);

  key = companion_webauthn_decode_field (passkey->public_key_cose, "publicKeyCose", NULL);
  if (key == NULL)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL,
                           "A stored passkey cannot be read");
      return FALSE;
    }
  if (!companion_webauthn_assertion_verify (assertion, passkey->alg, key, passkey->sign_count,
                                            &check_error))
    return refuse (order, check_error, error);

  keep = g_new0 (Keep, 1);
  keep->credential_id = g_strdup (credential_id);
  keep->seen_sign_count = passkey->sign_count;
  keep->sign_count = companion_webauthn_assertion_get_sign_count (assertion);
  keep->backup_state =
    (companion_webauthn_assertion_get_flags (assertion) & COMPANION_WEBAUTHN_FLAG_BS) != 0;
  keep->answer.client_data_json = g_strdup (answer->client_data_json);
  keep->answer.authenticator_data = g_strdup (answer->authenticator_data);
  keep->answer.signature = g_strdup (answer->signature);

  out->subject = g_strconcat (COMPANION_PASSKEY_SUBJECT_PREFIX, credential_id, NULL);
  out->keep = keep;
  out->keep_free = keep_free;
  return TRUE;
}

gboolean
companion_webauthn_verify (const CompanionConfig          *config,
                           CompanionStore                 *store,
                           const CompanionOrder           *order,
                           const CompanionApproveRequest  *request,
                           CompanionAdapterResult         *out,
                           GError                        **error)
{
  const CompanionPasskeyAnswer *answer = request->passkey;
  g_autofree char *rp_id = companion_webauthn_rp_id (config);
  g_autofree char *challenge = companion_webauthn_challenge_for_message (order->message);
  CompanionWebauthnExpected expected = { rp_id, config->public_origin, challenge };

  if (answer == NULL)
    return refuse_code (order, COMPANION_WEBAUTHN_ERROR_MALFORMED,
                        "This order is approved with a passkey: proof.type webauthn.create or "
                        "webauthn.get", error);
  if (rp_id == NULL)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL,
                           "The companion has no relying party ID");
      return FALSE;
    }

  if (g_strcmp0 (answer->type, "webauthn.create") == 0)
    return verify_create (&expected, store, order, answer, out, error);
  if (g_strcmp0 (answer->type, "webauthn.get") == 0)
    return verify_get (&expected, store, order, answer, out, error);
  return refuse_code (order, COMPANION_WEBAUTHN_ERROR_TYPE,
                      "proof.type must be webauthn.create or webauthn.get", error);
}

/* ---- what an approval keeps ---------------------------------------------- */

gboolean
companion_webauthn_keep (CompanionStore          *store,
                         const CompanionOrder    *order,
                         CompanionAdapterResult  *result,
                         GError                 **error)
{
  Keep *keep = result->keep;
  g_autoptr(GError) store_error = NULL;

  g_return_val_if_fail (keep != NULL, FALSE);

  if (keep->registration != NULL)
    {
      if (!companion_store_add_passkey (store, keep->registration, &store_error))
        {
          /* Another approval registered it since the check. */
          if (g_error_matches (store_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT))
            return refuse_code (order, COMPANION_WEBAUTHN_ERROR_ALREADY_REGISTERED,
                                "This passkey is registered already", error);
          goto store_failed;
        }
    }
  else if (!companion_store_use_passkey (store, keep->credential_id, keep->seen_sign_count,
                                         keep->sign_count, keep->backup_state, crossing_now_ms (),
                                         &store_error))
    {
      /* Another assertion of this passkey moved the count since the check. */
      if (g_error_matches (store_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT))
        return refuse_code (order, COMPANION_WEBAUTHN_ERROR_SIGN_COUNT,
                            "The sign count did not grow: possibly a cloned authenticator",
                            error);
      goto store_failed;
    }

  keep->answer.order_id = g_strdup (order->id);
  keep->answer.credential_id = g_strdup (keep->credential_id);
  if (!companion_store_put_webauthn_proof (store, &keep->answer, &store_error))
    goto store_failed;
  return TRUE;

store_failed:
  companion_error_from_store (&store_error);
  g_propagate_error (error, g_steal_pointer (&store_error));
  return FALSE;
}

gboolean
companion_webauthn_add_artifact (CompanionStore        *store,
                                 const CompanionOrder  *order,
                                 JsonBuilder           *builder,
                                 GError               **error)
{
  g_autoptr(CompanionWebauthnProof) answer = NULL;
  g_autoptr(CompanionPasskey) passkey = NULL;

  answer = companion_store_get_webauthn_proof (store, order->id, error);
  if (answer != NULL)
    passkey = companion_store_get_passkey (store, answer->credential_id, error);
  if (passkey == NULL)
    {
      companion_error_from_store (error);
      return FALSE;
    }

  companion_json_add_string (builder, "message", order->message);
  companion_json_add_string (builder, "credentialId", passkey->credential_id);
  companion_json_add_int (builder, "alg", passkey->alg);
  companion_json_add_string (builder, "publicKeyCose", passkey->public_key_cose);
  companion_json_add_string (builder, "clientDataJSON", answer->client_data_json);
  if (answer->attestation_object != NULL)
    {
      /* A first use: attestation "none" signs nothing, so this artifact
       * names the passkey but cannot be checked offline. */
      companion_json_add_string (builder, "attestationObject", answer->attestation_object);
    }
  else
    {
      companion_json_add_string (builder, "authenticatorData", answer->authenticator_data);
      companion_json_add_string (builder, "signature", answer->signature);
    }
  return TRUE;
}
