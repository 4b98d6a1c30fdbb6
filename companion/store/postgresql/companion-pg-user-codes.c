/* companion-pg-user-codes.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-pg-user-codes.h"

static const CompanionPgStatement sweep_misses = {
  "companion_sweep_user_code_misses",
  "DELETE FROM user_code_misses WHERE window_ends <= $1::bigint",
};

/* One statement: the row lock of the conflict makes companions counting at
 * once take turns, and each miss counts once. */
static const CompanionPgStatement add_miss = {
  "companion_add_user_code_miss",
  "INSERT INTO user_code_misses AS m (scope, window_start, window_ends, misses)"
  " VALUES ($1::text, $2::bigint, $2::bigint + $3::bigint, 1)"
  " ON CONFLICT (scope) DO UPDATE SET"
  "  misses = CASE WHEN m.window_ends > $2::bigint THEN m.misses + 1 ELSE 1 END,"
  "  window_start = CASE WHEN m.window_ends > $2::bigint THEN m.window_start"
  "   ELSE $2::bigint END,"
  "  window_ends = CASE WHEN m.window_ends > $2::bigint THEN m.window_ends"
  "   ELSE $2::bigint + $3::bigint END"
  " RETURNING misses, window_ends",
};

static const CompanionPgStatement get_misses = {
  "companion_get_user_code_misses",
  "SELECT misses, window_ends FROM user_code_misses"
  " WHERE scope = $1::text AND window_ends > $2::bigint",
};

void
companion_pg_request_add_user_code_miss (CompanionPgRequest *request,
                                         const char         *scope,
                                         gint64              now,
                                         gint64              window_ms)
{
  g_autofree char *now_text = g_strdup_printf ("%" G_GINT64_FORMAT, now);
  g_autofree char *window_text = g_strdup_printf ("%" G_GINT64_FORMAT, window_ms);
  const char *sweep_params[] = { now_text };
  const char *add_params[] = { scope, now_text, window_text };

  g_return_if_fail (request != NULL && scope != NULL);

  companion_pg_request_add_prepared (request, &sweep_misses, 1, sweep_params);
  companion_pg_request_add_prepared (request, &add_miss, 3, add_params);
}

void
companion_pg_request_add_get_user_code_misses (CompanionPgRequest *request,
                                               const char         *scope,
                                               gint64              now)
{
  g_autofree char *now_text = g_strdup_printf ("%" G_GINT64_FORMAT, now);
  const char *params[] = { scope, now_text };

  g_return_if_fail (request != NULL && scope != NULL);
  companion_pg_request_add_prepared (request, &get_misses, 2, params);
}

void
companion_pg_miss_window_from_result (const PGresult      *result,
                                      CompanionMissWindow *out)
{
  g_return_if_fail (result != NULL && out != NULL);

  out->misses = (guint) companion_pg_result_get_int64 (result, 0, 0);
  out->window_ends = companion_pg_result_get_int64 (result, 0, 1);
}
