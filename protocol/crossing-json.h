/* crossing-json.h: what JSON Crossing reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib is lenient: comments, single quotes, hex and leading-zero
 * numbers, a byte order mark, several values in a row (keeping the last),
 * and one level of C recursion per level of nesting, which a deep enough
 * text turns into a crash. Whatever comes from the network (a request body
 * on the companion, an answer or an event on the client) must be RFC 8259
 * JSON, nested at most so deep, before json-glib sees it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The contract nests 3 deep; this leaves room and bounds the scan. */
#define CROSSING_JSON_MAX_DEPTH 32

/* One JSON text (surrounding white space allowed) and nothing else, nested
 * at most @max_depth deep (and never more than CROSSING_JSON_MAX_DEPTH); no
 * lone UTF-16 surrogate escapes. Does not check UTF-8: do that first. */
gboolean crossing_json_is_strict (const char *data,
                                  gsize       len,
                                  guint       max_depth);

/* crossing_json_is_strict(), and in @n_members how many object members the
 * text writes, in all its objects at every depth: a name written twice in
 * one object counts twice, where the parsed object holds it once. */
gboolean crossing_json_scan      (const char *data,
                                  gsize       len,
                                  guint       max_depth,
                                  gsize      *n_members);

G_END_DECLS
