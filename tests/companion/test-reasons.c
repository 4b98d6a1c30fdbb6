/* test-reasons.c: a rejected or expired event says why the order ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "companion-test-utils.h"

/* The last event of @stream, once the stream has ended, as an object. */
static JsonNode *
wait_last_event (CtEventStream *stream,
                 const char    *status)
{
  GPtrArray *events;
  CtEvent *event;

  g_assert_true (ct_event_stream_wait_end (stream));
  events = ct_event_stream_get_events (stream);
  g_assert_cmpuint (events->len, >, 0);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (event->event, ==, status);
  return ct_event_parse_data (event);
}

static void
test_reject_by_user (CtFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) rejected = NULL;
  g_autoptr(JsonNode) last = NULL;
  JsonObject *o;

  ct_order_claim (f, order);
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  rejected = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                             order->order_id, order->challenge_token);
  g_assert_cmpuint (rejected->status, ==, 200);

  last = wait_last_event (stream, "rejected");
  o = json_node_get_object (last);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "rejected");
  g_assert_cmpstr (ct_json_string (o, "reason"), ==, "user");
}

static void
test_three_wrong_check_codes (CtFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(JsonNode) challenge = NULL;
  g_autoptr(JsonNode) last = NULL;
  g_autofree char *right = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  challenge = ct_order_challenge (f, order);
  ct_order_sign (order);
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);

  right = g_strdup (order->check_code);
  g_free (order->check_code);
  order->check_code = g_strdup (strcmp (right, "10") == 0 ? "11" : "10");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtResponse) wrong = ct_order_send_approve (f, order);

      ct_response_assert_error (wrong, 400, "CHECK_CODE_MISMATCH");
    }

  last = wait_last_event (stream, "rejected");
  g_assert_cmpstr (ct_json_string (json_node_get_object (last), "reason"), ==, "check_code");
}

static void
setup_short_ttl (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->order_ttl = 1;
  ct_fixture_start (f);
}

static void
test_expired (CtFixture     *f,
              gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(JsonNode) last = NULL;
  JsonObject *o;

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  last = wait_last_event (stream, "expired");
  o = json_node_get_object (last);
  g_assert_cmpstr (ct_json_string (o, "reason"), ==, "expired");
  g_assert_false (json_object_has_member (o, "checkCode"));
}

/* Only the two ends that have a cause carry one. */
static void
test_others_have_none (CtFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) cancelled = NULL;
  g_autoptr(JsonNode) last = NULL;

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order->order_id, order->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);
  last = wait_last_event (stream, "cancelled");
  g_assert_false (json_object_has_member (json_node_get_object (last), "reason"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/reason/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)

  ADD ("rejected-by-user", test_reject_by_user);
  ADD ("rejected-after-three-wrong-check-codes", test_three_wrong_check_codes);
  ADD ("cancelled-has-none", test_others_have_none);
  g_test_add ("/companion/reason/expired", CtFixture, NULL, setup_short_ttl, test_expired,
              ct_fixture_teardown);

  return g_test_run ();
}
