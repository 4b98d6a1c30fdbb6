/* crossing-sse-client.h: follows one Server-Sent Events stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens the stream, feeds what arrives to a CrossingSseParser and emits
 * ::event for each event. When the connection breaks or ends it reconnects
 * after the server's retry: time (growing on repeated failures, at most
 * CROSSING_SSE_CLIENT_MAX_DELAY_MS), sending Last-Event-ID so the server
 * replays only what was missed. A refusal that reconnecting cannot cure
 * (an HTTP 4xx other than 429, a body that is not text/event-stream) stops
 * the client and emits ::failed. Memory is bounded by the parser's limits.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CROSSING_SSE_CLIENT_MAX_DELAY_MS 30000

#define CROSSING_TYPE_SSE_CLIENT (crossing_sse_client_get_type ())
G_DECLARE_FINAL_TYPE (CrossingSseClient, crossing_sse_client, CROSSING, SSE_CLIENT, GObject)

CrossingSseClient *crossing_sse_client_new               (const char        *url);
/* The Last-Event-ID to send while no event has arrived yet (default none).
 * "0" asks the server to replay the stream from its start. */
void               crossing_sse_client_set_initial_event_id (CrossingSseClient *self,
                                                             const char        *event_id);
/* Starts following (again, after stop()). */
void               crossing_sse_client_start             (CrossingSseClient *self);
/* Closes the stream and forgets any pending reconnection. No signal is
 * emitted after this returns. Safe to call from an ::event handler. */
void               crossing_sse_client_stop              (CrossingSseClient *self);

/* TRUE from a lost connection until the next one is open. */
gboolean           crossing_sse_client_get_reconnecting  (CrossingSseClient *self);
const char        *crossing_sse_client_get_last_event_id (CrossingSseClient *self);
guint              crossing_sse_client_get_attempts      (CrossingSseClient *self);

/* The wait before reconnection attempt @attempt (1 for the first after a
 * loss): the server's @retry_ms (or CROSSING_SSE_RETRY_MS when it sent
 * none, -1), doubled for each further failed attempt, capped. */
guint              crossing_sse_client_reconnect_delay   (gint64             retry_ms,
                                                          guint              attempt);

G_END_DECLS
