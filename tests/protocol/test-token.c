/* test-token.c: tokens, hashes and constant-time verification
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

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
  g_assert_cmpuint (strspn (token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 32);
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
test_clean_strings (void)
{
  g_assert_true (crossing_string_is_clean ("Sign in to Crossing — ünïcode"));
  g_assert_false (crossing_string_is_clean ("two\nlines"));
  g_assert_false (crossing_string_is_clean ("tab\there"));
  g_assert_false (crossing_string_is_clean ("del\x7f"));
  g_assert_false (crossing_string_is_clean ("\xff\xfe"));
  g_assert_false (crossing_string_is_clean (NULL));
}

static void
test_iso8601 (void)
{
  g_autofree char *a = crossing_format_iso8601_ms (G_GINT64_CONSTANT (1795341600000));
  g_autofree char *b = crossing_format_iso8601_ms (G_GINT64_CONSTANT (1795341600007));

  g_assert_cmpstr (a, ==, "2026-11-22T10:00:00.000Z");
  g_assert_cmpstr (b, ==, "2026-11-22T10:00:00.007Z");
}

static void
test_wire_names (void)
{
  for (int s = 0; s < CROSSING_N_STATUSES; s++)
    g_assert_cmpint (crossing_status_from_string (crossing_status_to_string (s)), ==, s);
  g_assert_cmpint (crossing_status_from_string ("bogus"), ==, CROSSING_STATUS_INVALID);
  g_assert_cmpstr (crossing_status_to_string (CROSSING_STATUS_WAITING_USER), ==, "waiting_user");
  g_assert_true (crossing_status_is_terminal (CROSSING_STATUS_EXPIRED));
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_APPROVED));
  g_assert_cmpint (crossing_kind_from_string ("transaction"), ==, CROSSING_KIND_TRANSACTION);
  g_assert_cmpstr (crossing_kind_to_noun (CROSSING_KIND_SIGN), ==, "signature");
  g_assert_cmpint (crossing_adapter_from_string ("nimiq-pay"), ==, CROSSING_ADAPTER_NIMIQ_PAY);
  g_assert_cmpstr (crossing_error_to_code (CROSSING_ERROR_TRANSITION_RACE), ==, "TRANSITION_CONFLICT");
  g_assert_cmpuint (crossing_error_to_http_status (CROSSING_ERROR_TRANSITION_RACE), ==, 409);
  g_assert_cmpuint (crossing_error_to_http_status (CROSSING_ERROR_TRANSITION_CONFLICT), ==, 400);
  g_assert_cmpint (crossing_error_from_code ("TRANSITION_CONFLICT"), ==, CROSSING_ERROR_TRANSITION_CONFLICT);
  g_assert_cmpint (crossing_error_from_code ("NOPE"), ==, -1);
  for (int e = 0; e < CROSSING_N_ERRORS; e++)
    g_assert_cmpint (crossing_error_to_http_status (crossing_error_from_code (crossing_error_to_code (e))), >=, 400);
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
  g_test_add_func ("/protocol/strings/control-characters-are-refused", test_clean_strings);
  g_test_add_func ("/protocol/time/iso8601-with-milliseconds", test_iso8601);
  g_test_add_func ("/protocol/wire/names-round-trip", test_wire_names);
  return g_test_run ();
}
