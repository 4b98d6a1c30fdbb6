/* test-webauthn.c: the passkey verifier against fixed vectors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tests/webauthn/vectors.json was made once by tests/webauthn/make-vectors.mjs
 * with a software authenticator, and each case checked with
 * @simplewebauthn/server. One test per case: a good one must pass every
 * check, a tampered one must fail at exactly the check it names.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "companion-webauthn.h"

static JsonObject *vectors;
static CompanionWebauthnExpected expected;
static char *challenge;

static const char *
member (JsonObject *object,
        const char *name)
{
  return json_object_has_member (object, name) ? json_object_get_string_member (object, name)
                                               : NULL;
}

static CompanionWebauthnError
error_for_check (const char *name)
{
  for (CompanionWebauthnError code = COMPANION_WEBAUTHN_ERROR_MALFORMED;
       code <= COMPANION_WEBAUTHN_ERROR_SIGN_COUNT; code++)
    {
      if (g_strcmp0 (companion_webauthn_check_name (code), name) == 0)
        return code;
    }
  g_error ("no check named %s", name);
}

static void
assert_outcome (GError     *error,
                const char *expect)
{
  if (g_strcmp0 (expect, "ok") == 0)
    {
      g_assert_no_error (error);
      return;
    }
  g_assert_error (error, COMPANION_WEBAUTHN_ERROR, (int) error_for_check (expect));
}

static void
test_create (gconstpointer data)
{
  JsonObject *vector = (JsonObject *) data;
  JsonObject *proof = json_object_get_object_member (vector, "proof");
  const char *expect = member (vector, "expect");
  g_autoptr(CompanionWebauthnRegistration) registration = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cose = NULL;
  JsonObject *registered;

  registration = companion_webauthn_registration_new (&expected,
                                                      member (proof, "credentialId"),
                                                      member (proof, "clientDataJSON"),
                                                      member (proof, "attestationObject"),
                                                      &error);
  assert_outcome (error, expect);
  if (g_strcmp0 (expect, "ok") != 0)
    {
      g_assert_null (registration);
      return;
    }

  registered = json_object_get_object_member (vector, "registered");
  g_assert_nonnull (registration);
  g_assert_cmpstr (registration->credential_id, ==, member (registered, "credentialId"));
  g_assert_cmpint (registration->alg, ==, json_object_get_int_member (registered, "alg"));
  cose = companion_webauthn_encode_field (g_bytes_get_data (registration->public_key_cose, NULL),
                                          g_bytes_get_size (registration->public_key_cose));
  g_assert_cmpstr (cose, ==, member (registered, "publicKeyCose"));
  g_assert_cmpuint (registration->sign_count, ==,
                    json_object_get_int_member (registered, "signCount"));
  g_assert_cmpint (!!(registration->flags & COMPANION_WEBAUTHN_FLAG_BE), ==,
                   json_object_get_boolean_member (registered, "backupEligible"));
  g_assert_cmpint (!!(registration->flags & COMPANION_WEBAUTHN_FLAG_BS), ==,
                   json_object_get_boolean_member (registered, "backupState"));
  g_assert_cmpstr (registration->attestation_format, ==, "none");
}

static void
test_get (gconstpointer data)
{
  JsonObject *vector = (JsonObject *) data;
  JsonObject *proof = json_object_get_object_member (vector, "proof");
  const char *expect = member (vector, "expect");
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cose = NULL;
  JsonObject *credential;
  JsonNode *name;
  gboolean verified;

  assertion = companion_webauthn_assertion_new (&expected,
                                                member (proof, "clientDataJSON"),
                                                member (proof, "authenticatorData"),
                                                member (proof, "signature"),
                                                &error);
  name = json_object_get_member (vector, "credential");
  if (JSON_NODE_HOLDS_NULL (name))
    {
      /* Every check before "the credential is known" passes; that one is
       * the adapter's, against the store (test-webauthn-adapter). */
      g_assert_cmpstr (expect, ==, "unknown-credential");
      g_assert_no_error (error);
      g_assert_nonnull (assertion);
      return;
    }
  if (assertion == NULL)
    {
      g_assert_cmpstr (expect, !=, "ok");
      assert_outcome (error, expect);
      return;
    }

  credential = json_object_get_object_member (json_object_get_object_member (vectors,
                                                                             "credentials"),
                                              json_node_get_string (name));
  cose = companion_webauthn_decode_field (member (credential, "publicKeyCose"), "cose", NULL);
  g_assert_nonnull (cose);
  verified = companion_webauthn_assertion_verify (assertion,
                                                  json_object_get_int_member (credential, "alg"),
                                                  cose,
                                                  json_object_get_int_member (credential,
                                                                              "signCount"),
                                                  &error);
  assert_outcome (error, expect);
  g_assert_cmpint (verified, ==, g_strcmp0 (expect, "ok") == 0);
  if (verified)
    g_assert_cmpuint (companion_webauthn_assertion_get_sign_count (assertion), ==,
                      json_object_get_int_member (vector, "newSignCount"));
}

