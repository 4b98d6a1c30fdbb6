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
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.copy-link", NULL, copy_link_action);
  gtk_widget_class_install_action (widget_class, "win.copy-proof", NULL, copy_proof_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
}
