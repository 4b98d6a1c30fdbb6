/* crossing-nimiq.h: Nimiq user-friendly addresses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CROSSING_NIMIQ_ADDRESS_BYTES 20

/* "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U": Blake2b-256 of the public
 * key, first 20 bytes, Nimiq base32, IBAN check digits. */
char     *crossing_nimiq_address_from_public_key (const guint8 public_key[32]);
char     *crossing_nimiq_address_from_bytes      (const guint8 address[CROSSING_NIMIQ_ADDRESS_BYTES]);

/* Accepts the user-friendly form with or without spaces, any case; checks
 * the country code, alphabet, length and check digits. */
gboolean  crossing_nimiq_address_parse           (const char   *text,
                                                  guint8        out[CROSSING_NIMIQ_ADDRESS_BYTES],
                                                  GError      **error);

/* The 32-byte digest the Nimiq wallet signs for a text message:
 * SHA-256("\x16Nimiq Signed Message:\n" + decimal byte length + message). */
void      crossing_nimiq_message_digest          (const char   *message,
                                                  gsize         message_len,
                                                  guint8        out[32]);

/* The text a Nimiq direct sign-in signs (PROTOCOL.md, "Nimiq direct
 * sign-in"): six lines joined with '\n', no trailing newline. */
char     *crossing_nimiq_sign_in_message         (const char   *app_name,
                                                  const char   *origin,
                                                  const char   *nonce,
                                                  gint64        issued_at_ms,
                                                  gint64        expires_at_ms);

G_END_DECLS
