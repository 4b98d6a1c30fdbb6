/* test-order.c: the order state machine, from scripted events and from a
 * scripted companion on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-order-private.h"

#include "client-test-server.h"

static const char *
event_data (const char *status,
            const char *order_id)
{
  static char buffer[256];

  g_snprintf (buffer, sizeof buffer,
              "{\"orderId\":\"%s\",\"status\":\"%s\",\"kind\":\"login\",\"redirectTo\":\"/\"%s}",
              order_id, status, g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "");
  return buffer;
}

static void
send_event (CrossingOrder *order,
            const char    *status)
{
  crossing_order_handle_event (order, status, event_data (status, "ORDER"));
}

/* Records every state the order passes through, as "a b c". */
static void
on_state (CrossingOrder *order,
          GParamSpec    *pspec,
          GString       *trail)
{
  if (trail->len > 0)
    g_string_append_c (trail, ' ');
  g_string_append (trail, crossing_order_state_to_string (crossing_order_get_state (order)));
}

static CrossingOrder *
waiting_order (guint renewals)
{
  /* Nothing listens on port 9: a request it makes fails, later. */
  CrossingOrder *order = crossing_order_new ("http://127.0.0.1:9", NULL);

  crossing_order_follow_for_test (order, "ORDER", renewals);
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_WAITING);
  return order;
}

static gboolean
is_settled (gpointer data)
{
  switch (crossing_order_get_state (data))
    {
    case CROSSING_ORDER_IDLE:
    case CROSSING_ORDER_SIGNED_IN:
    case CROSSING_ORDER_DONE:
    case CROSSING_ORDER_REJECTED:
    case CROSSING_ORDER_CANCELLED:
    case CROSSING_ORDER_EXPIRED:
    case CROSSING_ORDER_ERROR:
      return TRUE;
    case CROSSING_ORDER_STARTING:
    case CROSSING_ORDER_WAITING:
    case CROSSING_ORDER_SCANNED:
    case CROSSING_ORDER_APPROVED:
    case CROSSING_ORDER_FINALIZING:
    case CROSSING_ORDER_RESUMING:
    default:
      return FALSE;
    }
}

static gboolean
is_idle (gpointer data)
{
  return crossing_order_get_state (data) == CROSSING_ORDER_IDLE;
}

static gboolean
is_waiting (gpointer data)
{
  return crossing_order_get_state (data) == CROSSING_ORDER_WAITING;
}

static void
count_signal (guint *count)
{
  (*count)++;
}

/* ---- a remembered session ------------------------------------------------ */

static void
test_resume_valid_session (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  guint ended = 0, started = 0;

  g_signal_connect_swapped (order, "session-ended", G_CALLBACK (count_signal), &ended);
  g_signal_connect_swapped (order, "session-started", G_CALLBACK (count_signal), &started);
  crossing_order_resume (order, "remembered");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_RESUMING);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
  g_assert_cmpstr (server->last_authorization, ==, "Bearer remembered");
  g_assert_cmpstr (crossing_order_get_user_name (order), ==, "Ada");
  g_assert_cmpint (crossing_order_get_session_created_at (order), ==,
                   G_GINT64_CONSTANT (1800000000000));
  /* No order was started, and the token is not stored again. */
  g_assert_cmpuint (server->n_start, ==, 0);
  g_assert_cmpuint (started, ==, 0);
  g_assert_cmpuint (ended, ==, 0);
}

static void
test_resume_revoked_session_starts_an_order (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  guint ended = 0;

  server->session_body = g_strdup ("null");
  g_signal_connect_swapped (order, "session-ended", G_CALLBACK (count_signal), &ended);
  crossing_order_resume (order, "revoked");
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_cmpuint (ended, ==, 1);
  g_assert_cmpuint (server->n_start, ==, 1);
  g_assert_null (crossing_order_get_session_token (order));
}

/* ---- scripted events, no server ----------------------------------------- */

static void
test_claimed_shows_check_code (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  send_event (order, "claimed");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SCANNED);
  g_assert_cmpstr (crossing_order_get_check_code (order), ==, "47");
  send_event (order, "waiting_user");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SCANNED);
  g_assert_cmpstr (crossing_order_get_check_code (order), ==, "47");
}

