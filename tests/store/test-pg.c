/* test-pg.c: the asynchronous libpq layer under the PostgreSQL store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Against a throwaway server (companion-test-pg.c) started once for the
 * binary; each test gets a database of its own. Only the main loop runs
 * here: a test waits by iterating it, never by blocking, except to set up
 * a database.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "companion-pg-connection.h"
#include "companion-pg-migrations.h"
#include "companion-pg-orders.h"
#include "companion-pg-pool.h"
#include "companion-pg-transition.h"
#include "companion-pg-user-codes.h"

#include "companion-test-pg.h"

static CompanionTestPg *server;
static char *skip_reason;

static gboolean
timed_out (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until @check (@data) or @timeout_ms. */
static gboolean
wait_until (gboolean (*check) (gpointer data),
            gpointer   data,
            guint      timeout_ms)
{
  gboolean late = FALSE;
  guint timeout = g_timeout_add (timeout_ms, timed_out, &late);

  while (!check (data) && !late)
    g_main_context_iteration (NULL, TRUE);
  if (!late)
    g_source_remove (timeout);
  return check (data);
}

static gboolean
is_true (gpointer data)
{
  return *(const gboolean *) data;
}

static void
run_until (const gboolean *done,
           guint           timeout_ms)
{
  g_assert_true (wait_until (is_true, (gpointer) done, timeout_ms));
}

static gboolean
is_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Drops the last reference of @object, which may only go once the
 * callbacks it waits for have run. */
static void
unref_and_wait (gpointer object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  g_assert_true (wait_until (is_gone, &weak, 5000));
}

static gboolean
need_server (void)
{
  if (server != NULL)
    return TRUE;
  g_test_skip (skip_reason);
  return FALSE;
}

static char *
new_database (void)
{
  g_autoptr(GError) error = NULL;
  char *uri = companion_test_pg_create_database (server, &error);

  g_assert_no_error (error);
  return uri;
}

/* ---- waiting for one result ---- */

typedef struct {
  gboolean   done;
  GPtrArray *results;
  GError    *error;
  gint64     finished_at;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->results, g_ptr_array_unref);
  g_clear_error (&o->error);
  o->done = FALSE;
}

static void
connection_executed (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Outcome *o = user_data;

  o->results = companion_pg_connection_execute_finish (COMPANION_PG_CONNECTION (source), result,
                                                       &o->error);
  o->finished_at = g_get_monotonic_time ();
  o->done = TRUE;
}

static void
pool_executed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Outcome *o = user_data;

  o->results = companion_pg_pool_execute_finish (COMPANION_PG_POOL (source), result, &o->error);
  o->finished_at = g_get_monotonic_time ();
  o->done = TRUE;
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *o = user_data;

  companion_pg_connection_connect_finish (COMPANION_PG_CONNECTION (source), result, &o->error);
  o->done = TRUE;
}

static void
started (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Outcome *o = user_data;

  companion_pg_pool_start_finish (COMPANION_PG_POOL (source), result, &o->error);
  o->done = TRUE;
}

static CompanionPgConnection *
connect_to (const char *uri)
{
  CompanionPgConnection *conn = companion_pg_connection_new (uri);
  Outcome o = { 0 };

  companion_pg_connection_connect_async (conn, NULL, connected, &o);
  run_until (&o.done, 10000);
  g_assert_no_error (o.error);
  g_assert_true (companion_pg_connection_is_ready (conn));
  return conn;
}

static CompanionPgPool *
start_pool (const char *uri,
            guint       size,
            const char *channel)
{
  g_autoptr(GError) error = NULL;
  CompanionPgPool *pool = companion_pg_pool_new (uri, size, &error);
  Outcome o = { 0 };

  g_assert_no_error (error);
  companion_pg_pool_set_backoff (pool, 20, 200);
  if (channel != NULL)
    companion_pg_pool_listen (pool, channel);
  companion_pg_pool_start_async (pool, NULL, started, &o);
  run_until (&o.done, 10000);
  g_assert_no_error (o.error);
  g_assert_true (companion_pg_pool_get_available (pool));
  return pool;
}

static CompanionPgRequest *
request_of (const char *sql,
            const char *param)
{
  CompanionPgRequest *request = companion_pg_request_new ();
  const char *params[] = { param };

  companion_pg_request_add (request, sql, param != NULL ? 1 : 0, params);
  return request;
}

/* Runs @request on @pool and returns the first statement's results. */
static GPtrArray *
pool_run (CompanionPgPool    *pool,
          CompanionPgRequest *request,
          GError            **error)
{
  Outcome o = { 0 };

  companion_pg_pool_execute_async (pool, request, NULL, pool_executed, &o);
  run_until (&o.done, 10000);
  if (o.error != NULL)
    g_propagate_error (error, o.error);
  return o.results;
}

static gint64
pool_value (CompanionPgPool *pool,
            const char      *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = pool_run (pool, request_of (sql, NULL), &error);

  g_assert_no_error (error);
  return companion_pg_result_get_int64 (g_ptr_array_index (results, 0), 0, 0);
}

/* ---- connection strings ---- */

static void
test_redact (void)
{
  static const struct {
    const char *conninfo;
    const char *display;
  } cases[] = {
    { "postgresql://alice:s3cr%40t@db.example:6543/crossing?sslmode=require",
      "postgresql://alice@db.example:6543/crossing" },
    { "postgresql://alice@db.example/crossing?password=s3cr%40t",
      "postgresql://alice@db.example/crossing" },
    { "host=db.example user=alice password='s3cr@t' dbname=crossing",
      "postgresql://alice@db.example/crossing" },
    { "postgresql:///crossing?host=/run/postgresql&user=alice&password=s3cr%40t",
      "postgresql://alice@/run/postgresql/crossing" },
  };

  g_unsetenv ("PGUSER");
  g_unsetenv ("PGHOST");
  g_unsetenv ("PGHOSTADDR");
  g_unsetenv ("PGPORT");
  g_unsetenv ("PGDATABASE");
  g_unsetenv ("PGPASSWORD");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *display = companion_pg_conninfo_redact (cases[i].conninfo);
      g_autofree char *message = g_strdup_printf ("auth for s3cr@t (s3cr%%40t) failed");
      g_autofree char *scrubbed = companion_pg_scrub_password (message, cases[i].conninfo);

      g_assert_cmpstr (display, ==, cases[i].display);
      g_assert_null (companion_pg_conninfo_check (cases[i].conninfo));
      g_assert_cmpstr (scrubbed, ==, "auth for *** (***) failed");
    }

  /* Unparseable: neither the check nor the display repeats any of it. */
  {
    const char *bad = "postgresql://alice:s3cr3t@db.example:notaport/x?nonsense=1";
    g_autofree char *problem = companion_pg_conninfo_check (bad);
    g_autofree char *display = companion_pg_conninfo_redact (bad);
    g_autoptr(GError) error = NULL;
    CompanionPgPool *pool = companion_pg_pool_new (bad, 1, &error);

    g_assert_nonnull (problem);
    g_assert_null (strstr (problem, "s3cr3t"));
    g_assert_null (strstr (display, "s3cr3t"));
    g_assert_null (pool);
    g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED);
    g_assert_null (strstr (error->message, "s3cr3t"));
  }

  /* So does the TLS key's. */
  {
    g_autofree char *scrubbed =
      companion_pg_scrub_password ("key k3y-pa55 refused",
                                   "postgresql://h/d?sslkey=/k.pem&sslpassword=k3y-pa55");
    g_autofree char *display =
      companion_pg_conninfo_redact ("postgresql://h/d?sslkey=/k.pem&sslpassword=k3y-pa55");

    g_assert_cmpstr (scrubbed, ==, "key *** refused");
    g_assert_cmpstr (display, ==, "postgresql://h/d");
  }

  /* The password of the environment counts too. */
  {
    g_autofree char *scrubbed = NULL;

    g_setenv ("PGPASSWORD", "hunter22", TRUE);
    scrubbed = companion_pg_scrub_password ("hunter22 rejected", "dbname=x");
    g_assert_cmpstr (scrubbed, ==, "*** rejected");
    g_unsetenv ("PGPASSWORD");
  }
}

