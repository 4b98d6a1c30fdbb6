/* crossing-token.h: random tokens, their hashes and constant-time checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CROSSING_ORDER_ID_BYTES    16   /* 128 bits */
#define CROSSING_TOKEN_BYTES       24   /* 192 bits: claim, desktop, event, challenge, nonce */
#define CROSSING_SESSION_TOKEN_BYTES 32 /* 256 bits */
#define CROSSING_TOKEN_MAX_CHARS   128
#define CROSSING_TOKEN_HASH_CHARS  64   /* SHA-256 as lowercase hex */

/* Must be called once before any other function here (wraps sodium_init);
 * safe to call many times and from several threads. */
void      crossing_crypto_init          (void);

/* @n_bytes random bytes from libsodium, URL-safe base64 without padding. */
char     *crossing_token_new            (gsize        n_bytes);

/* SHA-256 of the token's UTF-8 bytes, lowercase hex (64 chars). */
char     *crossing_token_hash           (const char  *token);

/* Hashes @token and compares with @stored_hash in constant time. FALSE for a
 * NULL, empty or malformed token. */
gboolean  crossing_token_verify         (const char  *token,
                                         const char  *stored_hash);

/* URL-safe base64 alphabet only, 1 to CROSSING_TOKEN_MAX_CHARS chars. */
gboolean  crossing_token_is_well_formed (const char  *token);

/* Lowercase or uppercase hex of exactly @n_bytes bytes into @out. */
gboolean  crossing_hex_decode           (const char  *hex,
                                         guint8      *out,
                                         gsize        n_bytes);
char     *crossing_hex_encode           (const guint8 *data,
                                         gsize         len);

/* SHA-256 of @len bytes, lowercase hex. */
char     *crossing_sha256_hex           (const void  *data,
                                         gsize        len);

G_END_DECLS
