/* companion-pg-transition.h: an order's compare-and-set, in one statement
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. The statement updates the order only when
 * its status is one of the expected ones, appends the event row with the
 * order's next sequence number, and NOTIFYs COMPANION_PG_EVENTS_CHANNEL
 * with "ORDER_ID:SEQ": all in the transaction of its request, so every
 * companion LISTENing learns of it once it committed, never before, and
 * never of a change that rolled back. The payload never holds the event
 * itself (NOTIFY payloads stop at 8000 bytes); a listener reads the event
 * by sequence number.
 */
#pragma once

#include "companion-pg-pool.h"
#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_PG_EVENTS_CHANNEL "crossing_events"

/* Adds the compare-and-set to @request: the order @order_id moves to
 * @change->to when its status is in @from_mask (COMPANION_STATUS_BIT()s),
 * @change->only_if_expires_by holds (caller's clock, as the SQLite store)
 * and, with @due_by_database_clock, its expires_at has passed by the
 * database's now() (for expiry: the database clock decides). @session_id
 * (nullable) is written as the order's session. Its result has one row,
 * the event's seq, when the change applied; no row otherwise. */
void     companion_pg_request_add_transition (CompanionPgRequest         *request,
                                              const char                 *order_id,
                                              guint                       from_mask,
                                              const CompanionOrderChange *change,
                                              const char                 *session_id,
                                              gboolean                    due_by_database_clock,
                                              const char                 *event_data);

/* The same, alone in a request on @pool. */
void     companion_pg_transition_async       (CompanionPgPool            *pool,
                                              const char                 *order_id,
                                              guint                       from_mask,
                                              const CompanionOrderChange *change,
                                              const char                 *session_id,
                                              gboolean                    due_by_database_clock,
                                              const char                 *event_data,
                                              GCancellable               *cancellable,
                                              GAsyncReadyCallback         callback,
                                              gpointer                    user_data);
/* CONFLICT when the change did not apply (also for no such order). */
gboolean companion_pg_transition_finish      (CompanionPgPool            *pool,
                                              GAsyncResult               *result,
                                              gint64                     *out_seq,
                                              GError                    **error);

/* Reads a notification's payload; FALSE when it is not one of ours. */
gboolean companion_pg_parse_event_payload    (const char                 *payload,
                                              char                      **out_order_id,
                                              gint64                     *out_seq);

G_END_DECLS