static void
test_terminal_events (void)
{
  static const struct {
    const char *status;
    CrossingOrderState state;
  } cases[] = {
    { "rejected", CROSSING_ORDER_REJECTED },
    { "cancelled", CROSSING_ORDER_CANCELLED },
    { "expired", CROSSING_ORDER_EXPIRED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CrossingOrder) order = waiting_order (0);

      send_event (order, "claimed");
      send_event (order, cases[i].status);
      g_assert_cmpint (crossing_order_get_state (order), ==, cases[i].state);
    }
}

static void
test_approved_finalizes_and_unreachable_is_an_error (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);
  g_autoptr(GString) trail = g_string_new (NULL);

  g_signal_connect (order, "notify::state", G_CALLBACK (on_state), trail);
  send_event (order, "claimed");
  send_event (order, "approved");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_FINALIZING);
  /* Nothing listens on port 9: finalize fails, in words. */
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpstr (trail->str, ==, "scanned approved finalizing error");
  g_assert_nonnull (strstr (crossing_order_get_error (order), "Cannot reach"));
}

static void
test_unclaimed_expiry_renews_three_times_then_asks (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  for (guint i = 1; i <= CROSSING_ORDER_MAX_RENEWALS; i++)
    {
      send_event (order, "expired");
      g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_STARTING);
      g_assert_cmpuint (crossing_order_get_renewals (order), ==, i);
      crossing_order_follow_for_test (order, "ORDER", i);
    }
  send_event (order, "expired");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_EXPIRED);
  g_assert_cmpuint (crossing_order_get_renewals (order), ==, CROSSING_ORDER_MAX_RENEWALS);
}

static void
test_claimed_expiry_does_not_renew (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  send_event (order, "claimed");
  send_event (order, "expired");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_EXPIRED);
  g_assert_cmpuint (crossing_order_get_renewals (order), ==, 0);
}

static void
test_bad_events_are_ignored (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  crossing_order_handle_event (order, "rejected", "{\"orderId\":\"B\",\"status\":\"rejected\"}");
  crossing_order_handle_event (order, "bogus", event_data ("rejected", "ORDER"));
  crossing_order_handle_event (order, "claimed", "not json");
  crossing_order_handle_event (order, "claimed", "[1,2]");
  crossing_order_handle_event (order, "claimed", "{\"orderId\":7}");
  crossing_order_handle_event (order, "claimed", NULL);
  crossing_order_handle_event (order, NULL, "{}");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_WAITING);
  /* A check code that is not a short clean string is not shown. */
  crossing_order_handle_event (order, "claimed",
                               "{\"orderId\":\"ORDER\",\"checkCode\":\"1\\n2 forged line\"}");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SCANNED);
  g_assert_null (crossing_order_get_check_code (order));
}

static void
test_terminal_state_survives_replay (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  send_event (order, "claimed");
  send_event (order, "rejected");
  send_event (order, "claimed");
  send_event (order, "approved");
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_REJECTED);
}

static void
test_state_names (void)
{
  g_assert_cmpstr (crossing_order_state_to_string (CROSSING_ORDER_SCANNED), ==, "scanned");
  g_assert_cmpstr (crossing_order_state_to_string (CROSSING_ORDER_SIGNED_IN), ==, "signed-in");
  g_assert_cmpstr (crossing_order_state_to_string (CROSSING_ORDER_ERROR), ==, "error");
}

/* ---- against a scripted companion ---------------------------------------- */

