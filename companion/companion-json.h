/* companion-json.h: what JSON the companion reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib is lenient: comments, single quotes, hex and leading-zero
 * numbers, a byte order mark, several values in a row, and one level of C
 * recursion per level of nesting. A request body must be RFC 8259 JSON,
 * nested at most COMPANION_JSON_MAX_DEPTH deep, before json-glib sees it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COMPANION_JSON_MAX_DEPTH 32

/* One JSON text (surrounding white space allowed) and nothing else; no
 * lone UTF-16 surrogate escapes. Does not check UTF-8: do that first. */
gboolean companion_json_is_strict (const char *data,
                                   gsize       len);

G_END_DECLS
