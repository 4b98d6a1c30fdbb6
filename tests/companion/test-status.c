/* test-status.c: GET /cross-device/status, polling for desktops without a stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "companion-test-utils.h"

static CtResponse *
poll_status (CtFixture *f,
             CtOrder   *order)
{
  g_autofree char *endpoint = g_strdup_printf ("status?orderId=%s&eventToken=%s",
                                               order->order_id, order->event_token);

  return ct_get (f, endpoint);
}

/* Asserts a 200 with no-store and returns the object. */
static JsonObject *
assert_status (CtResponse *response,
               const char *status)
{
  JsonObject *o;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Cache-Control"), ==,
                   "no-store");
  o = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, status);
  return o;
}

/* Moves the order's last answered poll @ms into the past, as if that much
 * time had gone by since: the interval arithmetic without the waiting. */
static void
rewind_last_poll (CtFixture *f,
                  CtOrder   *order,
                  gint64     ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionOrder) stored = companion_store_get_order (ct_fixture_get_store (f),
                                                                order->order_id, &error);

  g_assert_no_error (error);
  g_assert_cmpint (stored->last_poll_at, >, 0);
  companion_store_update_poll (ct_fixture_get_store (f), order->order_id, stored->last_poll_at,
                               stored->poll_interval, stored->last_poll_at - ms,
                               stored->poll_interval, &error);
  g_assert_no_error (error);
}

static void
assert_slow_down (CtResponse *response,
                  gint64      interval)
{
  g_autofree char *retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, interval);
  JsonObject *o;

  ct_response_assert_error (response, 429, "SLOW_DOWN");
  o = ct_response_object (response);
  g_assert_cmpint (ct_json_int (o, "interval"), ==, interval);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Retry-After"), ==,
                   retry_after);
}

static void
test_created (CtFixture     *f,
              gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", "\"returnTo\":\"/home\"");
  g_autoptr(CtResponse) response = poll_status (f, order);
  JsonObject *o = assert_status (response, "created");

  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, "/home");
  g_assert_cmpint (ct_json_int (o, "sequence"), ==, 0);
  g_assert_cmpint (ct_json_int (o, "expiresAt"), ==, order->expires_at);
  g_assert_cmpint (ct_json_int (o, "interval"), ==, 3);
  g_assert_false (json_object_has_member (o, "checkCode"));
  g_assert_false (json_object_has_member (o, "reason"));
  g_assert_false (json_object_has_member (o, "token"));
  g_assert_cmpuint (json_object_get_size (o), ==, 7);
}

/* Every state follows the stream: the same data, the code while it
 * matters, and the sequence a client can resume the stream from. */
static void
test_follows_the_stream (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(JsonNode) challenge = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  const char *statuses[] = { "claimed", "waiting_user", "approved", "finalized" };

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  for (guint step = 0; step < G_N_ELEMENTS (statuses); step++)
    {
      g_autoptr(CtResponse) response = NULL;
      CtEvent *event;
      JsonObject *o;

      if (step == 0)
        {
          ct_order_claim (f, order);
          ct_order_read_check_code (f, order);
        }
      else if (step == 1)
        challenge = ct_order_challenge (f, order);
      else if (step == 2)
        {
          ct_order_sign (order);
          approve = ct_order_send_approve (f, order);
          g_assert_cmpuint (approve->status, ==, 200);
        }
      else
        {
          finalized = ct_order_finalize (f, order);
          g_assert_cmpuint (finalized->status, ==, 200);
        }

      g_assert_true (ct_event_stream_wait_events (stream, step + 1));
      event = ct_event_stream_get_event (stream, step);
      if (step > 0)
        rewind_last_poll (f, order, 3000);
      response = poll_status (f, order);
      o = assert_status (response, statuses[step]);
      g_assert_cmpstr (event->event, ==, statuses[step]);
      g_assert_cmpint (ct_json_int (o, "sequence"), ==, g_ascii_strtoll (event->id, NULL, 10));
      if (step < 2)
        g_assert_cmpstr (ct_json_string (o, "checkCode"), ==, order->check_code);
      else
        g_assert_false (json_object_has_member (o, "checkCode"));

      stored = companion_store_get_order (ct_fixture_get_store (f), order->order_id, NULL);
      g_assert_cmpint (ct_json_int (o, "expiresAt"), ==, stored->expires_at);
      if (step >= 2)
        g_assert_cmpint (stored->expires_at, ==, stored->approved_at + 60 * 1000);
      g_clear_pointer (&stored, companion_order_free);
      /* Never a session: the desktop still finalizes. */
      g_assert_false (json_object_has_member (o, "token"));
    }
}

