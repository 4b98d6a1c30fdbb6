/* crossing-preferences-window.h: the sign-in server, checked before it is saved
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CROSSING_TYPE_PREFERENCES_WINDOW (crossing_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (CrossingPreferencesWindow, crossing_preferences_window, CROSSING,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

/* @settings: where "server-url" and "base-path" live (NULL: nothing is saved). */
CrossingPreferencesWindow *crossing_preferences_window_new        (GtkWindow   *parent,
                                                                   GSettings   *settings);
/* Checks @url as the Apply button does; for tests. */
void                       crossing_preferences_window_apply      (CrossingPreferencesWindow *self,
                                                                   const char                *url);
/* The sentence under the address, for tests. */
const char                *crossing_preferences_window_get_status (CrossingPreferencesWindow *self);
gboolean                   crossing_preferences_window_is_checking (CrossingPreferencesWindow *self);

G_END_DECLS
