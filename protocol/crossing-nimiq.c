/* crossing-nimiq.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-protocol.h"
#include "crossing-token.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRSTUVXY";

#define BASE32_CHARS 32   /* 20 bytes = 160 bits = 32 five-bit groups */

static void
base32_encode (const guint8 bytes[CROSSING_NIMIQ_ADDRESS_BYTES],
               char         out[BASE32_CHARS + 1])
{
  guint bits = 0, value = 0, n = 0;

  for (guint i = 0; i < CROSSING_NIMIQ_ADDRESS_BYTES; i++)
    {
      value = (value << 8) | bytes[i];
      bits += 8;
      while (bits >= 5)
        {
          out[n++] = alphabet[(value >> (bits - 5)) & 31];
          bits -= 5;
        }
    }
  out[n] = '\0';
}

/* IBAN mod-97 of @text with letters as 10..35. */
static guint
iban_mod97 (const char *text)
{
  guint remainder = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      guint value = g_ascii_isdigit (*p) ? (guint) (*p - '0') : (guint) (*p - 'A' + 10);

      remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
    }
  return remainder;
}

static guint
check_digits (const char *base32)
{
  g_autofree char *text = g_strconcat (base32, "NQ00", NULL);

  return 98 - iban_mod97 (text);
}

char *
crossing_nimiq_address_from_bytes (const guint8 address[CROSSING_NIMIQ_ADDRESS_BYTES])
{
  char base32[BASE32_CHARS + 1];
  GString *out;

  g_return_val_if_fail (address != NULL, NULL);

  out = g_string_sized_new (44);
  base32_encode (address, base32);
  g_string_append_printf (out, "NQ%02u", check_digits (base32));
  for (guint i = 0; i < BASE32_CHARS; i += 4)
    g_string_append_printf (out, " %.4s", base32 + i);
  return g_string_free (out, FALSE);
}

char *
crossing_nimiq_address_from_public_key (const guint8 public_key[32])
{
  guint8 digest[32];

  g_return_val_if_fail (public_key != NULL, NULL);

  crossing_crypto_init ();
  crypto_generichash (digest, sizeof digest, public_key, 32, NULL, 0);
  return crossing_nimiq_address_from_bytes (digest);
}

static gboolean
invalid_address (GError    **error,
                 const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a Nimiq address: %s", why);
  return FALSE;
}

gboolean
crossing_nimiq_address_parse (const char  *text,
                              guint8       out[CROSSING_NIMIQ_ADDRESS_BYTES],
                              GError     **error)
{
  /* "NQ", two check digits, 32 base32 characters */
  char compact[4 + BASE32_CHARS + 1];
  guint8 bytes[CROSSING_NIMIQ_ADDRESS_BYTES];
  gsize n = 0;
  guint bits = 0, value = 0, written = 0;
  guint given_check;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL)
    return invalid_address (error, "it is empty");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ' ')
        continue;
      if (n >= sizeof compact - 1)
        return invalid_address (error, "it is too long (expected 36 letters and digits)");
      compact[n++] = g_ascii_toupper (*p);
    }
  compact[n] = '\0';

  if (n == 0)
    return invalid_address (error, "it is empty");
  if (n < 2 || compact[0] != 'N' || compact[1] != 'Q')
    return invalid_address (error, "it does not start with NQ");
  if (n != sizeof compact - 1)
    return invalid_address (error, "it is too short (expected 36 letters and digits)");
  if (!g_ascii_isdigit (compact[2]) || !g_ascii_isdigit (compact[3]))
    return invalid_address (error, "NQ must be followed by two check digits");

  for (guint i = 4; i < n; i++)
    {
      const char *at = strchr (alphabet, compact[i]);

      if (at == NULL)
        return invalid_address (error, "it contains a character outside the Nimiq alphabet");
      value = (value << 5) | (guint) (at - alphabet);
      bits += 5;
      if (bits >= 8)
        {
          bytes[written++] = (value >> (bits - 8)) & 0xff;
          bits -= 8;
        }
    }
  g_assert (written == CROSSING_NIMIQ_ADDRESS_BYTES && bits == 0);

  given_check = (guint) ((compact[2] - '0') * 10 + (compact[3] - '0'));
  if (given_check != check_digits (compact + 4))
    return invalid_address (error, "the check digits do not match (a typo?)");

  memcpy (out, bytes, sizeof bytes);
  return TRUE;
}

void
crossing_nimiq_message_digest (const char *message,
                               gsize       message_len,
                               guint8      out[32])
{
  static const char prefix[] = "\x16Nimiq Signed Message:\n";
  char length[24];
  crypto_hash_sha256_state state;

  g_return_if_fail (message != NULL || message_len == 0);
  g_return_if_fail (out != NULL);

  crossing_crypto_init ();
  g_snprintf (length, sizeof length, "%" G_GSIZE_FORMAT, message_len);
  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, (const guint8 *) prefix, sizeof prefix - 1);
  crypto_hash_sha256_update (&state, (const guint8 *) length, strlen (length));
  crypto_hash_sha256_update (&state, (const guint8 *) message, message_len);
  crypto_hash_sha256_final (&state, out);
}

char *
crossing_nimiq_sign_in_message (const char *app_name,
                                const char *origin,
                                const char *nonce,
                                gint64      issued_at_ms,
                                gint64      expires_at_ms)
{
  g_autofree char *issued = NULL;
  g_autofree char *expires = NULL;

  g_return_val_if_fail (app_name != NULL && origin != NULL && nonce != NULL, NULL);

  issued = crossing_format_iso8601_ms (issued_at_ms);
  expires = crossing_format_iso8601_ms (expires_at_ms);
  return g_strdup_printf ("%s requests sign-in with Nimiq\n"
                          "Action: auth.login\n"
                          "Origin: %s\n"
                          "Nonce: %s\n"
                          "Issued At: %s\n"
                          "Expires At: %s",
                          app_name, origin, nonce, issued, expires);
}
