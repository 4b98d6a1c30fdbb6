/* crossing-window-actions.c: what the window's buttons do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>

#include "crossing-window-private.h"

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  crossing_order_start (CROSSING_WINDOW (widget)->order);
}

/* An identified order for whoever was signed in before. */
static void
start_again_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CrossingOrder *order = CROSSING_WINDOW (widget)->order;
  g_autofree char *subject = g_strdup (crossing_order_get_last_subject (order));

  if (subject != NULL)
    crossing_order_start_identified (order, subject);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  crossing_order_cancel (CROSSING_WINDOW (widget)->order);
}

/* libadwaita 1.2 (Debian 12's) frees a toast's state when its hide
 * animation ends but leaves its show animation's "done" handler connected:
 * a toast dismissed while it still slides in crashes the app when both
 * animations end on one frame, which a slow frame does (upstream commit
 * 1674ebc9, "toast-overlay: Prevent show_done from firing after hide_done",
 * in 1.3). So the sign-out toast is dismissed by us only on a frame at or
 * past the end of its show animation (at most 500 ms, when it replaces
 * another toast), which then ends first. tests/client/test-window.c's
 * /client/window/toast-dismissed-while-showing makes that frame slow. The
 * toast's own Undo button dismisses it from inside libadwaita, which this
 * cannot reach; people do not click in the first half second. */
#define TOAST_SHOW_USEC (500 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  AdwToast *toast;
  gint64    shown_at;
} DismissLater;

static void
dismiss_later_free (gpointer data)
{
  DismissLater *later = data;

  g_object_unref (later->toast);
  g_free (later);
}

static gboolean
dismiss_later_tick (GtkWidget     *overlay,
                    GdkFrameClock *clock,
                    gpointer       data)
{
  DismissLater *later = data;

  if (gdk_frame_clock_get_frame_time (clock) < later->shown_at)
    return G_SOURCE_CONTINUE;
  adw_toast_dismiss (later->toast);
  return G_SOURCE_REMOVE;
}

/* When the toast was added: when its show animation will have ended. */
static gint64
toast_shown_at (CrossingWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->toast_overlay));

  /* Unmapped, libadwaita plays no animation. */
  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self->toast_overlay)))
    return 0;
  return gdk_frame_clock_get_frame_time (clock) + TOAST_SHOW_USEC;
}

static void
dismiss_sign_out_toast (CrossingWindow *self)
{
  GtkWidget *overlay = GTK_WIDGET (self->toast_overlay);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (overlay);
  DismissLater *later;

  g_signal_handlers_disconnect_by_data (self->sign_out_toast, self);
  if (clock == NULL || !gtk_widget_get_mapped (overlay) ||
      gdk_frame_clock_get_frame_time (clock) >= self->sign_out_toast_shown_at)
    {
      adw_toast_dismiss (self->sign_out_toast);
      g_clear_object (&self->sign_out_toast);
      return;
    }

  later = g_new0 (DismissLater, 1);
  later->toast = g_steal_pointer (&self->sign_out_toast);
  later->shown_at = self->sign_out_toast_shown_at;
  gtk_widget_add_tick_callback (overlay, dismiss_later_tick, later, dismiss_later_free);
}

gboolean
crossing_window_commit_sign_out (CrossingWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_WINDOW (self), FALSE);

  g_clear_handle_id (&self->sign_out_id, g_source_remove);
  if (!self->sign_out_pending)
    return FALSE;
  self->sign_out_pending = FALSE;
  if (self->sign_out_toast != NULL)
    dismiss_sign_out_toast (self);
  crossing_order_sign_out (self->order);
  return TRUE;
}

static gboolean
sign_out_timeout (gpointer user_data)
{
  CrossingWindow *self = user_data;

  self->sign_out_id = 0;
  crossing_window_commit_sign_out (self);
  return G_SOURCE_REMOVE;
}

/* Closing the toast is a yes. Undo activated by the same click may come
 * after the toast's "dismissed", so the answer waits for the loop to be
 * idle. */
static void
on_sign_out_toast_dismissed (CrossingWindow *self)
{
  g_clear_object (&self->sign_out_toast);
  if (self->sign_out_pending)
    {
      g_clear_handle_id (&self->sign_out_id, g_source_remove);
      self->sign_out_id = g_idle_add (sign_out_timeout, self);
    }
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);

  if (self->sign_out_pending)
    return;
  self->sign_out_pending = TRUE;
  self->sign_out_toast = adw_toast_new (_("Signed out"));
  adw_toast_set_button_label (self->sign_out_toast, _("_Undo"));
  adw_toast_set_action_name (self->sign_out_toast, "win.undo-sign-out");
  adw_toast_set_priority (self->sign_out_toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (self->sign_out_toast, self->undo_seconds);
  g_signal_connect_object (self->sign_out_toast, "dismissed",
                           G_CALLBACK (on_sign_out_toast_dismissed), self, G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (self->sign_out_toast));
  self->sign_out_toast_shown_at = toast_shown_at (self);
  self->sign_out_id = g_timeout_add_seconds (self->undo_seconds, sign_out_timeout, self);
  crossing_window_render (self);
}

static void
undo_sign_out_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);

  if (!self->sign_out_pending)
    return;
  self->sign_out_pending = FALSE;
  g_clear_handle_id (&self->sign_out_id, g_source_remove);
  if (self->sign_out_toast != NULL)
    dismiss_sign_out_toast (self);
  crossing_window_render (self);
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);
  const char *link = crossing_order_get_claim_url (self->order);

  if (link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), link);
  crossing_window_show_toast (self, _("Link copied"));
}

static void
copy_proof_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);
  g_autofree char *text = NULL;

  if (crossing_order_get_signature (self->order) == NULL)
    return;
  /* Machine-readable lines, the same in every language. */
  text = g_strdup_printf ("subject: %s\npublicKeyHex: %s\nsignatureHex: %s\n",
                          crossing_order_get_subject (self->order),
                          crossing_order_get_public_key (self->order) != NULL
                          ? crossing_order_get_public_key (self->order) : "",
                          crossing_order_get_signature (self->order));
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  crossing_window_show_toast (self, _("Signature copied"));
}

void
crossing_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "win.start-again", NULL, start_again_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.undo-sign-out", NULL, undo_sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.copy-link", NULL, copy_link_action);
  gtk_widget_class_install_action (widget_class, "win.copy-proof", NULL, copy_proof_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK,
                                       "win.undo-sign-out", NULL);
}
