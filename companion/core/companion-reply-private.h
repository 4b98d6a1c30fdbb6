/* companion-reply-private.h: how the core writes a reply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-reply.h"

G_BEGIN_DECLS

typedef enum {
  COMPANION_REPLY_EMPTY,
  COMPANION_REPLY_JSON,
  COMPANION_REPLY_BYTES,
  COMPANION_REPLY_STREAM,
} CompanionReplyKind;

CompanionReplyKind companion_reply_get_kind       (const CompanionReply *reply);
const char        *companion_reply_get_stream_order (const CompanionReply *reply);
GPtrArray         *companion_reply_get_stream_events (const CompanionReply *reply);
gboolean           companion_reply_get_stream_ended (const CompanionReply *reply);
/* A header set on the reply, or NULL. */
const char        *companion_reply_get_header     (const CompanionReply *reply,
                                                   const char           *name);

/* Status, headers, cookies and a JSON or byte body onto @msg (a stream's
 * body is the event hub's to write). */
void               companion_reply_write          (const CompanionReply *reply,
                                                   SoupServerMessage    *msg);

G_END_DECLS
