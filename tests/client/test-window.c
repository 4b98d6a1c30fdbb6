/* test-window.c: the window shows the page of each order state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "crossing-order-private.h"
#include "crossing-window.h"

static char event_buffer[256];

static const char *
event (const char *status)
{
  g_snprintf (event_buffer, sizeof event_buffer,
              "{\"orderId\":\"ORDER\",\"status\":\"%s\",\"kind\":\"login\",\"redirectTo\":\"/\"%s}",
              status, g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "");
  return event_buffer;
}

static void
test_pages (void)
{
  static const struct {
    const char *status;   /* NULL: only follow */
    const char *page;
  } steps[][3] = {
    { { NULL, "qr" } },
    { { "claimed", "scanned" } },
    { { "claimed", "scanned" }, { "rejected", "ended" } },
    { { "cancelled", "ended" } },
    { { "claimed", "scanned" }, { "expired", "ended" } },
    { { "claimed", "scanned" }, { "approved", "working" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(CrossingOrder) order = crossing_order_new ("http://127.0.0.1:9");
      CrossingWindow *window = crossing_window_new (NULL, order);

      g_assert_cmpstr (crossing_window_get_visible_page (window), ==, "start");
      crossing_order_follow_for_test (order, "ORDER", 0);
      g_assert_cmpstr (crossing_window_get_visible_page (window), ==, "qr");

      for (guint j = 0; j < 3 && steps[i][j].page != NULL; j++)
        {
          if (steps[i][j].status != NULL)
            crossing_order_handle_event (order, steps[i][j].status, event (steps[i][j].status));
          g_assert_cmpstr (crossing_window_get_visible_page (window), ==, steps[i][j].page);
        }
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/client/window/each-state-has-its-page", test_pages);
  return g_test_run ();
}
