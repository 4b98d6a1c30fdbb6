/* companion-test-pg.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <libpq-fe.h>

#include "companion-test-pg.h"

/* Only a Unix socket, so any port will do: it names the socket file. */
#define PORT "5432"
/* sun_path holds 108 bytes with its NUL. */
#define SOCKET_PATH_MAX 107

struct _CompanionTestPg
{
  char   *bindir;
  char   *dir;          /* the socket; data/ and log inside */
  char   *data;
  char   *log;
  char   *user;         /* who runs the server; NULL: this process's user */
  char   *uri;
  int     watchdog_fd;  /* closing it (or dying) stops the server */
  GPid    watchdog_pid;
  gint64  start_time;
  guint   n_databases;
};

static char *
find_bindir (GError **error)
{
  g_autofree char *out = NULL;
  g_autofree char *initdb = NULL;
  const char *argv[] = { "pg_config", "--bindir", NULL };
  int status = 0;

  if (!g_spawn_sync ("/", (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "PostgreSQL is not installed (no pg_config; scripts/deps.sh installs "
                           "postgresql and libpq-dev)");
      return NULL;
    }
  g_strstrip (out);
  initdb = g_build_filename (out, "initdb", NULL);
  if (!g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "PostgreSQL is not installed (no %s; scripts/deps.sh installs postgresql)",
                   initdb);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* initdb and pg_ctl refuse root: the first of these users that exists. */
static struct passwd *
find_user (GError **error)
{
  static const char *const candidates[] = { "postgres", "nobody" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      struct passwd *pw = getpwnam (candidates[i]);

      if (pw != NULL && pw->pw_uid != 0)
        return pw;
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "Running as root, and neither a postgres nor a nobody user exists to run "
                       "PostgreSQL as");
  return NULL;
}

/* argv to run @program from the server's bindir, as the server's user. */
static GStrv
command (CompanionTestPg *pg,
         const char      *program,
         ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *path = g_build_filename (pg->bindir, program, NULL);
  const char *arg;
  va_list args;

  if (pg->user != NULL)
    {
      g_strv_builder_add (builder, "runuser");
      g_strv_builder_add (builder, "-u");
      g_strv_builder_add (builder, pg->user);
      g_strv_builder_add (builder, "--");
    }
  g_strv_builder_add (builder, path);
  va_start (args, program);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (args);
  return g_strv_builder_end (builder);
}

static gboolean
run (GStrv    argv,
     GError **error)
{
  g_autofree char *out = NULL;
  int status = 0;

  /* From "/": the server's user may not be allowed into our directory. */
  if (!g_spawn_sync ("/", argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0],
                   out != NULL ? out : "");
      return FALSE;
    }
  return TRUE;
}

static void
new_session (gpointer user_data)
{
  setsid ();
}

/* The watchdog reads its stdin until the write end closes, which happens
 * when this process ends in any way, then stops the server. */
static gboolean
start_watchdog (CompanionTestPg *pg,
                GError         **error)
{
  g_auto(GStrv) stop = command (pg, "pg_ctl", "stop", "-D", pg->data, "-m", "immediate", "-w",
                                NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  int fds[2];

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;

  g_strv_builder_add_many (builder, "/bin/sh", "-c",
                           "dir=$1; shift; read -r _; \"$@\" >/dev/null 2>&1; rm -rf -- \"$dir\"",
                           "companion-test-pg-watchdog", pg->dir, NULL);
  g_strv_builder_addv (builder, (const char **) stop);
  argv = g_strv_builder_end (builder);

  if (!g_spawn_async_with_pipes_and_fds ("/", (const char *const *) argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                         G_SPAWN_STDERR_TO_DEV_NULL,
                                         new_session, NULL, fds[0], -1, -1, NULL, NULL, 0,
                                         &pg->watchdog_pid, NULL, NULL, NULL, error))
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  close (fds[0]);
  pg->watchdog_fd = fds[1];
  return TRUE;
}

static char *
make_dir (struct passwd *pw,
          GError       **error)
{
  g_autofree char *dir = g_dir_make_tmp ("crossing-pg-XXXXXX", error);

  if (dir == NULL)
    return NULL;
  if (strlen (dir) + strlen ("/.s.PGSQL." PORT ".lock") > SOCKET_PATH_MAX)
    {
      g_rmdir (dir);
      g_clear_pointer (&dir, g_free);
      dir = g_strdup ("/tmp/crossing-pg-XXXXXX");
      if (g_mkdtemp (dir) == NULL)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "Cannot make a directory in /tmp: %s", g_strerror (errno));
          return NULL;
        }
    }
  if (pw != NULL && chown (dir, pw->pw_uid, pw->pw_gid) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Cannot give %s to the user %s: %s", dir, pw->pw_name, g_strerror (errno));
      g_rmdir (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

CompanionTestPg *
companion_test_pg_start (GError **error)
{
  g_autofree char *bindir = NULL;
  g_autofree char *options = NULL;
  g_auto(GStrv) initdb = NULL;
  g_auto(GStrv) start = NULL;
  struct passwd *pw = NULL;
  CompanionTestPg *pg;
  gint64 begin = g_get_monotonic_time ();

  bindir = find_bindir (error);
  if (bindir == NULL)
    return NULL;
  if (geteuid () == 0 && (pw = find_user (error)) == NULL)
    return NULL;

  pg = g_new0 (CompanionTestPg, 1);
  pg->watchdog_fd = -1;
  pg->bindir = g_steal_pointer (&bindir);
  pg->user = pw != NULL ? g_strdup (pw->pw_name) : NULL;
  pg->dir = make_dir (pw, error);
  if (pg->dir == NULL)
    {
      companion_test_pg_stop (pg);
      return NULL;
    }
  pg->data = g_build_filename (pg->dir, "data", NULL);
  pg->log = g_build_filename (pg->dir, "log", NULL);

  if (!start_watchdog (pg, error))
    {
      companion_test_pg_stop (pg);
      return NULL;
    }

  initdb = command (pg, "initdb", "-D", pg->data, "-U", "postgres", "-A", "trust", "--no-sync",
                    "-E", "UTF8", "--locale=C", NULL);
  options = g_strdup_printf ("-k %s -c listen_addresses= -p " PORT " -c fsync=off", pg->dir);
  start = command (pg, "pg_ctl", "-D", pg->data, "-l", pg->log, "-w", "-o", options, "start", NULL);
  if (!run (initdb, error) || !run (start, error))
    {
      companion_test_pg_stop (pg);
      return NULL;
    }

  pg->start_time = g_get_monotonic_time () - begin;
  pg->uri = g_strdup_printf ("postgresql:///postgres?host=%s&port=" PORT "&user=postgres",
                             pg->dir);
  return pg;
}

void
companion_test_pg_stop (CompanionTestPg *pg)
{
  if (pg == NULL)
    return;

  if (pg->watchdog_fd >= 0)
    {
      int status;

      close (pg->watchdog_fd);
      while (waitpid (pg->watchdog_pid, &status, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (pg->watchdog_pid);
    }
  else if (pg->dir != NULL)
    g_rmdir (pg->dir);

  g_free (pg->bindir);
  g_free (pg->dir);
  g_free (pg->data);
  g_free (pg->log);
  g_free (pg->user);
  g_free (pg->uri);
  g_free (pg);
}

const char *
companion_test_pg_get_uri (CompanionTestPg *pg)
{
  return pg->uri;
}

const char *
companion_test_pg_get_socket_dir (CompanionTestPg *pg)
{
  return pg->dir;
}

const char *
companion_test_pg_get_port (CompanionTestPg *pg)
{
  return PORT;
}

gint64
companion_test_pg_get_start_time (CompanionTestPg *pg)
{
  return pg->start_time;
}

char *
companion_test_pg_create_database (CompanionTestPg *pg,
                                   GError         **error)
{
  g_autofree char *name = g_strdup_printf ("test_%u_%u", (guint) getpid (), ++pg->n_databases);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s STRATEGY FILE_COPY", name);
  PGconn *conn = PQconnectdb (pg->uri);
  PGresult *result = NULL;
  gboolean ok;

  ok = PQstatus (conn) == CONNECTION_OK &&
       PQresultStatus (result = PQexec (conn, sql)) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create a database: %s",
                 PQerrorMessage (conn));
  PQclear (result);
  PQfinish (conn);
  if (!ok)
    return NULL;
  return g_strdup_printf ("postgresql:///%s?host=%s&port=" PORT "&user=postgres", name, pg->dir);
}

static void
restarted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
companion_test_pg_restart_async (CompanionTestPg    *pg,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_auto(GStrv) argv = NULL;
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  GError *error = NULL;

  /* Nothing may go to a pipe of ours: the server outlives pg_ctl. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  argv = command (pg, "pg_ctl", "restart", "-D", pg->data, "-l", pg->log, "-m", "immediate", "-w",
                  NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  if (process == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_subprocess_wait_check_async (process, NULL, restarted, task);
}

gboolean
companion_test_pg_restart_finish (GAsyncResult *result,
                                  GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
