/* crossing-pg-bench.c: the libpq layer under the PostgreSQL store, alone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: scripts/throwaway-pg.sh build/bench/crossing-pg-bench [SECONDS]
 *
 * On the database of CROSSING_PG_URI (migrated here): two pools as two
 * companions, a third LISTENing. Orders go through the compare-and-set
 * transition (created -> claimed -> waiting_user -> approved -> finalized)
 * with C of them under way at a time, for each pool size and pipeline
 * depth; it prints transitions per second, the latency of one transition,
 * and the time from sending a transition to its notification reaching the
 * listener (what a stream on another companion would wait for).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "companion-pg-migrations.h"
#include "companion-pg-pool.h"
#include "companion-pg-transition.h"

typedef struct {
  CompanionPgPool *pools[2];
  GHashTable      *sent;        /* "order:seq" -> gint64 * (when sent) */
  GArray          *latencies;   /* gint64 µs, transition answered */
  GArray          *notified;    /* gint64 µs, notification arrived */
  guint            in_flight;
  guint            next_order;
  gint64           deadline;
  guint64          transitions;
  guint            run;
  gboolean         done;
} Bench;

typedef struct {
  Bench  *bench;
  char   *order_id;
  int     status;      /* the status it is in */
  gint64  sent_at;
} Flow;

static void step (Flow *flow);

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static void
wait_for (gboolean (*check) (gpointer),
          gpointer   data)
{
  while (!check (data))
    g_main_context_iteration (NULL, TRUE);
}

static void
fatal (const char *what,
       GError     *error)
{
  g_printerr ("crossing-pg-bench: %s: %s\n", what, error->message);
  exit (1);
}

static void
executed (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = companion_pg_pool_execute_finish (COMPANION_PG_POOL (source),
                                                                   result, &error);

  if (results == NULL)
    fatal ("a request failed", error);
  *(gboolean *) user_data = TRUE;
}

static void
run_sql (CompanionPgPool *pool,
         const char      *sql)
{
  CompanionPgRequest *request = companion_pg_request_new ();
  gboolean done = FALSE;

  companion_pg_request_add (request, sql, 0, NULL);
  companion_pg_pool_execute_async (pool, request, NULL, executed, &done);
  wait_for (is_true, &done);
}

static void
transitioned (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Flow *flow = user_data;
  g_autoptr(GError) error = NULL;
  gint64 seq = 0;
  gint64 now = g_get_monotonic_time ();

  if (!companion_pg_transition_finish (COMPANION_PG_POOL (source), result, &seq, &error))
    fatal ("a transition failed", error);
  g_array_append_val (flow->bench->latencies, (gint64) { now - flow->sent_at });
  flow->bench->transitions++;
  flow->status++;
  step (flow);
}

static void
inserted (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Flow *flow = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = companion_pg_pool_execute_finish (COMPANION_PG_POOL (source),
                                                                   result, &error);

  if (results == NULL)
    fatal ("an insert failed", error);
  step (flow);
}

static void
start_flow (Bench *bench)
{
  Flow *flow = g_new0 (Flow, 1);
  CompanionPgRequest *request = companion_pg_request_new ();
  const char *params[1];

  flow->bench = bench;
  flow->order_id = g_strdup_printf ("r%u-o%u", bench->run, bench->next_order++);
  params[0] = flow->order_id;
  companion_pg_request_add (request,
                            "INSERT INTO orders (id, kind, adapter, status, claim_token_hash,"
                            " desktop_token_hash, event_token_hash, origin, title, summary,"
                            " app_name, challenge_id, nonce, message, created_at, issued_at,"
                            " expires_at) VALUES ($1::text, 0, 0, 0, 'c', 'd', 'e',"
                            " 'https://example.test', 't', 's', 'a', 'ch', 'n', 'm', 1, 1,"
                            " 9999999999999)", 1, params);
  bench->in_flight++;
  companion_pg_pool_execute_async (bench->pools[bench->next_order % 2], request, NULL, inserted,
                                   flow);
}

/* The next transition, each through the other pool (companion). */
static void
step (Flow *flow)
{
  Bench *bench = flow->bench;
  CompanionOrderChange change = { .to = flow->status + 1 };
  g_autofree char *key = NULL;

  if (flow->status >= CROSSING_STATUS_FINALIZED)
    {
      bench->in_flight--;
      if (g_get_monotonic_time () < bench->deadline)
        start_flow (bench);
      else if (bench->in_flight == 0)
        bench->done = TRUE;
      g_free (flow->order_id);
      g_free (flow);
      return;
    }

  flow->sent_at = g_get_monotonic_time ();
  key = g_strdup_printf ("%s:%d", flow->order_id, flow->status + 1);
  g_hash_table_insert (bench->sent, g_steal_pointer (&key), g_memdup2 (&flow->sent_at,
                                                                       sizeof (gint64)));
  companion_pg_transition_async (bench->pools[flow->status % 2], flow->order_id,
                                 COMPANION_STATUS_BIT (flow->status), &change, NULL, FALSE, "{}",
                                 NULL, transitioned, flow);
}

