/* companion-serve.c: runs the server until SIGINT or SIGTERM
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion"

#include "config.h"

#include <string.h>

#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "companion-config.h"
#include "companion-serve.h"
#include "companion-server.h"
#include "companion-store.h"

/* How long open streams get to flush their last bytes at shutdown. */
#define DRAIN_MS 200

typedef struct {
  GMainLoop       *loop;
  CompanionServer *server;
  gboolean         stopping;
} ServeState;

static gboolean
on_drained (gpointer user_data)
{
  ServeState *state = user_data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  ServeState *state = user_data;

  if (state->stopping)
    return G_SOURCE_CONTINUE;

  state->stopping = TRUE;
  g_message ("Stopping");
  companion_server_stop_accepting (state->server);
  g_timeout_add (DRAIN_MS, on_drained, state);
  return G_SOURCE_CONTINUE;
}

/* Each open stream is a descriptor: take all the system lets us. */
static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Cannot raise the descriptor limit");
    }
}

int
companion_serve_lock (const char *db_path,
                      gboolean    exclusive)
{
  g_autofree char *path = NULL;
  int fd;

  if (db_path == NULL || g_str_equal (db_path, ":memory:") || strstr (db_path, "://") != NULL)
    return open ("/dev/null", O_RDONLY | O_CLOEXEC);

  path = g_strconcat (g_str_has_prefix (db_path, "sqlite:") ? db_path + 7 : db_path, ".lock",
                      NULL);
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (flock (fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

int
companion_serve_main (int    argc,
                      char **argv)
{
  g_autoptr(CompanionConfig) config = companion_config_new_default ();
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(CompanionServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  ServeState state = { 0, };
  guint sigint_id, sigterm_id;
  int serving_lock;

  if (!companion_config_parse (config, &argc, &argv, &error))
    {
      g_printerr ("crossing-companion serve: %s\n", error->message);
      return 2;
    }

  /* Held until exit: `crossing-companion ledger` goes through this server
   * while it runs. Several companions may share it; an operator's direct
   * write holds it only for a moment. */
  serving_lock = companion_serve_lock (config->db_path, FALSE);
  if (serving_lock < 0)
    g_message ("An operator's command is writing the database; serving anyway");

  store = companion_store_open (config->db_path, &error);
  if (store == NULL)
    {
      g_printerr ("crossing-companion serve: %s\n", error->message);
      return 1;
    }

  raise_file_limit ();

  server = companion_server_new (config, store);
  if (!companion_server_listen (server, &error))
    {
      g_printerr ("crossing-companion serve: cannot listen on %s:%u: %s\n", config->listen_host,
                  config->listen_port, error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;
  state.server = server;
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &state);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &state);

  g_print ("crossing-companion listening on %s\n", companion_server_get_url (server));
  if (g_strcmp0 (config->public_url, companion_server_get_url (server)) != 0)
    g_print ("crossing-companion public URL %s\n", config->public_url);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  companion_server_disconnect (server);
  g_clear_object (&server);
  g_clear_object (&store);
  if (serving_lock >= 0)
    close (serving_lock);
  return 0;
}
