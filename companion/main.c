/* main.c: crossing-companion, the bundled cross-device sign-in server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "companion-feature.h"
#include "companion-serve.h"
#include "companion-users.h"

/* The core's commands; each feature adds its own (companion-features.c). */
static const CompanionCommand core_commands[] = {
  { "serve", companion_serve_main, "Serve the sign-in API and the phone page" },
  { "users", companion_users_main, "Add, list or remove users (subjects) who may sign in" },
};

static const CompanionCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (core_commands); i++)
    if (strcmp (core_commands[i].name, name) == 0)
      return &core_commands[i];
  for (guint i = 0; companion_features[i] != NULL; i++)
    for (gsize j = 0; j < companion_features[i]->n_commands; j++)
      if (strcmp (companion_features[i]->commands[j].name, name) == 0)
        return &companion_features[i]->commands[j];
  return NULL;
}

static int
usage (FILE *out)
{
  fprintf (out, "Usage: crossing-companion COMMAND [OPTION…]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (core_commands); i++)
    fprintf (out, "  %-15s %s\n", core_commands[i].name, core_commands[i].summary);
  for (guint i = 0; companion_features[i] != NULL; i++)
    for (gsize j = 0; j < companion_features[i]->n_commands; j++)
      fprintf (out, "  %-15s %s\n", companion_features[i]->commands[j].name,
               companion_features[i]->commands[j].summary);
  fprintf (out, "\nRun crossing-companion COMMAND --help for its options.\n"
           "crossing-companion --version (or COMMAND --version) prints the version.\n");
  return out == stdout ? 0 : 2;
}

int
main (int    argc,
      char **argv)
{
  const CompanionCommand *command;

  setlocale (LC_ALL, "");

  if (argc < 2)
    return usage (stderr);

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    return usage (stdout);

  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("crossing-companion %s\n", PACKAGE_VERSION);
      return 0;
    }

  command = find_command (argv[1]);
  if (command != NULL)
    {
      g_autofree char *prgname = g_strdup_printf ("crossing-companion %s", command->name);

      /* GOption prints it in the usage line and errors: "crossing-companion serve". */
      g_set_prgname (prgname);
      return command->run (argc - 1, argv + 1);
    }

  fprintf (stderr, "crossing-companion: unknown command '%s'\n\n", argv[1]);
  return usage (stderr);
}
