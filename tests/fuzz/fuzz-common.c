/* fuzz-common.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* GLib stops on a fatal message with SIGTRAP, which libFuzzer does not
 * catch: turn it into an abort, so the input is saved. */
static void
on_trap (int signum)
{
  abort ();
}

/* libsoup 3.2 takes a request's "Content-Length: -1" as is and GObject
 * warns when it builds the body stream: libsoup's to fix, not a finding
 * in the code under test. */
static gboolean
on_fatal_log (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
  return !(g_strcmp0 (log_domain, "GLib-GObject") == 0 &&
           strstr (message, "for property 'content-length'") != NULL);
}

void
fuzz_init_glib (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_test_log_set_fatal_handler (on_fatal_log, NULL);
  signal (SIGTRAP, on_trap);
}

char *
fuzz_strndup (const guint8 *data,
              gsize         size)
{
  char *copy = g_malloc (size + 1);

  memcpy (copy, data, size);
  copy[size] = '\0';
  return copy;
}