static void
on_notification (CompanionPgPool *pool,
                 const char      *channel,
                 const char      *payload,
                 gpointer         user_data)
{
  Bench *bench = user_data;
  gint64 *sent_at = g_hash_table_lookup (bench->sent, payload);

  if (sent_at != NULL)
    {
      g_array_append_val (bench->notified, (gint64) { g_get_monotonic_time () - *sent_at });
      g_hash_table_remove (bench->sent, payload);
    }
}

static int
compare (gconstpointer a,
         gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  p)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare);
  return g_array_index (values, gint64, MIN (values->len - 1, (guint) (p * values->len))) / 1000.0;
}

static void
started (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!companion_pg_pool_start_finish (COMPANION_PG_POOL (source), result, &error))
    fatal ("cannot connect", error);
  *(gboolean *) user_data = TRUE;
}

static CompanionPgPool *
start_pool (const char *uri,
            guint       size,
            guint       depth,
            const char *channel)
{
  g_autoptr(GError) error = NULL;
  CompanionPgPool *pool = companion_pg_pool_new (uri, size, &error);
  gboolean done = FALSE;

  if (pool == NULL)
    fatal ("bad URI", error);
  companion_pg_pool_set_pipeline_depth (pool, depth);
  if (channel != NULL)
    companion_pg_pool_listen (pool, channel);
  companion_pg_pool_start_async (pool, NULL, started, &done);
  wait_for (is_true, &done);
  return pool;
}

static void
migrated (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!companion_pg_migrate_finish (result, NULL, &error))
    fatal ("cannot migrate", error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_listening (gpointer data)
{
  return companion_pg_pool_get_listening (data);
}

int
main (int   argc,
      char *argv[])
{
  static const struct {
    guint size, depth, concurrency;
  } cases[] = {
    { 1, 1, 1 }, { 1, 1, 16 }, { 1, 4, 16 }, { 4, 1, 16 }, { 4, 4, 16 }, { 4, 4, 64 },
  };
  const char *uri = g_getenv ("CROSSING_PG_URI");
  double seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 5;
  CompanionPgPool *listener;
  gboolean done = FALSE;
  Bench bench = { 0 };

  if (uri == NULL)
    {
      g_printerr ("usage: scripts/throwaway-pg.sh %s [SECONDS]  (or set CROSSING_PG_URI)\n",
                  argv[0]);
      return 2;
    }

  companion_pg_migrate_async (uri, NULL, migrated, &done);
  wait_for (is_true, &done);
  listener = start_pool (uri, 1, 1, COMPANION_PG_EVENTS_CHANNEL);
  wait_for (is_listening, listener);
  g_signal_connect (listener, "notification", G_CALLBACK (on_notification), &bench);

  printf ("%-5s %-6s %-4s %12s %10s %10s %12s %12s\n", "pool", "depth", "C", "transitions/s",
          "p50 ms", "p99 ms", "notify p50", "notify p99");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      bench.pools[0] = start_pool (uri, cases[i].size, cases[i].depth, NULL);
      bench.pools[1] = start_pool (uri, cases[i].size, cases[i].depth, NULL);
      bench.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      bench.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.notified = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.transitions = 0;
      bench.done = FALSE;
      bench.run = i;
      bench.deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

      for (guint c = 0; c < cases[i].concurrency; c++)
        start_flow (&bench);
      wait_for (is_true, &bench.done);
      /* The last notifications. */
      for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
           g_get_monotonic_time () < end;)
        g_main_context_iteration (NULL, FALSE);

      printf ("%-5u %-6u %-4u %12.0f %10.2f %10.2f %12.2f %12.2f\n", cases[i].size,
              cases[i].depth, cases[i].concurrency, bench.transitions / seconds,
              percentile_ms (bench.latencies, 0.5), percentile_ms (bench.latencies, 0.99),
              percentile_ms (bench.notified, 0.5), percentile_ms (bench.notified, 0.99));
      fflush (stdout);

      for (guint p = 0; p < 2; p++)
        {
          companion_pg_pool_close (bench.pools[p]);
          g_object_unref (bench.pools[p]);
        }
      g_hash_table_unref (bench.sent);
      g_array_unref (bench.latencies);
      g_array_unref (bench.notified);
      run_sql (listener, "TRUNCATE orders CASCADE");
    }

  companion_pg_pool_close (listener);
  g_object_unref (listener);
  return 0;
}
