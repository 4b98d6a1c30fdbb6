/* test-limits.c: rate limits, caps and connection deadlines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test lowers one limit of an in-process companion and crosses it.
 * Raw sockets play the clients that misbehave below HTTP (silent, slow,
 * too many); they are non-blocking so the server keeps running on the
 * same main context while the test waits.
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "companion-test-utils.h"

static void
assert_rate_limited (CtResponse *response,
                     guint       min_seconds,
                     guint       max_seconds)
{
  const char *retry_after;
  guint64 seconds = 0;

  ct_response_assert_error (response, 429, "RATE_LIMITED");
  retry_after = soup_message_headers_get_one (response->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, G_MAXUINT, &seconds, NULL));
  g_assert_cmpuint (seconds, >=, min_seconds);
  g_assert_cmpuint (seconds, <=, max_seconds);
}

/* ---- allowances ----------------------------------------------------------- */

static void
test_starts_per_address (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtResponse) refused = NULL;

  f->config->max_starts_per_minute = 3;
  ct_fixture_start (f);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
    }

  refused = ct_post (f, "start", "{\"kind\":\"login\"}");
  /* One start in three per minute comes back every 20 s. */
  assert_rate_limited (refused, 1, 20);
}

/* A start from @client as the trusted proxy names it: its HTTP status. */
static guint
start_from (CtFixture  *f,
            const char *client)
{
  static const char body[] = "{\"kind\":\"login\"}";
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, "start", "application/json", body,
                                                    sizeof body - 1);
  g_autoptr(CtResponse) response = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                client);
  response = ct_send (f, msg);
  return response->status;
}

/* An IPv6 client is its /64 (it has the rest to choose from); an IPv4 one
 * is its address, also when written as IPv4-mapped IPv6. */
static void
test_starts_per_client_key (CtFixture     *f,
                            gconstpointer  data)
{
  f->config->trust_proxy = TRUE;
  f->config->max_starts_per_minute = 2;
  ct_fixture_start (f);

  g_assert_cmpuint (start_from (f, "2001:db8:1:2::1"), ==, 200);
  g_assert_cmpuint (start_from (f, "2001:db8:1:2:ffff::9"), ==, 200);
  g_assert_cmpuint (start_from (f, "2001:db8:1:2::3"), ==, 429);
  g_assert_cmpuint (start_from (f, "2001:db8:1:3::1"), ==, 200);

  g_assert_cmpuint (start_from (f, "198.51.100.7"), ==, 200);
  g_assert_cmpuint (start_from (f, "::ffff:198.51.100.7"), ==, 200);
  g_assert_cmpuint (start_from (f, "198.51.100.7"), ==, 429);
  g_assert_cmpuint (start_from (f, "198.51.100.8"), ==, 200);
}

static void
test_pending_orders_in_total (CtFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(CtOrder) first = NULL;
  g_autoptr(CtOrder) second = NULL;
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) cancelled = NULL;
  g_autoptr(CtOrder) third = NULL;

  f->config->max_pending_orders = 2;
  f->config->order_ttl = 90;
  ct_fixture_start (f);

  first = ct_order_start (f, "login", NULL);
  second = ct_order_start (f, "login", NULL);
  refused = ct_post (f, "start", "{\"kind\":\"login\"}");
  /* Room comes back when the first order expires, in about 90 s. */
  assert_rate_limited (refused, 80, 90);

  /* A cancelled order is no longer pending: once the count is read again
   * (at most a second later), there is room. */
  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              first->order_id, first->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);
  g_usleep (1100 * 1000);
  third = ct_order_start (f, "login", NULL);
}

static void
test_failures_per_address (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) events = NULL;
  g_autofree char *wrong = NULL;

  f->config->max_failures_per_minute = 3;
  ct_fixture_start (f);
  order = ct_order_start (f, "login", NULL);
  wrong = g_strnfill (strlen (order->claim_token), 'A');

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtResponse) response =
        ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                        order->order_id, wrong);
      ct_response_assert_error (response, 401, "INVALID_CLAIM_TOKEN");
    }

  /* Now even the right token waits: a guesser cannot tell a hit. */
  refused = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                            order->order_id, order->claim_token);
  assert_rate_limited (refused, 1, 20);

  events = ct_get (f, "events?orderId=x&eventToken=y");
  assert_rate_limited (events, 1, 20);

  /* Starting orders is a separate allowance. */
  {
    g_autoptr(CtOrder) another = ct_order_start (f, "login", NULL);
  }
}

