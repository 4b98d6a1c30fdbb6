/* fuzz-webauthn.c: the passkey verifier's parsers against any bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is read as authenticator data, as an attestation object and as
 * a COSE key (for each offered algorithm, checking a fixed good assertion
 * from tests/webauthn/vectors.json). Whatever it is, the answer is TRUE or
 * one of the verifier's errors; what a parser accepts holds together.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <string.h>

#include "companion-webauthn.h"

#include "fuzz-common.h"

/* eddsa/get/good of tests/webauthn/vectors.json. */
#define RP_ID          "crossing.example"
#define ORIGIN         "https://crossing.example"
#define CHALLENGE      "rtlsxBoK6DAJT3jw3JJklRfGt4fHIczmHGf9SDayR58"
#define CLIENT_DATA    "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoicnRsc3hCb0s2REFKVDNqdzNKSmtsUmZHdDRm" \
  "SEljem1IR2Y5U0RheVI1OCIsIm9yaWdpbiI6Imh0dHBzOi8vY3Jvc3NpbmcuZXhhbXBsZSJ9"
#define AUTH_DATA      "3K4hoDVq1Mn9h-_nqXzE2P_WJM8fbbPJjpEOBqYVj2IFAAAACA"
#define SIGNATURE      "d0i8vm01XASdMyF1CZuE-YcBXf1lpakdY0z66YEK140dO8pl8XsPbFKnvZcJ9lzeRqjEsCGOZ8ubXs5dON0sDw"
#define GOOD_KEY       "pAEBAycgBiFYIGspZpiVXo7vLDmoAyL5-SjVnYWQY635_UryKzXxmnP-"

static void
assert_verifier_error (GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == COMPANION_WEBAUTHN_ERROR);
  g_assert_cmpstr (companion_webauthn_check_name (error->code), !=, "unknown");
}

static void
check_parsed (const CompanionWebauthnAuthData *parsed)
{
  if (parsed->flags & COMPANION_WEBAUTHN_FLAG_AT)
    {
      g_assert_nonnull (parsed->credential_id);
      g_assert_cmpuint (g_bytes_get_size (parsed->credential_id), >, 0);
      g_assert_nonnull (parsed->public_key_cose);
    }
  else
    {
      g_assert_null (parsed->credential_id);
      g_assert_null (parsed->public_key_cose);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const int algs[] = {
    COMPANION_WEBAUTHN_ALG_ES256, COMPANION_WEBAUTHN_ALG_EDDSA, COMPANION_WEBAUTHN_ALG_RS256,
  };
  const CompanionWebauthnExpected expected = { RP_ID, ORIGIN, CHALLENGE };
  g_autoptr(GBytes) key = g_bytes_new (data, size);
  g_autoptr(GBytes) good_key = NULL;

  fuzz_init_glib ();

  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    if (companion_webauthn_parse_auth_data (data, size, &parsed, &error))
      check_parsed (&parsed);
    else
      assert_verifier_error (error);
  }

  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;
    g_autofree char *fmt = NULL;

    if (companion_webauthn_parse_attestation_object (data, size, &fmt, &parsed, &error))
      {
        check_parsed (&parsed);
        g_assert_true (g_utf8_validate (fmt, -1, NULL));
      }
    else
      {
        assert_verifier_error (error);
        g_assert_null (fmt);
        g_assert_null (parsed.credential_id);
      }
  }

  /* Only the registered key signed the assertion. */
  good_key = companion_webauthn_decode_field (GOOD_KEY, "key", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (algs); i++)
    {
      g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
      g_autoptr(GError) error = NULL;

      assertion = companion_webauthn_assertion_new (&expected, CLIENT_DATA, AUTH_DATA, SIGNATURE,
                                                    NULL);
      g_assert_nonnull (assertion);
      if (companion_webauthn_assertion_verify (assertion, algs[i], key, 7, &error))
        g_assert_true (algs[i] == COMPANION_WEBAUTHN_ALG_EDDSA);
      else
        assert_verifier_error (error);
    }
  return 0;
}
