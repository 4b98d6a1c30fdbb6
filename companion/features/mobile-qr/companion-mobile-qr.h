/* companion-mobile-qr.h: the Better Auth mobile-QR plugin's API as a feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * {basePath}/mobile-qr/start, challenge/:challengeId, complete and status,
 * and the phone page at /qr/phone/{challengeId}: a facade over the
 * cross-device order engine, whose login orders these are.
 */
#pragma once

#include "companion-feature.h"

G_BEGIN_DECLS

extern const CompanionFeature companion_mobile_qr_feature;

G_END_DECLS
