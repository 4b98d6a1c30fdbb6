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

#define PASSKEY_PREFIX "passkey:"

/* issue 16: what kind of key a subject is, for the list. */
static char *
subject_kind (CompanionStore *store,
              const char     *subject)
{
  g_autoptr(CompanionPasskey) passkey = NULL;

  if (g_str_has_prefix (subject, "ed25519:"))
    return g_strdup ("ed25519");
  if (g_str_has_prefix (subject, "NQ"))
    return g_strdup ("Nimiq");
  if (!g_str_has_prefix (subject, PASSKEY_PREFIX))
    return g_strdup ("other");
  passkey = companion_store_get_passkey (store, subject + strlen (PASSKEY_PREFIX), NULL);
  if (passkey == NULL)
    return g_strdup ("passkey (not registered yet)");
  return g_strdup (passkey->backup_state ? "passkey (synced)" : "passkey (this device only)");
}

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
                 "'%s' is neither a Nimiq address (NQ..), ed25519:PUBLIC_KEY_HEX nor "
                 "passkey:CREDENTIAL_ID", subject);
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

/* users set-role SUBJECT admin|user */
static int
set_role (GOptionContext  *context,
          const char      *db_path,
          int              argc,
          char           **argv)
{
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = NULL;
  int role;

  if (argc != 4)
    return usage (context, "say set-role SUBJECT admin|user");
  role = companion_role_from_string (argv[3]);
  if (role < 0)
    return usage (context, "the role is admin or user");
  subject = normalize_subject (argv[2], &error);
  if (subject == NULL)
    {
      g_printerr ("crossing-companion users: %s\n", error->message);
      return 2;
    }

  store = companion_store_open (db_path, &error);
  if (store == NULL || !companion_store_set_user_role (store, subject, role, &error))
    {
      if (g_error_matches (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        g_printerr ("crossing-companion users: no user %s\n", subject);
      else
        g_printerr ("crossing-companion users: %s\n", error->message);
      return 1;
    }
  g_print ("%s is now %s\n", subject, argv[3]);
  return 0;
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

  context = g_option_context_new ("add|list|remove [SUBJECT] | set-role SUBJECT admin|user");
  g_option_context_set_summary (context,
                                "Manage who may sign in. SUBJECT is a Nimiq address (NQ..),\n"
                                "ed25519:PUBLIC_KEY_HEX or passkey:CREDENTIAL_ID. list prints\n"
                                "subject, name and kind, one user a line, tab-separated.\n"
                                "set-role gives a user the admin role (an admin's session may\n"
                                "change the ledger) or takes it back.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (context, error->message);

  if (argc < 2)
    return usage (context, "say add, list, remove or set-role");
  command = argv[1];

  if (strcmp (command, "set-role") == 0)
    return set_role (context, db_path != NULL ? db_path : defaults->db_path, argc, argv);

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
          g_autofree char *kind = subject_kind (store, user->subject);

          g_print ("%s\t%s\t%s\n", user->subject, user->name != NULL ? user->name : "", kind);
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
