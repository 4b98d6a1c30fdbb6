/* crossing-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "crossing-application.h"
#include "crossing-order.h"
#include "crossing-window.h"

#define DEFAULT_SERVER "http://127.0.0.1:8787"

struct _CrossingApplication
{
  AdwApplication  parent_instance;

  CrossingOrder  *order;
  guint           present_id;
  char           *server;
  char           *kind;
  char           *title;
  char           *summary;
  char           *payload_hash;
};

G_DEFINE_FINAL_TYPE (CrossingApplication, crossing_application, ADW_TYPE_APPLICATION)

/* The server from the command line, else from GSettings when the schema is
 * installed, else the local default; the API's base path from GSettings. */
static void
configured_server (CrossingApplication  *self,
                   char                **server,
                   char                **base_path)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  schema = source != NULL ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    settings = g_settings_new (APP_ID);

  if (self->server != NULL)
    *server = g_strdup (self->server);
  else if (settings != NULL)
    *server = g_settings_get_string (settings, "server-url");
  else
    *server = g_strdup (DEFAULT_SERVER);

  if (settings != NULL && g_settings_schema_has_key (schema, "base-path"))
    *base_path = g_settings_get_string (settings, "base-path");
  else
    *base_path = g_strdup (CROSSING_DEFAULT_BASE_PATH);
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
  if ((self->title != NULL && (!crossing_string_is_clean (self->title) ||
                                g_utf8_strlen (self->title, -1) > CROSSING_MAX_TITLE_CHARS)) ||
      (self->summary != NULL && (!crossing_string_is_clean (self->summary) ||
                                  g_utf8_strlen (self->summary, -1) > CROSSING_MAX_SUMMARY_CHARS)))
    {
      g_printerr (_("--title (at most %d characters) and --summary (at most %d) must be "
                    "single lines of text\n"), CROSSING_MAX_TITLE_CHARS, CROSSING_MAX_SUMMARY_CHARS);
      return 2;
    }
  if (self->payload_hash != NULL &&
      (strlen (self->payload_hash) > CROSSING_MAX_PAYLOAD_HASH_CHARS ||
       strspn (self->payload_hash, "0123456789abcdefABCDEF-_") != strlen (self->payload_hash)))
    {
      g_printerr (_("--payload-hash must be hex or base64url, at most %d characters\n"),
                  CROSSING_MAX_PAYLOAD_HASH_CHARS);
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

static gboolean
present_window (gpointer user_data)
{
  CrossingApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  self->present_id = 0;
  if (window != NULL)
    gtk_window_present (window);
  return G_SOURCE_REMOVE;
}

static void
crossing_application_activate (GApplication *application)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  g_autofree char *server = NULL;
  g_autofree char *base_path = NULL;

  if (window == NULL)
    {
      configured_server (self, &server, &base_path);
      g_debug ("server %s, base path %s", server, base_path);
      self->order = crossing_order_new (server, base_path);
      if (self->kind != NULL)
        crossing_order_set_kind (self->order, crossing_kind_from_string (self->kind));
      crossing_order_set_display (self->order, self->title, self->summary, self->payload_hash);
      /* The user opened the app to sign in: ask for a code at once. */
      crossing_order_start (self->order);
      crossing_window_new (GTK_APPLICATION (application), self->order);
      /* The request goes out only once the main loop runs, and showing a
       * window keeps the loop busy for tens of milliseconds (styles, fonts,
       * the first layout). Presented when the loop is idle, the window
       * comes up while the server answers, and a local server's answer is
       * read before the first frame: the code is in it. */
      if (self->present_id == 0)
        self->present_id = g_idle_add (present_window, self);
      return;
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
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  static const char *developers[] = { "The Crossing developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-name", _("Crossing"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Crossing developers"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "website", "https://crossing.dev",
                        "comments", _("Sign in on this computer with your phone."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
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
    { "about", about_activated },
    { "cancel", cancel_activated },
    { "quit", quit_activated },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (crossing_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
}

static void
crossing_application_dispose (GObject *object)
{
  CrossingApplication *self = (CrossingApplication *) object;

  g_clear_handle_id (&self->present_id, g_source_remove);
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