static void
test_rejected_has_reason (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) rejected = NULL;
  g_autoptr(CtResponse) response = NULL;
  JsonObject *o;

  ct_order_claim (f, order);
  rejected = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                             order->order_id, order->challenge_token);
  g_assert_cmpuint (rejected->status, ==, 200);

  response = poll_status (f, order);
  o = assert_status (response, "rejected");
  g_assert_cmpstr (ct_json_string (o, "reason"), ==, "user");
  g_assert_cmpint (ct_json_int (o, "sequence"), ==, 2);
  g_assert_false (json_object_has_member (o, "checkCode"));
}

/* PROTOCOL.md's check: two polls 1 s apart, then one 8 s after. */
static void
test_slow_down_check (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) first = poll_status (f, order);
  g_autoptr(CtResponse) second = NULL;
  g_autoptr(CtResponse) third = NULL;

  assert_status (first, "created");
  g_usleep (G_USEC_PER_SEC);
  second = poll_status (f, order);
  assert_slow_down (second, 8);

  /* 8 s after the second poll is 9 s after the last answered one. */
  rewind_last_poll (f, order, 9000);
  third = poll_status (f, order);
  g_assert_cmpint (ct_json_int (assert_status (third, "created"), "interval"), ==, 8);
}

/* +5 s per early poll, up to 30 s, and it stays; 100 ms of slack. */
static void
test_slow_down_arithmetic (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) first = poll_status (f, order);
  g_autoptr(CtResponse) in_slack = NULL;
  g_autoptr(CtResponse) answered = NULL;
  g_autoptr(CtResponse) still_early = NULL;
  gint64 expected[] = { 8, 13, 18, 23, 28, 30, 30 };

  assert_status (first, "created");

  /* 2.95 s after a poll with interval 3 is within the slack. */
  rewind_last_poll (f, order, 2950);
  in_slack = poll_status (f, order);
  g_assert_cmpint (ct_json_int (assert_status (in_slack, "created"), "interval"), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(CtResponse) early = poll_status (f, order);

      assert_slow_down (early, expected[i]);
    }

  /* 29 s is still early for 30 s, and an early poll does not count as
   * answered: the wait runs from the last 200. */
  rewind_last_poll (f, order, 29000);
  still_early = poll_status (f, order);
  assert_slow_down (still_early, 30);
  rewind_last_poll (f, order, 1000);
  answered = poll_status (f, order);
  g_assert_cmpint (ct_json_int (assert_status (answered, "created"), "interval"), ==, 30);
}

/* The interval and the last poll are the order's, in the store: another
 * companion on the same database (here: the same one restarted) agrees. */
static void
test_interval_is_in_the_store (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) first = poll_status (f, order);
  g_autoptr(CtResponse) early = poll_status (f, order);
  g_autoptr(CtResponse) after_restart = NULL;
  g_autoptr(CompanionOrder) stored = NULL;

  assert_status (first, "created");
  assert_slow_down (early, 8);
  stored = companion_store_get_order (ct_fixture_get_store (f), order->order_id, NULL);
  g_assert_cmpuint (stored->poll_interval, ==, 8);

  ct_fixture_stop (f);
  ct_fixture_start (f);
  after_restart = poll_status (f, order);
  assert_slow_down (after_restart, 13);
}

