/* crossing-error.h: errors in words a person understands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A sentence for @error: network, TLS, HTTP and the contract's codes
 * (CROSSING_ERROR, whose message is the server's own). */
char *crossing_error_describe (const GError *error,
                               const char   *server_url);

G_END_DECLS
