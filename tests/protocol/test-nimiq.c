/* test-nimiq.c: Nimiq addresses and message digests against the contract's vectors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "crossing-nimiq.h"
#include "crossing-proof.h"
#include "crossing-token.h"

static void
test_address_vector_public_key (void)
{
  guint8 key[32];
  g_autofree char *address = NULL;

  g_assert_true (crossing_hex_decode ("0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980", key, 32));
  address = crossing_nimiq_address_from_public_key (key);
  g_assert_cmpstr (address, ==, "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");
}

static void
test_address_vector_zero (void)
{
  guint8 zero[20] = { 0, };
  g_autofree char *address = crossing_nimiq_address_from_bytes (zero);

  g_assert_cmpstr (address, ==, "NQ07 0000 0000 0000 0000 0000 0000 0000 0000");
}

static void
test_parse_round_trip (void)
{
  guint8 bytes[20], parsed[20];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *address = NULL;
      g_autofree char *squashed = NULL;

      for (guint j = 0; j < 20; j++)
        bytes[j] = (guint8) g_random_int ();
      address = crossing_nimiq_address_from_bytes (bytes);
      g_assert_true (crossing_nimiq_address_parse (address, parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (bytes, 20, parsed, 20);

      /* Without spaces and in lower case too. */
      squashed = g_ascii_strdown (address, -1);
      g_strdelimit (squashed, " ", '0');
      g_assert_false (crossing_nimiq_address_parse (squashed, parsed, NULL));
    }

  g_assert_true (crossing_nimiq_address_parse ("nq71ct4k7r9rehsb7hy9tstpxnrql2rk8u4u", parsed, NULL));
}

static void
test_parse_rejects (void)
{
  static const char *bad[] = {
    "", "NQ", "NQ72 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* check digits */
    "DE71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",             /* country */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4",              /* short */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4UU",            /* long */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4I",             /* I is not in the alphabet */
    "NQ7X CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint8 out[20];
      g_autoptr(GError) error = NULL;

      g_assert_false (crossing_nimiq_address_parse (bad[i], out, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_message_digest_vector (void)
{
  guint8 digest[32];
  g_autofree char *hex = NULL;

  crossing_nimiq_message_digest ("hello", 5, digest);
  hex = crossing_hex_encode (digest, 32);
  g_assert_cmpstr (hex, ==, "fd72a0cd679fd00d472df44647303eadebe81903fe59d5b20e12961b7ea654a1");
}

static void
test_signature_vector (void)
{
  guint8 seed[32];
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (crossing_hex_decode ("682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e", seed, 32));
  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, "hello", seed, &public_key, &signature);
  g_assert_cmpstr (signature, ==,
                   "ffe7b8e83832b6be7fced7c930d2529e2978e79b22ee52fca061b5f1e1e4ca2d"
                   "3a266f5ec87c2b5f27be90e59cfc7af6ea11e4782bcf3a2e6d3313654f1d4e0f");
  g_assert_cmpstr (public_key, ==, "0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980");

  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "hello", public_key, signature,
                                        "nq71 ct4k 7r9r ehsb 7hy9 tstp xnrq l2rk 8u4u", &subject,
                                        NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (subject, ==, "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

  g_test_add_func ("/protocol/nimiq/address-vector-public-key", test_address_vector_public_key);
  g_test_add_func ("/protocol/nimiq/address-vector-zero-bytes", test_address_vector_zero);
  g_test_add_func ("/protocol/nimiq/parse-round-trips-any-spacing-and-case", test_parse_round_trip);
  g_test_add_func ("/protocol/nimiq/parse-rejects-malformed", test_parse_rejects);
  g_test_add_func ("/protocol/nimiq/message-digest-vector", test_message_digest_vector);
  g_test_add_func ("/protocol/nimiq/signature-vector", test_signature_vector);
  return g_test_run ();
}
