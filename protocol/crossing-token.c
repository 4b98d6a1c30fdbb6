/* crossing-token.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crossing-token.h"

void
crossing_crypto_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialised");
      g_once_init_leave (&initialized, 1);
    }
}

char *
crossing_token_new (gsize n_bytes)
{
  g_autofree guint8 *bytes = NULL;
  gsize encoded_len;
  char *token;

  g_return_val_if_fail (n_bytes > 0 && n_bytes < G_MAXSIZE / 2, NULL);

  crossing_crypto_init ();
  bytes = g_malloc (n_bytes);
  encoded_len = sodium_base64_ENCODED_LEN (n_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  token = g_malloc (encoded_len);
  randombytes_buf (bytes, n_bytes);
  sodium_bin2base64 (token, encoded_len, bytes, n_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, n_bytes);
  return token;
}

char *
crossing_hex_encode (const guint8 *data,
                     gsize         len)
{
  char *hex;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (len < G_MAXSIZE / 2, NULL);

  hex = g_malloc (len * 2 + 1);
  sodium_bin2hex (hex, len * 2 + 1, data, len);
  return hex;
}

char *
crossing_sha256_hex (const void *data,
                     gsize       len)
{
  guint8 digest[crypto_hash_sha256_BYTES];

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  crossing_crypto_init ();
  crypto_hash_sha256 (digest, data, len);
  return crossing_hex_encode (digest, sizeof digest);
}

char *
crossing_token_hash (const char *token)
{
  g_return_val_if_fail (token != NULL, NULL);
  return crossing_sha256_hex (token, strlen (token));
}

gboolean
crossing_token_is_well_formed (const char *token)
{
  gsize len = 0;

  if (token == NULL)
    return FALSE;
  for (const char *p = token; *p != '\0'; p++, len++)
    if (len >= CROSSING_TOKEN_MAX_CHARS ||
        !(g_ascii_isalnum (*p) || *p == '-' || *p == '_'))
      return FALSE;
  return len > 0;
}

gboolean
crossing_token_verify (const char *token,
                       const char *stored_hash)
{
  g_autofree char *hash = NULL;

  if (!crossing_token_is_well_formed (token) || stored_hash == NULL ||
      strnlen (stored_hash, CROSSING_TOKEN_HASH_CHARS + 1) != CROSSING_TOKEN_HASH_CHARS)
    return FALSE;

  hash = crossing_token_hash (token);
  g_assert (strlen (hash) == CROSSING_TOKEN_HASH_CHARS);
  return sodium_memcmp (hash, stored_hash, CROSSING_TOKEN_HASH_CHARS) == 0;
}

gboolean
crossing_hex_decode (const char *hex,
                     guint8     *out,
                     gsize       n_bytes)
{
  g_autofree guint8 *decoded = NULL;
  const char *end = NULL;
  size_t len = 0;

  g_return_val_if_fail (out != NULL || n_bytes == 0, FALSE);

  /* strnlen bounds the read, so an overlong input is never scanned to its end, and @out is
   * only written once the whole input is known to be good. */
  if (hex == NULL || n_bytes > G_MAXSIZE / 2 - 1 || strnlen (hex, n_bytes * 2 + 1) != n_bytes * 2)
    return FALSE;
  decoded = g_malloc (MAX (n_bytes, 1));
  if (sodium_hex2bin (decoded, n_bytes, hex, n_bytes * 2, NULL, &len, &end) != 0 ||
      len != n_bytes || end != hex + n_bytes * 2)
    return FALSE;
  memcpy (out, decoded, n_bytes);
  return TRUE;
}
