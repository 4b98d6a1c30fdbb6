/* test-events.c: the Server-Sent Events stream of an order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "companion-test-utils.h"

static void
assert_event (CtEventStream *stream,
              guint          i,
              const char    *id,
              const char    *status,
              CtOrder       *order,
              const char    *redirect_to)
{
  CtEvent *event = ct_event_stream_get_event (stream, i);
  g_autoptr(JsonNode) data = ct_event_parse_data (event);
  JsonObject *o = json_node_get_object (data);

  g_assert_cmpstr (event->id, ==, id);
  g_assert_cmpstr (event->event, ==, status);
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, status);
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, order->kind);
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, redirect_to);

  /* Only the desktop's claimed event shows the code. */
  if (strcmp (status, "claimed") == 0)
    {
      const char *code = ct_json_string (o, "checkCode");

      g_assert_cmpuint (strlen (code), ==, 2);
      g_assert_cmpuint (json_object_get_size (o), ==, 5);
    }
  /* A rejected event says why; the phone said no here. */
  else if (strcmp (status, "rejected") == 0)
    {
      g_assert_false (json_object_has_member (o, "checkCode"));
      g_assert_cmpstr (ct_json_string (o, "reason"), ==, "user");
      g_assert_cmpuint (json_object_get_size (o), ==, 5);
    }
  else
    {
      g_assert_false (json_object_has_member (o, "checkCode"));
      g_assert_cmpuint (json_object_get_size (o), ==, 4);
    }
}

static void
test_headers_and_retry (CtFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = ct_event_stream_open (f, order->order_id, order->event_token,
                                                          NULL);
  SoupMessageHeaders *headers = ct_event_stream_get_headers (stream);
  CtEvent *event;

  g_assert_cmpuint (ct_event_stream_get_status (stream), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                   "text/event-stream");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Cache-Control"), ==,
                   "no-cache, no-transform");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Accel-Buffering"), ==, "no");

  /* A created order has nothing to say on connect; the next change shows
   * that the retry line came first. */
  ct_order_claim (f, order);
  g_assert_true (ct_event_stream_wait_events (stream, 1));
  event = ct_event_stream_get_event (stream, 0);
  g_assert_cmpstr (event->event, ==, "claimed");
  g_assert_true (g_str_has_prefix (ct_event_stream_get_raw (stream), "retry: 3000\n"));
  g_assert_cmpint (ct_event_stream_get_retry (stream), ==, 3000);
}

static void
test_full_sequence (CtFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", "\"returnTo\":\"/welcome\"");
  g_autoptr(CtEventStream) stream = ct_event_stream_open (f, order->order_id, order->event_token,
                                                          NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(JsonNode) claimed_data = NULL;

  ct_order_approve (f, order);
  g_assert_true (ct_event_stream_wait_events (stream, 3));
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (stream));

  g_assert_cmpuint (ct_event_stream_get_events (stream)->len, ==, 4);
  assert_event (stream, 0, "1", "claimed", order, "/welcome");
  assert_event (stream, 1, "2", "waiting_user", order, "/welcome");
  assert_event (stream, 2, "3", "approved", order, "/welcome");
  assert_event (stream, 3, "4", "finalized", order, "/welcome");

  /* The code the approval used is the one the desktop was shown. */
  claimed_data = ct_event_parse_data (ct_event_stream_get_event (stream, 0));
  g_assert_cmpstr (ct_json_string (json_node_get_object (claimed_data), "checkCode"), ==,
                   order->check_code);
}

static void
test_wire_format (CtFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);
  g_autoptr(CtEventStream) stream = ct_event_stream_open (f, order->order_id, order->event_token,
                                                          NULL);
  g_autoptr(CtResponse) cancelled = NULL;
  g_autofree char *expected = NULL;

  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order->order_id, order->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (stream));

  expected = g_strdup_printf ("retry: 3000\n\n"
                              "id: 1\n"
                              "event: cancelled\n"
                              "data: {\"orderId\":\"%s\",\"status\":\"cancelled\","
                              "\"kind\":\"sign\",\"redirectTo\":\"/\"}\n\n",
                              order->order_id);
  g_assert_cmpstr (ct_event_stream_get_raw (stream), ==, expected);
}

static void
test_current_state_on_connect (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) approved = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  envelope = ct_order_challenge (f, order);

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_true (ct_event_stream_wait_events (stream, 1));

  ct_order_sign (order);
  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
  g_assert_true (ct_event_stream_wait_events (stream, 2));

  /* Only the last state was sent on connect, not the claimed event before it. */
  g_assert_cmpuint (ct_event_stream_get_events (stream)->len, ==, 2);
  assert_event (stream, 0, "2", "waiting_user", order, "/");
  assert_event (stream, 1, "3", "approved", order, "/");
}

static void
test_nothing_on_connect_when_created (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = ct_event_stream_open (f, order->order_id, order->event_token,
                                                          NULL);
  g_autoptr(CtResponse) cancelled = NULL;

  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order->order_id, order->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (stream));

  g_assert_cmpuint (ct_event_stream_get_events (stream)->len, ==, 1);
  assert_event (stream, 0, "1", "cancelled", order, "/");
}