/* A server that is not there: the error says so, without the password. */
static void
test_unreachable (void)
{
  g_autofree char *dir = g_dir_make_tmp ("crossing-nopg-XXXXXX", NULL);
  g_autofree char *uri = g_strdup_printf ("postgresql://alice:pa55word@/x?host=%s&port=1", dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgPool *pool = companion_pg_pool_new (uri, 1, &error);
  Outcome o = { 0 };
  gint64 begin;

  g_assert_no_error (error);
  companion_pg_pool_set_backoff (pool, 20, 160);
  g_assert_null (strstr (companion_pg_pool_get_display_name (pool), "pa55word"));
  companion_pg_pool_start_async (pool, NULL, started, &o);
  run_until (&o.done, 5000);
  g_assert_error (o.error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (o.error->message, dir));
  g_assert_null (strstr (o.error->message, "pa55word"));
  g_assert_false (companion_pg_pool_get_available (pool));
  outcome_clear (&o);

  /* While it is down a request fails at once, it does not wait. */
  begin = g_get_monotonic_time ();
  results = pool_run (pool, request_of ("SELECT 1", NULL), &error);
  g_assert_null (results);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  g_assert_cmpint (g_get_monotonic_time () - begin, <, G_USEC_PER_SEC / 10);

  /* It keeps trying, less and less often: waits of 10-20, 20-40, 40-80,
   * 80-160, then 80-160 ms each, some 14 attempts in 1.5 s; without the
   * doubling there would be about 100. */
  {
    gboolean never = FALSE;
    guint64 before = companion_pg_pool_get_n_attempts (pool);
    guint64 attempts;

    wait_until (is_true, &never, 1500);
    attempts = companion_pg_pool_get_n_attempts (pool) - before;
    g_test_message ("%" G_GUINT64_FORMAT " attempts in 1.5 s", attempts);
    g_assert_cmpuint (attempts, >=, 5);
    g_assert_cmpuint (attempts, <=, 30);
  }

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
  g_rmdir (dir);
}

/* A host name is looked up off the main loop, then given to libpq as
 * hostaddr (nothing listens on port 1). */
static void
test_host_name (void)
{
  CompanionPgConnection *conn = companion_pg_connection_new ("postgresql://localhost:1/x");
  Outcome o = { 0 };

  companion_pg_connection_connect_async (conn, NULL, connected, &o);
  run_until (&o.done, 10000);
  g_assert_error (o.error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  /* libpq names the address it was given ("at \"::1\""); had it looked
   * the name up itself, it would say "at \"localhost\" (::1)". */
  g_assert_null (strstr (o.error->message, "\"localhost\""));
  g_assert_true (strstr (o.error->message, "\"127.0.0.1\"") != NULL ||
                 strstr (o.error->message, "\"::1\"") != NULL);
  g_assert_false (companion_pg_connection_is_ready (conn));
  outcome_clear (&o);
  unref_and_wait (conn);
}

/* ---- one connection ---- */

static const CompanionPgStatement echo_statement = {
  "test_echo", "SELECT $1::text, $2::integer + 1",
};

static void
test_query (void)
{
  g_autofree char *uri = NULL;
  CompanionPgConnection *conn;
  CompanionPgRequest *request;
  const char *first[] = { "hello", "41" };
  const char *second[] = { NULL, "1" };
  const PGresult *r;
  Outcome o = { 0 };

  if (!need_server ())
    return;
  uri = new_database ();
  conn = connect_to (uri);

  /* Prepared once on this connection, then used again in one request;
   * NULL is SQL NULL. */
  request = companion_pg_request_new ();
  companion_pg_request_add_prepared (request, &echo_statement, 2, first);
  companion_pg_request_add_prepared (request, &echo_statement, 2, second);
  companion_pg_request_add (request,
                            "SELECT count (*) FROM pg_prepared_statements WHERE name = 'test_echo'",
                            0, NULL);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o);
  /* The prepare goes first, in a pipeline segment of its own. */
  g_assert_cmpuint (companion_pg_connection_get_n_pending (conn), ==, 2);
  run_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_cmpuint (o.results->len, ==, 3);
  r = g_ptr_array_index (o.results, 0);
  g_assert_cmpint (PQresultStatus (r), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (r, 0, 0), ==, "hello");
  g_assert_cmpint (companion_pg_result_get_int64 (r, 0, 1), ==, 42);
  r = g_ptr_array_index (o.results, 1);
  g_assert_null (companion_pg_result_dup_text (r, 0, 0));
  g_assert_cmpint (companion_pg_result_get_int64 (r, 0, 1), ==, 2);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o.results, 2), 0, 0), ==, 1);
  outcome_clear (&o);

  /* The next request finds it prepared. */
  request = companion_pg_request_new ();
  companion_pg_request_add_prepared (request, &echo_statement, 2, first);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o);
  run_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o.results, 0), 0, 1), ==, 42);
  outcome_clear (&o);

  companion_pg_connection_close (conn);
  g_assert_false (companion_pg_connection_is_ready (conn));
  unref_and_wait (conn);
}

/* An empty connection string takes everything from the PG* environment,
 * as libpq does. */
static void
test_environment (void)
{
  CompanionPgConnection *conn;
  Outcome o = { 0 };

  if (!need_server ())
    return;

  g_setenv ("PGHOST", companion_test_pg_get_socket_dir (server), TRUE);
  g_setenv ("PGPORT", companion_test_pg_get_port (server), TRUE);
  g_setenv ("PGUSER", "postgres", TRUE);
  g_setenv ("PGDATABASE", "template1", TRUE);
  conn = connect_to ("");
  g_unsetenv ("PGHOST");
  g_unsetenv ("PGPORT");
  g_unsetenv ("PGUSER");
  g_unsetenv ("PGDATABASE");

  companion_pg_connection_execute_async (conn, request_of ("SELECT current_database ()", NULL),
                                         NULL, connection_executed, &o);
  run_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_cmpstr (PQgetvalue (g_ptr_array_index (o.results, 0), 0, 0), ==, "template1");
  outcome_clear (&o);

  companion_pg_connection_close (conn);
  unref_and_wait (conn);
}

/* Three requests in one pipeline: the middle one fails, the others do
 * not notice; a failed request rolls back all it did. */
