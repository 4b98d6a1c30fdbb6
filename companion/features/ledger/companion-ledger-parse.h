/* companion-ledger-parse.h: reading what a ledger request says
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Amounts, assets, idempotency keys, reasons and cursors, from untrusted
 * input, with no store and no network: the fuzz target
 * (tests/fuzz/fuzz-ledger.c) drives these directly.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define COMPANION_LEDGER_MAX_KEY_CHARS     255
#define COMPANION_LEDGER_MAX_REASON_CHARS  120
#define COMPANION_LEDGER_MAX_CURSOR_CHARS  512

/* The raw text of the top-level member @name of the JSON object in @data
 * (strict JSON, as the core has checked it; anything else gives FALSE):
 * where its value starts and how long it is. Member names are compared
 * after their escapes are decoded, as json-glib does. */
gboolean companion_ledger_raw_member   (const char   *data,
                                        gsize         len,
                                        const char   *name,
                                        const char  **out_value,
                                        gsize        *out_value_len);

/* The amount in @field of @body: a JSON integer (json-glib's value type
 * and the raw token both: no fraction, no exponent, no string) from 1 to
 * 2^53 - 1, or with @is_signed from -(2^53 - 1) to 2^53 - 1 but not 0.
 * Missing (when @required) or anything else: INVALID_AMOUNT. Missing and
 * not required: TRUE with *@out 0. */
gboolean companion_ledger_read_amount  (JsonObject   *body,
                                        const char   *raw,
                                        gsize         raw_len,
                                        const char   *field,
                                        gboolean      is_signed,
                                        gboolean      required,
                                        gint64       *out,
                                        GError      **error);

/* An integer member that is not an amount (expiresInSeconds): the same
 * strict reading, from @min to @max, else INVALID_REQUEST. Missing: TRUE
 * with *@out = @fallback. */
gboolean companion_ledger_read_integer (JsonObject   *body,
                                        const char   *raw,
                                        gsize         raw_len,
                                        const char   *field,
                                        gint64        min,
                                        gint64        max,
                                        gint64        fallback,
                                        gint64       *out,
                                        GError      **error);

/* "code:scale" as configured: its code (at most 32 characters) and scale. */
gboolean companion_ledger_parse_asset  (const char   *value,
                                        char        **out_code,
                                        guint        *out_scale);

/* ^[A-Za-z0-9_:.\-]{1,255}$ */
gboolean companion_ledger_key_is_valid (const char   *key);

/* An opaque cursor: the journal position it continues from, bound to the
 * user and the asset filter (NULL: all assets) it was made for. */
char    *companion_ledger_cursor_new   (gint64        before_seq,
                                        const char   *user_id,
                                        const char   *asset);
/* FALSE for a cursor that is malformed or was made for another user or
 * filter. */
gboolean companion_ledger_cursor_parse (const char   *cursor,
                                        const char   *user_id,
                                        const char   *asset,
                                        gint64       *out_before_seq);

/* SHA-256 hex of the route and the recognized fields after defaults
 * (@n_fields of them; a NULL one is written as absent), length
 * prefixed so no two lists share a text. */
char    *companion_ledger_fingerprint  (const char   *route,
                                        const char   *const *fields,
                                        gsize         n_fields);

/* issue 12: @amount (minor units, >= 0) in major units with @scale
 * decimals: 1250 at scale 2 is "12.50", 7 at scale 3 "0.007". */
char    *companion_ledger_format_major (gint64        amount,
                                        guint         scale);

/* issue 12: SHA-256 hex of "crossing-ledger-v1\n{reservationId}\n{userId}\n
 * {asset}\n{amount}", the payloadHash of a hold's transaction order. */
char    *companion_ledger_payload_hash (const char   *reservation_id,
                                        const char   *user_id,
                                        const char   *asset,
                                        gint64        amount);

G_END_DECLS
