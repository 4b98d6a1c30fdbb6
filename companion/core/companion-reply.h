/* companion-reply.h: what a handler answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A handler fills a CompanionReply (a status and a JSON body, bytes of a
 * page, or an event stream, plus headers and cookies); the core writes it.
 * Errors are GErrors: the core maps them to the contract's {code, message}
 * bodies in one table (companion-errors.c).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

typedef struct _CompanionReply CompanionReply;

CompanionReply *companion_reply_new            (void);
void            companion_reply_free           (CompanionReply *reply);

/* 200 unless @status says otherwise; takes @node. */
void            companion_reply_take_json      (CompanionReply *reply,
                                                guint           status,
                                                JsonNode       *node);
/* The contract's error body for @error (see companion-errors.h). */
void            companion_reply_set_error      (CompanionReply *reply,
                                                const GError   *error);
/* @message NULL: the code's default message. */
void            companion_reply_set_error_code (CompanionReply *reply,
                                                CrossingError   code,
                                                const char     *message);
void            companion_reply_set_bytes      (CompanionReply *reply,
                                                guint           status,
                                                const char     *content_type,
                                                GBytes         *bytes);
/* Replaces a header of that name. */
void            companion_reply_set_header     (CompanionReply *reply,
                                                const char     *name,
                                                const char     *value);
/* Adds a Set-Cookie; takes @cookie. */
void            companion_reply_take_cookie    (CompanionReply *reply,
                                                SoupCookie     *cookie);
/* An event stream of @order_id: the frames of @events (CompanionEvent)
 * first, then, unless @ended, whatever the hub publishes for the order. */
void            companion_reply_set_stream     (CompanionReply *reply,
                                                const char     *order_id,
                                                GPtrArray      *events,
                                                gboolean        ended);

/* The headers of everything served outside the API: a strict
 * Content-Security-Policy, no referrer, no sniffing, no framing, no-store.
 * The core sets them on every answer to a public path. */
void            companion_reply_set_page_headers (CompanionReply *reply);

guint           companion_reply_get_status     (const CompanionReply *reply);

/* Builder helpers for the answers handlers make: a string member (NULL
 * writes null) and an integer member. */
void            companion_json_add_string      (JsonBuilder    *builder,
                                                const char     *name,
                                                const char     *value);
void            companion_json_add_int         (JsonBuilder    *builder,
                                                const char     *name,
                                                gint64          value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionReply, companion_reply_free)

G_END_DECLS
