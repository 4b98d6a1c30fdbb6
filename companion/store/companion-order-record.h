/* companion-order-record.h: an order as the store keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The record the store reads and writes; what may happen to it is the
 * cross-device feature's (features/cross-device/companion-order.h).
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

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
  /* Status polling: the order's interval in seconds (0 in rows from before
   * it: the configured one) and when the last poll was answered (epoch ms,
   * 0 for never). In the store, so they hold across companions. */
  guint            poll_interval;
  gint64           last_poll_at;
  /* User codes: SHA-256 hex of the 8 letters; the code is live while the
   * order is created and unexpired. NULL without one. */
  char            *user_code_hash;
  /* Identified orders: only the subject given at start (in @subject from
   * then on) may approve; approvals by another signer are counted. */
  gboolean         identified;
  guint            subject_mismatches;
  /* More lines of the signed details (a start's custom context; a ledger
   * order's amount, asset, reservationId): a JSON object of strings, or
   * NULL for none. */
  char            *extra_details;
  /* issue 12: members (a JSON object's text) the approved event and a
   * finalize answer add, set by the feature that made the order (a ledger
   * order's "reservation"), or NULL. */
  char            *approved_extra;
} CompanionOrder;

CompanionOrder *companion_order_new   (void);
void            companion_order_free  (CompanionOrder *order);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionOrder, companion_order_free)

G_END_DECLS
