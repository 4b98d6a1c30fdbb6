/* companion-pg-transition.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Of racing callers, the UPDATE's row lock makes the second wait for the
 * first to commit, then re-check its WHERE on the new row (READ
 * COMMITTED): it finds another status and changes nothing. So exactly one
 * wins, on one companion or many.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include <string.h>

#include "companion-pg-transition.h"

#define DB_NOW_MS "(extract (epoch FROM now ()) * 1000)::bigint"

static const CompanionPgStatement transition_statement = {
  "companion_transition",
  "WITH changed AS ("
  "  UPDATE orders SET status = $3::integer,"
  "   challenge_token_hash = coalesce ($4::text, challenge_token_hash),"
  "   check_code = coalesce ($5::text, check_code),"
  "   subject = coalesce ($6::text, subject),"
  "   public_key_hex = coalesce ($7::text, public_key_hex),"
  "   signature_hex = coalesce ($8::text, signature_hex),"
  "   expires_at = coalesce ($9::bigint, expires_at),"
  "   approved_at = coalesce ($10::bigint, approved_at),"
  "   finalized_at = coalesce ($11::bigint, finalized_at),"
  "   session_id = coalesce ($12::text, session_id),"
  "   event_seq = event_seq + 1"
  "  WHERE id = $1::text AND status = ANY ($2::integer[])"
  "   AND ($13::bigint IS NULL OR expires_at <= $13::bigint)"
  "   AND (NOT $14::boolean OR expires_at <= " DB_NOW_MS ")"
  "  RETURNING id, event_seq"
  "), appended AS ("
  "  INSERT INTO order_events (order_id, seq, status, data, created_at)"
  "  SELECT id, event_seq, $3::integer, $15::text, " DB_NOW_MS " FROM changed"
  "  RETURNING order_id, seq"
  ")"
  " SELECT appended.seq FROM appended,"
  "  pg_notify ('" COMPANION_PG_EVENTS_CHANNEL "', appended.order_id || ':' || appended.seq)",
};

/* "{0,1,2}": the statuses of @mask as an integer[] literal. */
static char *
status_array (guint mask)
{
  GString *out = g_string_new ("{");

  for (guint status = 0; status < 32; status++)
    if (mask & (1u << status))
      g_string_append_printf (out, "%s%u", out->len > 1 ? "," : "", status);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static char *
time_param (gint64 value)
{
  return value != 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, value) : NULL;
}

void
companion_pg_request_add_transition (CompanionPgRequest         *request,
                                     const char                 *order_id,
                                     guint                       from_mask,
                                     const CompanionOrderChange *change,
                                     const char                 *session_id,
                                     gboolean                    due_by_database_clock,
                                     const char                 *event_data)
{
  g_autofree char *statuses = status_array (from_mask);
  g_autofree char *to = g_strdup_printf ("%d", (int) change->to);
  g_autofree char *expires_at = time_param (change->expires_at);
  g_autofree char *approved_at = time_param (change->approved_at);
  g_autofree char *finalized_at = time_param (change->finalized_at);
  g_autofree char *expires_by = time_param (change->only_if_expires_by);
  const char *params[] = {
    order_id, statuses, to,
    change->challenge_token_hash, change->check_code, change->subject,
    change->public_key_hex, change->signature_hex,
    expires_at, approved_at, finalized_at,
    session_id, expires_by, due_by_database_clock ? "true" : "false",
    event_data,
  };

  g_return_if_fail (request != NULL);
  g_return_if_fail (order_id != NULL && change != NULL && event_data != NULL);

  companion_pg_request_add_prepared (request, &transition_statement, G_N_ELEMENTS (params),
                                     params);
}

static void
transitioned (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;
  const PGresult *rows;

  results = companion_pg_pool_execute_finish (COMPANION_PG_POOL (source), result, &error);
  if (results == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  rows = g_ptr_array_index (results, 0);
  if (PQntuples (rows) != 1)
    {
      g_task_return_new_error (task, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT,
                               "The order is not in a state this change starts from");
      return;
    }
  g_task_return_int (task, companion_pg_result_get_int64 (rows, 0, 0));
}

void
companion_pg_transition_async (CompanionPgPool            *pool,
                               const char                 *order_id,
                               guint                       from_mask,
                               const CompanionOrderChange *change,
                               const char                 *session_id,
                               gboolean                    due_by_database_clock,
                               const char                 *event_data,
                               GCancellable               *cancellable,
                               GAsyncReadyCallback         callback,
                               gpointer                    user_data)
{
  g_autoptr(CompanionPgRequest) request = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMPANION_IS_PG_POOL (pool));

  task = g_task_new (pool, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_transition_async);

  request = companion_pg_request_new ();
  companion_pg_request_add_transition (request, order_id, from_mask, change, session_id,
                                       due_by_database_clock, event_data);
  companion_pg_pool_execute_async (pool, g_steal_pointer (&request), cancellable, transitioned,
                                   g_steal_pointer (&task));
}

gboolean
companion_pg_transition_finish (CompanionPgPool  *pool,
                                GAsyncResult     *result,
                                gint64           *out_seq,
                                GError          **error)
{
  gssize seq;

  g_return_val_if_fail (g_task_is_valid (result, pool), FALSE);

  seq = g_task_propagate_int (G_TASK (result), error);
  if (seq < 0)
    return FALSE;
  if (out_seq != NULL)
    *out_seq = seq;
  return TRUE;
}

gboolean
companion_pg_parse_event_payload (const char  *payload,
                                  char       **out_order_id,
                                  gint64      *out_seq)
{
  const char *colon;
  guint64 seq;

  g_return_val_if_fail (out_order_id != NULL && out_seq != NULL, FALSE);

  colon = payload != NULL ? strrchr (payload, ':') : NULL;
  if (colon == NULL || colon == payload ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXINT64, &seq, NULL))
    return FALSE;
  *out_order_id = g_strndup (payload, colon - payload);
  *out_seq = (gint64) seq;
  return TRUE;
}
