/* crossing-sse-client.h: follows one Server-Sent Events stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens the stream, feeds what arrives to a CrossingSseParser and emits
 * ::event for each event. When the connection breaks or ends it reconnects
 * after the server's retry: time (growing on repeated failures, at most
 * CROSSING_SSE_CLIENT_MAX_DELAY_MS), sending Last-Event-ID so the server
 * replays only what was missed. A refusal that reconnecting cannot cure
 * (an HTTP 4xx other than 429, a redirect, a body that is not
 * text/event-stream) stops the client and emits ::failed. Memory is bounded
 * by the parser's limits.
 *
 * A stream that breaks the protocol is dropped and counts as a violation: a
 * line or an event over CROSSING_SSE_CLIENT_MAX_EVENT
 * (G_IO_ERROR_MESSAGE_TOO_LARGE), a NUL byte, an event that is not UTF-8 or
 * nests JSON absurdly deep (G_IO_ERROR_INVALID_DATA), no event or keepalive
 * for the stall timeout (G_IO_ERROR_TIMED_OUT). Only an event resets the
 * backoff; CROSSING_SSE_CLIENT_MAX_VIOLATIONS in a row emit ::failed with the
 * last one.
 *
 * ::alive says a keepalive arrived, ::lost that a connection ended or broke
 * (a reconnection is then due): what a caller needs to tell a stream that
 * works from one a proxy holds back.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CROSSING_SSE_CLIENT_MAX_DELAY_MS 30000
/* The contract's events are a few hundred bytes. */
#define CROSSING_SSE_CLIENT_MAX_LINE  (64 * 1024)
#define CROSSING_SSE_CLIENT_MAX_EVENT (64 * 1024)
/* Three keepalives (the companion sends one at least every 15 s) missed. */
#define CROSSING_SSE_CLIENT_STALL_TIMEOUT_MS 45000
#define CROSSING_SSE_CLIENT_MAX_VIOLATIONS 3

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
/* Bytes of a partial line and event held for the current connection. */
gsize              crossing_sse_client_get_buffered      (CrossingSseClient *self);
/* Connections opened afterwards are dropped when neither an event nor a
 * keepalive arrives for @timeout_ms (default
 * CROSSING_SSE_CLIENT_STALL_TIMEOUT_MS), from the request on. */
void               crossing_sse_client_set_stall_timeout (CrossingSseClient *self,
                                                          guint              timeout_ms);

/* The wait before reconnection attempt @attempt (1 for the first after a
 * loss): the server's @retry_ms (or CROSSING_SSE_RETRY_MS when it sent
 * none, -1), doubled for each further failed attempt, capped. */
guint              crossing_sse_client_reconnect_delay   (gint64             retry_ms,
                                                          guint              attempt);

G_END_DECLS
