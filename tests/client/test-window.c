/* test-window.c: the window shows the right page, filled in, for each state;
 * the QR is drawn crisp. Under Xvfb.
 *
 * With CROSSING_SCREENSHOT_DIR set, every page is also saved as a PNG at a
 * small and a large window size, to be looked at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "crossing-order-private.h"
#include "crossing-preferences-window.h"
#include "crossing-qr-paintable.h"
#include "crossing-window.h"

#include "client-test-server.h"

static const char *
event_data (const char *status)
{
  static char buffer[256];

  g_snprintf (buffer, sizeof buffer,
              "{\"orderId\":\"ORDER\",\"status\":\"%s\",\"kind\":\"login\",\"redirectTo\":\"/\"%s}",
              status, g_str_equal (status, "claimed") ? ",\"checkCode\":\"47\"" : "");
  return buffer;
}

static void
iterate (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  /* The deadline is checked after every dispatch: while something animates
   * (the scanned page's spinner) there is always a frame due, and a slow
   * renderer (llvmpipe on a loaded machine, a sanitizer build) would
   * otherwise never leave an inner "dispatch until idle" loop. */
  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    }
}

/* The widgets are found by what they say, as a person would. */
static gboolean
find_label (GtkWidget  *widget,
            const char *needle)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;
  if (ADW_IS_STATUS_PAGE (widget) &&
      ((adw_status_page_get_title (ADW_STATUS_PAGE (widget)) != NULL &&
        strstr (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), needle) != NULL) ||
       (adw_status_page_get_description (ADW_STATUS_PAGE (widget)) != NULL &&
        strstr (adw_status_page_get_description (ADW_STATUS_PAGE (widget)), needle) != NULL)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (find_label (child, needle))
      return TRUE;
  return FALSE;
}

static void
assert_shows (CrossingWindow *window,
              const char     *page,
              const char     *text)
{
  /* Polled for up to 5 s: a slow renderer maps the page (or a banner) a
   * few frames later, and a frame can take long under a sanitizer. */
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  do
    iterate (50);
  while (g_get_monotonic_time () < end &&
         (g_strcmp0 (crossing_window_get_visible_page (window), page) != 0 ||
          (text != NULL && !find_label (GTK_WIDGET (window), text))));
  g_assert_cmpstr (crossing_window_get_visible_page (window), ==, page);
  if (text != NULL && !find_label (GTK_WIDGET (window), text))
    g_error ("page %s does not show «%s»", page, text);
}

static void
screenshot (CrossingWindow *window,
            const char     *name)
{
  const char *dir = g_getenv ("CROSSING_SCREENSHOT_DIR");
  static const int sizes[][2] = { { 360, 560 }, { 800, 720 } };

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
      g_autoptr(GtkSnapshot) snapshot = NULL;
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      g_autofree char *path = NULL;
      GskRenderer *renderer;

      gtk_window_set_default_size (GTK_WINDOW (window), sizes[i][0], sizes[i][1]);
      iterate (400);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (GTK_WIDGET (window)),
                              gtk_widget_get_height (GTK_WIDGET (window)));
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      if (node == NULL)
        continue;
      renderer = gtk_native_get_renderer (GTK_NATIVE (window));
      texture = gsk_renderer_render_texture (renderer, node, NULL);
      path = g_strdup_printf ("%s/window-%s-%dx%d.png", dir, name, sizes[i][0], sizes[i][1]);
      gdk_texture_save_to_png (texture, path);
    }
}

