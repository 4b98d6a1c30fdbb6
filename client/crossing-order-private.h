/* crossing-order-private.h: what only the client and its tests may call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "crossing-order.h"

G_BEGIN_DECLS

/* Puts the order in WAITING for @order_id as if the companion had just
 * started it, without opening its stream: the state machine can then be
 * driven with crossing_order_handle_event(). */
void crossing_order_follow_for_test (CrossingOrder *self,
                                     const char    *order_id,
                                     guint          renewals);

G_END_DECLS
