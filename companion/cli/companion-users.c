/* companion-users.c: the operator's view of who may sign in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-config.h"
#include "companion-store.h"
#include "companion-users.h"

/* Operators type Nimiq addresses in any spacing and case: store the one
 * form the proof code produces. */
static char *
normalize_subject (const char  *subject,
                   GError     **error)
{
  char *normalized = crossing_subject_normalize (subject, NULL);

  if (normalized != NULL)
    return normalized;

  if (g_str_has_prefix (subject, "ed25519:"))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is not ed25519: followed by a 64-digit hex public key", subject);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is neither a Nimiq address (NQ..) nor ed25519:PUBLIC_KEY_HEX", subject);
  return NULL;
}

static int
usage (GOptionContext *context,
       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("crossing-companion users: %s\n\n%s", message, help);
  return 2;
}

int
companion_users_main (int    argc,
                      char **argv)
{
  g_autoptr(CompanionConfig) defaults = companion_config_new_default ();
  g_autofree char *db_path = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = NULL;
  const char *command;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path,
      "SQLite database file (default $XDG_STATE_HOME/crossing/companion.db)", "PATH" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "Display name of the user, for add (default none)", "NAME" },
    COMPANION_VERSION_ENTRY,
    { NULL }
  };

  context = g_option_context_new ("add|list|remove [SUBJECT]");
  g_option_context_set_summary (context,
                                "Manage who may sign in. SUBJECT is a Nimiq address (NQ..) or\n"
                                "ed25519:PUBLIC_KEY_HEX.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (context, error->message);

  if (argc < 2)
    return usage (context, "say add, list or remove");
  command = argv[1];

  if (name != NULL && (!crossing_string_is_clean (name) || g_utf8_strlen (name, -1) > 120))
    return usage (context, "--name must be at most 120 printable characters");

  if (strcmp (command, "list") == 0 ? argc != 2 : argc != 3)
    return usage (context, "wrong number of arguments");

  if (strcmp (command, "add") != 0 && strcmp (command, "list") != 0 &&
      strcmp (command, "remove") != 0)
    return usage (context, "say add, list or remove");

  if (argc == 3)
    {
      subject = normalize_subject (argv[2], &error);
      if (subject == NULL)
        {
          g_printerr ("crossing-companion users: %s\n", error->message);
          return 2;
        }
    }

  store = companion_store_open (db_path != NULL ? db_path : defaults->db_path, &error);
  if (store == NULL)
    {
      g_printerr ("crossing-companion users: %s\n", error->message);
      return 1;
    }

  if (strcmp (command, "list") == 0)
    {
      g_autoptr(GPtrArray) users = companion_store_list_users (store, &error);

      if (users == NULL)
        {
          g_printerr ("crossing-companion users: %s\n", error->message);
          return 1;
        }
      for (guint i = 0; i < users->len; i++)
        {
          CompanionUser *user = g_ptr_array_index (users, i);

          g_print ("%s\t%s\n", user->subject, user->name != NULL ? user->name : "");
        }
      return 0;
    }

  if (strcmp (command, "add") == 0)
    {
      g_autofree char *id = NULL;
      CompanionUser user = { 0, };

      crossing_crypto_init ();
      id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
      user.id = id;
      user.subject = subject;
      user.name = name;
      user.role = COMPANION_ROLE_USER;
      user.created_at = crossing_now_ms ();
      user.updated_at = user.created_at;
      if (!companion_store_add_user (store, &user, &error))
        {
          g_printerr ("crossing-companion users: %s\n", error->message);
          return 1;
        }
      g_print ("Added %s\n", subject);
      return 0;
    }

  if (!companion_store_remove_user (store, subject, &error))
    {
      if (g_error_matches (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        g_printerr ("crossing-companion users: no user %s\n", subject);
      else
        g_printerr ("crossing-companion users: %s\n", error->message);
      return 1;
    }
  g_print ("Removed %s and their sessions\n", subject);
  return 0;
}