static CrossingWindow *
new_window (CrossingOrder *order)
{
  CrossingWindow *window = crossing_window_new (NULL, order);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
test_pages_from_scripted_events (void)
{
  g_autoptr(CrossingOrder) order = crossing_order_new ("http://127.0.0.1:9", NULL);
  CrossingWindow *window = new_window (order);

  assert_shows (window, "start", "Sign in with your phone");
  assert_shows (window, "start", "http://127.0.0.1:9");
  screenshot (window, "start");

  crossing_order_follow_for_test (order, "ORDER", 0);
  assert_shows (window, "qr", "Expires in 2:00");
  assert_shows (window, "qr", "http://127.0.0.1:9/cross-device/claim/ORDER?token=test");
  screenshot (window, "qr");
  /* The code stays dark on light in a dark window: cameras need that. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  screenshot (window, "qr-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Copy Link puts the claim link, and only it, on the clipboard. */
  {
    GdkContentProvider *content;
    g_auto(GValue) value = G_VALUE_INIT;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-link", NULL));
    content = gdk_clipboard_get_content (gtk_widget_get_clipboard (GTK_WIDGET (window)));
    g_assert_nonnull (content);
    g_value_init (&value, G_TYPE_STRING);
    g_assert_true (gdk_content_provider_get_value (content, &value, NULL));
    g_assert_cmpstr (g_value_get_string (&value), ==,
                     "http://127.0.0.1:9/cross-device/claim/ORDER?token=test");
  }

  crossing_order_handle_event (order, "claimed", event_data ("claimed"));
  assert_shows (window, "scanned", "47");
  assert_shows (window, "scanned", "Enter This Number on Your Phone");
  screenshot (window, "scanned");

  /* A companion that gives no reason: declined, in general words. */
  crossing_order_handle_event (order, "rejected", event_data ("rejected"));
  assert_shows (window, "ended", "Request Declined");
  assert_shows (window, "ended", "declined on your phone");

  /* Each reason in its own words. */
  {
    static const struct {
      const char *reason;
      const char *title;
      const char *shot;
    } reasons[] = {
      { "user", "Declined on Your Phone", "rejected" },
      { "check_code", "Too Many Wrong Codes", "rejected-check-code" },
      { "subject_mismatch", "Signed by Another Account", "rejected-subject-mismatch" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
      {
        g_autofree char *data = g_strdup_printf ("{\"orderId\":\"ORDER\",\"status\":\"rejected\","
                                                 "\"kind\":\"login\",\"reason\":\"%s\"}",
                                                 reasons[i].reason);

        crossing_order_follow_for_test (order, "ORDER", 0);
        crossing_order_handle_event (order, "claimed", event_data ("claimed"));
        assert_shows (window, "scanned", "47");
        crossing_order_handle_event (order, "rejected", data);
        assert_shows (window, "ended", reasons[i].title);
        screenshot (window, reasons[i].shot);
      }
  }

  crossing_order_follow_for_test (order, "ORDER", 0);
  crossing_order_handle_event (order, "cancelled", event_data ("cancelled"));
  assert_shows (window, "ended", "You cancelled");
  screenshot (window, "cancelled");

  crossing_order_follow_for_test (order, "ORDER", CROSSING_ORDER_MAX_RENEWALS);
  crossing_order_handle_event (order, "expired", event_data ("expired"));
  assert_shows (window, "ended", "stopped making new ones");
  screenshot (window, "expired");

  /* Approved, then finalize cannot reach the server: the error in words. */
  crossing_order_follow_for_test (order, "ORDER", 0);
  crossing_order_handle_event (order, "claimed", event_data ("claimed"));
  crossing_order_handle_event (order, "approved", event_data ("approved"));
  /* No iteration here: the refusal from port 9 would already be in. */
  g_assert_cmpstr (crossing_window_get_visible_page (window), ==, "working");
  while (crossing_order_get_state (order) != CROSSING_ORDER_ERROR)
    g_main_context_iteration (NULL, TRUE);
  assert_shows (window, "error", "Cannot reach the sign-in server at http://127.0.0.1:9");
  screenshot (window, "error");

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
is_state (gpointer data)
{
  CrossingOrder *order = data;
  CrossingOrderState state = crossing_order_get_state (order);

  return state == CROSSING_ORDER_SIGNED_IN || state == CROSSING_ORDER_DONE ||
         state == CROSSING_ORDER_ERROR || state == CROSSING_ORDER_IDLE;
}

static gboolean
is_reconnecting (gpointer data)
{
  return crossing_order_get_reconnecting (data);
}

static void
test_signed_in_and_sign_out (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *claimed = test_event (1, "claimed", "ORDER1");
  g_autofree char *approved = test_event (2, "approved", "ORDER1");
  g_autofree char *first = g_strconcat ("retry: 1500\n\n", claimed, NULL);
  CrossingWindow *window = new_window (order);

  /* The stream drops after "claimed": the banner shows while it is away. */
  test_server_queue_events (server, first);
  test_server_queue_events (server, approved);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_reconnecting, order, 5000));
  assert_shows (window, "scanned", "Reconnecting");
  screenshot (window, "reconnecting");

  g_assert_true (test_wait_until (is_state, order, 10000));
  assert_shows (window, "signed-in", "Signed In as Ada");
  assert_shows (window, "signed-in", "ed25519:abcd");
  assert_shows (window, "signed-in", server->url);
  /* Not a passkey: nothing said about one. */
  g_assert_false (find_label (GTK_WIDGET (window), "passkey"));
  screenshot (window, "signed-in");
  /* Enter must not sign out: Sign Out is not the default, nor focused. */
  g_assert_false (GTK_IS_BUTTON (gtk_window_get_focus (GTK_WINDOW (window))));

  /* Undo within the toast: the server is never asked. */
  crossing_window_set_undo_seconds (window, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
  assert_shows (window, "start", "Signed out");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-sign-out", NULL);
  assert_shows (window, "signed-in", "Signed In as Ada");
  iterate (1500);
  g_assert_cmpuint (server->n_sign_out, ==, 0);
  g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);

  /* Without Undo, the server is told once the toast is gone. */
  crossing_window_set_undo_seconds (window, 3);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
  screenshot (window, "signed-out-undo");
  g_assert_cmpuint (server->n_sign_out, ==, 0);
  while (crossing_order_get_state (order) != CROSSING_ORDER_IDLE)
    g_main_context_iteration (NULL, TRUE);
  assert_shows (window, "start", "Sign in with your phone");
  g_assert_cmpuint (server->n_sign_out, ==, 1);

  /* Signed out: the same account again, in an order only it may approve. */
  assert_shows (window, "start", "Sign _In Again as ed25519:abcd");
  screenshot (window, "signed-out-again");
  server->start_subject = g_strdup ("ed25519:abcd");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start-again", NULL));
  assert_shows (window, "qr", "Only ed25519:abcd can approve");
  assert_shows (window, "qr", "Another Account");
  g_assert_nonnull (strstr (server->last_body, "\"subject\":\"ed25519:abcd\""));
  screenshot (window, "qr-identified");
  /* Anyone, after all. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_clear_pointer (&server->start_subject, g_free);
  assert_shows (window, "qr", "Sign _In Again as ed25519:abcd");
  g_assert_null (strstr (server->last_body, "\"subject\""));
  g_assert_false (find_label (GTK_WIDGET (window), "can approve"));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* libadwaita 1.2 crashes when a toast dismissed while it slides in has
 * both its animations end on one frame (see crossing-window-actions.c):
 * Undo at once, then one slow frame. The window defers its dismissal. */
static void
test_toast_dismissed_while_showing (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *claimed = test_event (1, "claimed", "ORDER1");
  g_autofree char *approved = test_event (2, "approved", "ORDER1");
  g_autofree char *events = g_strconcat (claimed, approved, NULL);
  CrossingWindow *window = new_window (order);

  test_server_queue_events (server, events);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_state, order, 10000));
  assert_shows (window, "signed-in", "Signed In as Ada");

  for (guint round = 0; round < 3; round++)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
      iterate (60);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-sign-out", NULL);
      /* The next frame comes after both animations' ends. */
      g_usleep (800 * 1000);
      iterate (1200);
      g_assert_cmpint (crossing_order_get_state (order), ==, CROSSING_ORDER_SIGNED_IN);
    }
  g_assert_cmpuint (server->n_sign_out, ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* get-session's user.passkey says how a passkey user signed in; the
 * subject is shown in its short form. */
static void
test_passkey_kind (void)
{
  static const struct {
    const char *flags;
    const char *text;
  } cases[] = {
    { "{\"backupEligible\":true,\"backupState\":true}", "Signed in with a passkey (synced)" },
    { "{\"backupEligible\":true,\"backupState\":false}",
      "Signed in with a passkey (this device only)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestServer) server = test_server_new ();
      g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
      CrossingWindow *window = new_window (order);

      server->session_body =
        g_strdup_printf ("{\"session\":{\"id\":\"s1\",\"expiresAt\":1900000000000,"
                         "\"createdAt\":1800000000000},\"user\":{\"id\":\"u1\",\"name\":\"Ada\","
                         "\"subject\":\"passkey:AbCdEfGhIjKlMnOpQrStUv\",\"passkey\":%s}}",
                         cases[i].flags);
      crossing_order_resume (order, "sessiontoken123");
      g_assert_true (test_wait_until (is_state, order, 10000));
      assert_shows (window, "signed-in", cases[i].text);
      assert_shows (window, "signed-in", "Ada (passkey:AbCdEfGhIjKlMnOp)");
      g_assert_false (find_label (GTK_WIDGET (window), "passkey:AbCdEfGhIjKlMnOpQ"));
      /* The test server has no ledger (404): no section, no error. */
      g_assert_false (find_label (GTK_WIDGET (window), "Recent Activity"));
      g_assert_false (find_label (GTK_WIDGET (window), "could not be read"));
      screenshot (window, i == 0 ? "signed-in-passkey-synced" : "signed-in-passkey-device");
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

static GtkToggleButton *
find_toggle (GtkWidget *widget)
{
  if (GTK_IS_TOGGLE_BUTTON (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), "Can’t _scan?") == 0)
    return GTK_TOGGLE_BUTTON (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkToggleButton *found = find_toggle (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_waiting (gpointer data)
{
  return crossing_order_get_state (data) == CROSSING_ORDER_WAITING;
}

/* "Can't scan?" under the code: the code to type and where, for the order
 * on screen. */
static void
test_cant_scan_shows_the_code (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *uri = g_strconcat (server->url, "/cross-device/code", NULL);
  CrossingWindow *window = new_window (order);
  GtkToggleButton *toggle;

  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  assert_shows (window, "qr", "Can’t _scan?");
  /* Folded away until asked for. */
  g_assert_false (find_label (GTK_WIDGET (window), "WDJB-MJHC"));
  toggle = find_toggle (GTK_WIDGET (window));
  g_assert_nonnull (toggle);
  gtk_toggle_button_set_active (toggle, TRUE);
  assert_shows (window, "qr", "WDJB-MJHC");
  assert_shows (window, "qr", uri);
  screenshot (window, "qr-user-code");

  /* A new order brings its own code. */
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_waiting, order, 5000));
  assert_shows (window, "qr", "WDJB-MJHD");
  g_assert_false (find_label (GTK_WIDGET (window), "WDJB-MJHC"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
is_scanned (gpointer data)
{
  return crossing_order_get_state (data) == CROSSING_ORDER_SCANNED;
}

/* Polling instead of events: a quiet note, and the order goes on. */
static void
test_slow_connection_note (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  CrossingWindow *window = new_window (order);

  server->events_silent = 100;
  test_server_queue_status (server, "{\"orderId\":\"ORDER1\",\"status\":\"created\","
                                    "\"kind\":\"login\",\"sequence\":0,\"interval\":1}");
  test_server_queue_status (server, "{\"orderId\":\"ORDER1\",\"status\":\"claimed\","
                                    "\"kind\":\"login\",\"checkCode\":\"47\",\"sequence\":1,"
                                    "\"interval\":1}");
  crossing_order_set_stream_timing (order, 300, 60000);
  crossing_order_start (order);
  assert_shows (window, "qr", "Slow connection");
  g_assert_false (find_label (GTK_WIDGET (window), "Reconnecting"));
  screenshot (window, "qr-slow-connection");
  g_assert_true (test_wait_until (is_scanned, order, 5000));
  assert_shows (window, "scanned", "47");
  assert_shows (window, "scanned", "Slow connection");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_server_message_is_text_not_markup (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  CrossingWindow *window = new_window (order);

  server->start_status = 400;
  server->start_body = g_strdup ("{\"code\":\"INVALID_REQUEST\","
                                 "\"message\":\"payloadHash <b>must</b> be hex & short\"}");
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_state, order, 5000));
  /* Shown as written; as markup it would warn (fatal here) or drop the tags. */
  assert_shows (window, "error", "payloadHash &lt;b&gt;must&lt;/b&gt; be hex &amp; short");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_signature_result (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(CrossingOrder) order = crossing_order_new (server->url, NULL);
  g_autofree char *approved = test_event (2, "approved", "ORDER2");
  CrossingWindow *window = new_window (order);

  /* Beside the code: what is to be signed. */
  crossing_order_set_kind (order, CROSSING_KIND_SIGN);
  crossing_order_set_display (order, "Release notes 0.1.0", "The notes as published", NULL);
  crossing_order_start (order);
  assert_shows (window, "qr", "Release notes 0.1.0");
  assert_shows (window, "qr", "The notes as published");
  assert_shows (window, "qr", "Scan to Sign");
  assert_shows (window, "qr", "Compare the number");
  screenshot (window, "qr-sign");

  server->finalize_body = g_strdup (
    "{\"ok\":true,\"orderId\":\"ORDER2\",\"status\":\"finalized\",\"kind\":\"sign\","
    "\"redirectTo\":\"/\",\"proofArtifact\":{\"adapterId\":\"nimiq-pay\","
    "\"subject\":\"NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U\","
    "\"publicKeyHex\":\"0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980\","
    "\"signatureHex\":\"ffe7b8e83832b6be7fced7c930d2529e2978e79b22ee52fca061b5f1e1e4ca2d"
    "3a266f5ec87c2b5f27be90e59cfc7af6ea11e4782bcf3a2e6d3313654f1d4e0f\",\"message\":\"hello\"}}");
  test_server_queue_events (server, approved);
  crossing_order_start (order);
  g_assert_true (test_wait_until (is_state, order, 5000));
  assert_shows (window, "done", "Your phone signed “Release notes 0.1.0”");
  assert_shows (window, "done", "NQ71 CT4K");
  assert_shows (window, "done", "ffe7b8e8");
  screenshot (window, "signed");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* At any size, each module is whole pixels: only pure dark and light. */
static void
test_qr_is_crisp (void)
{
  g_autoptr(CrossingQrPaintable) qr =
    crossing_qr_paintable_new ("http://127.0.0.1:8787/cross-device/claim/ORDER?token=T");
  g_autoptr(GskRenderer) renderer = gsk_cairo_renderer_new ();
  static const int sizes[] = { 173, 200, 333, 512 };

  g_assert_true (gsk_renderer_realize (renderer, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int size = sizes[i];
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      g_autofree guchar *pixels = g_malloc (size * size * 4);
      guint grey = 0, dark = 0;

      /* A white page behind, as in the window. */
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 1, 1, 1, 1 },
                                 &GRAPHENE_RECT_INIT (0, 0, size, size));
      gdk_paintable_snapshot (GDK_PAINTABLE (qr), snapshot, size, size);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, size, size));
      gdk_texture_download (texture, pixels, size * 4);
      for (int p = 0; p < size * size; p++)
        {
          guchar v = pixels[p * 4];
          if (v != 0 && v != 255)
            grey++;
          if (v == 0)
            dark++;
        }
      g_assert_cmpuint (grey, ==, 0);
      g_assert_cmpuint (dark, >, 0);
    }
  gsk_renderer_unrealize (renderer);
}

static gboolean
is_not_checking (gpointer data)
{
  return !crossing_preferences_window_is_checking (data);
}

static void
save_window_png (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("CROSSING_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  iterate (300);
  paintable = gtk_widget_paintable_new (widget);
  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget),
                          gtk_widget_get_height (widget));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node, NULL);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  gdk_texture_save_to_png (texture, path);
}

/* A server is saved only once its /health says it is a companion. */
static void
test_preferences_check_before_saving (void)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(GSettings) settings = g_settings_new ("dev.crossing.Crossing");
  g_autofree char *saved = NULL;
  g_autofree char *before = g_settings_get_string (settings, "server-url");
  CrossingPreferencesWindow *prefs = crossing_preferences_window_new (NULL, settings);

  gtk_window_present (GTK_WINDOW (prefs));
  crossing_preferences_window_apply (prefs, "http://127.0.0.1:9");
  g_assert_true (test_wait_until (is_not_checking, prefs, 10000));
  g_assert_nonnull (strstr (crossing_preferences_window_get_status (prefs), "Nothing answers"));
  save_window_png (GTK_WIDGET (prefs), "preferences-unreachable");
  saved = g_settings_get_string (settings, "server-url");
  g_assert_cmpstr (saved, ==, before);

  crossing_preferences_window_apply (prefs, server->url);
  g_assert_true (test_wait_until (is_not_checking, prefs, 10000));
  g_assert_nonnull (strstr (crossing_preferences_window_get_status (prefs), "Saved"));
  save_window_png (GTK_WIDGET (prefs), "preferences-saved");
  g_free (saved);
  saved = g_settings_get_string (settings, "server-url");
  g_assert_cmpstr (saved, ==, server->url);

  gtk_window_destroy (GTK_WINDOW (prefs));
  g_settings_reset (settings, "server-url");
}

static void
test_shortcuts_window_builds (void)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/dev/crossing/Crossing/gtk/help-overlay.ui");
  GtkWindow *overlay = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  gtk_window_destroy (overlay);
}

int
main (int argc, char **argv)
{
  g_autoptr(GtkCssProvider) css = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* What AdwApplication does from its resource base path for the app. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/dev/crossing/Crossing/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/dev/crossing/Crossing/icons");

  g_test_add_func ("/client/window/pages-from-scripted-events", test_pages_from_scripted_events);
  g_test_add_func ("/client/window/signed-in-and-sign-out-with-undo", test_signed_in_and_sign_out);
  g_test_add_func ("/client/window/toast-dismissed-while-showing",
                   test_toast_dismissed_while_showing);
  g_test_add_func ("/client/window/signed-in-with-a-passkey", test_passkey_kind);
  g_test_add_func ("/client/window/signature-result", test_signature_result);
  g_test_add_func ("/client/window/cant-scan-shows-the-code", test_cant_scan_shows_the_code);
  g_test_add_func ("/client/window/slow-connection-note", test_slow_connection_note);
  g_test_add_func ("/client/window/server-message-is-text-not-markup",
                   test_server_message_is_text_not_markup);
  g_test_add_func ("/client/qr/crisp-at-any-size", test_qr_is_crisp);
  g_test_add_func ("/client/window/shortcuts-window-builds", test_shortcuts_window_builds);
  g_test_add_func ("/client/preferences/server-checked-before-saving",
                   test_preferences_check_before_saving);
  return g_test_run ();
}
