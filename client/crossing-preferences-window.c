/* crossing-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "crossing-protocol.h"
#include "crossing-server-check.h"

#include "crossing-preferences-window.h"

struct _CrossingPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GCancellable         *cancellable;   /* of the check under way */
  char                 *checking;      /* the address being checked */

  AdwEntryRow          *server_row;
  GtkSpinner           *spinner;
  GtkLabel             *status_label;
};

G_DEFINE_FINAL_TYPE (CrossingPreferencesWindow, crossing_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static void
set_status (CrossingPreferencesWindow *self,
            const char                *text,
            gboolean                   problem)
{
  gtk_label_set_label (self->status_label, text);
  if (problem)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->server_row), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");
    }
}

static char *
base_path (CrossingPreferencesWindow *self)
{
  return self->settings != NULL ? g_settings_get_string (self->settings, "base-path")
                                : g_strdup (CROSSING_DEFAULT_BASE_PATH);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CrossingPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *text = NULL;
  g_autofree char *url = NULL;
  CrossingServerVerdict verdict;

  verdict = crossing_server_check_finish (result, &version, &detail, &error);
  if (error != NULL)
    return;   /* cancelled: another check or the window closed */

  url = g_steal_pointer (&self->checking);
  gtk_spinner_set_spinning (self->spinner, FALSE);
  if (verdict != CROSSING_SERVER_OK)
    {
      g_debug ("not saving %s: %s", url, detail != NULL ? detail : "");
      text = crossing_server_verdict_describe (verdict, url);
      set_status (self, text, TRUE);
      return;
    }

  if (self->settings != NULL)
    g_settings_set_string (self->settings, "server-url", url);
  g_debug ("saved server %s (companion %s)", url, version);
  /* Translators: %s is the server's address */
  text = g_strdup_printf (_("Saved. New sign-ins go to %s."), url);
  set_status (self, text, FALSE);
}

static char *
without_trailing_slashes (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  gsize len = strlen (stripped);

  while (len > 0 && stripped[len - 1] == '/')
    stripped[--len] = '\0';
  return g_steal_pointer (&stripped);
}

void
crossing_preferences_window_apply (CrossingPreferencesWindow *self,
                                   const char                *url)
{
  g_autofree char *path = NULL;

  g_return_if_fail (CROSSING_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (url != NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_free (self->checking);
  self->checking = without_trailing_slashes (url);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->server_row)), url) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
  path = base_path (self);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  set_status (self, _("Checking the server…"), FALSE);
  crossing_server_check_async (self->checking, path, self->cancellable, on_checked,
                               g_object_ref (self));
}

static void
on_apply (CrossingPreferencesWindow *self)
{
  crossing_preferences_window_apply (self, gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
}

const char *
crossing_preferences_window_get_status (CrossingPreferencesWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_PREFERENCES_WINDOW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

gboolean
crossing_preferences_window_is_checking (CrossingPreferencesWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_PREFERENCES_WINDOW (self), FALSE);
  return self->checking != NULL;
}

static void
crossing_preferences_window_dispose (GObject *object)
{
  CrossingPreferencesWindow *self = (CrossingPreferencesWindow *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->checking, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), CROSSING_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (crossing_preferences_window_parent_class)->dispose (object);
}

static void
crossing_preferences_window_class_init (CrossingPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = crossing_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/dev/crossing/Crossing/crossing-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CrossingPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, CrossingPreferencesWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, CrossingPreferencesWindow, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_apply);
}

static void
crossing_preferences_window_init (CrossingPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CrossingPreferencesWindow *
crossing_preferences_window_new (GtkWindow *parent,
                                 GSettings *settings)
{
  CrossingPreferencesWindow *self;
  g_autofree char *url = NULL;

  self = g_object_new (CROSSING_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      url = g_settings_get_string (settings, "server-url");
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
    }
  return self;
}