static void
test_login_from_start_to_sign_out (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autoptr(GString) trail = g_string_new (NULL);
  g_autofree char *claimed = test_event (1, "claimed", "ORDER1");
  g_autofree char *approved = test_event (3, "approved", "ORDER1");
  g_autofree char *body = g_strconcat ("retry: 50\n\n", claimed, approved, NULL);

  test_server_queue_events (server, body);
  g_signal_connect (order, "notify::state", G_CALLBACK (on_state), trail);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));

  g_assert_cmpstr (trail->str, ==,
                   "starting waiting scanned approved finalizing signed-in");
  g_assert_cmpstr (crossing_order_get_check_code (order), ==, "47");
  g_assert_cmpstr (crossing_order_get_user_name (order), ==, "Ada");
  g_assert_cmpstr (crossing_order_get_subject (order), ==, "ed25519:abcd");
  g_assert_cmpint (crossing_order_get_session_expires_at (order), ==, 1900000000000);
  g_assert_true (crossing_order_has_session (order));
  g_assert_cmpuint (server->n_start, ==, 1);
  g_assert_cmpuint (server->n_finalize, ==, 1);
  g_assert_cmpstr (server->last_authorization, ==, "Bearer sessiontoken123");

  crossing_order_sign_out (order);
  g_assert_true (test_wait_until (is_idle, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_IDLE);
  g_assert_cmpuint (server->n_sign_out, ==, 1);
  g_assert_cmpstr (server->last_authorization, ==, "Bearer sessiontoken123");
  g_assert_false (crossing_order_has_session (order));
}

static void
test_sign_shows_the_proof (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, "/api/auth/");
  g_autofree char *approved = test_event (3, "approved", "ORDER1");

  server->finalize_body = g_strdup (
    "{\"ok\":true,\"orderId\":\"ORDER1\",\"status\":\"finalized\",\"kind\":\"sign\","
    "\"redirectTo\":\"/\",\"proofArtifact\":{\"adapterId\":\"ed25519\",\"subject\":\"ed25519:ff\","
    "\"publicKeyHex\":\"ff\",\"signatureHex\":\"0123\",\"message\":\"m\"}}");
  test_server_queue_events (server, approved);
  crossing_order_set_kind (order, CROSSING_KIND_SIGN);
  crossing_order_set_display (order, "Release notes", NULL, "abcdef");
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));

  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_DONE);
  g_assert_cmpstr (crossing_order_get_subject (order), ==, "ed25519:ff");
  g_assert_cmpstr (crossing_order_get_signature (order), ==, "0123");
  g_assert_cmpstr (crossing_order_get_signed_message (order), ==, "m");
  g_assert_false (crossing_order_has_session (order));
  /* finalize names the order with the desktop token start gave. */
  g_assert_nonnull (strstr (server->last_body, "\"desktopToken\":\"desktop1\""));
}

static gboolean
is_reconnecting (gpointer data)
{
  return crossing_order_get_reconnecting (data);
}

static void
test_reconnect_trusts_the_servers_state (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *claimed = test_event (1, "claimed", "ORDER1");
  g_autofree char *first = g_strconcat ("retry: 200\n\n", claimed, NULL);
  g_autofree char *rejected = test_event (4, "rejected", "ORDER1");

  /* The stream breaks after "claimed"; while away, the phone rejected. */
  test_server_queue_events (server, first);
  test_server_queue_events (server, rejected);
  crossing_order_start (order);

  g_assert_true (test_wait_until (is_reconnecting, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SCANNED);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_REJECTED);
  g_assert_false (crossing_order_get_reconnecting (order));
  g_assert_cmpuint (server->n_events, ==, 2);
  /* The first connection asks for everything, the second for what it missed. */
  g_assert_cmpstr (g_ptr_array_index (server->last_event_ids, 0), ==, "0");
  g_assert_cmpstr (g_ptr_array_index (server->last_event_ids, 1), ==, "1");
}

static void
test_renewal_starts_fresh_orders (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  for (guint i = 1; i <= CROSSING_ORDER_MAX_RENEWALS + 1; i++)
    {
      g_autofree char *order_id = g_strdup_printf ("ORDER%u", i);
      g_autofree char *expired = test_event (1, "expired", order_id);

      test_server_queue_events (server, expired);
    }
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));

  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_EXPIRED);
  g_assert_cmpuint (server->n_start, ==, CROSSING_ORDER_MAX_RENEWALS + 1);
  g_assert_cmpuint (crossing_order_get_renewals (order), ==, CROSSING_ORDER_MAX_RENEWALS);
}

static void
test_cancel_from_the_desktop (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  crossing_order_cancel (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_CANCELLED);
  g_assert_cmpuint (server->n_cancel, ==, 1);
  g_assert_nonnull (strstr (server->last_body, "\"desktopToken\":\"desktop1\""));
}

