/* companion-pg-user-codes.h: the user-code miss windows, in PostgreSQL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/. The misses against user codes are counted
 * in the store so that the brute-force bound holds for every companion on
 * the database together (PROTOCOL.md, "Operations"): one upsert counts a
 * miss, whoever else is counting at the same time.
 */
#pragma once

#include "companion-pg-connection.h"
#include "companion-store.h"

G_BEGIN_DECLS

/* Adds, in this order: forgetting the windows ended by @now, then counting
 * one miss of @scope (starting a window of @window_ms when none runs).
 * Read the second result with companion_pg_miss_window_from_result(). */
void     companion_pg_request_add_user_code_miss  (CompanionPgRequest  *request,
                                                   const char          *scope,
                                                   gint64               now,
                                                   gint64               window_ms);
/* Adds the read of @scope's window running at @now. */
void     companion_pg_request_add_get_user_code_misses (CompanionPgRequest *request,
                                                        const char         *scope,
                                                        gint64              now);
/* The window in @result (no row: none runs, all zero). */
void     companion_pg_miss_window_from_result     (const PGresult      *result,
                                                   CompanionMissWindow *out);

G_END_DECLS
