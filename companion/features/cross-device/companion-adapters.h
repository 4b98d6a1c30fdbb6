/* companion-adapters.h: the cross-device adapters, one list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What differs between ed25519, nimiq-pay and webauthn: whether an order may
 * start with it, what the challenge envelope adds, how a proof is checked,
 * what an approval keeps, and what the proof artifact carries. The engine
 * asks here and knows no adapter by name.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "companion-config.h"
#include "companion-engine.h"
#include "companion-store.h"

G_BEGIN_DECLS

/* What checking a proof found. */
typedef struct {
  char     *subject;
  char     *public_key_hex;     /* ed25519, nimiq-pay: kept on the order */
  char     *signature_hex;      /* likewise */
  gpointer  keep;               /* what the adapter stores once the approval stands */
  void    (*keep_free) (gpointer keep);
} CompanionAdapterResult;

void      companion_adapter_result_clear (CompanionAdapterResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CompanionAdapterResult, companion_adapter_result_clear)

/* UNSUPPORTED_ADAPTER (with a message saying why) when this companion cannot
 * offer @adapter. */
gboolean  companion_adapter_check_start  (const CompanionConfig          *config,
                                          CrossingAdapter                 adapter,
                                          GError                        **error);

/* Adds the adapter's members to the challenge envelope being built. */
void      companion_adapter_add_envelope (const CompanionConfig          *config,
                                          const CompanionOrder           *order,
                                          JsonBuilder                    *builder);

/* Checks the proof of @request against @order; every refusal is an
 * INVALID_PROOF (or a store error) and changes nothing. */
gboolean  companion_adapter_verify       (const CompanionConfig          *config,
                                          CompanionStore                 *store,
                                          const CompanionOrder           *order,
                                          const CompanionApproveRequest  *request,
                                          CompanionAdapterResult         *out,
                                          GError                        **error);

/* Stores what the approval keeps (a passkey's registration or new sign
 * count, its answer), right before the approval's transition. */
gboolean  companion_adapter_keep         (CompanionStore                 *store,
                                          const CompanionOrder           *order,
                                          CompanionAdapterResult         *result,
                                          GError                        **error);

/* The proofArtifact's members after adapterId and subject. */
gboolean  companion_adapter_add_artifact (CompanionStore                 *store,
                                          const CompanionOrder           *order,
                                          JsonBuilder                    *builder,
                                          GError                        **error);

G_END_DECLS
