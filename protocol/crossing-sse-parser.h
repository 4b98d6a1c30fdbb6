/* crossing-sse-parser.h: an incremental Server-Sent Events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows the WHATWG "event stream interpretation": LF, CRLF and CR line
 * ends, a leading BOM, comments, multi-line data, id and retry fields, and
 * input split at any byte. It knows nothing of the network.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrossingSseParser CrossingSseParser;

/* Called once per dispatched event. @event_type is "message" when the stream
 * named none; @data has its trailing newline removed; @last_event_id is the
 * stream's last event ID after this event (may be ""). */
typedef void (*CrossingSseEventFunc) (const char *event_type,
                                      const char *data,
                                      const char *last_event_id,
                                      gpointer    user_data);

/* Called for each comment line (without the leading ':'), e.g. keepalives. */
typedef void (*CrossingSseCommentFunc) (const char *comment,
                                        gpointer    user_data);

#define CROSSING_SSE_DEFAULT_MAX_LINE   (64 * 1024)
#define CROSSING_SSE_DEFAULT_MAX_EVENT  (256 * 1024)

CrossingSseParser *crossing_sse_parser_new                (CrossingSseEventFunc    event_func,
                                                           CrossingSseCommentFunc  comment_func,
                                                           gpointer                user_data);
void               crossing_sse_parser_free               (CrossingSseParser      *parser);

/* Bounds memory against a hostile server: a line longer than @max_line bytes
 * or an event whose data exceeds @max_event bytes makes feed() fail. */
void               crossing_sse_parser_set_limits         (CrossingSseParser      *parser,
                                                           gsize                   max_line,
                                                           gsize                   max_event);

/* Feeds bytes; dispatches every complete event. Returns FALSE (and sets
 * @error, G_IO_ERROR_MESSAGE_TOO_LARGE) when a limit was exceeded; the
 * parser must then be reset or freed. Callbacks may not free the parser. */
gboolean           crossing_sse_parser_feed               (CrossingSseParser      *parser,
                                                           const char             *data,
                                                           gsize                   len,
                                                           GError                **error);

/* Forgets any partial line and event (a new connection), keeping the last
 * event ID and retry. */
void               crossing_sse_parser_reset              (CrossingSseParser      *parser);

/* The ID of the last dispatched event: an id: line counts once its event is
 * complete, so a stream cut in the middle of one resumes before it. */
const char        *crossing_sse_parser_get_last_event_id  (CrossingSseParser      *parser);
/* Bytes held for the partial line and event: never much over the limits. */
gsize              crossing_sse_parser_get_buffered       (CrossingSseParser      *parser);
/* The reconnection time from the last valid "retry:" field, or -1. */
gint64             crossing_sse_parser_get_retry          (CrossingSseParser      *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingSseParser, crossing_sse_parser_free)

G_END_DECLS
