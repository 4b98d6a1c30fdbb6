/* companion-ledger.h: the ledger as a feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * {basePath}/ledger/... (PROTOCOL.md, "Ledger"): balances, the journal,
 * holds that expire on the feature's timer, idempotent mutations by the
 * operator's admin key or an admin's session.
 */
#pragma once

#include "companion-feature.h"
#include "companion-store.h"

G_BEGIN_DECLS

extern const CompanionFeature companion_ledger_feature;

/* What POST /ledger/credit (@type "credit") or /debit does, on @store
 * directly: the same checks, fingerprint and stored answer, so a key used
 * here and then on the route replays. @assets as configured ("code:scale").
 * TRUE with @out_result->outcome; FALSE only for a store error. */
gboolean companion_ledger_post_move (CompanionStore         *store,
                                     const char * const     *assets,
                                     const char             *type,
                                     const char             *user_id,
                                     const char             *asset,
                                     gint64                  amount,
                                     const char             *reason,
                                     const char             *idempotency_key,
                                     CompanionLedgerResult  *out_result,
                                     GError                **error);

/* The wire code of a posting's outcome that is not APPLIED or REPLAYED. */
CrossingError companion_ledger_outcome_error (CompanionLedgerOutcome outcome);

G_END_DECLS
