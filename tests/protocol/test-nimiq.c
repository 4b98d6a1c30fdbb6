/* test-nimiq.c: Nimiq addresses and message digests against the contract's vectors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-proof.h"
#include "crossing-token.h"

/* The contract's vectors (PROTOCOL.md, nimiq-pay adapter). */
#define VECTOR_PUBLIC_KEY "0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980"
#define VECTOR_SEED       "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e"

static void
test_address_vector_public_key (void)
{
  guint8 key[32];
  g_autofree char *address = NULL;

  g_assert_true (crossing_hex_decode (VECTOR_PUBLIC_KEY, key, 32));
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
      g_autofree char *lower = NULL;
      g_auto(GStrv) groups = NULL;
      g_autofree char *squashed = NULL;

      for (guint j = 0; j < 20; j++)
        bytes[j] = (guint8) g_test_rand_int ();
      address = crossing_nimiq_address_from_bytes (bytes);
      g_assert_cmpuint (strlen (address), ==, 44);
      g_assert_true (crossing_nimiq_address_parse (address, parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (bytes, 20, parsed, 20);

      /* Lower case and without spaces parse to the same bytes. */
      lower = g_ascii_strdown (address, -1);
      groups = g_strsplit (lower, " ", -1);
      squashed = g_strjoinv ("", groups);
      memset (parsed, 0, sizeof parsed);
      g_assert_true (crossing_nimiq_address_parse (squashed, parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (bytes, 20, parsed, 20);
    }

  g_assert_true (crossing_nimiq_address_parse ("nq71ct4k7r9rehsb7hy9tstpxnrql2rk8u4u", parsed,
                                               NULL));
  g_assert_true (crossing_nimiq_address_parse ("NQ71CT4K 7R9REHSB  7hy9 tstpxnrq l2rk8u4u ", parsed,
                                               NULL));
}

static void
test_address_form (void)
{
  guint8 bytes[20];

  /* Every byte value reaches the output through the 32-letter alphabet. */
  for (guint v = 0; v < 256; v++)
    {
      g_autofree char *address = NULL;

      memset (bytes, (int) v, sizeof bytes);
      address = crossing_nimiq_address_from_bytes (bytes);
      g_assert_true (g_str_has_prefix (address, "NQ"));
      g_assert_true (g_ascii_isdigit (address[2]) && g_ascii_isdigit (address[3]));
      for (guint i = 4; i < 44; i++)
        {
          if (i % 5 == 4)
            g_assert_cmpint (address[i], ==, ' ');
          else
            g_assert_nonnull (strchr ("0123456789ABCDEFGHJKLMNPQRSTUVXY", address[i]));
        }
    }
}

static void
test_parse_rejects (void)
{
  static const char *bad[] = {
    "", "NQ", "   ",
    "NQ72 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* check digits */
    "NQ71 DT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* a typo in the first letter */
    "NQ71 TC4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* two letters swapped */
    "DE71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* country */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4",    /* short */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4UU",  /* long */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U 0000 0000 0000",
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4I",   /* I is not in the alphabet */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4O",   /* nor is O */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4Z",   /* nor is Z */
    "NQ71\tCT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U", /* only spaces separate groups */
    "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4\xc3\x9c",
    "NQ7X CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",
    "ed25519:0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint8 out[20];
      guint8 untouched[20];
      g_autoptr(GError) error = NULL;

      memset (out, 0x5a, sizeof out);
      memset (untouched, 0x5a, sizeof untouched);
      if (crossing_nimiq_address_parse (bad[i], out, &error))
        g_error ("accepted «%s»", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpuint (strlen (error->message), >, 0);
      g_assert_cmpmem (out, sizeof out, untouched, sizeof untouched);
    }

  {
    guint8 out[20];

    g_assert_false (crossing_nimiq_address_parse (NULL, out, NULL));
  }
}

static void
test_message_digest_vector (void)
{
  guint8 digest[32];
  g_autofree char *hex = NULL;

  g_autofree char *direct = NULL;
  g_autofree char *utf8 = NULL;
  g_autofree char *utf8_direct = NULL;

  crossing_nimiq_message_digest ("hello", 5, digest);
  hex = crossing_hex_encode (digest, 32);
  g_assert_cmpstr (hex, ==, "fd72a0cd679fd00d472df44647303eadebe81903fe59d5b20e12961b7ea654a1");
  direct = crossing_sha256_hex ("\x16Nimiq Signed Message:\n5hello",
                                strlen ("\x16Nimiq Signed Message:\n5hello"));
  g_assert_cmpstr (hex, ==, direct);

  /* The length is the byte length, in decimal, of UTF-8 text. */
  crossing_nimiq_message_digest ("\xc3\xbc", 2, digest);
  utf8 = crossing_hex_encode (digest, 32);
  utf8_direct = crossing_sha256_hex ("\x16Nimiq Signed Message:\n2\xc3\xbc",
                                     strlen ("\x16Nimiq Signed Message:\n2\xc3\xbc"));
  g_assert_cmpstr (utf8, ==, utf8_direct);
}

static void
test_message_digest_long_length (void)
{
  g_autofree char *message = g_strnfill (1234, 'm');
  g_autofree char *prefixed = g_strconcat ("\x16Nimiq Signed Message:\n1234", message, NULL);
  g_autofree char *expected = crossing_sha256_hex (prefixed, strlen (prefixed));
  g_autofree char *hex = NULL;
  guint8 digest[32];

  crossing_nimiq_message_digest (message, 1234, digest);
  hex = crossing_hex_encode (digest, 32);
  g_assert_cmpstr (hex, ==, expected);
}

static void
test_signature_vector (void)
{
  guint8 seed[32];
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (crossing_hex_decode (VECTOR_SEED, seed, 32));
  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, "hello", seed, &public_key, &signature);
  g_assert_cmpstr (signature, ==,
                   "ffe7b8e83832b6be7fced7c930d2529e2978e79b22ee52fca061b5f1e1e4ca2d"
                   "3a266f5ec87c2b5f27be90e59cfc7af6ea11e4782bcf3a2e6d3313654f1d4e0f");
  g_assert_cmpstr (public_key, ==, VECTOR_PUBLIC_KEY);

  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, "hello", public_key, signature,
                                        "nq71 ct4k 7r9r ehsb 7hy9 tstp xnrq l2rk 8u4u", &subject,
                                        NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (subject, ==, "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");
}

/* PROTOCOL.md "Nimiq direct sign-in": the sign-in message, its prefixed
 * digest and the vector key's signature, byte for byte. */
static void
test_sign_in_message_vector (void)
{
  g_autofree char *message = NULL;
  g_autofree char *digest_hex = NULL;
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *subject = NULL;
  g_autoptr(GError) error = NULL;
  guint8 seed[32];
  guint8 digest[32];

  message = crossing_nimiq_sign_in_message ("Crossing", "https://login.example.org",
                                            "q8M3v9cR1xT4kP7wZ2nB5yH0jL6fD9sA",
                                            1795341600000, 1795341900000);
  g_assert_cmpstr (message, ==,
                   "Crossing requests sign-in with Nimiq\n"
                   "Action: auth.login\n"
                   "Origin: https://login.example.org\n"
                   "Nonce: q8M3v9cR1xT4kP7wZ2nB5yH0jL6fD9sA\n"
                   "Issued At: 2026-11-22T10:00:00.000Z\n"
                   "Expires At: 2026-11-22T10:05:00.000Z");
  g_assert_cmpuint (strlen (message), ==, 202);

  crossing_nimiq_message_digest (message, strlen (message), digest);
  digest_hex = crossing_hex_encode (digest, sizeof digest);
  g_assert_cmpstr (digest_hex, ==,
                   "7fc255987647770946370433f200a005d3dfd063c40c143f54d61da069d4ae73");

  g_assert_true (crossing_hex_decode (VECTOR_SEED, seed, sizeof seed));
  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, message, seed, &public_key, &signature);
  g_assert_cmpstr (public_key, ==, VECTOR_PUBLIC_KEY);
  g_assert_cmpstr (signature, ==,
                   "5ba3261350625d4e2aad5d7980cb2b3418b629984c64d7f926ea018f46511e5a"
                   "48a4fe5cd884bf16fd8d4c7684f7fda390358bd507a7f0d00ca8b063b75a1f04");

  g_assert_true (crossing_proof_verify (CROSSING_ADAPTER_NIMIQ_PAY, message, public_key,
                                        signature, "NQ71CT4K7R9REHSB7HY9TSTPXNRQL2RK8U4U",
                                        &subject, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (subject, ==, "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U");
}

/* The prefix counts UTF-8 bytes, not characters: "Crossing ü" is 11 bytes. */
static void
test_sign_in_message_non_ascii (void)
{
  g_autofree char *message = crossing_nimiq_sign_in_message ("Kreuzung \xc3\xbc",
                                                             "https://a.example", "n", 0, 1000);
  g_autofree char *prefixed = NULL;
  guint8 digest[32], expected[32];

  g_assert_true (g_str_has_prefix (message, "Kreuzung \xc3\xbc requests sign-in with Nimiq\n"));
  g_assert_true (g_str_has_suffix (message, "Expires At: 1970-01-01T00:00:01.000Z"));
  prefixed = g_strdup_printf ("\x16Nimiq Signed Message:\n%zu%s", strlen (message), message);
  crypto_hash_sha256 (expected, (const guint8 *) prefixed, strlen (prefixed));
  crossing_nimiq_message_digest (message, strlen (message), digest);
  g_assert_cmpmem (digest, 32, expected, 32);
  g_assert_cmpuint (strlen (message), ==, g_utf8_strlen (message, -1) + 1);
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
  g_test_add_func ("/protocol/nimiq/address-is-nq-check-digits-and-eight-groups",
                   test_address_form);
  g_test_add_func ("/protocol/nimiq/message-digest-vector", test_message_digest_vector);
  g_test_add_func ("/protocol/nimiq/message-digest-multi-digit-length",
                   test_message_digest_long_length);
  g_test_add_func ("/protocol/nimiq/signature-vector", test_signature_vector);
  g_test_add_func ("/protocol/nimiq/sign-in-message-vector", test_sign_in_message_vector);
  g_test_add_func ("/protocol/nimiq/sign-in-message-counts-utf8-bytes",
                   test_sign_in_message_non_ascii);
  return g_test_run ();
}