static void
test_pipeline_failure (void)
{
  g_autofree char *uri = NULL;
  CompanionPgConnection *conn;
  CompanionPgRequest *request;
  Outcome o[5] = { 0 };
  const char *one[] = { "1" };

  if (!need_server ())
    return;
  uri = new_database ();
  conn = connect_to (uri);

  request = companion_pg_request_new ();
  companion_pg_request_add (request, "CREATE TABLE t (id INTEGER PRIMARY KEY)", 0, NULL);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[0]);
  /* Fails on its second statement: the first is rolled back. */
  request = companion_pg_request_new ();
  companion_pg_request_add (request, "INSERT INTO t VALUES ($1::integer)", 1, one);
  companion_pg_request_add (request, "SELECT 1 / 0", 0, NULL);
  companion_pg_request_add (request, "SELECT 2", 0, NULL);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[1]);
  /* Starts clean. */
  companion_pg_connection_execute_async (conn, request_of ("SELECT count (*) FROM t", NULL), NULL,
                                         connection_executed, &o[2]);
  /* A unique key twice: CONFLICT. */
  request = companion_pg_request_new ();
  companion_pg_request_add (request, "INSERT INTO t VALUES ($1::integer)", 1, one);
  companion_pg_request_add (request, "INSERT INTO t VALUES ($1::integer)", 1, one);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[3]);
  companion_pg_connection_execute_async (conn, request_of ("SELECT $1::integer * 2", "21"), NULL,
                                         connection_executed, &o[4]);
  g_assert_cmpuint (companion_pg_connection_get_n_pending (conn), ==, 5);

  run_until (&o[4].done, 5000);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    g_assert_true (o[i].done);
  g_assert_no_error (o[0].error);
  g_assert_error (o[1].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (o[1].error->message, "22012"));
  g_assert_null (o[1].results);
  g_assert_no_error (o[2].error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o[2].results, 0), 0, 0),
                   ==, 0);
  g_assert_error (o[3].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_assert_no_error (o[4].error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o[4].results, 0), 0, 0),
                   ==, 42);
  /* In the order sent. */
  for (guint i = 1; i < G_N_ELEMENTS (o); i++)
    g_assert_cmpint (o[i - 1].finished_at, <=, o[i].finished_at);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    outcome_clear (&o[i]);

  /* A prepared statement the server refuses fails its request, and only
   * that one. */
  {
    static const CompanionPgStatement bad = { "test_bad", "SELEC 1" };

    request = companion_pg_request_new ();
    companion_pg_request_add_prepared (request, &bad, 0, NULL);
    companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[0]);
    companion_pg_connection_execute_async (conn, request_of ("SELECT 3", NULL), NULL,
                                           connection_executed, &o[1]);
    run_until (&o[1].done, 5000);
    g_assert_error (o[0].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED);
    g_assert_nonnull (strstr (o[0].error->message, "26000"));
    g_assert_no_error (o[1].error);
    outcome_clear (&o[0]);
    outcome_clear (&o[1]);
  }

  /* BEGIN … COMMIT: one that fails leaves no aborted transaction behind
   * for the request after it; one that succeeds commits. */
  request = companion_pg_request_new_transaction (COMPANION_PG_SERIALIZABLE);
  companion_pg_request_add (request, "INSERT INTO t VALUES ($1::integer)", 1, one);
  companion_pg_request_add (request, "SELECT 1 / 0", 0, NULL);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[0]);
  companion_pg_connection_execute_async (conn, request_of ("SELECT count (*) FROM t", NULL), NULL,
                                         connection_executed, &o[1]);
  request = companion_pg_request_new_transaction (COMPANION_PG_READ_COMMITTED);
  companion_pg_request_add (request, "INSERT INTO t VALUES ($1::integer)", 1, one);
  companion_pg_request_add (request, "SELECT current_setting ('transaction_isolation')", 0, NULL);
  companion_pg_connection_execute_async (conn, request, NULL, connection_executed, &o[2]);
  companion_pg_connection_execute_async (conn, request_of ("SELECT count (*) FROM t", NULL), NULL,
                                         connection_executed, &o[3]);
  run_until (&o[3].done, 5000);
  g_assert_error (o[0].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (o[0].error->message, "22012"));
  g_assert_no_error (o[1].error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o[1].results, 0), 0, 0),
                   ==, 0);
  g_assert_no_error (o[2].error);
  g_assert_cmpuint (o[2].results->len, ==, 2);
  g_assert_cmpstr (PQgetvalue (g_ptr_array_index (o[2].results, 1), 0, 0), ==, "read committed");
  g_assert_no_error (o[3].error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (o[3].results, 0), 0, 0),
                   ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    outcome_clear (&o[i]);

  companion_pg_connection_close (conn);
  unref_and_wait (conn);
}

static void
test_cancel (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) queued_cancellable = g_cancellable_new ();
  CompanionPgConnection *conn;
  CompanionPgPool *pool;
  Outcome slow = { 0 }, next = { 0 }, queued = { 0 };
  gint64 begin;

  if (!need_server ())
    return;
  uri = new_database ();

  /* In flight: the caller hears at once; the connection drops the late
   * result and answers the next request with its own. */
  conn = connect_to (uri);
  companion_pg_connection_execute_async (conn, request_of ("SELECT 7, pg_sleep (0.6)", NULL),
                                         cancellable, connection_executed, &slow);
  companion_pg_connection_execute_async (conn, request_of ("SELECT 8", NULL), NULL,
                                         connection_executed, &next);
  g_main_context_iteration (NULL, FALSE);
  begin = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  run_until (&slow.done, 5000);
  g_assert_error (slow.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Not when the 0.6 s are over. */
  g_assert_cmpint (slow.finished_at - begin, <, 3 * G_USEC_PER_SEC / 10);
  g_assert_false (next.done);
  run_until (&next.done, 5000);
  g_assert_no_error (next.error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (next.results, 0), 0, 0),
                   ==, 8);
  outcome_clear (&slow);
  outcome_clear (&next);
  companion_pg_connection_close (conn);
  unref_and_wait (conn);

  /* Waiting in the pool's queue: it leaves the queue, and is never run. */
  pool = start_pool (uri, 1, NULL);
  companion_pg_pool_set_pipeline_depth (pool, 1);
  g_clear_object (&cancellable);
  companion_pg_pool_execute_async (pool, request_of ("SELECT 7, pg_sleep (0.2)", NULL), NULL,
                                   pool_executed, &slow);
  companion_pg_pool_execute_async (pool, request_of ("CREATE TABLE never (x INTEGER)", NULL),
                                   queued_cancellable, pool_executed, &queued);
  g_assert_cmpuint (companion_pg_pool_get_n_waiting (pool), ==, 1);
  g_cancellable_cancel (queued_cancellable);
  run_until (&queued.done, 1000);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (companion_pg_pool_get_n_waiting (pool), ==, 0);
  run_until (&slow.done, 5000);
  g_assert_no_error (slow.error);
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM pg_tables WHERE tablename = 'never'"),
                   ==, 0);
  outcome_clear (&slow);
  outcome_clear (&queued);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

/* ---- the pool ---- */

#define N_CONCURRENT 64

static void
test_pool_concurrent (void)
{
  static const CompanionPgStatement backend = {
    "test_backend", "SELECT $1::integer, pg_backend_pid (), pg_sleep (0.01)",
  };
  g_autofree char *uri = NULL;
  g_autoptr(GHashTable) pids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Outcome o[N_CONCURRENT] = { 0 };
  CompanionPgPool *pool;
  gint64 begin;

  if (!need_server ())
    return;
  uri = new_database ();
  pool = start_pool (uri, 4, NULL);

  begin = g_get_monotonic_time ();
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      CompanionPgRequest *request = companion_pg_request_new ();
      g_autofree char *value = g_strdup_printf ("%u", i);
      const char *params[] = { value };

      companion_pg_request_add_prepared (request, &backend, 1, params);
      companion_pg_pool_execute_async (pool, request, NULL, pool_executed, &o[i]);
    }
  /* Four connections, four in flight on each: the rest wait. */
  g_assert_cmpuint (companion_pg_pool_get_n_waiting (pool), <=, N_CONCURRENT);

  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      const PGresult *r;

      run_until (&o[i].done, 10000);
      g_assert_no_error (o[i].error);
      r = g_ptr_array_index (o[i].results, 0);
      g_assert_cmpint (companion_pg_result_get_int64 (r, 0, 0), ==, i);
      g_hash_table_add (pids, companion_pg_result_dup_text (r, 0, 1));
      outcome_clear (&o[i]);
    }
  g_test_message ("%d requests on 4 connections: %" G_GINT64_FORMAT " ms", N_CONCURRENT,
                  (g_get_monotonic_time () - begin) / 1000);
  g_assert_cmpuint (g_hash_table_size (pids), ==, 4);
  g_assert_cmpuint (companion_pg_pool_get_n_waiting (pool), ==, 0);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

typedef struct {
  GPtrArray       *payloads;
  guint            reconnected;
  CompanionPgPool *pool;
  guint            expected;
} Listener;

static gboolean
has_expected_payloads (gpointer data)
{
  Listener *l = data;

  return l->payloads->len >= l->expected;
}

static gboolean
is_back (gpointer data)
{
  Listener *l = data;

  return l->reconnected > 0 && companion_pg_pool_get_available (l->pool);
}

static void
on_notification (CompanionPgPool *pool,
                 const char      *channel,
                 const char      *payload,
                 gpointer         user_data)
{
  Listener *l = user_data;

  g_assert_cmpstr (channel, ==, COMPANION_PG_EVENTS_CHANNEL);
  g_ptr_array_add (l->payloads, g_strdup (payload));
}

static void
on_reconnected (CompanionPgPool *pool,
                gpointer         user_data)
{
  Listener *l = user_data;

  l->reconnected++;
}

