/* crossing-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>

#include "crossing-qr-paintable.h"
#include "crossing-window.h"

struct _CrossingWindow
{
  AdwApplicationWindow  parent_instance;

  CrossingOrder        *order;
  guint                 tick_id;

  AdwWindowTitle       *window_title;
  GtkRevealer          *offline_revealer;
  GtkStack             *stack;
  AdwStatusPage        *start_page;
  GtkLabel             *working_label;
  GtkPicture           *qr_picture;
  GtkLabel             *time_left_label;
  GtkLabel             *link_label;
  GtkLabel             *check_code_label;
  AdwStatusPage        *signed_in_page;
  GtkLabel             *subject_label;
  AdwStatusPage        *done_page;
  GtkLabel             *proof_label;
  AdwStatusPage        *ended_page;
};

G_DEFINE_FINAL_TYPE (CrossingWindow, crossing_window, ADW_TYPE_APPLICATION_WINDOW)

static void
update_time_left (CrossingWindow *self)
{
  gint64 left = (crossing_order_get_expires_at (self->order) - crossing_now_ms ()) / 1000;
  g_autofree char *text = NULL;

  left = MAX (left, 0);
  text = g_strdup_printf (_("Expires in %d:%02d"), (int) (left / 60), (int) (left % 60));
  gtk_label_set_label (self->time_left_label, text);
}

static gboolean
on_tick (gpointer user_data)
{
  update_time_left (user_data);
  return G_SOURCE_CONTINUE;
}

static char *
format_expiry (gint64 epoch_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (epoch_ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%x %X") : g_strdup ("?");
}

static void
show_ended (CrossingWindow *self,
            const char     *icon,
            const char     *title,
            const char     *description)
{
  adw_status_page_set_icon_name (self->ended_page, icon);
  adw_status_page_set_title (self->ended_page, title);
  adw_status_page_set_description (self->ended_page, description);
  gtk_stack_set_visible_child_name (self->stack, "ended");
}

static void
render (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  g_autofree char *text = NULL;
  g_autofree char *expiry = NULL;
  g_autoptr(CrossingQrPaintable) qr = NULL;
  gboolean waiting = FALSE;

  switch (crossing_order_get_state (order))
    {
    case CROSSING_ORDER_IDLE:
      gtk_stack_set_visible_child_name (self->stack, "start");
      break;

    case CROSSING_ORDER_STARTING:
      gtk_label_set_label (self->working_label, _("Preparing a sign-in code…"));
      gtk_stack_set_visible_child_name (self->stack, "working");
      break;

    case CROSSING_ORDER_WAITING:
      qr = crossing_qr_paintable_new (crossing_order_get_claim_url (order));
      gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr));
      gtk_label_set_label (self->link_label, crossing_order_get_claim_url (order));
      update_time_left (self);
      waiting = TRUE;
      gtk_stack_set_visible_child_name (self->stack, "qr");
      break;

    case CROSSING_ORDER_SCANNED:
      /* Nobody else may scan it now. */
      gtk_picture_set_paintable (self->qr_picture, NULL);
      gtk_label_set_label (self->check_code_label,
                           crossing_order_get_check_code (order) != NULL
                           ? crossing_order_get_check_code (order) : "—");
      gtk_stack_set_visible_child_name (self->stack, "scanned");
      break;

    case CROSSING_ORDER_FINALIZING:
      gtk_label_set_label (self->working_label, _("Approved. Signing you in…"));
      gtk_stack_set_visible_child_name (self->stack, "working");
      break;

    case CROSSING_ORDER_SIGNED_IN:
      expiry = format_expiry (crossing_order_get_session_expires_at (order));
      text = g_strdup_printf (_("Session valid until %s"), expiry);
      adw_status_page_set_title (self->signed_in_page,
                                 crossing_order_get_user_name (order) != NULL
                                 ? crossing_order_get_user_name (order) : _("Signed In"));
      adw_status_page_set_description (self->signed_in_page, text);
      gtk_label_set_label (self->subject_label, crossing_order_get_subject (order));
      gtk_stack_set_visible_child_name (self->stack, "signed-in");
      break;

    case CROSSING_ORDER_DONE:
      adw_status_page_set_title (self->done_page,
                                 crossing_order_get_kind (order) == CROSSING_KIND_TRANSACTION
                                 ? _("Transaction Approved") : _("Signed"));
      text = g_strdup_printf (_("Signer: %s\nSignature: %s"), crossing_order_get_subject (order),
                              crossing_order_get_signature (order));
      gtk_label_set_label (self->proof_label, text);
      gtk_stack_set_visible_child_name (self->stack, "done");
      break;

    case CROSSING_ORDER_REJECTED:
      show_ended (self, "action-unavailable-symbolic", _("Sign-In Rejected"),
                  _("The sign-in was rejected on the phone."));
      break;

    case CROSSING_ORDER_CANCELLED:
      show_ended (self, "process-stop-symbolic", _("Sign-In Cancelled"),
                  _("You cancelled the sign-in."));
      break;

    case CROSSING_ORDER_EXPIRED:
      show_ended (self, "alarm-symbolic", _("Code Expired"),
                  _("Nobody approved the sign-in in time."));
      break;

    case CROSSING_ORDER_FAILED:
      show_ended (self, "network-error-symbolic", _("Cannot Sign In"),
                  crossing_order_get_error (order));
      break;

    default:
      g_assert_not_reached ();
    }

  if (waiting && self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, on_tick, self);
  else if (!waiting)
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

