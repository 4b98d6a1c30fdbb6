/* companion-order.h: the contract's state machine over an order record
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

#include "companion-order-record.h"

G_BEGIN_DECLS

typedef enum {
  COMPANION_ACTION_CLAIM,
  COMPANION_ACTION_CHALLENGE,
  COMPANION_ACTION_APPROVE,
  COMPANION_ACTION_REJECT,
  COMPANION_ACTION_CANCEL,
  COMPANION_ACTION_FINALIZE,
  COMPANION_ACTION_EXPIRE,
} CompanionAction;

#define COMPANION_N_ACTIONS (COMPANION_ACTION_EXPIRE + 1)



/* The states @action may start from, as COMPANION_STATUS_BIT()s. */
guint           companion_action_allowed_from (CompanionAction action);
/* The state @action leads to; for CHALLENGE from waiting_user it stays. */
CrossingStatus  companion_action_target       (CompanionAction action);
/* -1 when @action may run from @status, otherwise the contract's error for
 * trying it there. Time is not considered: see companion_order_is_past_expiry(). */
int             companion_action_check        (CompanionAction action,
                                               CrossingStatus  status);

gboolean        companion_order_is_past_expiry (const CompanionOrder *order,
                                                gint64                now_ms);

/* "/" when the order has no returnTo. */
const char     *companion_order_redirect_to    (const CompanionOrder *order);

/* The lower-case lines at the end of the message, which the envelope also
 * carries as "details": kind, orderId, subject (identified orders only),
 * summary, title and the order's extra details, sorted by key. A
 * NULL-terminated key, value, ... array. */
GStrv           companion_order_details        (const CompanionOrder *order);

/* Builds the exact message of the contract's challenge from the order's
 * fields (app_name, kind, origin, challenge_id, nonce, issued_at, expires_at,
 * id, return_to, payload_hash, summary, title). */
char           *companion_order_build_message  (const CompanionOrder *order);


/* The keys of companion_order_details() that are not extra details; a
 * start's custom context may not use them (nor the ledger's). */
gboolean        companion_order_is_builtin_detail (const char        *key);

G_END_DECLS
