/* main.c: crossing, sign in on this desktop with your phone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "crossing-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(CrossingApplication) app = NULL;

  /* With G_MESSAGES_DEBUG=crossing the timestamps of this line and of
   * "qr drawn" give the time from launch to a code on screen. */
  g_debug ("launch");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = crossing_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
