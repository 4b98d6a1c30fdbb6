/* main.c: crossing, sign in on this desktop with your phone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "crossing-application.h"

/* Without a GPU, GL is Mesa's software rasterizer. On Xvfb, loading it and
 * GTK's GL renderer took 130 to 250 ms before the first frame and kept about
 * 130 MB resident (bench/client-qr.sh), to draw labels and one QR code that
 * cairo draws in a few milliseconds. So where no GPU device exists and the
 * user chose no renderer, GTK draws with cairo and does not load GL. */
static void
prefer_cairo_without_gpu (void)
{
  if (g_getenv ("GSK_RENDERER") != NULL || g_getenv ("GDK_DEBUG") != NULL ||
      g_getenv ("GDK_DISABLE") != NULL)
    return;
  if (g_file_test ("/dev/dri", G_FILE_TEST_IS_DIR) ||
      g_file_test ("/dev/nvidiactl", G_FILE_TEST_EXISTS))
    return;

  g_debug ("no GPU device: drawing with cairo");
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  /* Newer GTK reads GDK_DISABLE; older GTK knows only the GDK_DEBUG flag,
   * and newer ones may complain about it. */
  g_setenv ("GDK_DISABLE", "gl", FALSE);
  if (gtk_get_minor_version () < 14)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(CrossingApplication) app = NULL;

  /* With G_MESSAGES_DEBUG=crossing the timestamps of this line and of
   * "qr drawn" give the time from launch to a code on screen. */
  g_debug ("launch");
  prefer_cairo_without_gpu ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = crossing_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
