/* companion-features.c: the one list of features
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A new feature is one line here (and its folder in features/). Order
 * matters only where a feature uses another's state: those come later.
 */
#include "config.h"

#include "companion-cross-device.h"
#include "companion-feature.h"
#include "companion-ledger.h"
#include "companion-mobile-qr.h"
#include "companion-nimiq.h"

const CompanionFeature *const companion_features[] = {
  &companion_cross_device_feature,
  &companion_mobile_qr_feature,
  &companion_nimiq_feature,
  &companion_ledger_feature,
  NULL,
};