static void
listener_init (Listener        *l,
               CompanionPgPool *pool)
{
  l->payloads = g_ptr_array_new_with_free_func (g_free);
  l->reconnected = 0;
  g_signal_connect (pool, "notification", G_CALLBACK (on_notification), l);
  g_signal_connect (pool, "reconnected", G_CALLBACK (on_reconnected), l);
}

static gboolean
is_listening (gpointer data)
{
  return companion_pg_pool_get_listening (data);
}

static void
wait_listening (CompanionPgPool *pool)
{
  g_assert_true (wait_until (is_listening, pool, 5000));
}

static void
notify (CompanionPgPool *pool,
        const char      *payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results =
    pool_run (pool, request_of ("SELECT pg_notify ('" COMPANION_PG_EVENTS_CHANNEL "', $1::text)",
                                payload), &error);

  g_assert_no_error (error);
  g_assert_nonnull (results);
}

static gboolean
has_one_payload (gpointer data)
{
  Listener *l = data;

  return l->payloads->len >= 1;
}

/* Waits for a notification, and a little longer for any other. */
static void
wait_payload (Listener *l)
{
  gboolean never = FALSE;

  g_assert_true (wait_until (has_one_payload, l, 5000));
  wait_until (is_true, &never, 100);
}

static void
test_listen (void)
{
  g_autofree char *uri = NULL;
  CompanionPgPool *pool, *other;
  Listener l;

  if (!need_server ())
    return;
  uri = new_database ();
  pool = start_pool (uri, 1, COMPANION_PG_EVENTS_CHANNEL);
  listener_init (&l, pool);
  wait_listening (pool);

  /* From this pool and from another (another companion). */
  other = start_pool (uri, 1, NULL);
  notify (pool, "one");
  wait_payload (&l);
  notify (other, "two");
  wait_payload (&l);
  g_assert_cmpuint (l.payloads->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (l.payloads, 0), ==, "one");
  g_assert_cmpstr (g_ptr_array_index (l.payloads, 1), ==, "two");
  g_assert_cmpuint (l.reconnected, ==, 0);

  companion_pg_pool_close (other);
  unref_and_wait (other);
  companion_pg_pool_close (pool);
  unref_and_wait (pool);
  g_ptr_array_unref (l.payloads);
}

static void
restarted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *o = user_data;

  companion_test_pg_restart_finish (result, &o->error);
  o->done = TRUE;
}

static void
on_available (CompanionPgPool *pool,
              GParamSpec      *pspec,
              gpointer         user_data)
{
  Outcome *o = user_data;

  /* The moment it goes: a request then fails at once, it does not wait. */
  if (!companion_pg_pool_get_available (pool) && !o->done)
    companion_pg_pool_execute_async (pool, request_of ("SELECT 1", NULL), NULL, pool_executed, o);
}

static void
test_restart (void)
{
  g_autofree char *uri = NULL;
  CompanionPgPool *pool;
  Outcome restart = { 0 }, during = { 0 };
  Listener l;
  gint64 begin;
  gulong handler;

  if (!need_server ())
    return;
  uri = new_database ();
  pool = start_pool (uri, 2, COMPANION_PG_EVENTS_CHANNEL);
  listener_init (&l, pool);
  wait_listening (pool);
  g_assert_cmpint (pool_value (pool, "SELECT 1"), ==, 1);

  handler = g_signal_connect (pool, "notify::available", G_CALLBACK (on_available), &during);
  begin = g_get_monotonic_time ();
  companion_test_pg_restart_async (server, restarted, &restart);
  run_until (&during.done, 10000);
  g_assert_error (during.error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  g_signal_handler_disconnect (pool, handler);

  run_until (&restart.done, 20000);
  g_assert_no_error (restart.error);
  g_test_message ("pg_ctl restart -m immediate: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - begin) / 1000);

  /* Back: the LISTEN connection says so once it has subscribed again,
   * and requests run. */
  l.pool = pool;
  g_assert_true (wait_until (is_back, &l, 10000));
  g_assert_cmpuint (l.reconnected, ==, 1);
  g_test_message ("requests and LISTEN back %" G_GINT64_FORMAT " ms after the restart began",
                  (g_get_monotonic_time () - begin) / 1000);
  g_assert_cmpint (pool_value (pool, "SELECT 2"), ==, 2);
  notify (pool, "after");
  wait_payload (&l);
  g_assert_cmpuint (l.payloads->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (l.payloads, 0), ==, "after");
  outcome_clear (&during);
  outcome_clear (&restart);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
  g_ptr_array_unref (l.payloads);
}

/* A server that stops answering (here: its processes for this pool,
 * stopped) does not hold requests: they fail UNAVAILABLE after the timeout,
 * and the pool, the LISTEN connection too, connects again. */
static void
test_silent_server (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgPool *pool;
  pid_t pids[2];
  Listener l;
  gint64 begin;

  if (!need_server ())
    return;
  uri = new_database ();
  pool = companion_pg_pool_new (uri, 1, &error);
  g_assert_no_error (error);
  companion_pg_pool_set_backoff (pool, 20, 200);
  companion_pg_pool_set_timeout (pool, 300);
  companion_pg_pool_listen (pool, COMPANION_PG_EVENTS_CHANNEL);
  {
    Outcome o = { 0 };

    companion_pg_pool_start_async (pool, NULL, started, &o);
    run_until (&o.done, 10000);
    g_assert_no_error (o.error);
  }
  listener_init (&l, pool);
  wait_listening (pool);

  pids[0] = pool_value (pool, "SELECT pg_backend_pid ()");
  pids[1] = pool_value (pool, "SELECT pid FROM pg_stat_activity WHERE datname = current_database ()"
                        " AND pid <> pg_backend_pid ()");
  g_assert_cmpint (pids[1], >, 0);
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    g_assert_cmpint (kill (pids[i], SIGSTOP), ==, 0);

  begin = g_get_monotonic_time ();
  results = pool_run (pool, request_of ("SELECT 1", NULL), &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "no answer in 300 ms"));
  g_assert_cmpint (g_get_monotonic_time () - begin, <, 3 * G_USEC_PER_SEC);
  g_clear_error (&error);

  l.pool = pool;
  g_assert_true (wait_until (is_back, &l, 10000));
  g_test_message ("requests and LISTEN back %" G_GINT64_FORMAT " ms after the server went silent",
                  (g_get_monotonic_time () - begin) / 1000);
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    g_assert_cmpint (kill (pids[i], SIGCONT), ==, 0);

  g_assert_cmpint (pool_value (pool, "SELECT 2"), ==, 2);
  notify (pool, "still here");
  wait_payload (&l);
  g_assert_cmpstr (g_ptr_array_index (l.payloads, 0), ==, "still here");

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
  g_ptr_array_unref (l.payloads);
}

/* ---- schema ---- */

typedef struct {
  gboolean done;
  gboolean ok;
  guint    applied;
  GError  *error;
} Migrated;

static void
migrated (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Migrated *m = user_data;

  m->ok = companion_pg_migrate_finish (result, &m->applied, &m->error);
  m->done = TRUE;
}

static guint
n_steps (void)
{
  guint n = 0;

  for (gsize f = 0; f < companion_pg_n_migrations; f++)
    n += companion_pg_migrations[f].n_steps;
  return n;
}

static void
migrate (const char *uri)
{
  Migrated m = { 0 };

  companion_pg_migrate_async (uri, NULL, migrated, &m);
  run_until (&m.done, 10000);
  g_assert_no_error (m.error);
}

static void
test_migrations (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  Migrated a = { 0 }, b = { 0 }, again = { 0 }, newer = { 0 };
  CompanionPgPool *pool;

  if (!need_server ())
    return;
  uri = new_database ();

  /* Two companions starting together: one applies, the other waits for
   * the lock and finds nothing to do. */
  companion_pg_migrate_async (uri, NULL, migrated, &a);
  companion_pg_migrate_async (uri, NULL, migrated, &b);
  run_until (&a.done, 10000);
  run_until (&b.done, 10000);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);
  g_assert_cmpuint (a.applied + b.applied, ==, n_steps ());
  g_assert_true (a.applied == 0 || b.applied == 0);

  pool = start_pool (uri, 1, NULL);
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM schema_migrations"), ==, n_steps ());
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM pg_tables WHERE tablename IN"
                               " ('orders', 'order_events', 'users', 'sessions', 'nimiq_nonces',"
                               " 'user_code_misses', 'passkeys', 'webauthn_proofs',"
                               " 'ledger_balances', 'ledger_entries', 'ledger_holds',"
                               " 'ledger_idempotency_keys')"),
                   ==, 12);
  /* Nobody holds the lock any more. */
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM pg_locks WHERE locktype = 'advisory'"),
                   ==, 0);

  companion_pg_migrate_async (uri, NULL, migrated, &again);
  run_until (&again.done, 10000);
  g_assert_no_error (again.error);
  g_assert_cmpuint (again.applied, ==, 0);

  /* A database a newer companion migrated: refused. */
  results = pool_run (pool, request_of ("INSERT INTO schema_migrations VALUES ('core', 99, 0)",
                                        NULL), &error);
  g_assert_no_error (error);
  companion_pg_migrate_async (uri, NULL, migrated, &newer);
  run_until (&newer.done, 10000);
  g_assert_error (newer.error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED);
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM pg_locks WHERE locktype = 'advisory'"),
                   ==, 0);
  g_clear_error (&newer.error);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

