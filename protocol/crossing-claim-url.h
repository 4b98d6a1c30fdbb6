/* crossing-claim-url.h: taking a claim URL (what the QR encodes) apart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *origin;       /* "https://host:port", no trailing slash */
  char *prefix;       /* path before "/cross-device/claim/", "" or "/sub" */
  char *order_id;
  char *claim_token;
} CrossingClaimUrl;

/* Parses "{publicUrl}/cross-device/claim/{orderId}?token={claimToken}".
 * Only http and https; the order ID and token must be well-formed tokens.
 * Errors are G_IO_ERROR_INVALID_ARGUMENT with a message a person reads. */
CrossingClaimUrl *crossing_claim_url_parse (const char        *url,
                                            GError           **error);
void              crossing_claim_url_free  (CrossingClaimUrl  *claim_url);

/* "{origin}{prefix}{base_path}/cross-device": where the API lives. */
char             *crossing_claim_url_api_base (const CrossingClaimUrl *claim_url,
                                               const char             *base_path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingClaimUrl, crossing_claim_url_free)

G_END_DECLS
