/* companion-admin-key.h: `crossing-companion admin-key new`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The admin key's text: "crossing_admin_" and 43 characters of URL-safe
 * base64 (256 random bits). */
#define COMPANION_ADMIN_KEY_PREFIX "crossing_admin_"

int companion_admin_key_main (int    argc,
                              char **argv);

G_END_DECLS
