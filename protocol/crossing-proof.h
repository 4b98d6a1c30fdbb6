/* crossing-proof.h: signing and verifying approvals for each adapter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

#define CROSSING_ED25519_SEED_BYTES       32
#define CROSSING_ED25519_PUBLIC_KEY_BYTES 32
#define CROSSING_ED25519_SECRET_KEY_BYTES 64
#define CROSSING_ED25519_SIGNATURE_BYTES  64

/* Verifies a proof for @message under @adapter.
 *
 * ed25519: a detached Ed25519 signature over the message's UTF-8 bytes;
 *          subject "ed25519:{publicKeyHex}" (lowercase hex).
 * nimiq-pay: Ed25519 over crossing_nimiq_message_digest(); subject the
 *          user-friendly Nimiq address. @address, when not NULL, must match.
 *
 * On success sets @out_subject (and @out_public_key_hex, normalised to
 * lowercase) and returns TRUE. On failure sets a CROSSING_ERROR_INVALID_PROOF
 * error (CROSSING_ERROR_UNSUPPORTED_ADAPTER for an unknown adapter). */
gboolean  crossing_proof_verify (CrossingAdapter   adapter,
                                 const char       *message,
                                 const char       *public_key_hex,
                                 const char       *signature_hex,
                                 const char       *address,
                                 char            **out_subject,
                                 char            **out_public_key_hex,
                                 GError          **error);

/* Signs @message as the phone does for @adapter with the 32-byte seed.
 * Returns lowercase hex public key and signature. */
void      crossing_proof_sign   (CrossingAdapter   adapter,
                                 const char       *message,
                                 const guint8      seed[CROSSING_ED25519_SEED_BYTES],
                                 char            **out_public_key_hex,
                                 char            **out_signature_hex);

/* The subject a key signs in as under @adapter (see crossing_proof_verify). */
char     *crossing_proof_subject_for_key (CrossingAdapter adapter,
                                          const guint8    public_key[CROSSING_ED25519_PUBLIC_KEY_BYTES]);

/* A subject as people type it: "ed25519:{64 hex digits}" in any case (the
 * hex lowercased), or a Nimiq address in any spacing and case, its check
 * digits checked (its "NQ.. ...." form). NULL for anything else. Sets
 * @out_adapter, when not NULL, to the adapter whose proofs sign as it. */
char     *crossing_subject_normalize  (const char      *text,
                                       CrossingAdapter *out_adapter);
/* How a subject is shown: "ed25519:" and the first 16 hex digits of the
 * key, or a Nimiq address as it is (PROTOCOL.md, "Sessions"). */
char     *crossing_subject_short_form (const char      *subject);

G_END_DECLS
