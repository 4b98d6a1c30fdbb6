/* companion-adapters.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-adapters"

#include "config.h"

#include "crossing-proof.h"

#include "companion-adapters.h"
#include "companion-reply.h"
#include "companion-webauthn-adapter.h"

/* ---- ed25519 and nimiq-pay: an Ed25519 key's signature ------------------ */

static gboolean
key_verify (const CompanionConfig          *config,
            CompanionStore                 *store,
            const CompanionOrder           *order,
            const CompanionApproveRequest  *request,
            CompanionAdapterResult         *out,
            GError                        **error)
{
  if (!crossing_proof_verify (order->adapter, order->message, request->public_key_hex,
                              request->signature_hex, request->address, &out->subject,
                              &out->public_key_hex, error))
    return FALSE;
  out->signature_hex = g_strdup (request->signature_hex);
  return TRUE;
}

static gboolean
key_add_artifact (CompanionStore        *store,
                  const CompanionOrder  *order,
                  JsonBuilder           *builder,
                  GError               **error)
{
  companion_json_add_string (builder, "publicKeyHex", order->public_key_hex);
  companion_json_add_string (builder, "signatureHex", order->signature_hex);
  companion_json_add_string (builder, "message", order->message);
  return TRUE;
}

/* ---- the list ------------------------------------------------------------ */

/* A table of declarations, aligned as one (uncrustify would align each
 * on its own). */
/* *INDENT-OFF* */
typedef struct {
  CrossingAdapter adapter;
  gboolean      (*check_start)  (const CompanionConfig          *config,
                                 GError                        **error);
  void          (*add_envelope) (const CompanionConfig          *config,
                                 const CompanionOrder           *order,
                                 JsonBuilder                    *builder);
  gboolean      (*verify)       (const CompanionConfig          *config,
                                 CompanionStore                 *store,
                                 const CompanionOrder           *order,
                                 const CompanionApproveRequest  *request,
                                 CompanionAdapterResult         *out,
                                 GError                        **error);
  gboolean      (*keep)         (CompanionStore                 *store,
                                 const CompanionOrder           *order,
                                 CompanionAdapterResult         *result,
                                 GError                        **error);
  gboolean      (*add_artifact) (CompanionStore                 *store,
                                 const CompanionOrder           *order,
                                 JsonBuilder                    *builder,
                                 GError                        **error);
} Adapter;

/* ed25519 and nimiq-pay: a key's signature, nothing to keep. webauthn: a
 * passkey, which needs a secure context, adds its block to the envelope and
 * is kept in the store. */
static const Adapter adapters[] = {
  {
    .adapter = CROSSING_ADAPTER_ED25519,
    .verify = key_verify,
    .add_artifact = key_add_artifact,
  },
  {
    .adapter = CROSSING_ADAPTER_NIMIQ_PAY,
    .verify = key_verify,
    .add_artifact = key_add_artifact,
  },
  {
    .adapter = CROSSING_ADAPTER_WEBAUTHN,
    .check_start = companion_webauthn_check_start,
    .add_envelope = companion_webauthn_add_envelope,
    .verify = companion_webauthn_verify,
    .keep = companion_webauthn_keep,
    .add_artifact = companion_webauthn_add_artifact,
  },
};
/* *INDENT-ON* */

static const Adapter *
find (CrossingAdapter adapter)
{
  for (guint i = 0; i < G_N_ELEMENTS (adapters); i++)
    if (adapters[i].adapter == adapter)
      return &adapters[i];
  return NULL;
}

void
companion_adapter_result_clear (CompanionAdapterResult *result)
{
  g_clear_pointer (&result->subject, g_free);
  g_clear_pointer (&result->public_key_hex, g_free);
  g_clear_pointer (&result->signature_hex, g_free);
  if (result->keep != NULL && result->keep_free != NULL)
    result->keep_free (result->keep);
  result->keep = NULL;
}

gboolean
companion_adapter_check_start (const CompanionConfig  *config,
                               CrossingAdapter         adapter,
                               GError                **error)
{
  const Adapter *a = find (adapter);

  if (a == NULL)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER,
                           crossing_error_default_message (CROSSING_ERROR_UNSUPPORTED_ADAPTER));
      return FALSE;
    }
  return a->check_start == NULL || a->check_start (config, error);
}

void
companion_adapter_add_envelope (const CompanionConfig *config,
                                const CompanionOrder  *order,
                                JsonBuilder           *builder)
{
  const Adapter *a = find (order->adapter);

  if (a != NULL && a->add_envelope != NULL)
    a->add_envelope (config, order, builder);
}

gboolean
companion_adapter_verify (const CompanionConfig          *config,
                          CompanionStore                 *store,
                          const CompanionOrder           *order,
                          const CompanionApproveRequest  *request,
                          CompanionAdapterResult         *out,
                          GError                        **error)
{
  const Adapter *a = find (order->adapter);

  if (a == NULL)
    {
      g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER,
                           crossing_error_default_message (CROSSING_ERROR_UNSUPPORTED_ADAPTER));
      return FALSE;
    }
  return a->verify (config, store, order, request, out, error);
}

gboolean
companion_adapter_keep (CompanionStore          *store,
                        const CompanionOrder    *order,
                        CompanionAdapterResult  *result,
                        GError                 **error)
{
  const Adapter *a = find (order->adapter);

  return a == NULL || a->keep == NULL || a->keep (store, order, result, error);
}

gboolean
companion_adapter_add_artifact (CompanionStore        *store,
                                const CompanionOrder  *order,
                                JsonBuilder           *builder,
                                GError               **error)
{
  const Adapter *a = find (order->adapter);

  return a == NULL || a->add_artifact (store, order, builder, error);
}
