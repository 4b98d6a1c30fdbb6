/* client-test-server.h: a scripted companion on loopback for the client tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Answers the cross-device endpoints the client calls with what the test
 * scripted, and records what the client sent. Each GET /events takes the
 * next scripted body (a complete SSE text, after which the connection ends,
 * so the client reconnects); with none left it holds the stream open.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  SoupServer *server;
  char       *url;            /* http://127.0.0.1:PORT */

  /* script */
  GQueue      event_bodies;   /* char *, one per GET /events */
  char       *events_type;    /* content type of /events, default text/event-stream */
  guint       events_status;  /* default 200 */
  guint       events_busy_at; /* answer this GET /events (1 = first) with 429, Retry-After: 1 */
  guint       start_status;   /* default 200 */
  char       *start_body;     /* default: a fresh order "ORDER{n}" */
  char       *finalize_body;  /* default: a login session */
  char       *session_body;   /* default: user "Ada" */

  /* record */
  guint       n_start;
  guint       n_events;
  guint       n_finalize;
  guint       n_cancel;
  guint       n_sign_out;
  GPtrArray  *last_event_ids; /* char *, "" when the header was absent */
  char       *last_authorization;
  char       *last_body;
  GPtrArray  *held;           /* SoupServerMessage *, open streams */
} TestServer;

TestServer *test_server_new           (void);
void        test_server_free          (TestServer  *self);
/* Queues "id: ID\nevent: STATUS\ndata: {...}\n\n" lines for the next stream. */
void        test_server_queue_events  (TestServer  *self,
                                       const char  *text);
char       *test_event                (guint        id,
                                       const char  *status,
                                       const char  *order_id);

gboolean    test_wait_until           (gboolean   (*done) (gpointer data),
                                       gpointer     data,
                                       guint        timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)

G_END_DECLS
