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
  guint       events_silent;  /* the first N GET /events send nothing (a buffering proxy) */
  GQueue      status_bodies;  /* char *, one per GET /status; the last one repeats */
  guint       status_slow_down_at; /* answer this GET /status with 429 SLOW_DOWN, interval 2 */
  char       *start_subject;  /* echoed as the default start answer's subject */

  /* record */
  guint       n_start;
  guint       n_events;
  guint       n_finalize;
  guint       n_cancel;
  guint       n_sign_out;
  guint       n_status;
  GArray     *status_times;   /* gint64, monotonic µs of each GET /status */
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
/* Queues the answer of a later GET /status. */
void        test_server_queue_status  (TestServer  *self,
                                       const char  *text);
char       *test_event                (guint        id,
                                       const char  *status,
                                       const char  *order_id);

gboolean    test_wait_until           (gboolean   (*done) (gpointer data),
                                       gpointer     data,
                                       guint        timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)

/* A hostile server: byte-level control of every answer, for what libsoup's
 * server would refuse to send (endless lines, drips, lies in headers).
 * Each connection is served in a thread of its own with blocking I/O, so a
 * handler may write, sleep and drip without blocking the test's main loop;
 * it reads one request, calls the handler, and closes. */
typedef struct _TestRawServer TestRawServer;

/* @head is the request line and headers; the body has been read. */
typedef void (*TestRawHandler) (TestRawServer *server,
                                GOutputStream *out,
                                const char    *method,
                                const char    *path,
                                const char    *head,
                                gpointer       user_data);

TestRawServer *test_raw_server_new          (TestRawHandler  handler,
                                             gpointer        user_data);
/* Stops the handlers (their writes and drips are cancelled) and joins them. */
void           test_raw_server_free         (TestRawServer  *self);
const char    *test_raw_server_get_url      (TestRawServer  *self);
guint          test_raw_server_get_requests (TestRawServer  *self);
/* Answers whose writing failed because the client had hung up. */
guint          test_raw_server_get_hangups  (TestRawServer  *self);

/* Writes all of @data; FALSE (and counts a hang-up) when the client is gone. */
gboolean       test_raw_write               (TestRawServer  *self,
                                             GOutputStream  *out,
                                             const void     *data,
                                             gsize           len);
gboolean       test_raw_write_str           (TestRawServer  *self,
                                             GOutputStream  *out,
                                             const char     *text);
/* Writes @byte until the client hangs up or @max bytes are written;
 * returns FALSE when the client hung up. */
gboolean       test_raw_write_endless       (TestRawServer  *self,
                                             GOutputStream  *out,
                                             char            byte,
                                             gsize           max);
/* One byte of @text every @interval_ms; FALSE when the client hung up or
 * the server is stopping. */
gboolean       test_raw_drip                (TestRawServer  *self,
                                             GOutputStream  *out,
                                             const char     *text,
                                             guint           interval_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRawServer, test_raw_server_free)

G_END_DECLS
