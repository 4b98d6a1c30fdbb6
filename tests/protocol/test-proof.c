/* test-proof.c: Ed25519 proofs for each adapter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-proof.h"
#include "crossing-token.h"

static const guint8 seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void
check_round_trip (CrossingAdapter adapter,
                  const char     *prefix)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *normalised = NULL;
  g_autofree char *upper = NULL;
  g_autoptr(GError) error = NULL;

  crossing_proof_sign (adapter, "Crossing requests cross-device approval\nNonce: x", seed,
                       &public_key, &signature);
  upper = g_ascii_strup (public_key, -1);
  g_assert_true (crossing_proof_verify (adapter,
                                        "Crossing requests cross-device approval\nNonce: x", upper,
                                        signature, NULL, &subject, &normalised, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (normalised, ==, public_key);
  g_assert_true (g_str_has_prefix (subject, prefix));
}

static void
test_ed25519_round_trip (void)
{
  check_round_trip (CROSSING_ADAPTER_ED25519, "ed25519:");
}

static void
test_nimiq_round_trip (void)
{
  check_round_trip (CROSSING_ADAPTER_NIMIQ_PAY, "NQ");
}

static void
expect_invalid (CrossingAdapter adapter,
                const char     *message,
                const char     *public_key,
                const char     *signature,
                const char     *address)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = NULL;

  g_assert_false (crossing_proof_verify (adapter, message, public_key, signature, address,
                                         &subject, NULL, &error));
  g_assert_error (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF);
  g_assert_null (subject);
}

static void
test_tampering_fails (void)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *other_key = NULL;
  g_autofree char *other_signature = NULL;
  guint8 other_seed[32] = { 9, };
  char *flipped;

  for (CrossingAdapter a = CROSSING_ADAPTER_ED25519; a <= CROSSING_ADAPTER_NIMIQ_PAY; a++)
    {
      g_clear_pointer (&public_key, g_free);
      g_clear_pointer (&signature, g_free);
      g_clear_pointer (&other_key, g_free);
      g_clear_pointer (&other_signature, g_free);
      crossing_proof_sign (a, "message", seed, &public_key, &signature);
      crossing_proof_sign (a, "message", other_seed, &other_key, &other_signature);

      expect_invalid (a, "messagE", public_key, signature, NULL);
      expect_invalid (a, "message", other_key, signature, NULL);
      flipped = g_strdup (signature);
      flipped[10] = flipped[10] == '0' ? '1' : '0';
      expect_invalid (a, "message", public_key, flipped, NULL);
      g_free (flipped);
      expect_invalid (a, "message", "abcd", signature, NULL);
      expect_invalid (a, "message", public_key, "abcd", NULL);
      expect_invalid (a, "message", NULL, signature, NULL);
      expect_invalid (a, "message", public_key, NULL, NULL);
    }

  /* The signature verifies, but the named address is someone else's. */
  g_clear_pointer (&public_key, g_free);
  g_clear_pointer (&signature, g_free);
  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, "message", seed, &public_key, &signature);
  expect_invalid (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key, signature,
                  "NQ07 0000 0000 0000 0000 0000 0000 0000 0000");
  expect_invalid (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key, signature, "not an address");
}

static void
test_ed25519_is_not_nimiq (void)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;

  /* A signature for one adapter must not pass as the other. */
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "message", seed, &public_key, &signature);
  expect_invalid (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key, signature, NULL);
}

/* RFC 8032, section 7.1, TEST 2: a one-byte message. */
static void
test_ed25519_rfc8032_vector (void)
{
  guint8 rfc_seed[32];
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (crossing_hex_decode (
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", rfc_seed, 32));
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "\x72", rfc_seed, &public_key, &signature);
  g_assert_cmpstr (public_key, ==,
                   "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  g_assert_cmpstr (signature, ==,
                   "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                   "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_ED25519, "\x72", public_key, signature,
                                        NULL, &subject, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (subject, ==,
                   "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
}

/* The contract's nimiq-pay vector, end to end through the adapter. */
static void
test_nimiq_contract_vector (void)
{
  static const char contract_signature[] =
    "ffe7b8e83832b6be7fced7c930d2529e2978e79b22ee52fca061b5f1e1e4ca2d"
    "3a266f5ec87c2b5f27be90e59cfc7af6ea11e4782bcf3a2e6d3313654f1d4e0f";
  static const char contract_key[] =
    "0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980";
  guint8 contract_seed[32];
  guint8 key[32];
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *key_subject = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (crossing_hex_decode (
    "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e", contract_seed, 32));
  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, "hello", contract_seed, &public_key, &signature);
  g_assert_cmpstr (public_key, ==, contract_key);
  g_assert_cmpstr (signature, ==, contract_signature);

  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "hello", contract_key,
                                        contract_signature,
                                        "NQ71CT4K7R9REHSB7HY9TSTPXNRQL2RK8U4U", &subject, NULL,
                                        &error));
  g_assert_no_error (error);
  g_assert_cmpstr (subject, ==, "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");

  g_assert_true (crossing_hex_decode (contract_key, key, 32));
  key_subject = crossing_proof_subject_for_key (CROSSING_ADAPTER_NIMIQ_PAY, key);
  g_assert_cmpstr (key_subject, ==, subject);

  /* The same signature over the plain message is not an ed25519 proof. */
  expect_invalid (CROSSING_ADAPTER_ED25519, "hello", contract_key, contract_signature, NULL);
}