static void
test_failures_on_events_and_sessions (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(CtResponse) refused = NULL;
  g_autofree char *path = NULL;

  f->config->max_failures_per_minute = 2;
  ct_fixture_start (f);
  order = ct_order_start (f, "login", NULL);

  path = g_strdup_printf ("events?orderId=%s&eventToken=%s", order->order_id,
                          order->claim_token);
  {
    g_autoptr(CtResponse) wrong_token = ct_get (f, path);
    ct_response_assert_error (wrong_token, 401, "INVALID_EVENT_TOKEN");
  }

  msg = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/get-session");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer not-a-session");
  {
    g_autoptr(CtResponse) no_session = ct_send (f, msg);
    /* No session is a 200 with null, and a failed guess all the same. */
    g_assert_cmpuint (no_session->status, ==, 200);
  }

  refused = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                            order->order_id, order->claim_token);
  assert_rate_limited (refused, 1, 30);
}

/* ---- bodies --------------------------------------------------------------- */

static void
test_duplicate_member (CtFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(CtResponse) top = NULL;
  g_autoptr(CtResponse) nested = NULL;
  g_autoptr(CtResponse) apart = NULL;

  ct_fixture_start (f);

  top = ct_post (f, "start", "{\"kind\":\"login\",\"kind\":\"signature\"}");
  ct_response_assert_error (top, 400, "INVALID_REQUEST");

  nested = ct_post (f, "start", "{\"kind\":\"login\",\"details\":{\"a\":1,\"a\":2}}");
  ct_response_assert_error (nested, 400, "INVALID_REQUEST");

  /* The same name in two different objects is fine (here the unknown
   * member is ignored, as the contract says). */
  apart = ct_post (f, "start", "{\"kind\":\"login\",\"x\":{\"kind\":1}}");
  g_assert_cmpuint (apart->status, ==, 200);
}

/* ---- raw connections -------------------------------------------------------- */

