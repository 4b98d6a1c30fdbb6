/* companion-admin-key.c: a new key for the ledger's server-to-server calls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints the key once, and the SHA-256 the companion keeps
 * (--ledger-admin-key-sha256). The key is never stored anywhere by this
 * command.
 */
#define G_LOG_DOMAIN "companion"

#include "config.h"

#include <string.h>

#include "crossing-token.h"

#include "companion-admin-key.h"
#include "companion-config.h"

int
companion_admin_key_main (int    argc,
                          char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *random = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hash = NULL;
  GOptionEntry entries[] = {
    COMPANION_VERSION_ENTRY,
    { NULL }
  };

  context = g_option_context_new ("new");
  g_option_context_set_summary (context,
                                "Print a new admin key for the ledger (key: …) and the SHA-256 to\n"
                                "give serve as --ledger-admin-key-sha256 (sha256: …). The key is\n"
                                "shown only this once; the companion keeps only its hash.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("crossing-companion admin-key: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || strcmp (argv[1], "new") != 0)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("crossing-companion admin-key: say new\n\n%s", help);
      return 2;
    }

  crossing_crypto_init ();
  random = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  key = g_strconcat (COMPANION_ADMIN_KEY_PREFIX, random, NULL);
  hash = crossing_sha256_hex (key, strlen (key));
  g_print ("key: %s\nsha256: %s\n", key, hash);
  return 0;
}