static void
test_malformed_hex_fails_cleanly (void)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *non_hex_key = g_strnfill (64, 'g');
  g_autofree char *non_hex_signature = g_strnfill (128, 'z');
  g_autofree char *long_key = NULL;
  g_autofree char *short_signature = NULL;
  g_autofree char *huge = g_strnfill (100000, 'a');

  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "message", seed, &public_key, &signature);
  long_key = g_strconcat (public_key, "00", NULL);
  short_signature = g_strndup (signature, 126);

  for (CrossingAdapter a = CROSSING_ADAPTER_ED25519; a <= CROSSING_ADAPTER_NIMIQ_PAY; a++)
    {
      expect_invalid (a, "message", non_hex_key, signature, NULL);
      expect_invalid (a, "message", public_key, non_hex_signature, NULL);
      expect_invalid (a, "message", long_key, signature, NULL);
      expect_invalid (a, "message", public_key, short_signature, NULL);
      expect_invalid (a, "message", "", signature, NULL);
      expect_invalid (a, "message", public_key, "", NULL);
      expect_invalid (a, "message", huge, huge, NULL);
      /* 64 characters, one of them a space */
      expect_invalid (a, "message",
                      " 0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f17735098",
                      signature, NULL);
    }
}

static void
test_unknown_adapter (void)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autoptr(GError) error = NULL;

  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "message", seed, &public_key, &signature);
  g_assert_false (crossing_proof_verify (CROSSING_ADAPTER_INVALID, "message", public_key, signature,
                                         NULL, &subject, NULL, &error));
  g_assert_error (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER);
  g_assert_null (subject);
}

static void
test_address_match_ignores_spacing_and_case (void)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *squashed = NULL;
  g_autofree char *lower = NULL;
  g_auto(GStrv) groups = NULL;
  guint8 key[32];

  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, "message", seed, &public_key, &signature);
  g_assert_true (crossing_hex_decode (public_key, key, 32));
  subject = crossing_proof_subject_for_key (CROSSING_ADAPTER_NIMIQ_PAY, key);
  groups = g_strsplit (subject, " ", -1);
  squashed = g_strjoinv ("", groups);
  lower = g_ascii_strdown (subject, -1);

  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key,
                                        signature, subject, NULL, NULL, NULL));
  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key,
                                        signature, squashed, NULL, NULL, NULL));
  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key,
                                        signature, lower, NULL, NULL, NULL));
  /* A mistyped address is a failed proof, not an accepted one. */
  squashed[2] = squashed[2] == '9' ? '8' : '9';
  expect_invalid (CROSSING_ADAPTER_NIMIQ_PAY, "message", public_key, signature, squashed);
}

static void
test_ed25519_subject_is_lowercase_hex (void)
{
  guint8 key[32];
  g_autofree char *subject = NULL;

  for (guint i = 0; i < 32; i++)
    key[i] = (guint8) (0xa0 + i);
  subject = crossing_proof_subject_for_key (CROSSING_ADAPTER_ED25519, key);
  g_assert_cmpstr (subject, ==,
                   "ed25519:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
}

static void
test_signing_is_deterministic_and_message_bound (void)
{
  g_autofree char *key_a = NULL, *sig_a = NULL, *key_b = NULL, *sig_b = NULL;
  g_autofree char *key_c = NULL, *sig_c = NULL;

  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "line one\nline two", seed, &key_a, &sig_a);
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "line one\nline two", seed, &key_b, &sig_b);
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "line one\nline two\n", seed, &key_c, &sig_c);
  g_assert_cmpstr (key_a, ==, key_b);
  g_assert_cmpstr (sig_a, ==, sig_b);
  g_assert_cmpstr (key_a, ==, key_c);
  g_assert_cmpstr (sig_a, !=, sig_c);
  g_assert_cmpuint (strlen (key_a), ==, 64);
  g_assert_cmpuint (strlen (sig_a), ==, 128);
  expect_invalid (CROSSING_ADAPTER_ED25519, "line one\nline two\n", key_a, sig_a, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

  g_test_add_func ("/protocol/proof/ed25519-round-trip", test_ed25519_round_trip);
  g_test_add_func ("/protocol/proof/nimiq-pay-round-trip", test_nimiq_round_trip);
  g_test_add_func ("/protocol/proof/tampering-fails", test_tampering_fails);
  g_test_add_func ("/protocol/proof/adapters-do-not-cross", test_ed25519_is_not_nimiq);
  g_test_add_func ("/protocol/proof/ed25519-rfc8032-vector", test_ed25519_rfc8032_vector);
  g_test_add_func ("/protocol/proof/nimiq-pay-contract-vector", test_nimiq_contract_vector);
  g_test_add_func ("/protocol/proof/malformed-hex-fails-cleanly", test_malformed_hex_fails_cleanly);
  g_test_add_func ("/protocol/proof/unknown-adapter-is-unsupported", test_unknown_adapter);
  g_test_add_func ("/protocol/proof/nimiq-address-match-ignores-spacing-and-case",
                   test_address_match_ignores_spacing_and_case);
  g_test_add_func ("/protocol/proof/ed25519-subject-is-lowercase-hex",
                   test_ed25519_subject_is_lowercase_hex);
  g_test_add_func ("/protocol/proof/signing-is-deterministic-and-message-bound",
                   test_signing_is_deterministic_and_message_bound);
  return g_test_run ();
}