/* ---- the compare-and-set ---- */

static void
insert_order (CompanionPgPool *pool,
              const char      *id,
              const char      *expires_at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgRequest *request = companion_pg_request_new ();
  const char *params[] = { id, expires_at };

  companion_pg_request_add (request,
                            "INSERT INTO orders (id, kind, adapter, status, claim_token_hash,"
                            " desktop_token_hash, event_token_hash, origin, title, summary,"
                            " app_name, challenge_id, nonce, message, created_at, issued_at,"
                            " expires_at) VALUES ($1::text, 0, 0, 0, 'c', 'd', 'e',"
                            " 'https://example.test', 't', 's', 'a', 'ch', 'n', 'm', 1, 1,"
                            " $2::bigint)", 2, params);
  results = pool_run (pool, request, &error);
  g_assert_no_error (error);
}

typedef struct {
  gboolean done;
  gboolean won;
  gint64   seq;
  GError  *error;
} Transitioned;

static void
transitioned (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Transitioned *t = user_data;

  t->won = companion_pg_transition_finish (COMPANION_PG_POOL (source), result, &t->seq,
                                           &t->error);
  t->done = TRUE;
}

#define N_RACERS 20

static void
test_transition_race (void)
{
  g_autofree char *uri = NULL;
  CompanionPgPool *pools[2], *watcher;
  Transitioned t[N_RACERS] = { 0 };
  CompanionOrderChange approve = {
    .to = CROSSING_STATUS_APPROVED,
    .subject = "nimiq:NQ00",
    .approved_at = 1234,
  };
  guint winners = 0, conflicts = 0;
  g_autofree char *order_id = NULL;
  gint64 seq = 0;
  Listener l;

  if (!need_server ())
    return;
  uri = new_database ();
  migrate (uri);
  /* Two companions racing, a third listening. */
  pools[0] = start_pool (uri, 4, NULL);
  pools[1] = start_pool (uri, 4, NULL);
  watcher = start_pool (uri, 1, COMPANION_PG_EVENTS_CHANNEL);
  listener_init (&l, watcher);
  wait_listening (watcher);
  insert_order (pools[0], "order-1", "9999999999999");

  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autofree char *data = g_strdup_printf ("{\"racer\":%u}", i);

      companion_pg_transition_async (pools[i % 2], "order-1",
                                     COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED) |
                                     COMPANION_STATUS_BIT (CROSSING_STATUS_CLAIMED),
                                     &approve, NULL, FALSE, data, NULL, transitioned, &t[i]);
    }
  for (guint i = 0; i < N_RACERS; i++)
    {
      run_until (&t[i].done, 10000);
      if (t[i].won)
        {
          winners++;
          g_assert_cmpint (t[i].seq, ==, 1);
        }
      else
        {
          g_assert_error (t[i].error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
          conflicts++;
          g_clear_error (&t[i].error);
        }
    }
  g_assert_cmpuint (winners, ==, 1);
  g_assert_cmpuint (conflicts, ==, N_RACERS - 1);
  g_assert_cmpint (pool_value (pools[1], "SELECT count (*) FROM order_events"), ==, 1);
  g_assert_cmpint (pool_value (pools[1], "SELECT status FROM orders WHERE id = 'order-1'"),
                   ==, CROSSING_STATUS_APPROVED);
  g_assert_cmpint (pool_value (pools[1], "SELECT approved_at FROM orders WHERE id = 'order-1'"),
                   ==, 1234);

  /* One notification, naming the order and the sequence only. */
  wait_payload (&l);
  g_assert_cmpuint (l.payloads->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (l.payloads, 0), ==, "order-1:1");
  g_assert_true (companion_pg_parse_event_payload (g_ptr_array_index (l.payloads, 0), &order_id,
                                                   &seq));
  g_assert_cmpstr (order_id, ==, "order-1");
  g_assert_cmpint (seq, ==, 1);
  g_clear_pointer (&order_id, g_free);
  g_assert_false (companion_pg_parse_event_payload ("order-1", &order_id, &seq));
  g_assert_false (companion_pg_parse_event_payload ("order-1:x", &order_id, &seq));
  g_assert_false (companion_pg_parse_event_payload (":1", &order_id, &seq));

  for (guint i = 0; i < G_N_ELEMENTS (pools); i++)
    {
      companion_pg_pool_close (pools[i]);
      unref_and_wait (pools[i]);
    }
  companion_pg_pool_close (watcher);
  unref_and_wait (watcher);
  g_ptr_array_unref (l.payloads);
}

static CompanionOrder *
full_order (const char *id)
{
  CompanionOrder *o = companion_order_new ();

  o->id = g_strdup (id);
  o->kind = CROSSING_KIND_LOGIN;
  o->adapter = CROSSING_ADAPTER_ED25519;
  o->status = CROSSING_STATUS_CLAIMED;
  o->claim_token_hash = g_strdup ("claim-hash");
  o->desktop_token_hash = g_strdup ("desktop-hash");
  o->event_token_hash = g_strdup ("event-hash");
  o->challenge_token_hash = g_strdup ("challenge-hash");
  o->origin = g_strdup ("https://example.test");
  o->return_to = g_strdup ("/back");
  o->title = g_strdup ("Sign in — ünïcode");
  o->summary = g_strdup ("to 'Crossing'; with \"quotes\"");
  o->payload_hash = g_strdup ("payload-hash");
  o->app_name = g_strdup ("Crossing");
  o->challenge_id = g_strdup ("challenge-id");
  o->nonce = g_strdup ("nonce");
  o->message = g_strdup ("line one\nline two");
  o->requester_ip = g_strdup ("2001:db8::1");
  o->requester_user_agent = g_strdup ("agent/1.0");
  o->check_code = g_strdup ("07");
  o->check_code_failures = 2;
  o->subject = g_strdup ("ed25519:00ff");
  o->public_key_hex = g_strdup ("00ff");
  o->signature_hex = g_strdup ("aa55");
  o->session_id = g_strdup ("session-1");
  o->created_at = 1700000000001;
  o->issued_at = 1700000000002;
  o->expires_at = 1700000120003;
  o->approved_at = 1700000060004;
  o->finalized_at = 1700000070005;
  o->event_seq = 0;
  o->challenge_id_hash = g_strdup_printf ("challenge-id-hash-%s", id);
  o->poll_interval = 5;
  o->last_poll_at = 1700000001006;
  o->user_code_hash = g_strdup_printf ("user-code-hash-%s", id);
  o->identified = TRUE;
  o->subject_mismatches = 3;
  o->extra_details = g_strdup ("{\"amount\":\"1.5\"}");
  return o;
}

