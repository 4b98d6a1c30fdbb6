/* companion-cross-device.h: the cross-device flow as a feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The routes under {basePath}/cross-device, the phone page, and the order
 * engine behind them.
 */
#pragma once

#include "companion-engine.h"
#include "companion-feature.h"

G_BEGIN_DECLS

typedef struct _CompanionCrossDevice CompanionCrossDevice;

extern const CompanionFeature companion_cross_device_feature;

CompanionEngine *companion_cross_device_get_engine (CompanionCrossDevice *self);

G_END_DECLS
