/* fuzz-nimiq.c: the Nimiq address parser against any text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An address it accepts prints back as the same letters (spaces and case
 * aside) and parses again to the same bytes. The input's first 32 bytes
 * also go through the public-key and message-digest paths.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-nimiq.h"

#include "fuzz-common.h"

/* Upper case, spaces dropped: what the parser compares. */
static char *
compact (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ')
      g_string_append_c (out, g_ascii_toupper (*p));
  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  guint8 bytes[CROSSING_NIMIQ_ADDRESS_BYTES];
  guint8 again[CROSSING_NIMIQ_ADDRESS_BYTES];
  guint8 digest[32];
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init_glib ();

  crossing_nimiq_message_digest ((const char *) data, size, digest);
  if (size >= 32)
    {
      g_autofree char *address = crossing_nimiq_address_from_public_key (data);

      g_assert_true (crossing_nimiq_address_parse (address, bytes, NULL));
    }

  text = fuzz_strndup (data, size);
  if (!crossing_nimiq_address_parse (text, bytes, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      return 0;
    }

  {
    g_autofree char *printed = crossing_nimiq_address_from_bytes (bytes);
    g_autofree char *printed_compact = compact (printed);
    g_autofree char *text_compact = compact (text);

    g_assert_cmpuint (strlen (printed), ==, 44);
    g_assert_cmpstr (printed_compact, ==, text_compact);
    g_assert_true (crossing_nimiq_address_parse (printed, again, NULL));
    g_assert_cmpmem (again, sizeof again, bytes, sizeof bytes);
  }
  return 0;
}
