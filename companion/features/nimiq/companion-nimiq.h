/* companion-nimiq.h: Nimiq direct sign-in as a feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * {basePath}/nimiq/nonce and /nimiq/verify (PROTOCOL.md, "Nimiq direct
 * sign-in"), and the same-browser page /nimiq/sign-in that uses them.
 */
#pragma once

#include "companion-feature.h"

G_BEGIN_DECLS

extern const CompanionFeature companion_nimiq_feature;

G_END_DECLS
