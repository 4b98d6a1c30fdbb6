/* companion-metrics.h: counters for `--metrics on`, in Prometheus' text format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Labels are only route paths from the table, status codes, order states
 * and flow names: never a token, an ID or an address.
 */
#pragma once

#include "companion-event-hub.h"
#include "companion-store.h"

G_BEGIN_DECLS

typedef struct _CompanionMetrics CompanionMetrics;

/* Follows @store's commits (orders by final state) and latency. */
CompanionMetrics *companion_metrics_new           (CompanionStore    *store,
                                                   CompanionEventHub *hub);
void              companion_metrics_free          (CompanionMetrics  *self);

/* @route is a route's path from the table (static), or "unmatched". */
void              companion_metrics_count_request (CompanionMetrics  *self,
                                                   const char        *route,
                                                   guint              status);
/* @flow is the feature's name (static). */
void              companion_metrics_count_sign_in (CompanionMetrics  *self,
                                                   const char        *flow);
/* @type and @result are static strings (an entry type; applied, replayed
 * or refused). */
void              companion_metrics_count_ledger_mutation (CompanionMetrics *self,
                                                           const char       *type,
                                                           const char       *result);
char             *companion_metrics_render        (CompanionMetrics  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionMetrics, companion_metrics_free)

G_END_DECLS
