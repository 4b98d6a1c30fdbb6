/* test-sse-client.c: following an event stream over reconnections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-sse-client.h"
#include "crossing-sse-parser.h"

#include "client-test-server.h"

typedef struct {
  TestServer        *server;
  CrossingSseClient *client;
  GPtrArray         *events;   /* "type|id" */
  GError            *failure;
  gboolean           saw_reconnecting;
} Fixture;

static void
on_event (CrossingSseClient *client,
          const char        *type,
          const char        *data,
          const char        *id,
          Fixture           *fixture)
{
  g_assert_nonnull (strstr (data, "\"orderId\""));
  g_ptr_array_add (fixture->events, g_strdup_printf ("%s|%s", type, id));
}

static void
on_failed (CrossingSseClient *client,
           const GError      *error,
           Fixture           *fixture)
{
  g_assert_null (fixture->failure);
  fixture->failure = g_error_copy (error);
}

static void
on_reconnecting (CrossingSseClient *client,
                 GParamSpec        *pspec,
                 Fixture           *fixture)
{
  if (crossing_sse_client_get_reconnecting (client))
    fixture->saw_reconnecting = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *url = NULL;

  fixture->server = test_server_new ();
  fixture->events = g_ptr_array_new_with_free_func (g_free);
  url = g_strdup_printf ("%s/api/auth/cross-device/events?orderId=A&eventToken=e",
                         fixture->server->url);
  fixture->client = crossing_sse_client_new (url);
  g_signal_connect (fixture->client, "event", G_CALLBACK (on_event), fixture);
  g_signal_connect (fixture->client, "failed", G_CALLBACK (on_failed), fixture);
  g_signal_connect (fixture->client, "notify::reconnecting", G_CALLBACK (on_reconnecting),
                    fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gpointer weak = fixture->client;
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  /* Requests cancelled by stop() give their reference back when their
   * callbacks run. */
  crossing_sse_client_stop (fixture->client);
  g_object_add_weak_pointer (weak, &weak);
  g_object_unref (fixture->client);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (weak);
  test_server_free (fixture->server);
  g_ptr_array_unref (fixture->events);
  g_clear_error (&fixture->failure);
}

static gboolean
has_events (gpointer data)
{
  Fixture *fixture = data;
  return fixture->events->len >= 3;
}

static gboolean
has_failed (gpointer data)
{
  return ((Fixture *) data)->failure != NULL;
}

static gboolean
has_two_attempts (gpointer data)
{
  Fixture *fixture = data;
  return fixture->server->n_events >= 3;
}

static void
test_delay_honours_retry_and_backs_off (void)
{
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (-1, 1), ==, CROSSING_SSE_RETRY_MS);
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (500, 1), ==, 500);
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (500, 2), ==, 1000);
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (500, 4), ==, 4000);
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (500, 40), ==,
                    CROSSING_SSE_CLIENT_MAX_DELAY_MS);
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (G_MAXINT64, 1), ==,
                    CROSSING_SSE_CLIENT_MAX_DELAY_MS);
  /* "retry: 0" must not make the client spin. */
  g_assert_cmpuint (crossing_sse_client_reconnect_delay (0, 1), >=, 100);
}