static void
assert_orders_equal (const CompanionOrder *a,
                     const CompanionOrder *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpint (a->adapter, ==, b->adapter);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->claim_token_hash, ==, b->claim_token_hash);
  g_assert_cmpstr (a->desktop_token_hash, ==, b->desktop_token_hash);
  g_assert_cmpstr (a->event_token_hash, ==, b->event_token_hash);
  g_assert_cmpstr (a->challenge_token_hash, ==, b->challenge_token_hash);
  g_assert_cmpstr (a->origin, ==, b->origin);
  g_assert_cmpstr (a->return_to, ==, b->return_to);
  g_assert_cmpstr (a->title, ==, b->title);
  g_assert_cmpstr (a->summary, ==, b->summary);
  g_assert_cmpstr (a->payload_hash, ==, b->payload_hash);
  g_assert_cmpstr (a->app_name, ==, b->app_name);
  g_assert_cmpstr (a->challenge_id, ==, b->challenge_id);
  g_assert_cmpstr (a->nonce, ==, b->nonce);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_cmpstr (a->requester_ip, ==, b->requester_ip);
  g_assert_cmpstr (a->requester_user_agent, ==, b->requester_user_agent);
  g_assert_cmpstr (a->check_code, ==, b->check_code);
  g_assert_cmpuint (a->check_code_failures, ==, b->check_code_failures);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpstr (a->public_key_hex, ==, b->public_key_hex);
  g_assert_cmpstr (a->signature_hex, ==, b->signature_hex);
  g_assert_cmpstr (a->session_id, ==, b->session_id);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->issued_at, ==, b->issued_at);
  g_assert_cmpint (a->expires_at, ==, b->expires_at);
  g_assert_cmpint (a->approved_at, ==, b->approved_at);
  g_assert_cmpint (a->finalized_at, ==, b->finalized_at);
  g_assert_cmpint (a->event_seq, ==, b->event_seq);
  g_assert_cmpstr (a->challenge_id_hash, ==, b->challenge_id_hash);
  g_assert_cmpuint (a->poll_interval, ==, b->poll_interval);
  g_assert_cmpint (a->last_poll_at, ==, b->last_poll_at);
  g_assert_cmpstr (a->user_code_hash, ==, b->user_code_hash);
  g_assert_cmpint (a->identified, ==, b->identified);
  g_assert_cmpuint (a->subject_mismatches, ==, b->subject_mismatches);
  g_assert_cmpstr (a->extra_details, ==, b->extra_details);
}

static CompanionOrder *
fetch_order (CompanionPgPool *pool,
             const char      *id,
             gboolean         by_challenge_hash,
             GError         **error)
{
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgRequest *request = companion_pg_request_new ();

  if (by_challenge_hash)
    companion_pg_request_add_get_order_by_challenge_hash (request, id);
  else
    companion_pg_request_add_get_order (request, id);
  results = pool_run (pool, request, error);
  if (results == NULL)
    return NULL;
  return companion_pg_order_from_result (g_ptr_array_index (results, 0), error);
}

/* Every field of an order comes back as it went in, NULLs as NULLs; its
 * events come back by sequence number. */