static void
test_server_refusal_shows_its_message (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  server->start_status = 400;
  server->start_body = g_strdup ("{\"code\":\"INVALID_REQUEST\",\"message\":\"displayTitle is too long\"}");
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_ERROR);
  g_assert_nonnull (strstr (crossing_order_get_error (order), "displayTitle is too long"));
}

static void
test_rejected_says_why (void)
{
  static const struct {
    const char *reason;
    CrossingRejectReason expected;
  } cases[] = {
    { "user", CROSSING_REJECT_USER },
    { "check_code", CROSSING_REJECT_CHECK_CODE },
    { "subject_mismatch", CROSSING_REJECT_SUBJECT_MISMATCH },
    { "something_new", CROSSING_REJECT_UNKNOWN },
    { NULL, CROSSING_REJECT_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CrossingOrder) order = waiting_order (0);
      g_autofree char *data = NULL;

      if (cases[i].reason != NULL)
        data = g_strdup_printf ("{\"orderId\":\"ORDER\",\"status\":\"rejected\","
                                "\"kind\":\"login\",\"reason\":\"%s\"}", cases[i].reason);
      else
        data = g_strdup (event_data ("rejected", "ORDER"));
      send_event (order, "claimed");
      crossing_order_handle_event (order, "rejected", data);
      g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_REJECTED);
      g_assert_cmpint (crossing_order_get_reject_reason (order), ==, cases[i].expected);
      /* A fresh order forgets it. */
      crossing_order_follow_for_test (order, "ORDER", 0);
      g_assert_cmpint (crossing_order_get_reject_reason (order), ==, CROSSING_REJECT_UNKNOWN);
    }
}

static void
test_refused_stream_is_an_error (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  server->events_status = 401;
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_ERROR);
  g_assert_cmpuint (server->n_events, ==, 1);
}

static void
test_malformed_start_reply_is_an_error (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  server->start_body = g_strdup ("{\"orderId\":\"has spaces\",\"claimUrl\":\"javascript:x\"}");
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_ERROR);
  g_assert_null (crossing_order_get_claim_url (order));
}

/* ---- a code to type, identified orders ------------------------------------ */

static void
test_start_asks_for_a_code_to_type (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *uri = g_strconcat (server->url, "/cross-device/code", NULL);

  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_nonnull (strstr (server->last_body, "\"userCode\":true"));
  g_assert_null (strstr (server->last_body, "\"subject\""));
  g_assert_cmpstr (crossing_order_get_user_code (order), ==, "WDJB-MJHC");
  g_assert_cmpstr (crossing_order_get_verification_uri (order), ==, uri);
  g_assert_null (crossing_order_get_required_subject (order));

  /* A new order, a new code. */
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_cmpstr (crossing_order_get_user_code (order), ==, "WDJB-MJHD");
}

static gboolean
cancel_arrived (gpointer data)
{
  return ((TestServer *) data)->n_cancel > 0;
}

/* A code on screen replaced by another on request is cancelled on the
 * server; one that expired and is renewed is not asked about. */
static void
test_replaced_order_is_cancelled (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  crossing_order_start_identified (order, "ed25519:abcd");
  g_assert_true (test_wait_until (cancel_arrived, server, 5000));
  g_assert_cmpuint (server->n_cancel, ==, 1);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_cmpuint (server->n_start, ==, 2);
}

static void
test_identified_order_names_its_signer (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  const char *subject = "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U";

  /* A companion that ignores the subject: the order is not said to be
   * identified. */
  crossing_order_start_identified (order, subject);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_nonnull (strstr (server->last_body, "\"subject\":\"NQ71 CT4K"));
  g_assert_null (crossing_order_get_required_subject (order));

  server->start_subject = g_strdup (subject);
  crossing_order_start_identified (order, subject);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_cmpstr (crossing_order_get_required_subject (order), ==, subject);

  /* A plain start afterwards asks for nobody in particular. */
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  g_assert_null (strstr (server->last_body, "\"subject\""));
}

/* ---- polling when the stream does not come through ------------------------- */

static char *
status_body (const char *status,
             guint       order,
             guint       sequence,
             guint       interval)
{
  return g_strdup_printf ("{\"orderId\":\"ORDER%u\",\"status\":\"%s\",\"kind\":\"login\","
                          "\"redirectTo\":\"/\"%s,\"sequence\":%u,\"expiresAt\":1900000000000,"
                          "\"interval\":%u}",
                          order, status, g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "",
                          sequence, interval);
}

