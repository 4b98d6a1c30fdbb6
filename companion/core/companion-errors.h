/* companion-errors.h: the store's errors as the wire's codes, in one table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store raises COMPANION_STORE_ERROR only; what a response says is
 * CROSSING_ERROR. A feature that gives a store error a business meaning
 * (an unknown subject is UNABLE_TO_RESOLVE_APPROVED_LOGIN, a lost claim is
 * ALREADY_CLAIMED) checks the store code first; everything else goes
 * through here.
 */
#pragma once

#include <glib.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

/* CONFLICT: TRANSITION_RACE (409 TRANSITION_CONFLICT), NOT_FOUND:
 * ORDER_NOT_FOUND, UNAVAILABLE: UNAVAILABLE (503), anything else:
 * INTERNAL (500). */
CrossingError companion_store_error_to_wire (gint           code);

/* The wire code of any error: a CROSSING_ERROR as it is, a store error by
 * the table above, any other domain INTERNAL. */
CrossingError companion_error_to_wire       (const GError  *error);

/* Replaces a COMPANION_STORE_ERROR in *@error by its CROSSING_ERROR. The
 * store's text only reaches the log: UNAVAILABLE gets the default message
 * (logged with g_message), INTERNAL keeps the text for the caller's log
 * line (a response never shows an INTERNAL message). Other domains, and
 * NULL, are left alone. */
void          companion_error_from_store    (GError       **error);

G_END_DECLS
