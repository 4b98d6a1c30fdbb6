/* companion-errors.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-errors"

#include "config.h"

#include "companion-errors.h"
#include "companion-store.h"

static const CrossingError store_to_wire[] = {
  [COMPANION_STORE_ERROR_FAILED] = CROSSING_ERROR_INTERNAL,
  [COMPANION_STORE_ERROR_NOT_FOUND] = CROSSING_ERROR_ORDER_NOT_FOUND,
  [COMPANION_STORE_ERROR_CONFLICT] = CROSSING_ERROR_TRANSITION_RACE,
  [COMPANION_STORE_ERROR_UNAVAILABLE] = CROSSING_ERROR_UNAVAILABLE,
  [COMPANION_STORE_ERROR_CORRUPT] = CROSSING_ERROR_INTERNAL,
  [COMPANION_STORE_ERROR_UNSUPPORTED] = CROSSING_ERROR_INTERNAL,
  /* issue 12: an approval whose hold cannot be captured */
  [COMPANION_STORE_ERROR_HOLD_NOT_HELD] = CROSSING_ERROR_RESERVATION_NOT_HELD,
  [COMPANION_STORE_ERROR_HOLD_EXPIRED] = CROSSING_ERROR_RESERVATION_EXPIRED,
};

G_STATIC_ASSERT (G_N_ELEMENTS (store_to_wire) == COMPANION_STORE_ERROR_HOLD_EXPIRED + 1);

CrossingError
companion_store_error_to_wire (gint code)
{
  if (code < 0 || (guint) code >= G_N_ELEMENTS (store_to_wire))
    return CROSSING_ERROR_INTERNAL;
  return store_to_wire[code];
}

CrossingError
companion_error_to_wire (const GError *error)
{
  g_return_val_if_fail (error != NULL, CROSSING_ERROR_INTERNAL);

  if (error->domain == CROSSING_ERROR && error->code >= 0 && error->code < CROSSING_N_ERRORS)
    return (CrossingError) error->code;
  if (error->domain == COMPANION_STORE_ERROR)
    return companion_store_error_to_wire (error->code);
  return CROSSING_ERROR_INTERNAL;
}

void
companion_error_from_store (GError **error)
{
  CrossingError code;
  GError *wire;

  if (error == NULL || *error == NULL || (*error)->domain != COMPANION_STORE_ERROR)
    return;

  code = companion_store_error_to_wire ((*error)->code);
  if (code == CROSSING_ERROR_INTERNAL)
    {
      wire = g_error_new (CROSSING_ERROR, code, "Store: %s", (*error)->message);
    }
  else
    {
      if (code == CROSSING_ERROR_UNAVAILABLE)
        g_message ("The store is unavailable: %s", (*error)->message);
      wire = g_error_new_literal (CROSSING_ERROR, code, crossing_error_default_message (code));
    }
  g_clear_error (error);
  *error = wire;
}