static GSocket *
raw_connect (CtFixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (f->url, G_URI_FLAGS_NONE, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;
  GSocket *socket;

  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, (guint16) g_uri_get_port (uri));
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  /* Loopback: the kernel completes the handshake before the server accepts. */
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static void
raw_send (GSocket    *socket,
          const char *text)
{
  g_autoptr(GError) error = NULL;
  gssize sent = g_socket_send (socket, text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sent, ==, (gssize) strlen (text));
}

/* TRUE once the server has closed its end; what it sent first is read and
 * dropped (appended to @data's GString when there is one). */
typedef struct {
  GSocket *socket;
  GString *received;
} RawPeer;

static gboolean
peer_closed (gpointer data)
{
  RawPeer *peer = data;
  char buffer[4096];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (peer->socket, buffer, sizeof buffer, NULL, &error);

      if (n > 0)
        {
          if (peer->received != NULL)
            g_string_append_len (peer->received, buffer, n);
          continue;
        }
      if (n == 0)
        return TRUE;
      return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
}

static gboolean
stays_open_for (GSocket *socket,
                guint    ms)
{
  RawPeer peer = { socket, NULL };

  return !ct_wait_until (peer_closed, &peer, ms);
}

static gboolean
closed_within (GSocket *socket,
               guint    ms)
{
  RawPeer peer = { socket, NULL };

  return ct_wait_until (peer_closed, &peer, ms);
}

static void
test_silent_connection (CtFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(GSocket) silent = NULL;

  f->config->request_timeout = 1;
  ct_fixture_start (f);

  silent = raw_connect (f);
  /* Deadline 1 s, checked each second: closed after 1 to 2 s. */
  g_assert_true (closed_within (silent, 3500));
}

static void
test_slow_headers (CtFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(GSocket) slow = NULL;
  static const char request[] = "POST /api/auth/cross-device/start HTTP/1.1\r\nHost: x\r\n";
  gint64 began;

  f->config->request_timeout = 2;
  ct_fixture_start (f);

  slow = raw_connect (f);
  began = g_get_monotonic_time ();
  /* A byte every 200 ms never finishes the head; the deadline does not
   * move for each byte. */
  for (const char *p = request; *p != '\0'; p++)
    {
      char byte[2] = { *p, '\0' };

      if (!stays_open_for (slow, 200))
        break;
      raw_send (slow, byte);
      if (g_get_monotonic_time () - began > 4 * G_USEC_PER_SEC)
        break;
    }
  g_assert_true (closed_within (slow, 3000));
  g_assert_cmpint (g_get_monotonic_time () - began, <, 5 * G_USEC_PER_SEC);

  /* The server still serves everyone else. */
  {
    g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  }
}

static void
test_slow_chunked_body (CtFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(GSocket) slow = NULL;

  f->config->request_timeout = 1;
  ct_fixture_start (f);

  slow = raw_connect (f);
  raw_send (slow, "POST /api/auth/cross-device/start HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "1\r\n{\r\n");
  g_assert_true (closed_within (slow, 3500));
}

static void
test_idle_keep_alive (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(GSocket) idle = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  RawPeer peer;

  f->config->idle_timeout = 1;
  ct_fixture_start (f);

  idle = raw_connect (f);
  raw_send (idle, "GET /api/auth/get-session HTTP/1.1\r\nHost: x\r\n\r\n");
  peer = (RawPeer) { idle, received };
  g_assert_true (ct_wait_until (peer_closed, &peer, 4000));
  /* It got its answer first, then was closed for idling. */
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 "));
}

static void
test_event_stream_outlives_deadlines (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtEventStream) stream = NULL;

  f->config->request_timeout = 1;
  f->config->idle_timeout = 1;
  ct_fixture_start (f);

  order = ct_order_start (f, "login", NULL);
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_cmpuint (ct_event_stream_get_status (stream), ==, 200);

  /* Well past both deadlines the stream still carries the claim. */
  {
    gint64 until = g_get_monotonic_time () + 2500 * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  }
  g_assert_false (ct_event_stream_has_ended (stream));
  ct_order_claim (f, order);
  g_assert_true (ct_event_stream_wait_events (stream, 1));
}

static gboolean
no_connections (gpointer data)
{
  CtFixture *f = data;

  return companion_limits_get_n_connections (companion_server_get_limits (f->server)) == 0;
}

static void
test_connections_per_address (CtFixture     *f,
                              gconstpointer  data)
{
  GSocket *sockets[4];

  f->config->max_connections_per_ip = 3;
  ct_fixture_start (f);

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
    sockets[i] = raw_connect (f);

  /* The fourth is shut at once, the first three stay. */
  g_assert_true (closed_within (sockets[3], 2000));
  for (guint i = 0; i < 3; i++)
    g_assert_true (stays_open_for (sockets[i], 100));

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
    {
      g_socket_close (sockets[i], NULL);
      g_object_unref (sockets[i]);
    }

  /* Closed connections stop counting. */
  g_assert_true (ct_wait_until (no_connections, f, 3000));
  {
    g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  }
}

/* Asks get-session on a new connection and reads the answer; with
 * @keep_alive the server leaves the connection open and the client closes
 * it, otherwise the server closes it after answering. */
static void
get_session_on_new_connection (CtFixture *f,
                               gboolean   keep_alive)
{
  g_autoptr(GSocket) socket = raw_connect (f);
  g_autoptr(GString) received = g_string_new (NULL);
  RawPeer peer = { socket, received };

  raw_send (socket, keep_alive
                      ? "GET /api/auth/get-session HTTP/1.1\r\nHost: x\r\n\r\n"
                      : "GET /api/auth/get-session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  if (keep_alive)
    while (strstr (received->str, "\r\n\r\nnull") == NULL)
      {
        g_assert_false (peer_closed (&peer));
        g_main_context_iteration (NULL, FALSE);
      }
  else
    g_assert_true (ct_wait_until (peer_closed, &peer, 3000));
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 200"));
  g_socket_close (socket, NULL);
}

/* Closed connections must stop counting even when libsoup keeps their
 * socket objects: one after another, far more than the cap get through. */
static void
test_sequential_connections (CtFixture     *f,
                             gconstpointer  data)
{
  f->config->max_connections_per_ip = 4;
  ct_fixture_start (f);

  for (guint i = 0; i < 60; i++)
    get_session_on_new_connection (f, FALSE);
}

/* libsoup 3.2 keeps a kept-alive connection its client closed while idle,
 * descriptor and all: the limits take it back, or after a few such closes
 * an address would be locked out. */
static void
test_kept_alive_connections_closed_by_client (CtFixture     *f,
                                              gconstpointer  data)
{
  f->config->max_connections_per_ip = 4;
  ct_fixture_start (f);

  for (guint i = 0; i < 40; i++)
    get_session_on_new_connection (f, TRUE);
  g_assert_true (ct_wait_until (no_connections, f, 3000));
}

/* ---- what libsoup 3.2 keeps ------------------------------------------------ */

static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  /* Less the one g_dir_open() holds. */
  return n - 1;
}

typedef struct {
  guint seen;
  guint freed;
} SocketTally;

static void
on_socket_freed (gpointer  data,
                 GObject  *where_the_socket_was)
{
  ((SocketTally *) data)->freed++;
}

static void
on_first_request (SoupServer        *server,
                  SoupServerMessage *msg,
                  gpointer           data)
{
  SocketTally *tally = data;
  GSocket *socket = soup_server_message_get_socket (msg);

  /* Once per connection: a kept-alive one has no second request here. */
  if (socket != NULL && g_object_get_data (G_OBJECT (socket), "test-limits-seen") == NULL)
    {
      g_object_set_data (G_OBJECT (socket), "test-limits-seen", GUINT_TO_POINTER (1));
      g_object_weak_ref (G_OBJECT (socket), on_socket_freed, tally);
      tally->seen++;
    }
}

static gboolean
all_sockets_freed (gpointer data)
{
  SocketTally *tally = data;

  return tally->freed == tally->seen;
}

typedef struct {
  guint baseline;
} FdCount;

static gboolean
fds_back_to (gpointer data)
{
  return count_open_fds () <= ((FdCount *) data)->baseline;
}

/* Both libsoup 3.2 leaks the limits work around (see companion-limits.c):
 * the listener's reference to each accepted socket (b545d5f0, 3.4) and the
 * kept-alive connection its client closed while idle (d20c6601, 3.3).
 * Every connection's GSocket must be freed and its descriptor returned, or
 * a workaround stopped working; where the library is fixed, this holds
 * without them. */
static void
test_connections_freed (CtFixture     *f,
                        gconstpointer  data)
{
  SocketTally tally = { 0, 0 };
  FdCount fds;
  gulong handler;

  f->config->max_connections_per_ip = 4;
  ct_fixture_start (f);
  handler = g_signal_connect (companion_server_get_soup_server (f->server), "request-started",
                              G_CALLBACK (on_first_request), &tally);
  fds.baseline = count_open_fds ();

  for (guint i = 0; i < 30; i++)
    get_session_on_new_connection (f, FALSE);
  for (guint i = 0; i < 30; i++)
    get_session_on_new_connection (f, TRUE);

  g_assert_cmpuint (tally.seen, ==, 60);
  g_assert_true (ct_wait_until (no_connections, f, 3000));
  g_assert_true (ct_wait_until (fds_back_to, &fds, 3000));
  g_assert_true (ct_wait_until (all_sockets_freed, &tally, 3000));
  g_signal_handler_disconnect (companion_server_get_soup_server (f->server), handler);
}

static void
setup_unstarted (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* Each test sets its limits, then starts the server. */
#define ADD(path, fn) \
  g_test_add (path, CtFixture, NULL, setup_unstarted, fn, ct_fixture_teardown)

  ADD ("/limits/starts-per-address", test_starts_per_address);
  ADD ("/limits/starts-per-client-key", test_starts_per_client_key);
  ADD ("/limits/pending-orders-in-total", test_pending_orders_in_total);
  ADD ("/limits/failures-per-address", test_failures_per_address);
  ADD ("/limits/failures-on-events-and-sessions", test_failures_on_events_and_sessions);
  ADD ("/limits/duplicate-member", test_duplicate_member);
  ADD ("/limits/silent-connection", test_silent_connection);
  ADD ("/limits/slow-headers", test_slow_headers);
  ADD ("/limits/slow-chunked-body", test_slow_chunked_body);
  ADD ("/limits/idle-keep-alive", test_idle_keep_alive);
  ADD ("/limits/event-stream-outlives-deadlines", test_event_stream_outlives_deadlines);
  ADD ("/limits/connections-per-address", test_connections_per_address);
  ADD ("/limits/sequential-connections", test_sequential_connections);
  ADD ("/limits/kept-alive-connections-closed-by-client",
       test_kept_alive_connections_closed_by_client);
  ADD ("/limits/connections-freed", test_connections_freed);

  return g_test_run ();
}