static void
test_orders (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(CompanionOrder) full = full_order ("order-full");
  g_autoptr(CompanionOrder) bare = companion_order_new ();
  g_autoptr(CompanionOrder) got = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  CompanionPgRequest *request;
  CompanionPgPool *pool;

  if (!need_server ())
    return;
  uri = new_database ();
  migrate (uri);
  pool = start_pool (uri, 1, NULL);

  bare->id = g_strdup ("order-bare");
  bare->kind = CROSSING_KIND_TRANSACTION;
  bare->adapter = CROSSING_ADAPTER_NIMIQ_PAY;
  bare->claim_token_hash = g_strdup ("c");
  bare->desktop_token_hash = g_strdup ("d");
  bare->event_token_hash = g_strdup ("e");
  bare->origin = g_strdup ("https://example.test");
  bare->title = g_strdup ("t");
  bare->summary = g_strdup ("");
  bare->app_name = g_strdup ("a");
  bare->challenge_id = g_strdup ("ch");
  bare->nonce = g_strdup ("n");
  bare->message = g_strdup ("m");
  bare->expires_at = G_MAXINT64;

  request = companion_pg_request_new ();
  companion_pg_request_add_insert_order (request, full);
  companion_pg_request_add_insert_order (request, bare);
  results = pool_run (pool, request, &error);
  g_assert_no_error (error);
  g_clear_pointer (&results, g_ptr_array_unref);

  got = fetch_order (pool, "order-full", FALSE, &error);
  g_assert_no_error (error);
  assert_orders_equal (got, full);
  g_clear_pointer (&got, companion_order_free);
  got = fetch_order (pool, "challenge-id-hash-order-full", TRUE, &error);
  g_assert_no_error (error);
  assert_orders_equal (got, full);
  g_clear_pointer (&got, companion_order_free);
  got = fetch_order (pool, "order-bare", FALSE, &error);
  g_assert_no_error (error);
  assert_orders_equal (got, bare);
  g_clear_pointer (&got, companion_order_free);

  /* The same id again; none; a status from a later version. */
  request = companion_pg_request_new ();
  companion_pg_request_add_insert_order (request, full);
  results = pool_run (pool, request, &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  got = fetch_order (pool, "order-none", FALSE, &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (pool_value (pool, "UPDATE orders SET status = 99 WHERE id = 'order-bare'"
                               " RETURNING 0"), ==, 0);
  got = fetch_order (pool, "order-bare", FALSE, &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CORRUPT);
  g_clear_error (&error);

  /* Two transitions, then the catch-up read after each sequence number. */
  for (int to = CROSSING_STATUS_WAITING_USER; to <= CROSSING_STATUS_APPROVED; to++)
    {
      CompanionOrderChange change = { .to = to };
      g_autofree char *data = g_strdup_printf ("{\"status\":%d}", to);
      Transitioned t = { 0 };

      companion_pg_transition_async (pool, "order-full", COMPANION_STATUS_BIT (to - 1), &change,
                                     NULL, FALSE, data, NULL, transitioned, &t);
      run_until (&t.done, 5000);
      g_assert_no_error (t.error);
    }
  for (gint64 after = 0; after <= 2; after++)
    {
      request = companion_pg_request_new ();
      companion_pg_request_add_list_events (request, "order-full", after);
      results = pool_run (pool, request, &error);
      g_assert_no_error (error);
      events = companion_pg_events_from_result (g_ptr_array_index (results, 0));
      g_assert_cmpuint (events->len, ==, 2 - after);
      for (guint i = 0; i < events->len; i++)
        {
          CompanionEvent *event = g_ptr_array_index (events, i);
          g_autofree char *data = g_strdup_printf ("{\"status\":%d}", event->status);

          g_assert_cmpint (event->seq, ==, after + 1 + i);
          g_assert_cmpint (event->status, ==, CROSSING_STATUS_CLAIMED + event->seq);
          g_assert_cmpstr (event->data, ==, data);
        }
      g_clear_pointer (&events, g_ptr_array_unref);
      g_clear_pointer (&results, g_ptr_array_unref);
    }
  got = fetch_order (pool, "order-full", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->event_seq, ==, 2);
  g_assert_cmpint (got->status, ==, CROSSING_STATUS_APPROVED);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

typedef struct {
  gboolean                done;
  CompanionPgTransaction *tx;
  GPtrArray              *results;
  gboolean                committed;
  GError                 *error;
} TxOutcome;

static void
begun (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  TxOutcome *o = user_data;

  o->tx = companion_pg_pool_begin_finish (COMPANION_PG_POOL (source), result, &o->error);
  o->done = TRUE;
}

static void
tx_executed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TxOutcome *o = user_data;

  o->results = companion_pg_transaction_execute_finish (COMPANION_PG_TRANSACTION (source), result,
                                                        &o->error);
  o->done = TRUE;
}

static void
tx_committed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TxOutcome *o = user_data;

  o->committed = companion_pg_transaction_commit_finish (COMPANION_PG_TRANSACTION (source),
                                                         result, &o->error);
  o->done = TRUE;
}

static CompanionPgTransaction *
begin (CompanionPgPool *pool)
{
  TxOutcome o = { 0 };

  companion_pg_pool_begin_async (pool, COMPANION_PG_READ_COMMITTED, NULL, begun, &o);
  run_until (&o.done, 5000);
  g_assert_no_error (o.error);
  return o.tx;
}

/* The first statement's result of @request, run in @tx. */
static PGresult *
tx_run (CompanionPgTransaction *tx,
        CompanionPgRequest     *request,
        GError                **error)
{
  TxOutcome o = { 0 };
  PGresult *first = NULL;

  companion_pg_transaction_execute_async (tx, request, NULL, tx_executed, &o);
  run_until (&o.done, 5000);
  if (o.error != NULL)
    {
      g_propagate_error (error, o.error);
      return NULL;
    }
  first = g_ptr_array_steal_index (o.results, 0);
  g_ptr_array_unref (o.results);
  return first;
}

static gboolean
commit (CompanionPgTransaction *tx,
        GError                **error)
{
  TxOutcome o = { 0 };

  companion_pg_transaction_commit_async (tx, NULL, tx_committed, &o);
  run_until (&o.done, 5000);
  if (o.error != NULL)
    g_propagate_error (error, o.error);
  return o.committed;
}

/* A transaction holds its connection: the pool's other requests wait for
 * it; what it did is seen once committed, and never when rolled back or
 * failed. */
static void
test_transaction (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  CompanionPgTransaction *tx;
  CompanionPgPool *pool;
  Outcome waiting = { 0 };
  PGresult *r;

  if (!need_server ())
    return;
  uri = new_database ();
  pool = start_pool (uri, 1, NULL);

  tx = begin (pool);
  r = tx_run (tx, request_of ("CREATE TABLE t (x INTEGER PRIMARY KEY)", NULL), &error);
  g_assert_no_error (error);
  PQclear (r);
  r = tx_run (tx, request_of ("INSERT INTO t VALUES (1) RETURNING x", NULL), &error);
  g_assert_no_error (error);
  g_assert_cmpint (companion_pg_result_get_int64 (r, 0, 0), ==, 1);
  PQclear (r);
  companion_pg_pool_execute_async (pool, request_of ("SELECT count (*) FROM t", NULL), NULL,
                                   pool_executed, &waiting);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (companion_pg_pool_get_n_waiting (pool), ==, 1);
  g_assert_false (waiting.done);
  g_assert_true (commit (tx, &error));
  g_assert_no_error (error);
  run_until (&waiting.done, 5000);
  g_assert_no_error (waiting.error);
  g_assert_cmpint (companion_pg_result_get_int64 (g_ptr_array_index (waiting.results, 0), 0, 0),
                   ==, 1);
  outcome_clear (&waiting);
  /* Over: nothing more runs in it. */
  r = tx_run (tx, request_of ("SELECT 1", NULL), &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_object_unref (tx);

  /* Dropped without a commit: rolled back, and the connection is clean
   * for the next request (which would see 2 rows inside it). */
  tx = begin (pool);
  r = tx_run (tx, request_of ("INSERT INTO t VALUES (2)", NULL), &error);
  g_assert_no_error (error);
  PQclear (r);
  g_object_unref (tx);
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM t"), ==, 1);

  /* A failed statement: the commit says so, nothing stays. */
  tx = begin (pool);
  r = tx_run (tx, request_of ("INSERT INTO t VALUES (3)", NULL), &error);
  g_assert_no_error (error);
  PQclear (r);
  r = tx_run (tx, request_of ("INSERT INTO t VALUES (1)", NULL), &error);
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (commit (tx, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_object_unref (tx);
  g_assert_cmpint (pool_value (pool, "SELECT count (*) FROM t"), ==, 1);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

#define N_DUE 40

static void
run_transitions (CompanionPgTransaction *tx,
                 GPtrArray              *orders)
{
  g_autoptr(GError) error = NULL;
  CompanionOrderChange expire = { .to = CROSSING_STATUS_EXPIRED };
  CompanionPgRequest *request = companion_pg_request_new ();
  PGresult *r;

  for (guint i = 0; i < orders->len; i++)
    {
      CompanionOrder *order = g_ptr_array_index (orders, i);

      companion_pg_request_add_transition (request, order->id,
                                           COMPANION_STATUS_BIT (order->status), &expire, NULL,
                                           TRUE, "{\"status\":\"expired\"}");
    }
  r = tx_run (tx, request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (PQntuples (r), ==, 1);
  PQclear (r);
}

static GPtrArray *
lock_due (CompanionPgTransaction *tx,
          guint                   limit)
{
  g_autoptr(GError) error = NULL;
  CompanionPgRequest *request = companion_pg_request_new ();
  PGresult *r;
  GPtrArray *orders;

  companion_pg_request_add_lock_due_orders (request, limit);
  r = tx_run (tx, request, &error);
  g_assert_no_error (error);
  orders = companion_pg_orders_from_result (r);
  PQclear (r);
  return orders;
}

/* Two companions sweeping at once each lock their own due orders (FOR
 * UPDATE SKIP LOCKED) and expire them: each order once. */
static void
test_sweep (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) mine = NULL;
  g_autoptr(GPtrArray) theirs = NULL;
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(GError) error = NULL;
  CompanionPgTransaction *a, *b, *c;
  CompanionPgPool *pools[2], *watcher;
  Listener l;

  if (!need_server ())
    return;
  uri = new_database ();
  migrate (uri);
  pools[0] = start_pool (uri, 2, NULL);
  pools[1] = start_pool (uri, 2, NULL);
  watcher = start_pool (uri, 1, COMPANION_PG_EVENTS_CHANNEL);
  listener_init (&l, watcher);
  wait_listening (watcher);
  for (guint i = 0; i < N_DUE; i++)
    {
      g_autofree char *id = g_strdup_printf ("due-%02u", i);

      insert_order (pools[0], id, "1");
    }
  insert_order (pools[0], "not-due", "9999999999999");

  a = begin (pools[0]);
  b = begin (pools[1]);
  mine = lock_due (a, N_DUE / 2);
  theirs = lock_due (b, N_DUE);
  g_assert_cmpuint (mine->len, ==, N_DUE / 2);
  g_assert_cmpuint (theirs->len, ==, N_DUE / 2);
  for (guint i = 0; i < N_DUE / 2; i++)
    {
      CompanionOrder *x = g_ptr_array_index (mine, i), *y = g_ptr_array_index (theirs, i);

      g_assert_true (g_hash_table_add (seen, x->id));
      g_assert_true (g_hash_table_add (seen, y->id));
    }
  run_transitions (b, theirs);
  run_transitions (a, mine);
  g_assert_true (commit (b, &error));
  g_assert_true (commit (a, &error));
  g_assert_no_error (error);
  g_object_unref (a);
  g_object_unref (b);

  c = begin (pools[1]);
  left = lock_due (c, N_DUE);
  g_assert_cmpuint (left->len, ==, 0);
  g_object_unref (c);

  g_assert_cmpint (pool_value (pools[0], "SELECT count (*) FROM order_events"), ==, N_DUE);
  g_assert_cmpint (pool_value (pools[0], "SELECT count (DISTINCT order_id) FROM order_events"),
                   ==, N_DUE);
  g_assert_cmpint (pool_value (pools[0], "SELECT count (*) FROM orders WHERE status = 7"),
                   ==, N_DUE);
  l.expected = N_DUE;
  g_assert_true (wait_until (has_expected_payloads, &l, 5000));

  for (guint i = 0; i < G_N_ELEMENTS (pools); i++)
    {
      companion_pg_pool_close (pools[i]);
      unref_and_wait (pools[i]);
    }
  companion_pg_pool_close (watcher);
  unref_and_wait (watcher);
  g_ptr_array_unref (l.payloads);
}

#define N_MISSES 20

static CompanionMissWindow
count_miss (CompanionPgPool *pool,
            const char      *scope,
            gint64           now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgRequest *request = companion_pg_request_new ();
  CompanionMissWindow window = { 0 };

  companion_pg_request_add_user_code_miss (request, scope, now, 60000);
  results = pool_run (pool, request, &error);
  g_assert_no_error (error);
  companion_pg_miss_window_from_result (g_ptr_array_index (results, 1), &window);
  return window;
}

/* Misses against user codes from two companions at once: each counts
 * once, in one window; the window ends and the count starts again. */
static void
test_user_code_misses (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  CompanionPgPool *pools[2];
  Outcome o[N_MISSES] = { 0 };
  gboolean seen[N_MISSES + 1] = { FALSE };
  CompanionMissWindow window = { 0 };
  CompanionPgRequest *request;

  if (!need_server ())
    return;
  uri = new_database ();
  migrate (uri);
  pools[0] = start_pool (uri, 4, NULL);
  pools[1] = start_pool (uri, 4, NULL);

  for (guint i = 0; i < N_MISSES; i++)
    {
      request = companion_pg_request_new ();
      companion_pg_request_add_user_code_miss (request, COMPANION_USER_CODE_MISSES_ALL,
                                               1000000, 60000);
      companion_pg_pool_execute_async (pools[i % 2], request, NULL, pool_executed, &o[i]);
    }
  for (guint i = 0; i < N_MISSES; i++)
    {
      run_until (&o[i].done, 10000);
      g_assert_no_error (o[i].error);
      companion_pg_miss_window_from_result (g_ptr_array_index (o[i].results, 1), &window);
      g_assert_cmpuint (window.misses, >=, 1);
      g_assert_cmpuint (window.misses, <=, N_MISSES);
      g_assert_false (seen[window.misses]);
      seen[window.misses] = TRUE;
      g_assert_cmpint (window.window_ends, ==, 1000000 + 60000);
      outcome_clear (&o[i]);
    }

  request = companion_pg_request_new ();
  companion_pg_request_add_get_user_code_misses (request, COMPANION_USER_CODE_MISSES_ALL, 1059999);
  results = pool_run (pools[1], request, &error);
  g_assert_no_error (error);
  companion_pg_miss_window_from_result (g_ptr_array_index (results, 0), &window);
  g_assert_cmpuint (window.misses, ==, N_MISSES);

  /* Once the window ends: a new one, from 1. */
  window = count_miss (pools[0], COMPANION_USER_CODE_MISSES_ALL, 1060000);
  g_assert_cmpuint (window.misses, ==, 1);
  g_assert_cmpint (window.window_ends, ==, 1120000);
  window = count_miss (pools[1], "192.0.2.1", 1060000);
  g_assert_cmpuint (window.misses, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (pools); i++)
    {
      companion_pg_pool_close (pools[i]);
      unref_and_wait (pools[i]);
    }
}

/* The database's clock decides whether an order is due to expire. */
static void
test_transition_database_clock (void)
{
  g_autofree char *uri = NULL;
  g_autofree char *soon = NULL;
  CompanionPgPool *pool;
  CompanionOrderChange expire = { .to = CROSSING_STATUS_EXPIRED };
  Transitioned early = { 0 }, due = { 0 };
  gint64 db_now;

  if (!need_server ())
    return;
  uri = new_database ();
  migrate (uri);
  pool = start_pool (uri, 1, NULL);

  db_now = pool_value (pool, "SELECT (extract (epoch FROM now ()) * 1000)::bigint");
  soon = g_strdup_printf ("%" G_GINT64_FORMAT, db_now + 60000);
  insert_order (pool, "order-2", soon);
  companion_pg_transition_async (pool, "order-2", COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                 &expire, NULL, TRUE, "{}", NULL, transitioned, &early);
  run_until (&early.done, 5000);
  g_assert_error (early.error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_clear_error (&early.error);

  g_assert_cmpint (pool_value (pool, "UPDATE orders SET expires_at = expires_at - 120000"
                               " RETURNING 0"), ==, 0);
  companion_pg_transition_async (pool, "order-2", COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                 &expire, NULL, TRUE, "{}", NULL, transitioned, &due);
  run_until (&due.done, 5000);
  g_assert_no_error (due.error);
  g_assert_cmpint (due.seq, ==, 1);

  companion_pg_pool_close (pool);
  unref_and_wait (pool);
}

/* ---- the main loop ---- */

typedef struct {
  gint64 last;
  gint64 longest;
} Gaps;

static gboolean
tick (gpointer user_data)
{
  Gaps *g = user_data;
  gint64 now = g_get_monotonic_time ();

  g->longest = MAX (g->longest, now - g->last);
  g->last = now;
  return G_SOURCE_CONTINUE;
}

/* While the server sleeps on every request, and connections come and go,
 * the main loop keeps turning. */
static void
test_never_blocks (void)
{
  g_autofree char *uri = NULL;
  Gaps gaps = { 0 };
  Outcome o[3] = { 0 };
  Migrated m = { 0 };
  CompanionPgPool *pool;
  guint ticker;

  if (!need_server ())
    return;
  uri = new_database ();

  gaps.last = g_get_monotonic_time ();
  ticker = g_timeout_add (5, tick, &gaps);

  pool = start_pool (uri, 1, COMPANION_PG_EVENTS_CHANNEL);
  companion_pg_pool_set_pipeline_depth (pool, 1);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    companion_pg_pool_execute_async (pool, request_of ("SELECT pg_sleep (0.5)", NULL), NULL,
                                     pool_executed, &o[i]);
  companion_pg_migrate_async (uri, NULL, migrated, &m);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    {
      run_until (&o[i].done, 10000);
      g_assert_no_error (o[i].error);
      outcome_clear (&o[i]);
    }
  run_until (&m.done, 10000);
  g_assert_no_error (m.error);
  companion_pg_pool_close (pool);
  unref_and_wait (pool);
  g_source_remove (ticker);

  g_test_message ("longest main-loop gap: %" G_GINT64_FORMAT " ms", gaps.longest / 1000);
  /* A blocking call would show one of 500 ms; this machine, loaded by
   * several builds at once, showed up to 70. */
  g_assert_cmpint (gaps.longest, <, 400 * 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  server = companion_test_pg_start (&error);
  if (server == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        g_error ("Cannot start a PostgreSQL server for the tests: %s", error->message);
      skip_reason = g_strdup (error->message);
    }
  else
    g_test_message ("throwaway PostgreSQL up in %" G_GINT64_FORMAT " ms",
                    companion_test_pg_get_start_time (server) / 1000);

  g_test_add_func ("/postgresql/conninfo/password-never-shown", test_redact);
  g_test_add_func ("/postgresql/pool/unreachable-fails-at-once", test_unreachable);
  g_test_add_func ("/postgresql/connection/host-name-looked-up-aside", test_host_name);
  g_test_add_func ("/postgresql/connection/prepared-once-with-params", test_query);
  g_test_add_func ("/postgresql/connection/pg-environment", test_environment);
  g_test_add_func ("/postgresql/connection/failed-request-leaves-next-clean",
                   test_pipeline_failure);
  g_test_add_func ("/postgresql/connection/cancel-answers-at-once", test_cancel);
  g_test_add_func ("/postgresql/pool/64-concurrent-requests", test_pool_concurrent);
  g_test_add_func ("/postgresql/pool/listen-notify", test_listen);
  g_test_add_func ("/postgresql/pool/restart-unavailable-then-recovers", test_restart);
  g_test_add_func ("/postgresql/pool/silent-server-times-out-then-recovers", test_silent_server);
  g_test_add_func ("/postgresql/migrations/two-at-once-apply-once", test_migrations);
  g_test_add_func ("/postgresql/transition/20-racers-one-winner", test_transition_race);
  g_test_add_func ("/postgresql/transition/database-clock-decides-expiry",
                   test_transition_database_clock);
  g_test_add_func ("/postgresql/orders/every-field-and-event-round-trips", test_orders);
  g_test_add_func ("/postgresql/pool/transaction-holds-its-connection", test_transaction);
  g_test_add_func ("/postgresql/user-codes/misses-counted-once-across-companions",
                   test_user_code_misses);
  g_test_add_func ("/postgresql/orders/two-sweepers-skip-locked-expire-once", test_sweep);
  g_test_add_func ("/postgresql/main-loop/never-blocks", test_never_blocks);

  status = g_test_run ();
  companion_test_pg_stop (server);
  g_free (skip_reason);
  return status;
}
