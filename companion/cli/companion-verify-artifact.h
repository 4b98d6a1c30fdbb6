/* companion-verify-artifact.h: `crossing-companion verify-artifact FILE`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int companion_verify_artifact_main (int    argc,
                                    char **argv);

G_END_DECLS