static void
test_replay_after_last_event_id (CtFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "transaction", NULL);
  g_autoptr(CtEventStream) from_one = NULL;
  g_autoptr(CtEventStream) from_three = NULL;
  g_autoptr(CtResponse) finalized = NULL;

  ct_order_approve (f, order);

  from_one = ct_event_stream_open (f, order->order_id, order->event_token, "1");
  g_assert_true (ct_event_stream_wait_events (from_one, 2));
  from_three = ct_event_stream_open (f, order->order_id, order->event_token, "3");

  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (from_one));
  g_assert_true (ct_event_stream_wait_end (from_three));

  g_assert_cmpuint (ct_event_stream_get_events (from_one)->len, ==, 3);
  assert_event (from_one, 0, "2", "waiting_user", order, "/");
  assert_event (from_one, 1, "3", "approved", order, "/");
  assert_event (from_one, 2, "4", "finalized", order, "/");

  g_assert_cmpuint (ct_event_stream_get_events (from_three)->len, ==, 1);
  assert_event (from_three, 0, "4", "finalized", order, "/");
}

static void
test_replay_of_finished_order (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) all = NULL;
  g_autoptr(CtEventStream) current = NULL;
  g_autoptr(CtResponse) rejected = NULL;

  ct_order_claim (f, order);
  rejected = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                             order->order_id, order->challenge_token);
  g_assert_cmpuint (rejected->status, ==, 200);

  /* A terminal order: what was asked for, then the end, at once. */
  all = ct_event_stream_open (f, order->order_id, order->event_token, "0");
  g_assert_true (ct_event_stream_wait_end (all));
  g_assert_cmpuint (ct_event_stream_get_events (all)->len, ==, 2);
  assert_event (all, 0, "1", "claimed", order, "/");
  assert_event (all, 1, "2", "rejected", order, "/");

  current = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_true (ct_event_stream_wait_end (current));
  g_assert_cmpuint (ct_event_stream_get_events (current)->len, ==, 1);
  assert_event (current, 0, "2", "rejected", order, "/");

  g_assert_cmpuint (companion_event_hub_get_n_streams (ct_fixture_get_hub (f)), ==, 0);
}

static void
test_every_subscriber_gets_every_event (CtFixture     *f,
                                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) a = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_autoptr(CtEventStream) b = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_autoptr(CtResponse) cancelled = NULL;

  g_assert_cmpuint (companion_event_hub_get_n_streams_for_order (ct_fixture_get_hub (f),
                                                                 order->order_id), ==, 2);
  ct_order_claim (f, order);
  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order->order_id, order->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);

  g_assert_true (ct_event_stream_wait_end (a));
  g_assert_true (ct_event_stream_wait_end (b));
  g_assert_cmpstr (ct_event_stream_get_raw (a), ==, ct_event_stream_get_raw (b));
  g_assert_cmpuint (ct_event_stream_get_events (a)->len, ==, 2);
  assert_event (a, 1, "2", "cancelled", order, "/");
  g_assert_cmpuint (companion_event_hub_get_n_streams (ct_fixture_get_hub (f)), ==, 0);
}

static void
test_keepalive (CtFixture     *f,
                gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;

  /* The default is 15 s; the behaviour is the same at 50 ms. */
  companion_event_hub_set_keepalive_interval (ct_fixture_get_hub (f), 50);
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);

  g_assert_true (ct_event_stream_wait_comments (stream, 2));
  g_assert_cmpstr (ct_event_stream_get_comment (stream, 0), ==, " keepalive");
  g_assert_cmpstr (ct_event_stream_get_comment (stream, 1), ==, " keepalive");
  g_assert_cmpuint (ct_event_stream_get_events (stream)->len, ==, 0);
  g_assert_false (ct_event_stream_has_ended (stream));
}

typedef struct {
  CompanionEventHub *hub;
  guint              n;
} StreamCount;

static gboolean
hub_has_n_streams (gpointer data)
{
  StreamCount *count = data;

  return companion_event_hub_get_n_streams (count->hub) == count->n;
}

static void
test_early_disconnect_leaves_no_subscriber (CtFixture     *f,
                                            gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  CtEventStream *first = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  CtEventStream *second = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  StreamCount count = { ct_fixture_get_hub (f), 2 };

  g_assert_true (hub_has_n_streams (&count));

  ct_event_stream_close (first);
  count.n = 1;
  g_assert_true (ct_wait_until (hub_has_n_streams, &count, CT_TIMEOUT_MS));

  ct_event_stream_close (second);
  count.n = 0;
  g_assert_true (ct_wait_until (hub_has_n_streams, &count, CT_TIMEOUT_MS));

  /* The order goes on without them. */
  ct_order_claim (f, order);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/events/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)

  ADD ("stream/headers-and-retry-first", test_headers_and_retry);
  ADD ("stream/full-sequence-with-ids", test_full_sequence);
  ADD ("stream/exact-wire-format", test_wire_format);
  ADD ("connect/sends-only-current-state", test_current_state_on_connect);
  ADD ("connect/sends-nothing-when-created", test_nothing_on_connect_when_created);
  ADD ("replay/last-event-id-sends-only-missed", test_replay_after_last_event_id);
  ADD ("replay/terminal-order-replays-and-ends", test_replay_of_finished_order);
  ADD ("stream/every-subscriber-gets-every-event", test_every_subscriber_gets_every_event);
  ADD ("stream/keepalive-comments-when-idle", test_keepalive);
  ADD ("stream/early-disconnect-leaves-no-subscriber", test_early_disconnect_leaves_no_subscriber);

  return g_test_run ();
}
