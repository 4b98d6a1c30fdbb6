/* test-client-units.c: the client's order state machine, error sentences and QR
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <qrencode.h>

#include "crossing-error.h"
#include "crossing-order-private.h"
#include <string.h>
#include "crossing-qr-paintable.h"

static const char *
event (const char *status)
{
  static char buffer[256];

  g_snprintf (buffer, sizeof buffer,
              "{\"orderId\":\"ORDER\",\"status\":\"%s\",\"kind\":\"login\",\"redirectTo\":\"/\"%s}",
              status, g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "");
  return buffer;
}

static CrossingOrder *
waiting_order (guint renewals)
{
  /* Nothing listens on port 9: any request it makes fails, later. */
  CrossingOrder *order = crossing_order_new ("http://127.0.0.1:9");

  crossing_order_follow_for_test (order, "ORDER", renewals);
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_WAITING);
  return order;
}

static void
test_claimed_shows_check_code (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  crossing_order_handle_event (order, "claimed", event ("claimed"));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SCANNED);
  g_assert_cmpstr (crossing_order_get_check_code (order), ==, "47");
  crossing_order_handle_event (order, "waiting_user", event ("waiting_user"));
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
    { "approved", CROSSING_ORDER_FINALIZING },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CrossingOrder) order = waiting_order (0);

      crossing_order_handle_event (order, "claimed", event ("claimed"));
      crossing_order_handle_event (order, cases[i].status, event (cases[i].status));
      g_assert_cmpint (crossing_order_get_state (order), ==, cases[i].state);
    }
}

static void
test_unclaimed_expiry_renews (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  crossing_order_handle_event (order, "expired", event ("expired"));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_STARTING);
  g_assert_cmpuint (crossing_order_get_renewals (order), ==, 1);
}

static void
test_renewals_stop_and_ask (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (CROSSING_ORDER_MAX_RENEWALS);

  crossing_order_handle_event (order, "expired", event ("expired"));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_EXPIRED);
}

static void
test_claimed_expiry_does_not_renew (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  crossing_order_handle_event (order, "claimed", event ("claimed"));
  crossing_order_handle_event (order, "expired", event ("expired"));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_EXPIRED);
}

static void
test_events_for_another_order_are_ignored (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  crossing_order_handle_event (order, "rejected", "{\"orderId\":\"B\",\"status\":\"rejected\"}");
  crossing_order_handle_event (order, "bogus", event ("rejected"));
  crossing_order_handle_event (order, "claimed", "not json");
  crossing_order_handle_event (order, "claimed", "[1,2]");
  crossing_order_handle_event (order, "claimed", NULL);
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_WAITING);
}

static void
test_replayed_events_after_reconnect (void)
{
  g_autoptr(CrossingOrder) order = waiting_order (0);

  /* A reconnect replays what was missed: the server's state wins. */
  crossing_order_handle_event (order, "claimed", event ("claimed"));
  crossing_order_handle_event (order, "waiting_user", event ("waiting_user"));
  crossing_order_handle_event (order, "rejected", event ("rejected"));
  crossing_order_handle_event (order, "claimed", event ("claimed"));
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_REJECTED);
}

static void
test_state_names (void)
{
  g_assert_cmpstr (crossing_order_state_to_string (CROSSING_ORDER_SCANNED), ==, "scanned");
  g_assert_cmpstr (crossing_order_state_to_string (CROSSING_ORDER_SIGNED_IN), ==, "signed-in");
}

static void
test_error_sentences (void)
{
  static const struct {
    GQuark domain;
    int code;
    const char *message, *contains;
  } cases[] = {
    { 0, G_IO_ERROR_CONNECTION_REFUSED, "refused", "Cannot reach the sign-in server at http://s" },
    { 0, G_IO_ERROR_TIMED_OUT, "slow", "Cannot reach" },
    { 1, G_TLS_ERROR_BAD_CERTIFICATE, "bad", "not trusted" },
    { 2, CROSSING_ERROR_RATE_LIMITED, "Too many", "busy" },
    { 2, CROSSING_ERROR_INVALID_REQUEST, "The field kind is required", "The field kind is required" },
    { 2, CROSSING_ERROR_INTERNAL, "SELECT secret", "ran into a problem" },
    { 0, G_IO_ERROR_INVALID_DATA, "x", "does not understand" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GQuark domain = cases[i].domain == 0 ? G_IO_ERROR : cases[i].domain == 1 ? G_TLS_ERROR : CROSSING_ERROR;
      g_autoptr(GError) error = g_error_new_literal (domain, cases[i].code, cases[i].message);
      g_autofree char *text = crossing_error_describe (error, "http://s");

      if (strstr (text, cases[i].contains) == NULL)
        g_error ("case %u: «%s» lacks «%s»", i, text, cases[i].contains);
      /* Internal detail never reaches the user. */
      g_assert_null (strstr (text, "SELECT"));
    }
}

static void
test_qr_matches_libqrencode (void)
{
  static const char *inputs[] = {
    "http://127.0.0.1:8787/cross-device/claim/AAAAAAAAAAAAAAAAAAAAAA?token=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    "https://auth.example.org/cross-device/claim/x?token=y",
    "a",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(CrossingQrPaintable) qr = crossing_qr_paintable_new (inputs[i]);
      QRcode *code = QRcode_encodeString (inputs[i], 0, QR_ECLEVEL_M, QR_MODE_8, 1);
      int q = CROSSING_QR_QUIET_ZONE;

      g_assert_nonnull (qr);
      g_assert_cmpuint (crossing_qr_paintable_get_size (qr), ==, (guint) code->width);
      for (int y = 0; y < code->width; y++)
        for (int x = 0; x < code->width; x++)
          g_assert_cmpint (crossing_qr_paintable_is_dark (qr, x + q, y + q), ==,
                           (code->data[y * code->width + x] & 1) != 0);
      /* The quiet zone is light all round. */
      for (int k = 0; k < code->width + 2 * q; k++)
        {
          g_assert_false (crossing_qr_paintable_is_dark (qr, k, 0));
          g_assert_false (crossing_qr_paintable_is_dark (qr, 0, k));
          g_assert_false (crossing_qr_paintable_is_dark (qr, k, code->width + 2 * q - 1));
          g_assert_false (crossing_qr_paintable_is_dark (qr, code->width + 2 * q - 1, k));
        }
      g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (qr)), ==,
                       gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (qr)));
      QRcode_free (code);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/order/claimed-shows-check-code", test_claimed_shows_check_code);
  g_test_add_func ("/client/order/terminal-and-approved-events", test_terminal_events);
  g_test_add_func ("/client/order/unclaimed-expiry-renews", test_unclaimed_expiry_renews);
  g_test_add_func ("/client/order/renewals-stop-and-ask", test_renewals_stop_and_ask);
  g_test_add_func ("/client/order/claimed-expiry-does-not-renew", test_claimed_expiry_does_not_renew);
  g_test_add_func ("/client/order/events-for-another-order-are-ignored",
                   test_events_for_another_order_are_ignored);
  g_test_add_func ("/client/order/terminal-state-survives-replay", test_replayed_events_after_reconnect);
  g_test_add_func ("/client/order/state-names", test_state_names);
  g_test_add_func ("/client/error/sentences-a-person-reads", test_error_sentences);
  g_test_add_func ("/client/qr/modules-match-libqrencode-with-quiet-zone", test_qr_matches_libqrencode);
  return g_test_run ();
}