static void
record_slow (CrossingOrder *order,
             GParamSpec    *pspec,
             guint         *changes)
{
  (*changes)++;
}

static gboolean
is_scanned (gpointer data)
{
  return crossing_order_get_state (data) == CROSSING_ORDER_SCANNED;
}

static gboolean
is_slow (gpointer data)
{
  return crossing_order_get_slow_connection (data);
}

static void
test_silent_stream_falls_back_to_polling (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *claimed = status_body ("claimed", 1, 1, 1);
  g_autofree char *approved = status_body ("approved", 1, 3, 1);
  guint slow_changes = 0;
  gint64 gap;

  server->events_silent = 100;
  test_server_queue_status (server, claimed);
  test_server_queue_status (server, approved);
  crossing_order_set_stream_timing (order, 300, 60000);
  g_signal_connect (order, "notify::slow-connection", G_CALLBACK (record_slow), &slow_changes);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_slow, order, 5000));
  /* No event arrived in the window: a poll brings the check code. */
  g_assert_true (test_wait_until (is_scanned, order, 5000));
  g_assert_cmpstr (crossing_order_get_check_code (order), ==, "47");
  g_assert_false (crossing_order_get_reconnecting (order));
  g_assert_true (test_wait_until (is_settled, order, 10000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
  g_assert_cmpuint (server->n_status, ==, 2);
  g_assert_cmpuint (server->n_finalize, ==, 1);
  /* Polled at the order's interval, not faster. */
  gap = g_array_index (server->status_times, gint64, 1) - g_array_index (server->status_times, gint64, 0);
  g_assert_cmpint (gap, >=, 950000);
  /* The note went on, and off once the order was done. */
  g_assert_cmpuint (slow_changes, ==, 2);
  g_assert_false (crossing_order_get_slow_connection (order));
}

static void
test_slow_down_raises_the_interval (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *created = status_body ("created", 1, 0, 1);
  g_autofree char *created2 = status_body ("created", 1, 0, 2);
  g_autofree char *approved = status_body ("approved", 1, 3, 2);
  gint64 *t;

  server->events_silent = 100;
  server->status_slow_down_at = 2;
  test_server_queue_status (server, created);
  test_server_queue_status (server, created2);
  test_server_queue_status (server, created2);
  test_server_queue_status (server, approved);
  crossing_order_set_stream_timing (order, 300, 60000);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 20000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
  g_assert_cmpuint (server->n_status, ==, 5);
  t = (gint64 *) server->status_times->data;
  /* 1 s, then SLOW_DOWN: 2 s (its Retry-After), and 2 s from then on. */
  g_assert_cmpint (t[1] - t[0], >=, 950000);
  g_assert_cmpint (t[2] - t[1], >=, 1950000);
  g_assert_cmpint (t[3] - t[2], >=, 1950000);
  g_assert_cmpint (t[4] - t[3], >=, 1950000);
}

static void
test_events_again_after_polling (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *claimed = status_body ("claimed", 1, 1, 1);
  g_autofree char *approved = test_event (2, "approved", "ORDER1");

  /* The first stream is held back; the one tried later comes through. */
  server->events_silent = 1;
  test_server_queue_status (server, claimed);
  test_server_queue_events (server, approved);
  crossing_order_set_stream_timing (order, 300, 1500);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_scanned, order, 5000));
  g_assert_true (crossing_order_get_slow_connection (order));
  g_assert_true (test_wait_until (is_settled, order, 10000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
  /* The stream was asked to go on from the sequence the poll gave. */
  g_assert_cmpuint (server->last_event_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (server->last_event_ids, 0), ==, "0");
  g_assert_cmpstr (g_ptr_array_index (server->last_event_ids, 1), ==, "1");
  g_assert_false (crossing_order_get_slow_connection (order));
}

static void
test_stream_lost_twice_falls_back_to_polling (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *approved = status_body ("approved", 1, 3, 1);

  /* Two connections that end before anything happens. */
  test_server_queue_events (server, "retry: 100\n\n");
  test_server_queue_events (server, "retry: 100\n\n");
  test_server_queue_status (server, approved);
  crossing_order_set_stream_timing (order, 10000, 60000);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
  g_assert_cmpuint (server->n_events, ==, 2);
  g_assert_cmpuint (server->n_status, ==, 1);
}

static void
test_working_stream_does_not_poll (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  /* The idle stream sends a keepalive: it works, nothing to poll. */
  crossing_order_set_stream_timing (order, 300, 60000);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  test_wait_until (is_slow, order, 1000);
  g_assert_false (crossing_order_get_slow_connection (order));
  g_assert_cmpuint (server->n_status, ==, 0);
}

static void
test_polled_order_gone_is_an_error (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);

  /* Nothing queued: /status answers 404 ORDER_NOT_FOUND. */
  server->events_silent = 100;
  crossing_order_set_stream_timing (order, 300, 60000);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_settled, order, 5000));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_ERROR);
  g_assert_nonnull (strstr (crossing_order_get_error (order), "no longer knows"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/order/claimed-shows-check-code", test_claimed_shows_check_code);
  g_test_add_func ("/client/order/terminal-events", test_terminal_events);
  g_test_add_func ("/client/order/approved-finalizes-and-unreachable-is-an-error",
                   test_approved_finalizes_and_unreachable_is_an_error);
  g_test_add_func ("/client/order/unclaimed-expiry-renews-three-times-then-asks",
                   test_unclaimed_expiry_renews_three_times_then_asks);
  g_test_add_func ("/client/order/claimed-expiry-does-not-renew", test_claimed_expiry_does_not_renew);
  g_test_add_func ("/client/order/bad-events-are-ignored", test_bad_events_are_ignored);
  g_test_add_func ("/client/order/terminal-state-survives-replay", test_terminal_state_survives_replay);
  g_test_add_func ("/client/order/state-names", test_state_names);
  g_test_add_func ("/client/order/login-from-start-to-sign-out", test_login_from_start_to_sign_out);
  g_test_add_func ("/client/order/sign-shows-the-proof", test_sign_shows_the_proof);
  g_test_add_func ("/client/order/reconnect-trusts-the-servers-state",
                   test_reconnect_trusts_the_servers_state);
  g_test_add_func ("/client/order/renewal-starts-fresh-orders", test_renewal_starts_fresh_orders);
  g_test_add_func ("/client/order/cancel-from-the-desktop", test_cancel_from_the_desktop);
  g_test_add_func ("/client/order/server-refusal-shows-its-message",
                   test_server_refusal_shows_its_message);
  g_test_add_func ("/client/order/refused-stream-is-an-error", test_refused_stream_is_an_error);
  g_test_add_func ("/client/order/rejected-says-why", test_rejected_says_why);
  g_test_add_func ("/client/order/start-asks-for-a-code-to-type", test_start_asks_for_a_code_to_type);
  g_test_add_func ("/client/order/replaced-order-is-cancelled", test_replaced_order_is_cancelled);
  g_test_add_func ("/client/order/identified-order-names-its-signer",
                   test_identified_order_names_its_signer);
  g_test_add_func ("/client/order/silent-stream-falls-back-to-polling",
                   test_silent_stream_falls_back_to_polling);
  g_test_add_func ("/client/order/slow-down-raises-the-interval", test_slow_down_raises_the_interval);
  g_test_add_func ("/client/order/events-again-after-polling", test_events_again_after_polling);
  g_test_add_func ("/client/order/stream-lost-twice-falls-back-to-polling",
                   test_stream_lost_twice_falls_back_to_polling);
  g_test_add_func ("/client/order/working-stream-does-not-poll", test_working_stream_does_not_poll);
  g_test_add_func ("/client/order/polled-order-gone-is-an-error", test_polled_order_gone_is_an_error);
  g_test_add_func ("/client/order/resume-valid-session-signs-in-without-an-order",
                   test_resume_valid_session);
  g_test_add_func ("/client/order/resume-revoked-session-ends-it-and-starts-an-order",
                   test_resume_revoked_session_starts_an_order);
  g_test_add_func ("/client/order/malformed-start-reply-is-an-error",
                   test_malformed_start_reply_is_an_error);
  return g_test_run ();
}
