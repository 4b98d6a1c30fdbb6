/* main.c: crossing-companion, the bundled cross-device sign-in server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "companion-approve.h"
#include "companion-serve.h"
#include "companion-users.h"

static const struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "serve", companion_serve_main, "Serve the sign-in API and the phone page" },
  { "approve", companion_approve_main, "Play the phone: approve a claim link from a terminal" },
  { "users", companion_users_main, "Add, list or remove users (subjects) who may sign in" },
};

static int
usage (FILE *out)
{
  fprintf (out, "Usage: crossing-companion COMMAND [OPTION…]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun crossing-companion COMMAND --help for its options.\n"
           "crossing-companion --version (or COMMAND --version) prints the version.\n");
  return out == stdout ? 0 : 2;
}

int
main (int    argc,
      char **argv)
{
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

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("crossing-companion %s", commands[i].name);

        /* GOption prints it in the usage line and errors: "crossing-companion serve". */
        g_set_prgname (prgname);
        return commands[i].run (argc - 1, argv + 1);
      }

  fprintf (stderr, "crossing-companion: unknown command '%s'\n\n", argv[1]);
  return usage (stderr);
}
