/* crossing-proof.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-proof.h"
#include "crossing-token.h"

static gboolean
invalid_proof (GError    **error,
               const char *message)
{
  g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF, message);
  return FALSE;
}

char *
crossing_proof_subject_for_key (CrossingAdapter adapter,
                                const guint8    public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES])
{
  g_autofree char *hex = NULL;

  g_return_val_if_fail (public_key != NULL, NULL);

  switch (adapter)
    {
    case CROSSING_ADAPTER_ED25519:
      hex = crossing_hex_encode (public_key, CROSSING_ED25519_PUBLIC_KEY_BYTES);
      return g_strconcat ("ed25519:", hex, NULL);
    case CROSSING_ADAPTER_NIMIQ_PAY:
      return crossing_nimiq_address_from_public_key (public_key);
    case CROSSING_ADAPTER_INVALID:
    default:
      return NULL;
    }
}

gboolean
crossing_proof_verify (CrossingAdapter   adapter,
                       const char       *message,
                       const char       *public_key_hex,
                       const char       *signature_hex,
                       const char       *address,
                       char            **out_subject,
                       char            **out_public_key_hex,
                       GError          **error)
{
  guint8 public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  guint8 signature[CROSSING_ED25519_SIGNATURE_BYTES];
  guint8 digest[32];
  const guint8 *signed_bytes;
  gsize signed_len;

  g_return_val_if_fail (message != NULL, FALSE);

  crossing_crypto_init ();

  if (adapter != CROSSING_ADAPTER_ED25519 && adapter != CROSSING_ADAPTER_NIMIQ_PAY)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER,
                           crossing_error_default_message (CROSSING_ERROR_UNSUPPORTED_ADAPTER));
      return FALSE;
    }

  if (public_key_hex == NULL || *public_key_hex == '\0')
    return invalid_proof (error, "The proof has no publicKeyHex");
  if (!crossing_hex_decode (public_key_hex, public_key, sizeof public_key))
    return invalid_proof (error, "publicKeyHex must be exactly 64 hex digits");
  if (signature_hex == NULL || *signature_hex == '\0')
    return invalid_proof (error, "The proof has no signatureHex");
  if (!crossing_hex_decode (signature_hex, signature, sizeof signature))
    return invalid_proof (error, "signatureHex must be exactly 128 hex digits");

  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY)
    {
      crossing_nimiq_message_digest (message, strlen (message), digest);
      signed_bytes = digest;
      signed_len = sizeof digest;
    }
  else
    {
      signed_bytes = (const guint8 *) message;
      signed_len = strlen (message);
    }

  if (crypto_sign_verify_detached (signature, signed_bytes, signed_len, public_key) != 0)
    return invalid_proof (error, "The signature does not verify");

  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY && address != NULL)
    {
      guint8 given[CROSSING_NIMIQ_ADDRESS_BYTES];
      guint8 hash[32];
      g_autoptr(GError) parse_error = NULL;

      /* Compared as bytes, so the address's spacing and case do not matter. */
      if (!crossing_nimiq_address_parse (address, given, &parse_error))
        {
          g_set_error (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF,
                       "The proof's address is malformed (%s)", parse_error->message);
          return FALSE;
        }
      crypto_generichash (hash, sizeof hash, public_key, sizeof public_key, NULL, 0);
      if (memcmp (given, hash, CROSSING_NIMIQ_ADDRESS_BYTES) != 0)
        return invalid_proof (error, "The address does not belong to the public key");
    }

  if (out_subject != NULL)
    *out_subject = crossing_proof_subject_for_key (adapter, public_key);
  if (out_public_key_hex != NULL)
    *out_public_key_hex = crossing_hex_encode (public_key, sizeof public_key);
  return TRUE;
}

void
crossing_proof_sign (CrossingAdapter   adapter,
                     const char       *message,
                     const guint8      seed[CROSSING_ED25519_SEED_BYTES],
                     char            **out_public_key_hex,
                     char            **out_signature_hex)
{
  guint8 public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  guint8 secret_key[CROSSING_ED25519_SECRET_KEY_BYTES];
  guint8 signature[CROSSING_ED25519_SIGNATURE_BYTES];
  guint8 digest[32];

  g_return_if_fail (adapter == CROSSING_ADAPTER_ED25519 || adapter == CROSSING_ADAPTER_NIMIQ_PAY);
  g_return_if_fail (message != NULL);
  g_return_if_fail (seed != NULL);

  crossing_crypto_init ();
  crypto_sign_seed_keypair (public_key, secret_key, seed);

  if (adapter == CROSSING_ADAPTER_NIMIQ_PAY)
    {
      crossing_nimiq_message_digest (message, strlen (message), digest);
      crypto_sign_detached (signature, NULL, digest, sizeof digest, secret_key);
    }
  else
    {
      crypto_sign_detached (signature, NULL, (const guint8 *) message, strlen (message),
                            secret_key);
    }

  sodium_memzero (secret_key, sizeof secret_key);
  if (out_public_key_hex != NULL)
    *out_public_key_hex = crossing_hex_encode (public_key, sizeof public_key);
  if (out_signature_hex != NULL)
    *out_signature_hex = crossing_hex_encode (signature, sizeof signature);
}

char *
crossing_subject_normalize (const char      *text,
                            CrossingAdapter *out_adapter)
{
  guint8 bytes[CROSSING_ED25519_PUBLIC_KEY_BYTES];

  g_return_val_if_fail (text != NULL, NULL);

  if (g_str_has_prefix (text, "ed25519:"))
    {
      if (!crossing_hex_decode (text + strlen ("ed25519:"), bytes,
                                CROSSING_ED25519_PUBLIC_KEY_BYTES))
        return NULL;
      if (out_adapter != NULL)
        *out_adapter = CROSSING_ADAPTER_ED25519;
      return g_ascii_strdown (text, -1);
    }

  if (!crossing_nimiq_address_parse (text, bytes, NULL))
    return NULL;
  if (out_adapter != NULL)
    *out_adapter = CROSSING_ADAPTER_NIMIQ_PAY;
  return crossing_nimiq_address_from_bytes (bytes);
}

char *
crossing_subject_short_form (const char *subject)
{
  g_return_val_if_fail (subject != NULL, NULL);

  if (g_str_has_prefix (subject, "ed25519:"))
    return g_strndup (subject, strlen ("ed25519:") + 16);
  return g_strdup (subject);
}
