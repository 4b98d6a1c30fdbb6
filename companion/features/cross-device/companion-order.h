/* companion-order.h: an order record and the contract's state machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

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

/* A bit per CrossingStatus, for "UPDATE … WHERE status IN (…)". */
#define COMPANION_STATUS_BIT(s) (1u << (guint) (s))

/* The order as the store keeps it. Token fields hold SHA-256 hex hashes. */
typedef struct {
  char            *id;
  CrossingKind     kind;
  CrossingAdapter  adapter;
  CrossingStatus   status;
  char            *claim_token_hash;
  char            *desktop_token_hash;
  char            *event_token_hash;
  char            *challenge_token_hash;   /* NULL until claimed */
  char            *origin;
  char            *return_to;              /* NULL when none was given */
  char            *title;
  char            *summary;
  char            *payload_hash;           /* NULL when none was given */
  char            *app_name;
  char            *challenge_id;
  char            *nonce;
  char            *message;                /* the exact text the phone signs */
  char            *requester_ip;
  char            *requester_user_agent;
  char            *check_code;             /* NULL until claimed, or when off */
  guint            check_code_failures;
  char            *subject;                /* set on approve */
  char            *public_key_hex;
  char            *signature_hex;
  char            *session_id;             /* set on a login finalize */
  gint64           created_at;             /* epoch ms */
  gint64           issued_at;
  gint64           expires_at;
  gint64           approved_at;            /* 0 until approved */
  gint64           finalized_at;           /* 0 until finalized */
  gint64           event_seq;              /* the last event's sequence number */
  /* Only on orders started through mobile QR, where the challenge ID in the
   * QR is the phone's credential and is looked up by this hash. */
  char            *challenge_id_hash;
} CompanionOrder;

CompanionOrder *companion_order_new   (void);
void            companion_order_free  (CompanionOrder *order);

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

/* Builds the exact message of the contract's challenge from the order's
 * fields (app_name, kind, origin, challenge_id, nonce, issued_at, expires_at,
 * id, return_to, payload_hash, summary, title). */
char           *companion_order_build_message  (const CompanionOrder *order);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionOrder, companion_order_free)

G_END_DECLS
