/* companion-webauthn-adapter.h: the adapter webauthn, a phone's passkey
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ../shared/PROTOCOL.md "Passkey approval": the relying party is the public
 * URL's host (or --rp-id), the challenge is SHA-256 of the order's message,
 * `webauthn.create` registers the passkey as the subject
 * "passkey:{credentialId}", `webauthn.get` signs with it. The checks are
 * companion-webauthn.c's; this file adds the store.
 */
#pragma once

#include "companion-adapters.h"

G_BEGIN_DECLS

#define COMPANION_PASSKEY_SUBJECT_PREFIX "passkey:"

/* The relying party ID this companion uses: --rp-id, else the public URL's
 * host. */
char     *companion_webauthn_rp_id          (const CompanionConfig          *config);

gboolean  companion_webauthn_check_start    (const CompanionConfig          *config,
                                             GError                        **error);
void      companion_webauthn_add_envelope   (const CompanionConfig          *config,
                                             const CompanionOrder           *order,
                                             JsonBuilder                    *builder);
gboolean  companion_webauthn_verify         (const CompanionConfig          *config,
                                             CompanionStore                 *store,
                                             const CompanionOrder           *order,
                                             const CompanionApproveRequest  *request,
                                             CompanionAdapterResult         *out,
                                             GError                        **error);
gboolean  companion_webauthn_keep           (CompanionStore                 *store,
                                             const CompanionOrder           *order,
                                             CompanionAdapterResult         *result,
                                             GError                        **error);
gboolean  companion_webauthn_add_artifact   (CompanionStore                 *store,
                                             const CompanionOrder           *order,
                                             JsonBuilder                    *builder,
                                             GError                        **error);

G_END_DECLS
