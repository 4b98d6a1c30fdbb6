/* companion-metrics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-metrics"

#include "config.h"

#include <string.h>

#include "companion-metrics.h"

/* Upper bounds of the store latency buckets, in microseconds. */
static const gint64 latency_bounds[] = { 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000,
                                         250000, 1000000 };
#define N_BUCKETS G_N_ELEMENTS (latency_bounds)

struct _CompanionMetrics
{
  CompanionStore    *store;
  CompanionEventHub *hub;
  gulong             committed_id;
  GHashTable        *requests;      /* "route\nstatus" -> guint64* */
  GHashTable        *sign_ins;      /* flow (static) -> guint64* */
  GHashTable        *ledger;        /* "type\nresult" -> guint64* */
  guint64            orders_ended[CROSSING_STATUS_EXPIRED + 1];
  guint64            latency_buckets[N_BUCKETS];
  guint64            latency_count;
  gint64             latency_sum_us;
};

static void
bump (GHashTable *table,
      char       *key)
{
  guint64 *count = g_hash_table_lookup (table, key);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (table, key, count);
    }
  else
    g_free (key);
  (*count)++;
}

static void
on_event_committed (CompanionStore *store,
                    const char     *order_id,
                    gint64          seq,
                    int             status,
                    const char     *data,
                    gpointer        user_data)
{
  CompanionMetrics *self = user_data;

  if (crossing_status_is_terminal (status) && (guint) status < G_N_ELEMENTS (self->orders_ended))
    self->orders_ended[status]++;
}

static void
on_store_latency (gint64   microseconds,
                  gpointer user_data)
{
  CompanionMetrics *self = user_data;

  for (gsize i = 0; i < N_BUCKETS; i++)
    if (microseconds <= latency_bounds[i])
      self->latency_buckets[i]++;
  self->latency_count++;
  self->latency_sum_us += microseconds;
}

CompanionMetrics *
companion_metrics_new (CompanionStore    *store,
                       CompanionEventHub *hub)
{
  CompanionMetrics *self = g_new0 (CompanionMetrics, 1);

  self->store = g_object_ref (store);
  self->hub = g_object_ref (hub);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sign_ins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->ledger = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->committed_id = g_signal_connect (store, "event-committed",
                                         G_CALLBACK (on_event_committed), self);
  companion_store_set_latency_observer (store, on_store_latency, self);
  return self;
}

void
companion_metrics_free (CompanionMetrics *self)
{
  if (self == NULL)
    return;
  companion_store_set_latency_observer (self->store, NULL, NULL);
  g_clear_signal_handler (&self->committed_id, self->store);
  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->sign_ins);
  g_hash_table_unref (self->ledger);
  g_free (self);
}

void
companion_metrics_count_request (CompanionMetrics *self,
                                 const char       *route,
                                 guint             status)
{
  g_return_if_fail (self != NULL);
  bump (self->requests, g_strdup_printf ("%s\n%u", route, status));
}

void
companion_metrics_count_sign_in (CompanionMetrics *self,
                                 const char       *flow)
{
  g_return_if_fail (self != NULL);
  bump (self->sign_ins, g_strdup (flow));
}

void
companion_metrics_count_ledger_mutation (CompanionMetrics *self,
                                         const char       *type,
                                         const char       *result)
{
  g_return_if_fail (self != NULL);
  bump (self->ledger, g_strdup_printf ("%s\n%s", type, result));
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The table's keys in a stable order, for a stable scrape. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_keys);
  return keys;
}

char *
companion_metrics_render (CompanionMetrics *self)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) flows = NULL;
  g_autoptr(GPtrArray) ledger = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  g_string_append (out, "# HELP crossing_http_requests_total Requests answered, by route and status.\n"
                        "# TYPE crossing_http_requests_total counter\n");
  requests = sorted_keys (self->requests);
  for (guint i = 0; i < requests->len; i++)
    {
      const char *key = g_ptr_array_index (requests, i);
      const char *newline = strchr (key, '\n');
      guint64 *count = g_hash_table_lookup (self->requests, key);

      g_string_append_printf (out, "crossing_http_requests_total{route=\"%.*s\",status=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", (int) (newline - key), key, newline + 1,
                              *count);
    }

  g_string_append (out, "# HELP crossing_orders_finished_total Orders that reached a final state.\n"
                        "# TYPE crossing_orders_finished_total counter\n");
  for (guint s = 0; s < G_N_ELEMENTS (self->orders_ended); s++)
    if (crossing_status_is_terminal ((CrossingStatus) s))
      g_string_append_printf (out, "crossing_orders_finished_total{state=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", crossing_status_to_string ((CrossingStatus) s),
                              self->orders_ended[s]);

  g_string_append (out, "# HELP crossing_sign_ins_total Sessions created, by sign-in flow.\n"
                        "# TYPE crossing_sign_ins_total counter\n");
  flows = sorted_keys (self->sign_ins);
  for (guint i = 0; i < flows->len; i++)
    {
      const char *flow = g_ptr_array_index (flows, i);

      g_string_append_printf (out, "crossing_sign_ins_total{flow=\"%s\"} %" G_GUINT64_FORMAT "\n",
                              flow, *(guint64 *) g_hash_table_lookup (self->sign_ins, flow));
    }

  g_string_append (out, "# HELP crossing_ledger_mutations_total Ledger mutations, by entry type "
                        "and result.\n"
                        "# TYPE crossing_ledger_mutations_total counter\n");
  ledger = sorted_keys (self->ledger);
  for (guint i = 0; i < ledger->len; i++)
    {
      const char *key = g_ptr_array_index (ledger, i);
      const char *newline = strchr (key, '\n');

      g_string_append_printf (out, "crossing_ledger_mutations_total{type=\"%.*s\",result=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", (int) (newline - key), key, newline + 1,
                              *(guint64 *) g_hash_table_lookup (self->ledger, key));
    }

  g_string_append_printf (out, "# HELP crossing_event_streams Open event streams.\n"
                               "# TYPE crossing_event_streams gauge\n"
                               "crossing_event_streams %u\n",
                          companion_event_hub_get_n_streams (self->hub));

  g_string_append (out, "# HELP crossing_store_latency_seconds Time of each store call.\n"
                        "# TYPE crossing_store_latency_seconds histogram\n");
  for (gsize i = 0; i < N_BUCKETS; i++)
    g_string_append_printf (out, "crossing_store_latency_seconds_bucket{le=\"%g\"} %"
                            G_GUINT64_FORMAT "\n", latency_bounds[i] / 1e6,
                            self->latency_buckets[i]);
  g_string_append_printf (out, "crossing_store_latency_seconds_bucket{le=\"+Inf\"} %"
                          G_GUINT64_FORMAT "\n"
                          "crossing_store_latency_seconds_sum %.6f\n"
                          "crossing_store_latency_seconds_count %" G_GUINT64_FORMAT "\n",
                          self->latency_count, self->latency_sum_us / 1e6, self->latency_count);
  return g_string_free (out, FALSE);
}
