/* companion-approve.h: `crossing-companion approve`, the phone in a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Exit statuses of `crossing-companion approve`. */
#define COMPANION_APPROVE_EXIT_APPROVED 0
#define COMPANION_APPROVE_EXIT_DECLINED 1   /* rejected, or the person said no */
#define COMPANION_APPROVE_EXIT_ERROR    2

/* argv[0] is "approve". */
int         companion_approve_main             (int          argc,
                                                char       **argv);

/* The sentence a person reads for a contract error @code, falling back to
 * the server's @message (made safe to print) for codes it does not know.
 * Either may be NULL. */
char       *companion_approve_describe_error   (const char  *code,
                                                const char  *message);

/* Loads the 32-byte Ed25519 seed kept as hex at @path. When the file is
 * missing, creates it (mode 0600, its folder 0700) and sets @out_created.
 * Refuses a file other users can read or change, and a damaged one. */
gboolean    companion_approve_load_key         (const char  *path,
                                                guint8       seed[32],
                                                gboolean    *out_created,
                                                GError     **error);

/* Parses a server's answer body: a JSON object, not too deeply nested.
 * Anything else is a G_IO_ERROR_INVALID_DATA error. */
JsonObject *companion_approve_parse_reply      (const char  *data,
                                                gsize        len,
                                                GError     **error);

/* "45 s", "2 min 5 s", "expired": how long @ms milliseconds are. */
char       *companion_approve_format_time_left (gint64       ms);

/* issue 12: a transaction order's charge in major units, "12.50 eur", from
 * its details (amount in minor units, asset, scale: decimal strings as
 * the companion writes them); NULL when @amount is missing or not 1 to 16
 * digits, or @scale is not 0 to 18. @asset may be NULL. */
char       *companion_approve_format_amount    (const char  *amount,
                                                const char  *asset,
                                                const char  *scale);

G_END_DECLS
