/* crossing-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>

#include "crossing-application.h"
#include "crossing-order.h"
#include "crossing-window.h"

#define DEFAULT_SERVER "http://127.0.0.1:8787"

struct _CrossingApplication
{
  AdwApplication  parent_instance;

  CrossingOrder  *order;
  char           *server;
  char           *kind;
  char           *title;
  char           *summary;
  char           *payload_hash;
};

G_DEFINE_FINAL_TYPE (CrossingApplication, crossing_application, ADW_TYPE_APPLICATION)

/* The server from the command line, else from GSettings when the schema is
 * installed, else the local default. */
static char *
configured_server (CrossingApplication *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (self->server != NULL)
    return g_strdup (self->server);

  schema = source != NULL ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);
      return g_settings_get_string (settings, "server-url");
    }
  return g_strdup (DEFAULT_SERVER);
}

static int
crossing_application_handle_local_options (GApplication *application,
                                           GVariantDict *options)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  g_autoptr(GUri) uri = NULL;

  if (self->kind != NULL && crossing_kind_from_string (self->kind) == CROSSING_KIND_INVALID)
    {
      g_printerr (_("--kind must be login, sign or transaction\n"));
      return 2;
    }
  if (self->server != NULL)
    {
      uri = g_uri_parse (self->server, G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        {
          g_printerr (_("--server must be an http or https URL\n"));
          return 2;
        }
    }
  return -1;
}

static void
crossing_application_activate (GApplication *application)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  g_autofree char *server = NULL;

  if (window == NULL)
    {
      server = configured_server (self);
      self->order = crossing_order_new (server);
      if (self->kind != NULL)
        crossing_order_set_kind (self->order, crossing_kind_from_string (self->kind));
      crossing_order_set_display (self->order, self->title, self->summary, self->payload_hash);
      window = GTK_WINDOW (crossing_window_new (GTK_APPLICATION (application), self->order));
      /* The user opened the app to sign in: show a code at once. */
      crossing_order_start (self->order);
    }
  gtk_window_present (window);
}

static void
cancel_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  CrossingApplication *self = user_data;

  if (self->order != NULL)
    crossing_order_cancel (self->order);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
crossing_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "cancel", cancel_activated },
    { "quit", quit_activated },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (crossing_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);

  gtk_css_provider_load_from_resource (css, "/dev/crossing/Crossing/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
crossing_application_dispose (GObject *object)
{
  CrossingApplication *self = (CrossingApplication *) object;

  g_clear_object (&self->order);

  G_OBJECT_CLASS (crossing_application_parent_class)->dispose (object);
}

static void
crossing_application_finalize (GObject *object)
{
  CrossingApplication *self = (CrossingApplication *) object;

  g_free (self->server);
  g_free (self->kind);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->payload_hash);

  G_OBJECT_CLASS (crossing_application_parent_class)->finalize (object);
}

static void
crossing_application_class_init (CrossingApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = crossing_application_dispose;
  object_class->finalize = crossing_application_finalize;
  app_class->activate = crossing_application_activate;
  app_class->startup = crossing_application_startup;
  app_class->handle_local_options = crossing_application_handle_local_options;
}

static void
crossing_application_init (CrossingApplication *self)
{
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &self->server,
      N_("URL of the sign-in server"), N_("URL") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &self->kind,
      N_("What to approve: login, sign or transaction"), N_("KIND") },
    { "title", 't', 0, G_OPTION_ARG_STRING, &self->title,
      N_("Title shown on the phone"), N_("TITLE") },
    { "summary", 0, 0, G_OPTION_ARG_STRING, &self->summary,
      N_("Summary shown on the phone"), N_("TEXT") },
    { "payload-hash", 0, 0, G_OPTION_ARG_STRING, &self->payload_hash,
      N_("Hash of what is signed (hex or base64url)"), N_("HASH") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

CrossingApplication *
crossing_application_new (void)
{
  return g_object_new (CROSSING_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/dev/crossing/Crossing",
                       NULL);
}