static void
on_state_changed (CrossingWindow *self)
{
  render (self);
}

static void
on_reconnecting_changed (CrossingWindow *self)
{
  gtk_revealer_set_reveal_child (self->offline_revealer,
                                 crossing_order_get_reconnecting (self->order));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  crossing_order_start (CROSSING_WINDOW (widget)->order);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  crossing_order_cancel (CROSSING_WINDOW (widget)->order);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  crossing_order_sign_out (CROSSING_WINDOW (widget)->order);
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);

  if (crossing_order_get_claim_url (self->order) != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                            crossing_order_get_claim_url (self->order));
}

static void
copy_proof_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          gtk_label_get_label (self->proof_label));
}

const char *
crossing_window_get_visible_page (CrossingWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

static void
crossing_window_dispose (GObject *object)
{
  CrossingWindow *self = (CrossingWindow *) object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->order);
  gtk_widget_dispose_template (GTK_WIDGET (self), CROSSING_TYPE_WINDOW);

  G_OBJECT_CLASS (crossing_window_parent_class)->dispose (object);
}

static void
crossing_window_class_init (CrossingWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = crossing_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/crossing/Crossing/crossing-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, working_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, time_left_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, link_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, check_code_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, signed_in_page);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, subject_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, done_page);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, proof_label);
  gtk_widget_class_bind_template_child (widget_class, CrossingWindow, ended_page);

  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.copy-link", NULL, copy_link_action);
  gtk_widget_class_install_action (widget_class, "win.copy-proof", NULL, copy_proof_action);
}

static void
crossing_window_init (CrossingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CrossingWindow *
crossing_window_new (GtkApplication *application,
                     CrossingOrder  *order)
{
  CrossingWindow *self;
  g_autofree char *server = NULL;

  g_return_val_if_fail (CROSSING_IS_ORDER (order), NULL);

  self = g_object_new (CROSSING_TYPE_WINDOW, "application", application, NULL);
  self->order = g_object_ref (order);
  server = g_strdup_printf (_("Server: %s"), crossing_order_get_server_url (order));
  adw_window_title_set_subtitle (self->window_title, crossing_order_get_server_url (order));
  adw_status_page_set_description (self->start_page, server);

  g_signal_connect_object (order, "notify::state", G_CALLBACK (on_state_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (order, "notify::reconnecting", G_CALLBACK (on_reconnecting_changed),
                           self, G_CONNECT_SWAPPED);
  render (self);
  return self;
}
