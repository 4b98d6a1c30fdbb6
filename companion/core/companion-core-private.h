/* companion-core-private.h: the core's own view of CompanionCore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-core.h"
#include "companion-feature.h"
#include "companion-metrics.h"

G_BEGIN_DECLS

struct _CompanionCore
{
  CompanionConfig   *config;
  CompanionStore    *store;
  CompanionEventHub *hub;
  CompanionLimits   *limits;
  CompanionMetrics  *metrics;   /* NULL unless --metrics on */
  gpointer          *states;    /* one per companion_features[] entry */
  gsize              n_states;
};

CompanionCore *companion_core_new          (CompanionConfig *config,
                                            CompanionStore  *store,
                                            CompanionEventHub *hub,
                                            CompanionLimits *limits);
/* Creates every feature's state (after listening), then starts them. */
gboolean       companion_core_create_features (CompanionCore *core,
                                               GError       **error);
void           companion_core_free         (CompanionCore   *core);

/* The routes every deployment has: health, get-session, sign-out. */
extern const CompanionRoute companion_core_routes[];
extern const gsize          companion_core_n_routes;
/* GET /metrics, only added with --metrics on. */
extern const CompanionRoute companion_metrics_route;

G_END_DECLS