/* Two polls in flight at once: one is answered, the other is early. */
static void
test_racing_polls (CtFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autofree char *endpoint = g_strdup_printf ("status?orderId=%s&eventToken=%s",
                                               order->order_id, order->event_token);
  guint ok = 0, slow = 0;

  for (guint i = 0; i < 4; i++)
    ct_batch_add (batch, ct_message_new (f, SOUP_METHOD_GET, endpoint));
  responses = ct_batch_wait (batch);
  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        ok++;
      else
        {
          ct_response_assert_error (response, 429, "SLOW_DOWN");
          slow++;
        }
    }
  g_assert_cmpuint (ok, ==, 1);
  g_assert_cmpuint (slow, ==, 3);
}

static void
test_errors (CtFixture     *f,
             gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) no_token = NULL;
  g_autoptr(CtResponse) wrong_token = NULL;
  g_autoptr(CtResponse) unknown = NULL;
  g_autoptr(CtResponse) post = NULL;
  g_autofree char *endpoint = NULL;

  endpoint = g_strdup_printf ("status?orderId=%s", order->order_id);
  no_token = ct_get (f, endpoint);
  ct_response_assert_error (no_token, 400, "INVALID_REQUEST");
  g_free (endpoint);

  endpoint = g_strdup_printf ("status?orderId=%s&eventToken=%s", order->order_id,
                              order->desktop_token);
  wrong_token = ct_get (f, endpoint);
  ct_response_assert_error (wrong_token, 401, "INVALID_EVENT_TOKEN");
  g_free (endpoint);

  endpoint = g_strdup_printf ("status?orderId=%s&eventToken=%s", order->claim_token,
                              order->event_token);
  unknown = ct_get (f, endpoint);
  ct_response_assert_error (unknown, 404, "ORDER_NOT_FOUND");

  post = ct_post (f, "status", "{}");
  ct_response_assert_error (post, 405, "METHOD_NOT_ALLOWED");
}

static void
setup_short_ttl (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->order_ttl = 1;
  f->config->poll_interval = 1;
  ct_fixture_start (f);
}

static void
test_expired_and_configured_interval (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) response = NULL;
  JsonObject *o;

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_true (ct_event_stream_wait_end (stream));

  response = poll_status (f, order);
  o = assert_status (response, "expired");
  g_assert_cmpstr (ct_json_string (o, "reason"), ==, "expired");
  g_assert_cmpint (ct_json_int (o, "interval"), ==, 1);
  g_assert_cmpint (ct_json_int (o, "sequence"), ==, 1);
}

static void
test_config (void)
{
  const char *good[] = { "serve", "--poll-interval", "5", NULL };
  const char *bad[] = { "serve", "--poll-interval", "31", NULL };
  const char *zero[] = { "serve", "--poll-interval", "0", NULL };
  const char **cases[] = { good, bad, zero };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CompanionConfig) config = companion_config_new_default ();
      g_auto(GStrv) strings = g_strdupv ((char **) cases[i]);
      /* The parser takes what it reads out of the array: free the strings
       * from a copy of it. */
      g_autofree char **argv = g_memdup2 (strings, sizeof (char *) * 4);
      g_autoptr(GError) error = NULL;
      int argc = 3;
      gboolean ok;

      g_assert_cmpuint (config->poll_interval, ==, 3);
      ok = companion_config_parse (config, &argc, &argv, &error);
      if (i == 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpuint (config->poll_interval, ==, 5);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/status/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)

  ADD ("created", test_created);
  ADD ("follows-the-stream", test_follows_the_stream);
  ADD ("rejected-has-reason", test_rejected_has_reason);
  ADD ("slow-down/contract-check", test_slow_down_check);
  ADD ("slow-down/arithmetic", test_slow_down_arithmetic);
  ADD ("slow-down/interval-is-in-the-store", test_interval_is_in_the_store);
  ADD ("slow-down/racing-polls", test_racing_polls);
  ADD ("errors", test_errors);
  g_test_add ("/companion/status/expired-and-configured-interval", CtFixture, NULL,
              setup_short_ttl, test_expired_and_configured_interval, ct_fixture_teardown);
  g_test_add_func ("/companion/status/config", test_config);

  return g_test_run ();
}