static void
test_reconnects_with_last_event_id (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *first = test_event (1, "claimed", "A");
  g_autofree char *second = test_event (2, "waiting_user", "A");
  g_autofree char *third = test_event (3, "approved", "A");
  g_autofree char *body1 = g_strconcat ("retry: 50\n\n", first, second, NULL);
  gint64 started = g_get_monotonic_time ();

  test_server_queue_events (fixture->server, body1);
  test_server_queue_events (fixture->server, third);
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_events, fixture, 5000));
  g_assert_cmpstr (g_ptr_array_index (fixture->events, 0), ==, "claimed|1");
  g_assert_cmpstr (g_ptr_array_index (fixture->events, 1), ==, "waiting_user|2");
  g_assert_cmpstr (g_ptr_array_index (fixture->events, 2), ==, "approved|3");
  /* The second connection asked only for what came after event 2. */
  g_assert_cmpuint (fixture->server->n_events, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (fixture->server->last_event_ids, 0), ==, "");
  g_assert_cmpstr (g_ptr_array_index (fixture->server->last_event_ids, 1), ==, "2");
  g_assert_true (fixture->saw_reconnecting);
  /* retry: 50 was honoured, not the 3 s default. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
  g_assert_null (fixture->failure);
}

static void
test_initial_event_id_until_an_event_arrives (Fixture       *fixture,
                                              gconstpointer  data)
{
  g_autofree char *event = test_event (5, "claimed", "A");
  g_autofree char *body = g_strconcat ("retry: 20\n\n", event, NULL);

  test_server_queue_events (fixture->server, "retry: 20\n\n");
  test_server_queue_events (fixture->server, body);
  crossing_sse_client_set_initial_event_id (fixture->client, "0");
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_two_attempts, fixture, 5000));
  g_assert_cmpstr (g_ptr_array_index (fixture->server->last_event_ids, 0), ==, "0");
  g_assert_cmpstr (g_ptr_array_index (fixture->server->last_event_ids, 1), ==, "0");
  g_assert_cmpstr (g_ptr_array_index (fixture->server->last_event_ids, 2), ==, "5");
}

static gboolean
has_one_event (gpointer data)
{
  return ((Fixture *) data)->events->len >= 1;
}

static void
test_busy_server_retry_after_is_honoured (Fixture       *fixture,
                                          gconstpointer  data)
{
  g_autofree char *event = test_event (1, "claimed", "A");
  g_autofree char *body = g_strconcat ("retry: 20\n\n", event, NULL);
  gint64 started = g_get_monotonic_time ();

  /* A first stream sets retry: 20 and ends; the second try is turned away. */
  test_server_queue_events (fixture->server, "retry: 20\n\n");
  fixture->server->events_busy_at = 2;
  test_server_queue_events (fixture->server, body);
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_one_event, fixture, 5000));
  g_assert_cmpuint (fixture->server->n_events, ==, 3);
  /* Not after retry: 20 but after the server's Retry-After: 1. */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2900 * 1000);
  g_assert_null (fixture->failure);
}

static void
test_wrong_content_type_fails (Fixture       *fixture,
                               gconstpointer  data)
{
  g_free (fixture->server->events_type);
  fixture->server->events_type = g_strdup ("text/html");
  test_server_queue_events (fixture->server, "<html>hello</html>");
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_failed, fixture, 5000));
  g_assert_error (fixture->failure, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (fixture->events->len, ==, 0);
  g_assert_false (crossing_sse_client_get_reconnecting (fixture->client));
}

static void
test_refusal_is_not_retried (Fixture       *fixture,
                             gconstpointer  data)
{
  fixture->server->events_status = 401;
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_failed, fixture, 5000));
  g_assert_error (fixture->failure, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint (fixture->server->n_events, ==, 1);
}

static void
test_oversized_line_reconnects (Fixture       *fixture,
                                gconstpointer  data)
{
  /* A line far over the parser's limit, with no end: dropped, not buffered. */
  g_autofree char *huge = g_strnfill (CROSSING_SSE_DEFAULT_MAX_LINE * 2, 'x');
  g_autofree char *body = g_strconcat ("retry: 20\n\ndata: ", huge, NULL);

  test_server_queue_events (fixture->server, body);
  test_server_queue_events (fixture->server, "retry: 20\n\n");
  crossing_sse_client_start (fixture->client);

  g_assert_true (test_wait_until (has_two_attempts, fixture, 5000));
  g_assert_cmpuint (fixture->events->len, ==, 0);
  g_assert_null (fixture->failure);
}

static void
test_stop_from_event_handler (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *first = test_event (1, "rejected", "A");
  g_autofree char *second = test_event (2, "claimed", "A");
  g_autofree char *body = g_strconcat (first, second, NULL);

  /* The order stops the stream on a terminal event, mid-chunk. */
  g_signal_connect (fixture->client, "event", G_CALLBACK (crossing_sse_client_stop), NULL);
  test_server_queue_events (fixture->server, body);
  crossing_sse_client_start (fixture->client);

  while (fixture->events->len == 0)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (fixture->events->len, ==, 1);
  g_assert_cmpuint (fixture->server->n_events, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/sse/delay-honours-retry-and-backs-off",
                   test_delay_honours_retry_and_backs_off);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/client/sse/reconnects-with-last-event-id", test_reconnects_with_last_event_id);
  ADD ("/client/sse/initial-event-id-until-an-event-arrives",
       test_initial_event_id_until_an_event_arrives);
  ADD ("/client/sse/busy-server-retry-after-is-honoured", test_busy_server_retry_after_is_honoured);
  ADD ("/client/sse/wrong-content-type-fails", test_wrong_content_type_fails);
  ADD ("/client/sse/refusal-is-not-retried", test_refusal_is_not_retried);
  ADD ("/client/sse/oversized-line-reconnects", test_oversized_line_reconnects);
  ADD ("/client/sse/stop-from-event-handler", test_stop_from_event_handler);
#undef ADD
  return g_test_run ();
}
