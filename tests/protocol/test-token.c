/* test-token.c: tokens, hashes and constant-time verification
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-token.h"

#define URL_SAFE_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void
test_length_and_alphabet (void)
{
  g_autofree char *order_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  g_autofree char *token = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *session = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);

  g_assert_cmpuint (strlen (order_id), ==, 22);   /* 128 bits */
  g_assert_cmpuint (strlen (token), ==, 32);      /* 192 bits */
  g_assert_cmpuint (strlen (session), ==, 43);    /* 256 bits */
  g_assert_true (crossing_token_is_well_formed (order_id));
  g_assert_true (crossing_token_is_well_formed (token));
  g_assert_true (crossing_token_is_well_formed (session));
  g_assert_cmpuint (strspn (token, URL_SAFE_ALPHABET), ==, 32);
}

static void
test_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 10000; i++)
    g_assert_true (g_hash_table_add (seen, crossing_token_new (CROSSING_TOKEN_BYTES)));
}

static void
test_hash_vector (void)
{
  g_autofree char *hash = crossing_token_hash ("abc");

  g_assert_cmpstr (hash, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_verify (void)
{
  g_autofree char *token = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *other = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *hash = crossing_token_hash (token);
  g_autofree char *long_token = g_strnfill (CROSSING_TOKEN_MAX_CHARS + 1, 'a');

  g_assert_true (crossing_token_verify (token, hash));
  g_assert_false (crossing_token_verify (other, hash));
  g_assert_false (crossing_token_verify (NULL, hash));
  g_assert_false (crossing_token_verify ("", hash));
  g_assert_false (crossing_token_verify ("a b", hash));
  g_assert_false (crossing_token_verify ("a/b+c=", hash));
  g_assert_false (crossing_token_verify (long_token, hash));
  g_assert_false (crossing_token_verify (token, NULL));
  g_assert_false (crossing_token_verify (token, "abc"));
}

static void
test_hex (void)
{
  guint8 out[4];
  g_autofree char *hex = NULL;

  g_assert_true (crossing_hex_decode ("00fFa9", out, 3));
  g_assert_cmpuint (out[1], ==, 0xff);
  g_assert_false (crossing_hex_decode ("00ff", out, 3));
  g_assert_false (crossing_hex_decode ("00ffzz", out, 3));
  g_assert_false (crossing_hex_decode ("00ff a", out, 3));
  g_assert_false (crossing_hex_decode (NULL, out, 3));
  hex = crossing_hex_encode ((const guint8 *) "\x01\xab", 2);
  g_assert_cmpstr (hex, ==, "01ab");
}

static void
test_lengths_for_any_size (void)
{
  for (gsize n = 1; n <= 64; n++)
    {
      g_autofree char *token = crossing_token_new (n);

      /* Unpadded base64: four characters per three bytes, rounded up. */
      g_assert_cmpuint (strlen (token), ==, (n * 4 + 2) / 3);
      g_assert_true (crossing_token_is_well_formed (token));
    }
}

static void
test_well_formed (void)
{
  g_autofree char *longest = g_strnfill (CROSSING_TOKEN_MAX_CHARS, 'A');
  g_autofree char *too_long = g_strnfill (CROSSING_TOKEN_MAX_CHARS + 1, 'A');

  g_assert_true (crossing_token_is_well_formed ("a"));
  g_assert_true (crossing_token_is_well_formed ("AZaz09-_"));
  g_assert_true (crossing_token_is_well_formed (longest));
  g_assert_false (crossing_token_is_well_formed (too_long));
  g_assert_false (crossing_token_is_well_formed (""));
  g_assert_false (crossing_token_is_well_formed (NULL));
  g_assert_false (crossing_token_is_well_formed ("a+b"));
  g_assert_false (crossing_token_is_well_formed ("a/b"));
  g_assert_false (crossing_token_is_well_formed ("ab=="));
  g_assert_false (crossing_token_is_well_formed ("a.b"));
  g_assert_false (crossing_token_is_well_formed ("a%20b"));
  g_assert_false (crossing_token_is_well_formed ("caf\xc3\xa9"));
}

static void
test_sha256_vectors (void)
{
  g_autofree char *empty = crossing_sha256_hex ("", 0);
  g_autofree char *with_nul = crossing_sha256_hex ("a\0b", 3);
  g_autofree char *without_nul = crossing_sha256_hex ("ab", 2);

  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  /* The length is honoured, not the first NUL. */
  g_assert_cmpstr (with_nul, !=, without_nul);
}

static void
test_verify_rejects_hash_shapes (void)
{
  g_autofree char *token = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *hash = crossing_token_hash (token);
  g_autofree char *longer = g_strconcat (hash, "0", NULL);
  g_autofree char *shorter = g_strndup (hash, CROSSING_TOKEN_HASH_CHARS - 1);
  g_autofree char *flipped = g_strdup (hash);

  flipped[0] = flipped[0] == '0' ? '1' : '0';
  g_assert_true (crossing_token_verify (token, hash));
  g_assert_false (crossing_token_verify (token, longer));
  g_assert_false (crossing_token_verify (token, shorter));
  g_assert_false (crossing_token_verify (token, flipped));
  g_assert_false (crossing_token_verify (token, ""));
}

static void
test_hex_decode_leaves_output_alone_on_failure (void)
{
  guint8 out[3] = { 0xaa, 0xbb, 0xcc };
  g_autofree char *hex = NULL;

  g_assert_false (crossing_hex_decode ("0011zz", out, 3));
  g_assert_false (crossing_hex_decode ("00112", out, 3));
  g_assert_false (crossing_hex_decode ("0011223", out, 3));
  g_assert_false (crossing_hex_decode ("0x0011", out, 3));
  g_assert_false (crossing_hex_decode ("00 11 2", out, 3));
  g_assert_cmpuint (out[0], ==, 0xaa);
  g_assert_cmpuint (out[1], ==, 0xbb);
  g_assert_cmpuint (out[2], ==, 0xcc);

  g_assert_true (crossing_hex_decode ("ABCDEF", out, 3));
  hex = crossing_hex_encode (out, 3);
  g_assert_cmpstr (hex, ==, "abcdef");
  g_assert_true (crossing_hex_decode ("", out, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

  g_test_add_func ("/protocol/token/length-and-url-safe-alphabet", test_length_and_alphabet);
  g_test_add_func ("/protocol/token/ten-thousand-are-distinct", test_unique);
  g_test_add_func ("/protocol/token/hash-is-sha256-hex", test_hash_vector);
  g_test_add_func ("/protocol/token/verify-accepts-only-the-token", test_verify);
  g_test_add_func ("/protocol/token/hex-decode-checks-length-and-digits", test_hex);
  g_test_add_func ("/protocol/token/length-follows-byte-count", test_lengths_for_any_size);
  g_test_add_func ("/protocol/token/well-formed-is-url-safe-base64-up-to-128", test_well_formed);
  g_test_add_func ("/protocol/token/sha256-hex-vectors", test_sha256_vectors);
  g_test_add_func ("/protocol/token/verify-rejects-wrong-hash-shapes",
                   test_verify_rejects_hash_shapes);
  g_test_add_func ("/protocol/token/hex-decode-leaves-output-alone-on-failure",
                   test_hex_decode_leaves_output_alone_on_failure);
  return g_test_run ();
}
