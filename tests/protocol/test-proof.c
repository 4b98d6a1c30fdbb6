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
  g_assert_true (crossing_proof_verify (adapter, "Crossing requests cross-device approval\nNonce: x",
                                        upper, signature, NULL, &subject, &normalised, &error));
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

  g_test_add_func ("/protocol/proof/ed25519-round-trip", test_ed25519_round_trip);
  g_test_add_func ("/protocol/proof/nimiq-pay-round-trip", test_nimiq_round_trip);
  g_test_add_func ("/protocol/proof/tampering-fails", test_tampering_fails);
  g_test_add_func ("/protocol/proof/adapters-do-not-cross", test_ed25519_is_not_nimiq);
  return g_test_run ();
}
