/* companion-event-hub.h: open Server-Sent Event streams, by order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "crossing-protocol.h"

#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_EVENT_HUB (companion_event_hub_get_type ())
G_DECLARE_FINAL_TYPE (CompanionEventHub, companion_event_hub, COMPANION, EVENT_HUB, GObject)

#define COMPANION_KEEPALIVE_SECONDS 15

CompanionEventHub *companion_event_hub_new           (guint               max_streams,
                                                      guint               max_streams_per_order);

/* How often idle streams get a ": keepalive" comment; the default is
 * COMPANION_KEEPALIVE_SECONDS. Tests shorten it. */
void               companion_event_hub_set_keepalive_interval (CompanionEventHub *self,
                                                               guint              interval_ms);

/* TRUE when one more stream for @order_id fits under the caps. */
gboolean           companion_event_hub_can_subscribe (CompanionEventHub  *self,
                                                      const char         *order_id);

/* Takes over @msg, whose response headers are set and whose body is already
 * streaming (see companion_event_hub_begin_stream()). The hub writes each
 * published event to it and drops it when the client goes away or the order
 * ends. Over HTTP/1.x it takes the connection from libsoup (the response
 * then says "Connection: close"), so @msg is only good for reading its
 * request and socket until the handler returns. */
void               companion_event_hub_subscribe     (CompanionEventHub  *self,
                                                      const char         *order_id,
                                                      SoupServerMessage  *msg);

/* From now on, publishes every event @store commits ("event-committed"),
 * as it commits: before the store call that made it returns, so before the
 * HTTP answer to the request that made it. Until @self is finalized. */
void               companion_event_hub_attach_store  (CompanionEventHub  *self,
                                                      CompanionStore     *store);

/* Sends one event to every stream of @order_id; a terminal @status ends
 * those streams afterwards. */
void               companion_event_hub_publish       (CompanionEventHub  *self,
                                                      const char         *order_id,
                                                      gint64              seq,
                                                      CrossingStatus      status,
                                                      const char         *data);

/* Ends every open stream cleanly (at shutdown). */
void               companion_event_hub_close_all     (CompanionEventHub  *self);

guint              companion_event_hub_get_n_streams (CompanionEventHub  *self);
guint              companion_event_hub_get_n_streams_for_order (CompanionEventHub *self,
                                                                const char        *order_id);

/* Sets the SSE response headers, switches @msg to a chunked, non-accumulating
 * body and writes the opening "retry:" line. */
void               companion_event_hub_begin_stream  (SoupServerMessage  *msg);
/* Appends one event frame to a streaming @msg. */
void               companion_event_hub_write_event   (SoupServerMessage  *msg,
                                                      gint64              seq,
                                                      CrossingStatus      status,
                                                      const char         *data);
/* Ends a streaming @msg's body. */
void               companion_event_hub_end_stream    (SoupServerMessage  *msg);

G_END_DECLS
