/* companion-pg-orders.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The columns in the order of the SQLite store's ORDER_COLUMNS, so the two
 * backends read the same record the same way.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-pg-orders.h"

#define ORDER_COLUMNS \
  "id, kind, adapter, status, claim_token_hash, desktop_token_hash, event_token_hash," \
  " challenge_token_hash, origin, return_to, title, summary, payload_hash, app_name," \
  " challenge_id, nonce, message, requester_ip, requester_user_agent, check_code," \
  " check_code_failures, subject, public_key_hex, signature_hex, session_id, created_at," \
  " issued_at, expires_at, approved_at, finalized_at, event_seq, challenge_id_hash," \
  " poll_interval, last_poll_at, user_code_hash, identified, subject_mismatches," \
  " extra_details"
#define N_ORDER_COLUMNS 38

static const CompanionPgStatement insert_order = {
  "companion_insert_order",
  "INSERT INTO orders (" ORDER_COLUMNS ") VALUES ($1, $2::integer, $3::integer, $4::integer,"
  " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21::integer,"
  " $22, $23, $24, $25, $26::bigint, $27::bigint, $28::bigint, $29::bigint, $30::bigint,"
  " $31::bigint, $32, $33::integer, $34::bigint, $35, $36::integer, $37::integer, $38)",
};

static const CompanionPgStatement get_order = {
  "companion_get_order",
  "SELECT " ORDER_COLUMNS " FROM orders WHERE id = $1::text",
};

static const CompanionPgStatement get_order_by_challenge_hash = {
  "companion_get_order_by_challenge_hash",
  "SELECT " ORDER_COLUMNS " FROM orders WHERE challenge_id_hash = $1::text",
};

/* The database's clock decides what is due; locked rows are another
 * companion's to expire. */
static const CompanionPgStatement lock_due_orders = {
  "companion_lock_due_orders",
  "SELECT " ORDER_COLUMNS " FROM orders"
  " WHERE status < 4 AND expires_at <= (extract (epoch FROM now ()) * 1000)::bigint"
  " ORDER BY expires_at LIMIT $1::integer FOR UPDATE SKIP LOCKED",
};

static const CompanionPgStatement list_events = {
  "companion_list_events",
  "SELECT seq, status, data FROM order_events WHERE order_id = $1::text AND seq > $2::bigint"
  " ORDER BY seq",
};

/* Text parameters, owned. */
typedef struct {
  char  *values[N_ORDER_COLUMNS];
  guint  n;
} Params;

static void
add_text (Params     *p,
          const char *text)
{
  g_assert (p->n < G_N_ELEMENTS (p->values));
  p->values[p->n++] = g_strdup (text);
}

