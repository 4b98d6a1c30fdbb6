/* crossing-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CROSSING_TYPE_APPLICATION (crossing_application_get_type ())
G_DECLARE_FINAL_TYPE (CrossingApplication, crossing_application, CROSSING, APPLICATION,
                      AdwApplication)

CrossingApplication *crossing_application_new (void);

G_END_DECLS
