/* companion-pg-orders.h: orders and their events, as PostgreSQL rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. The statements and the row readers the
 * PostgreSQL store's order functions are made of (insert, get by id or by
 * challenge hash, the events after a sequence number: the catch-up read
 * of a stream), so that they are tested against the schema before the
 * store exists.
 */
#pragma once

#include "companion-pg-connection.h"
#include "companion-store.h"

G_BEGIN_DECLS

/* Adds the INSERT of @order; CONFLICT when its id exists. */
void            companion_pg_request_add_insert_order      (CompanionPgRequest   *request,
                                                            const CompanionOrder *order);
/* Adds the SELECT of the order @order_id; read it with
 * companion_pg_order_from_result(). */
void            companion_pg_request_add_get_order         (CompanionPgRequest   *request,
                                                            const char           *order_id);
void companion_pg_request_add_get_order_by_challenge_hash (CompanionPgRequest *request,
                                                           const char         *challenge_id_hash);
/* The order in @result (of one of the two above): NOT_FOUND when there is
 * no row, CORRUPT when it holds values this program does not know. */
CompanionOrder *companion_pg_order_from_result             (const PGresult       *result,
                                                            GError              **error);

/* Adds the SELECT of at most @limit non-terminal orders that are due by
 * the database's clock, earliest first, locked FOR UPDATE SKIP LOCKED:
 * inside a transaction (companion_pg_pool_begin_async()), companions
 * sweeping together each get their own. Read them with
 * companion_pg_orders_from_result(). */
void            companion_pg_request_add_lock_due_orders   (CompanionPgRequest   *request,
                                                            guint                 limit);
/* CompanionOrder; rows this program cannot read are left out. */
GPtrArray      *companion_pg_orders_from_result            (const PGresult       *result);

/* Adds the SELECT of @order_id's events with seq > @after_seq, oldest
 * first; read them with companion_pg_events_from_result(). */
void            companion_pg_request_add_list_events       (CompanionPgRequest   *request,
                                                            const char           *order_id,
                                                            gint64                after_seq);
/* CompanionEvent, oldest first. */
GPtrArray      *companion_pg_events_from_result            (const PGresult       *result);

G_END_DECLS