static void
add_int (Params *p,
         gint64  value)
{
  g_assert (p->n < G_N_ELEMENTS (p->values));
  p->values[p->n++] = g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static void
params_clear (Params *p)
{
  for (guint i = 0; i < p->n; i++)
    g_free (p->values[i]);
}

void
companion_pg_request_add_insert_order (CompanionPgRequest   *request,
                                       const CompanionOrder *o)
{
  Params p = { { NULL }, 0 };

  g_return_if_fail (request != NULL && o != NULL);

  add_text (&p, o->id);
  add_int (&p, o->kind);
  add_int (&p, o->adapter);
  add_int (&p, o->status);
  add_text (&p, o->claim_token_hash);
  add_text (&p, o->desktop_token_hash);
  add_text (&p, o->event_token_hash);
  add_text (&p, o->challenge_token_hash);
  add_text (&p, o->origin);
  add_text (&p, o->return_to);
  add_text (&p, o->title);
  add_text (&p, o->summary);
  add_text (&p, o->payload_hash);
  add_text (&p, o->app_name);
  add_text (&p, o->challenge_id);
  add_text (&p, o->nonce);
  add_text (&p, o->message);
  add_text (&p, o->requester_ip);
  add_text (&p, o->requester_user_agent);
  add_text (&p, o->check_code);
  add_int (&p, o->check_code_failures);
  add_text (&p, o->subject);
  add_text (&p, o->public_key_hex);
  add_text (&p, o->signature_hex);
  add_text (&p, o->session_id);
  add_int (&p, o->created_at);
  add_int (&p, o->issued_at);
  add_int (&p, o->expires_at);
  add_int (&p, o->approved_at);
  add_int (&p, o->finalized_at);
  add_int (&p, o->event_seq);
  add_text (&p, o->challenge_id_hash);
  add_int (&p, o->poll_interval);
  add_int (&p, o->last_poll_at);
  add_text (&p, o->user_code_hash);
  add_int (&p, o->identified ? 1 : 0);
  add_int (&p, o->subject_mismatches);
  add_text (&p, o->extra_details);
  g_assert (p.n == N_ORDER_COLUMNS);

  companion_pg_request_add_prepared (request, &insert_order, p.n,
                                     (const char *const *) p.values);
  params_clear (&p);
}

void
companion_pg_request_add_get_order (CompanionPgRequest *request,
                                    const char         *order_id)
{
  const char *params[] = { order_id };

  g_return_if_fail (request != NULL && order_id != NULL);
  companion_pg_request_add_prepared (request, &get_order, 1, params);
}

void
companion_pg_request_add_get_order_by_challenge_hash (CompanionPgRequest *request,
                                                      const char         *challenge_id_hash)
{
  const char *params[] = { challenge_id_hash };

  g_return_if_fail (request != NULL && challenge_id_hash != NULL);
  companion_pg_request_add_prepared (request, &get_order_by_challenge_hash, 1, params);
}

/* Row @row of @r, or NULL when it holds values this program does not
 * know (a row written by a later version). */
static CompanionOrder *
order_from_row (const PGresult *r,
                int             row)
{
  g_autoptr(CompanionOrder) order = companion_order_new ();
  int i = 0;

  order->id = companion_pg_result_dup_text (r, row, i++);
  order->kind = companion_pg_result_get_int64 (r, row, i++);
  order->adapter = companion_pg_result_get_int64 (r, row, i++);
  order->status = companion_pg_result_get_int64 (r, row, i++);
  order->claim_token_hash = companion_pg_result_dup_text (r, row, i++);
  order->desktop_token_hash = companion_pg_result_dup_text (r, row, i++);
  order->event_token_hash = companion_pg_result_dup_text (r, row, i++);
  order->challenge_token_hash = companion_pg_result_dup_text (r, row, i++);
  order->origin = companion_pg_result_dup_text (r, row, i++);
  order->return_to = companion_pg_result_dup_text (r, row, i++);
  order->title = companion_pg_result_dup_text (r, row, i++);
  order->summary = companion_pg_result_dup_text (r, row, i++);
  order->payload_hash = companion_pg_result_dup_text (r, row, i++);
  order->app_name = companion_pg_result_dup_text (r, row, i++);
  order->challenge_id = companion_pg_result_dup_text (r, row, i++);
  order->nonce = companion_pg_result_dup_text (r, row, i++);
  order->message = companion_pg_result_dup_text (r, row, i++);
  order->requester_ip = companion_pg_result_dup_text (r, row, i++);
  order->requester_user_agent = companion_pg_result_dup_text (r, row, i++);
  order->check_code = companion_pg_result_dup_text (r, row, i++);
  order->check_code_failures = companion_pg_result_get_int64 (r, row, i++);
  order->subject = companion_pg_result_dup_text (r, row, i++);
  order->public_key_hex = companion_pg_result_dup_text (r, row, i++);
  order->signature_hex = companion_pg_result_dup_text (r, row, i++);
  order->session_id = companion_pg_result_dup_text (r, row, i++);
  order->created_at = companion_pg_result_get_int64 (r, row, i++);
  order->issued_at = companion_pg_result_get_int64 (r, row, i++);
  order->expires_at = companion_pg_result_get_int64 (r, row, i++);
  order->approved_at = companion_pg_result_get_int64 (r, row, i++);
  order->finalized_at = companion_pg_result_get_int64 (r, row, i++);
  order->event_seq = companion_pg_result_get_int64 (r, row, i++);
  order->challenge_id_hash = companion_pg_result_dup_text (r, row, i++);
  order->poll_interval = companion_pg_result_get_int64 (r, row, i++);
  order->last_poll_at = companion_pg_result_get_int64 (r, row, i++);
  order->user_code_hash = companion_pg_result_dup_text (r, row, i++);
  order->identified = companion_pg_result_get_int64 (r, row, i++) != 0;
  order->subject_mismatches = companion_pg_result_get_int64 (r, row, i++);
  order->extra_details = companion_pg_result_dup_text (r, row, i++);

  if (order->status < 0 || order->status >= CROSSING_N_STATUSES ||
      crossing_kind_to_string (order->kind) == NULL ||
      crossing_adapter_to_string (order->adapter) == NULL)
    return NULL;
  return g_steal_pointer (&order);
}

static gboolean
is_order_result (const PGresult  *r,
                 GError         **error)
{
  if (PQnfields (r) == N_ORDER_COLUMNS)
    return TRUE;
  g_set_error_literal (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CORRUPT,
                       "Not a row of orders");
  return FALSE;
}

CompanionOrder *
companion_pg_order_from_result (const PGresult  *r,
                                GError         **error)
{
  CompanionOrder *order;

  g_return_val_if_fail (r != NULL, NULL);

  if (PQntuples (r) == 0)
    {
      g_set_error_literal (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND,
                           "No such order");
      return NULL;
    }
  if (!is_order_result (r, error))
    return NULL;
  order = order_from_row (r, 0);
  if (order == NULL)
    g_set_error_literal (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CORRUPT,
                         "The order holds values this program does not know");
  return order;
}

void
companion_pg_request_add_lock_due_orders (CompanionPgRequest *request,
                                          guint               limit)
{
  g_autofree char *text = g_strdup_printf ("%u", MIN (limit, (guint) G_MAXINT));
  const char *params[] = { text };

  g_return_if_fail (request != NULL);
  companion_pg_request_add_prepared (request, &lock_due_orders, 1, params);
}

GPtrArray *
companion_pg_orders_from_result (const PGresult *r)
{
  GPtrArray *orders = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_order_free);

  g_return_val_if_fail (r != NULL, orders);

  if (!is_order_result (r, NULL))
    return orders;
  for (int row = 0; row < PQntuples (r); row++)
    {
      CompanionOrder *order = order_from_row (r, row);

      if (order != NULL)
        g_ptr_array_add (orders, order);
    }
  return orders;
}

void
companion_pg_request_add_list_events (CompanionPgRequest *request,
                                      const char         *order_id,
                                      gint64              after_seq)
{
  g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, after_seq);
  const char *params[] = { order_id, after };

  g_return_if_fail (request != NULL && order_id != NULL);
  companion_pg_request_add_prepared (request, &list_events, 2, params);
}

GPtrArray *
companion_pg_events_from_result (const PGresult *r)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_event_free);

  g_return_val_if_fail (r != NULL, events);

  for (int row = 0; row < PQntuples (r); row++)
    {
      CompanionEvent *event = g_new0 (CompanionEvent, 1);

      event->seq = companion_pg_result_get_int64 (r, row, 0);
      event->status = companion_pg_result_get_int64 (r, row, 1);
      event->data = companion_pg_result_dup_text (r, row, 2);
      g_ptr_array_add (events, event);
    }
  return events;
}