static JsonObject *
first_vector (const char *name)
{
  JsonArray *array = json_object_get_array_member (vectors, "vectors");

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *vector = json_array_get_object_element (array, i);

      if (g_strcmp0 (member (vector, "name"), name) == 0)
        return vector;
    }
  g_error ("no vector %s", name);
}

/* The proof fields are strict base64url without padding. */
static void
test_base64url_is_strict (void)
{
  const char *bad[] = { "", "YQ==", "a+b/", "YW J", "Y", NULL };
  g_autoptr(GBytes) good = NULL;

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = companion_webauthn_decode_field (bad[i], "field", &error);

      g_assert_null (bytes);
      g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
    }
  good = companion_webauthn_decode_field ("_-8", "field", NULL);
  g_assert_nonnull (good);
  g_assert_cmpuint (g_bytes_get_size (good), ==, 2);
  g_assert_cmpmem (g_bytes_get_data (good, NULL), 2, "\xff\xef", 2);
}

/* The authenticator data of an assertion: too short, trailing bytes, an
 * extensions flag without extensions, an attested credential. */
static void
test_auth_data_layout (void)
{
  JsonObject *good = json_object_get_object_member (first_vector ("eddsa/get/good"), "proof");
  JsonObject *create = json_object_get_object_member (first_vector ("eddsa/create/good"), "proof");
  g_autoptr(GBytes) auth_data = companion_webauthn_decode_field (member (good,
                                                                         "authenticatorData"),
                                                                 "authenticatorData", NULL);
  g_autoptr(GBytes) attestation = companion_webauthn_decode_field (member (create,
                                                                           "attestationObject"),
                                                                   "attestationObject", NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (auth_data, &len);
  g_autofree guint8 *longer = g_malloc0 (len + 1);
  g_autofree guint8 *with_ed = g_memdup2 (data, len);
  g_autofree guint8 *with_ed_map = g_malloc (len + 1);
  g_autofree char *fmt = NULL;

  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    g_assert_true (companion_webauthn_parse_auth_data (data, len, &parsed, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (len, ==, 37);
    g_assert_cmpuint (parsed.flags, ==, COMPANION_WEBAUTHN_FLAG_UP | COMPANION_WEBAUTHN_FLAG_UV);
    g_assert_cmpuint (parsed.sign_count, ==, 8);
    g_assert_null (parsed.credential_id);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    g_assert_false (companion_webauthn_parse_auth_data (data, len - 1, &parsed, &error));
    g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    memcpy (longer, data, len);
    g_assert_false (companion_webauthn_parse_auth_data (longer, len + 1, &parsed, &error));
    g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    with_ed[32] |= COMPANION_WEBAUTHN_FLAG_ED;
    g_assert_false (companion_webauthn_parse_auth_data (with_ed, len, &parsed, &error));
    g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    /* The flag with an empty CBOR map: well formed. */
    memcpy (with_ed_map, with_ed, len);
    with_ed_map[len] = 0xa0;
    g_assert_true (companion_webauthn_parse_auth_data (with_ed_map, len + 1, &parsed, &error));
    g_assert_no_error (error);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    g_assert_true (companion_webauthn_parse_attestation_object (g_bytes_get_data (attestation,
                                                                                  NULL),
                                                                g_bytes_get_size (attestation),
                                                                &fmt, &parsed, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (fmt, ==, "none");
    g_assert_cmpuint (g_bytes_get_size (parsed.credential_id), ==, 64);
    g_assert_cmpint (parsed.alg, ==, COMPANION_WEBAUTHN_ALG_EDDSA);
    g_assert_cmpuint (parsed.sign_count, ==, 7);
  }
  {
    g_auto(CompanionWebauthnAuthData) parsed = { 0, };
    g_autoptr(GError) error = NULL;

    g_assert_false (companion_webauthn_parse_attestation_object (g_bytes_get_data (attestation,
                                                                                   NULL),
                                                                 g_bytes_get_size (attestation) -
                                                                 1,
                                                                 NULL, &parsed, &error));
    g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
    g_assert_null (parsed.credential_id);
  }
}

/* A get proof whose authenticator data attests a credential is refused:
 * a create answer replayed as a get. */
static void
test_get_with_attested_data (void)
{
  JsonObject *create = json_object_get_object_member (first_vector ("es256/create/good"), "proof");
  JsonObject *get = json_object_get_object_member (first_vector ("es256/get/good"), "proof");
  g_autoptr(GBytes) attestation = companion_webauthn_decode_field (member (create,
                                                                           "attestationObject"),
                                                                   "attestationObject", NULL);
  g_autoptr(CompanionWebauthnAssertion) assertion = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth_data = NULL;
  g_autofree guint8 *raw = NULL;
  gsize raw_len;

  raw_len = g_bytes_get_size (attestation);
  raw = g_memdup2 (g_bytes_get_data (attestation, NULL), raw_len);
  /* The fixture is {"fmt": "none", "attStmt": {}, "authData": h'…'}: the
   * byte string comes last, its length in 1 byte (0x58) or 2 (0x59). */
  g_assert_cmpuint (raw_len, >, 37);
  for (gsize at = 0; at + 2 < raw_len && auth_data == NULL; at++)
    {
      if (raw[at] == 0x58 && at + 2 + raw[at + 1] == raw_len)
        auth_data = companion_webauthn_encode_field (raw + at + 2, raw[at + 1]);
      else if (raw[at] == 0x59 && at + 3 + (((gsize) raw[at + 1] << 8) | raw[at + 2]) == raw_len)
        auth_data = companion_webauthn_encode_field (raw + at + 3, raw_len - at - 3);
    }
  g_assert_nonnull (auth_data);

  assertion = companion_webauthn_assertion_new (&expected, member (get, "clientDataJSON"),
                                                auth_data, member (get, "signature"), &error);
  g_assert_null (assertion);
  g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
}

/* A header that declares more elements than there are bytes is refused
 * before libcbor allocates for them (the fuzzer's first finding: 30 bytes
 * that asked for 13 GB). */
static void
test_huge_declared_length (void)
{
  /* {"fmt": "none", "attStmt": {}, "authData": [2^31 - 1 elements…]} and a
   * map of 2^32 - 1 pairs. */
  static const guint8 array[] = {
    0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't', 'S', 't', 'm', 't',
    0xa0, 0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a', 0x9a, 0x7f, 0xff, 0xff, 0xff, 0x00,
  };
  static const guint8 map[] = { 0xba, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02 };
  const struct {
    const guint8 *data;
    gsize         len;
  } cases[] = { { array, sizeof array }, { map, sizeof map } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(CompanionWebauthnAuthData) parsed = { 0, };
      g_autoptr(GError) error = NULL;

      g_assert_false (companion_webauthn_parse_attestation_object (cases[i].data, cases[i].len,
                                                                   NULL, &parsed, &error));
      g_assert_error (error, COMPANION_WEBAUTHN_ERROR, COMPANION_WEBAUTHN_ERROR_MALFORMED);
    }
}

/* The challenge is base64url(SHA-256(message)): the good vectors' clientData
 * carries it. */
static void
test_challenge_for_message (void)
{
  g_assert_cmpstr (challenge, ==, "rtlsxBoK6DAJT3jw3JJklRfGt4fHIczmHGf9SDayR58");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  JsonArray *array;
  int status;

  g_test_init (&argc, &argv, NULL);

  path = g_test_build_filename (G_TEST_DIST, "webauthn", "vectors.json", NULL);
  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("%s: %s", path, error->message);
  vectors = json_node_get_object (json_parser_get_root (parser));
  challenge = companion_webauthn_challenge_for_message (member (vectors, "message"));
  expected.rp_id = member (vectors, "rpId");
  expected.origin = member (vectors, "origin");
  expected.challenge = challenge;

  array = json_object_get_array_member (vectors, "vectors");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *vector = json_array_get_object_element (array, i);
      g_autofree char *name = g_strconcat ("/webauthn/vectors/", member (vector, "name"), NULL);

      if (g_strcmp0 (member (vector, "ceremony"), "create") == 0)
        g_test_add_data_func (name, vector, test_create);
      else
        g_test_add_data_func (name, vector, test_get);
    }
  g_test_add_func ("/webauthn/base64url-is-strict", test_base64url_is_strict);
  g_test_add_func ("/webauthn/auth-data-layout", test_auth_data_layout);
  g_test_add_func ("/webauthn/get-with-attested-data-refused", test_get_with_attested_data);
  g_test_add_func ("/webauthn/challenge-for-message", test_challenge_for_message);
  g_test_add_func ("/webauthn/huge-declared-length-refused", test_huge_declared_length);

  status = g_test_run ();
  g_free (challenge);
  return status;
}
