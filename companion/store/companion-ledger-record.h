/* companion-ledger-record.h: the ledger as the store keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Records only: balances per (user, asset), the append-only journal, holds
 * and idempotency keys. One posting is one write transaction that checks
 * its key, applies one entry to one balance (and at most one hold) and
 * stores the answer the feature built for it. Which wire error an outcome
 * is, and what a request may ask, is the ledger feature's
 * (features/ledger/).
 */
#pragma once

#include <glib.h>

#include "companion-order-record.h"

G_BEGIN_DECLS

/* The largest amount or balance: exact in every JSON client. */
#define COMPANION_LEDGER_MAX_AMOUNT ((gint64) 9007199254740991)   /* 2^53 - 1 */

typedef enum {
  COMPANION_HOLD_HELD,
  COMPANION_HOLD_CAPTURED,
  COMPANION_HOLD_RELEASED,
  COMPANION_HOLD_EXPIRED,
} CompanionHoldStatus;

/* "held", "captured", "released", "expired"; -1 / NULL for anything else. */
const char *companion_hold_status_to_string   (CompanionHoldStatus  status);
int         companion_hold_status_from_string (const char          *str);

/* One journal entry, with the balances after it (journal view: a hold
 * counts in @reserved until its release or capture entry is written). */
typedef struct {
  gint64  seq;              /* the journal's order, from 1, never reused */
  char   *id;
  char   *user_id;
  char   *type;             /* credit, debit, adjust, reserve, release, capture */
  char   *asset;
  gint64  amount;           /* > 0 */
  gint64  posted_delta;
  gint64  reserved_delta;
  gint64  posted;
  gint64  reserved;
  char   *reason;
  char   *hold_id;          /* nullable */
  char   *order_id;         /* nullable */
  gint64  created_at;
} CompanionLedgerEntry;

typedef struct {
  char                *id;
  char                *user_id;
  char                *asset;
  gint64               amount;
  CompanionHoldStatus  status;
  char                *reason;
  char                *order_id;          /* nullable */
  gint64               expires_at;
  gint64               created_at;
  gint64               captured_amount;   /* -1 while held, or when released */
  gint64               released_amount;   /* -1 while held */
} CompanionLedgerHold;

/* A balance as reads see it at some time: holds past their expiry no
 * longer count in @reserved, whether or not their release is written. */
typedef struct {
  gint64 posted;
  gint64 reserved;
} CompanionLedgerBalance;

typedef enum {
  /* Moves @posted_delta on the posted balance (credit, debit, adjust). */
  COMPANION_POSTING_MOVE,
  /* Creates the hold @hold_id of @amount until @expires_at (reserve). */
  COMPANION_POSTING_HOLD,
  /* Resolves the hold @hold_id, which must be held and live: captures
   * @capture of it (-1: all of it; 0: nothing, a release) and releases
   * the rest, leaving it @hold_status. */
  COMPANION_POSTING_RESOLVE,
  /* Like RESOLVE as a release, but only for a hold that is held and past
   * its expiry at @now (the expiry timer's), leaving it expired. */
  COMPANION_POSTING_EXPIRE,
} CompanionPostingKind;

typedef struct _CompanionLedgerResult CompanionLedgerResult;

/* Builds the answer stored with the key (status 200 and this body), inside
 * the posting's transaction; returns a new string. */
typedef char *(*CompanionLedgerRespondFunc) (const CompanionLedgerResult *result,
                                             gpointer                     user_data);

typedef struct {
  CompanionPostingKind        kind;
  /* NULL for a posting without a key (an expiry). */
  const char                 *idempotency_key;
  const char                 *fingerprint;      /* compared with a stored key's */
  const char                 *entry_id;         /* the new entry's */
  const char                 *type;             /* the entry's type */
  const char                 *reason;
  /* MOVE and HOLD: whose balance; RESOLVE and EXPIRE take the hold's. */
  const char                 *user_id;
  const char                 *asset;
  gint64                      posted_delta;     /* MOVE: signed, not 0 */
  gint64                      amount;           /* HOLD: > 0 */
  const char                 *hold_id;          /* HOLD: new; RESOLVE, EXPIRE: existing */
  gint64                      expires_at;       /* HOLD */
  gint64                      capture;          /* RESOLVE */
  CompanionHoldStatus         hold_status;      /* RESOLVE */
  gint64                      now;
  CompanionLedgerRespondFunc  respond;          /* NULL: nothing is stored with the key */
  gpointer                    respond_data;
  /* issue 12, holds attached to an order. HOLD: when not NULL, this order is
   * inserted in the same transaction and the hold is attached to it; from
   * then on the store settles the hold with the order's transitions (the
   * approval captures all of it, or fails; a rejection, cancellation or
   * expiry releases it with reason order_rejected, order_cancelled,
   * order_expired). */
  const CompanionOrder       *order;
  /* RESOLVE as a release of a hold attached to an order still created,
   * claimed or waiting: the order is cancelled in the same transaction and
   * this is its event (required then). */
  const char                 *order_event_data;
} CompanionLedgerPosting;

/* Why a posting did not apply, or that it did. Nothing is written unless
 * APPLIED; for REPLAYED the stored answer is in the result. */
typedef enum {
  COMPANION_LEDGER_APPLIED,
  COMPANION_LEDGER_REPLAYED,           /* the key exists with this fingerprint */
  COMPANION_LEDGER_KEY_CONFLICT,       /* the key exists with another fingerprint */
  COMPANION_LEDGER_NO_USER,
  COMPANION_LEDGER_NO_HOLD,
  COMPANION_LEDGER_HOLD_NOT_HELD,      /* captured or released */
  COMPANION_LEDGER_HOLD_EXPIRED,       /* expired, or held past its expiry */
  COMPANION_LEDGER_HOLD_LIVE,          /* EXPIRE: the hold is not due yet */
  COMPANION_LEDGER_CAPTURE_TOO_LARGE,  /* capture > the hold's amount */
  COMPANION_LEDGER_BELOW_ZERO,         /* posted - live reserved would be < 0 */
  COMPANION_LEDGER_ABOVE_LIMIT,        /* a balance would pass the maximum */
  /* issue 12: RESOLVE capturing a hold attached to an order: only the
   * order's approval captures it. */
  COMPANION_LEDGER_HOLD_AWAITING_APPROVAL,
} CompanionLedgerOutcome;

struct _CompanionLedgerResult {
  CompanionLedgerOutcome  outcome;
  /* APPLIED: what was written and the balance after it (live view). */
  CompanionLedgerEntry   *entry;
  CompanionLedgerHold    *hold;             /* HOLD, RESOLVE, EXPIRE */
  CompanionLedgerBalance  balance;
  /* REPLAYED: the stored answer; APPLIED: the one just stored (or NULL). */
  guint                   status;
  char                   *body;
  /* issue 12, APPLIED: the order a release cancelled and its event's
   * sequence number (NULL / 0 when none). */
  char                   *cancelled_order_id;
  gint64                  cancelled_order_seq;
};

void companion_ledger_entry_free  (CompanionLedgerEntry  *entry);
void companion_ledger_hold_free   (CompanionLedgerHold   *hold);
/* Frees the members, not @result itself (it lives on the caller's stack). */
void companion_ledger_result_clear (CompanionLedgerResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionLedgerEntry, companion_ledger_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionLedgerHold, companion_ledger_hold_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CompanionLedgerResult, companion_ledger_result_clear)

G_END_DECLS
