/* crossing-window.h: the main window, which renders the order's state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "crossing-order.h"

G_BEGIN_DECLS

#define CROSSING_TYPE_WINDOW (crossing_window_get_type ())
G_DECLARE_FINAL_TYPE (CrossingWindow, crossing_window, CROSSING, WINDOW, AdwApplicationWindow)

CrossingWindow *crossing_window_new                (GtkApplication *application,
                                                    CrossingOrder  *order);
/* The name of the page on show ("start", "qr", "scanned", …), for tests. */
const char     *crossing_window_get_visible_page   (CrossingWindow *self);
CrossingOrder  *crossing_window_get_order          (CrossingWindow *self);
/* How long Sign Out waits for Undo before it asks the server (default 5). */
void            crossing_window_set_undo_seconds   (CrossingWindow *self,
                                                    guint           seconds);
/* A sign-out still waiting for its Undo goes to the server now (on quit);
 * TRUE when one did. */
gboolean        crossing_window_commit_sign_out    (CrossingWindow *self);

G_END_DECLS
