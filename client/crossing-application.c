/* crossing-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#include "crossing-application.h"
#include "crossing-order.h"
#include "crossing-preferences-window.h"
#include "crossing-secret.h"
#include "crossing-window.h"

#define DEFAULT_SERVER "http://127.0.0.1:8787"

struct _CrossingApplication
{
  AdwApplication  parent_instance;

  /* the first window's login order, whose session the keyring keeps */
  CrossingOrder  *order;
  GCancellable   *cancellable;
  guint           present_id;
  guint           quit_id;
  gboolean        keyring_unavailable;
  gboolean        keyring_warned;
  gboolean        print_links;
  GSettings      *settings;       /* NULL without the installed schema */
  gboolean        server_changed; /* in the preferences, not yet taken over */
  guint           switch_id;
};

G_DEFINE_FINAL_TYPE (CrossingApplication, crossing_application, ADW_TYPE_APPLICATION)

/* What one launch asked for, from its command line. */
typedef struct {
  const char *server;
  const char *kind;
  const char *title;
  const char *summary;
  const char *payload_hash;
} Request;

static void
request_from_options (Request      *request,
                      GVariantDict *options)
{
  memset (request, 0, sizeof *request);
  g_variant_dict_lookup (options, "server", "&s", &request->server);
  g_variant_dict_lookup (options, "kind", "&s", &request->kind);
  g_variant_dict_lookup (options, "title", "&s", &request->title);
  g_variant_dict_lookup (options, "summary", "&s", &request->summary);
  g_variant_dict_lookup (options, "payload-hash", "&s", &request->payload_hash);
}

static gboolean
request_names_an_order (const Request *request)
{
  return request->kind != NULL || request->title != NULL || request->summary != NULL ||
         request->payload_hash != NULL;
}

/* The server from the command line, else from GSettings when the schema is
 * installed, else the local default; the API's base path from GSettings. */
static void
configured_server (const char  *requested,
                   char       **server,
                   char       **base_path)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  schema = source != NULL ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    settings = g_settings_new (APP_ID);

  if (requested != NULL)
    *server = g_strdup (requested);
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
  Request request;
  g_autoptr(GUri) uri = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("crossing %s\n", PACKAGE_VERSION);
      return 0;
    }

  request_from_options (&request, options);
  if (request.kind != NULL && crossing_kind_from_string (request.kind) == CROSSING_KIND_INVALID)
    {
      g_printerr (_("--kind must be login, sign or transaction\n"));
      return 2;
    }
  if ((request.title != NULL && (!crossing_string_is_clean (request.title) ||
                                 g_utf8_strlen (request.title, -1) > CROSSING_MAX_TITLE_CHARS)) ||
      (request.summary != NULL && (!crossing_string_is_clean (request.summary) ||
                                   g_utf8_strlen (request.summary, -1) > CROSSING_MAX_SUMMARY_CHARS)))
    {
      g_printerr (_("--title (at most %d characters) and --summary (at most %d) must be "
                    "single lines of text\n"), CROSSING_MAX_TITLE_CHARS, CROSSING_MAX_SUMMARY_CHARS);
      return 2;
    }
  if (request.payload_hash != NULL &&
      (strlen (request.payload_hash) > CROSSING_MAX_PAYLOAD_HASH_CHARS ||
       strspn (request.payload_hash, "0123456789abcdefABCDEF-_") != strlen (request.payload_hash)))
    {
      g_printerr (_("--payload-hash must be hex or base64url, at most %d characters\n"),
                  CROSSING_MAX_PAYLOAD_HASH_CHARS);
      return 2;
    }
  if (request.server != NULL)
    {
      uri = g_uri_parse (request.server, G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        {
          g_printerr (_("--server must be an http or https URL\n"));
          return 2;
        }
    }
  /* The rest goes to the running instance, which may be another process. */
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
present_when_idle (CrossingApplication *self)
{
  /* The request goes out only once the main loop runs, and showing a
   * window keeps the loop busy for tens of milliseconds (styles, fonts,
   * the first layout). Presented when the loop is idle, the window
   * comes up while the server answers, and a local server's answer is
   * read before the first frame: the code is in it. */
  if (self->present_id == 0)
    self->present_id = g_idle_add (present_window, self);
}

static void
show_toast (CrossingApplication *self,
            const char          *text)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(AdwToast) toast = adw_toast_new (text);
  AdwToastOverlay *overlay;

  if (window == NULL)
    return;
  overlay = ADW_TOAST_OVERLAY (adw_application_window_get_content (ADW_APPLICATION_WINDOW (window)));
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (overlay, g_steal_pointer (&toast));
}

/* Said once per run: without a Secret Service, the sign-in works but does
 * not outlive the app. */
static void
keyring_failed (CrossingApplication *self,
                const GError        *error)
{
  self->keyring_unavailable = TRUE;
  g_message ("keyring unavailable, the sign-in will not be remembered: %s", error->message);
  /* Said once, short enough for a narrow window's toast; the reason is in the log. */
  if (self->keyring_warned)
    return;
  self->keyring_warned = TRUE;
  show_toast (self, _("Sign-in will not be remembered"));
}

static void
on_secret_stored (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CrossingApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (crossing_secret_store_finish (result, &error))
    g_debug ("session kept in the keyring");
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    keyring_failed (self, error);
  g_application_release (G_APPLICATION (self));
}

static void
on_session_started (CrossingApplication *self,
                    CrossingOrder       *order)
{
  if (self->keyring_unavailable)
    return;
  g_application_hold (G_APPLICATION (self));
  crossing_secret_store_async (crossing_order_get_server_url (order),
                               crossing_order_get_subject (order),
                               crossing_order_get_session_token (order), self->cancellable,
                               on_secret_stored, g_object_ref (self));
}

static void
on_secret_cleared (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CrossingApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (crossing_secret_clear_finish (result, &error))
    g_debug ("session removed from the keyring");
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("could not remove the session from the keyring: %s", error->message);
  g_application_release (G_APPLICATION (self));
}

static void
on_session_ended (CrossingApplication *self,
                  CrossingOrder       *order)
{
  if (self->keyring_unavailable)
    return;
  g_application_hold (G_APPLICATION (self));
  crossing_secret_clear_async (crossing_order_get_server_url (order), self->cancellable,
                               on_secret_cleared, g_object_ref (self));
}

typedef struct {
  CrossingApplication *app;
  CrossingOrder       *order;
  char                *token;   /* found, while its subject is looked up */
} Lookup;

static void
on_subject_looked_up (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(CrossingApplication) self = lookup->app;
  g_autoptr(CrossingOrder) order = lookup->order;
  g_autofree char *token = lookup->token;
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = crossing_secret_lookup_subject_finish (result, &error);

  g_free (lookup);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || order != self->order)
    return;
  if (error != NULL)
    g_debug ("the keyring item's subject: %s", error->message);
  /* Should the session have ended, "Sign in again as" names who it was. */
  crossing_order_set_last_subject (order, subject);
  crossing_order_resume (order, token);
}

static void
on_secret_looked_up (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(CrossingApplication) self = g_object_ref (lookup->app);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = crossing_secret_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || lookup->order != self->order)
    {
      g_object_unref (lookup->app);
      g_object_unref (lookup->order);
      g_free (lookup);
      return;
    }
  present_when_idle (self);
  if (error != NULL)
    keyring_failed (self, error);
  if (token != NULL)
    {
      lookup->token = g_steal_pointer (&token);
      crossing_secret_lookup_subject_async (crossing_order_get_server_url (lookup->order),
                                            self->cancellable, on_subject_looked_up, lookup);
      return;
    }
  /* The user opened the app to sign in: ask for a code at once. */
  crossing_order_start (lookup->order);
  g_object_unref (lookup->app);
  g_object_unref (lookup->order);
  g_free (lookup);
}

static void
look_up_session (CrossingApplication *self,
                 CrossingOrder       *order)
{
  Lookup *lookup = g_new0 (Lookup, 1);

  lookup->app = g_object_ref (self);
  lookup->order = g_object_ref (order);
  crossing_secret_lookup_async (crossing_order_get_server_url (order), self->cancellable,
                                on_secret_looked_up, lookup);
}

/* ---- quitting ----------------------------------------------------------- */

/* A cancel or sign-out still on its way to the server keeps the app
 * running until it is answered, for at most a second. */
typedef struct {
  GApplication  *app;
  CrossingOrder *order;
  gulong         handler_id;
  guint          timeout_id;
} Wait;

static void
wait_done (Wait *wait)
{
  g_clear_signal_handler (&wait->handler_id, wait->order);
  g_clear_handle_id (&wait->timeout_id, g_source_remove);
  g_application_release (wait->app);
  g_object_unref (wait->order);
  g_object_unref (wait->app);
  g_free (wait);
}

static gboolean
wait_timed_out (gpointer user_data)
{
  Wait *wait = user_data;

  wait->timeout_id = 0;
  g_debug ("the server did not answer in time; leaving anyway");
  wait_done (wait);
  return G_SOURCE_REMOVE;
}

static void
wait_for_order (CrossingApplication *self,
                CrossingOrder       *order)
{
  Wait *wait = g_new0 (Wait, 1);

  wait->app = g_object_ref (G_APPLICATION (self));
  wait->order = g_object_ref (order);
  g_application_hold (wait->app);
  wait->handler_id = g_signal_connect_swapped (order, "notify::state", G_CALLBACK (wait_done),
                                               wait);
  wait->timeout_id = g_timeout_add (1000, wait_timed_out, wait);
}

/* No phone can approve an order nobody waits for, and Sign Out whose Undo
 * was still offered happens. */
static void
finish_window (CrossingApplication *self,
               CrossingWindow      *window)
{
  CrossingOrder *order = crossing_window_get_order (window);
  gboolean sent = crossing_window_commit_sign_out (window);

  if (crossing_order_is_live (order))
    {
      g_debug ("cancelling the live order before leaving");
      crossing_order_cancel (order);
      sent = TRUE;
    }
  if (sent)
    wait_for_order (self, order);
}

static gboolean
on_close_request (CrossingApplication *self,
                  GtkWindow           *window)
{
  finish_window (self, CROSSING_WINDOW (window));
  /* A window opened later looks the session up again. */
  if (crossing_window_get_order (CROSSING_WINDOW (window)) == self->order)
    g_clear_object (&self->order);
  return FALSE;
}

static gboolean
quit_now (gpointer user_data)
{
  CrossingApplication *self = user_data;

  self->quit_id = 0;
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* Ctrl+Q, SIGTERM: every window as if closed; the app ends when what they
 * still had to say to the server is said (or after two seconds). */
static void
quit_gracefully (CrossingApplication *self)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    {
      if (CROSSING_IS_WINDOW (l->data))
        finish_window (self, l->data);
      gtk_window_destroy (l->data);
    }
  g_list_free (windows);
  if (self->quit_id == 0)
    self->quit_id = g_timeout_add (2000, quit_now, self);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  g_debug ("asked to stop");
  quit_gracefully (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---- windows ------------------------------------------------------------ */

/* The link is on screen anyway, under the code; scripts/demo.sh turns it
 * into the command that plays the phone. */
static void
print_link (CrossingApplication *self,
            GParamSpec          *pspec,
            CrossingOrder       *order)
{
  if (self->print_links && crossing_order_get_state (order) == CROSSING_ORDER_WAITING)
    {
      g_print ("link: %s\n", crossing_order_get_claim_url (order));
      /* The same order, for whoever cannot scan: as "Can't scan?" shows it. */
      if (crossing_order_get_user_code (order) != NULL)
        g_print ("code: %s %s\n", crossing_order_get_user_code (order),
                 crossing_order_get_verification_uri (order));
      fflush (stdout);
    }
}

static CrossingWindow *open_window (CrossingApplication *self,
                                    const Request       *request,
                                    const char          *fallback_server);

static CrossingWindow *
main_window (CrossingApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (CROSSING_IS_WINDOW (l->data) && crossing_window_get_order (l->data) == self->order)
      return l->data;
  return NULL;
}

/* A server saved in the preferences takes over the main window as soon as
 * it has nothing under way: no phone in the middle of approving, no
 * session (whose token belongs to the old server). */
static gboolean
switch_server (gpointer user_data)
{
  CrossingApplication *self = user_data;
  CrossingWindow *old;
  Request request = { NULL };

  self->switch_id = 0;
  if (!self->server_changed || self->order == NULL || (old = main_window (self)) == NULL)
    return G_SOURCE_REMOVE;
  switch (crossing_order_get_state (self->order))
    {
    case CROSSING_ORDER_SCANNED:
    case CROSSING_ORDER_APPROVED:
    case CROSSING_ORDER_FINALIZING:
    case CROSSING_ORDER_RESUMING:
    case CROSSING_ORDER_SIGNED_IN:
      return G_SOURCE_REMOVE;
    case CROSSING_ORDER_IDLE:
    case CROSSING_ORDER_STARTING:
    case CROSSING_ORDER_WAITING:
    case CROSSING_ORDER_DONE:
    case CROSSING_ORDER_REJECTED:
    case CROSSING_ORDER_CANCELLED:
    case CROSSING_ORDER_EXPIRED:
    case CROSSING_ORDER_ERROR:
    default:
      break;
    }

  self->server_changed = FALSE;
  g_debug ("switching to the server saved in the preferences");
  finish_window (self, old);
  g_clear_object (&self->order);
  /* The new window first: with none left, the app would end. */
  open_window (self, &request, NULL);
  gtk_window_destroy (GTK_WINDOW (old));
  return G_SOURCE_REMOVE;
}

static void
queue_server_switch (CrossingApplication *self)
{
  if (self->server_changed && self->switch_id == 0)
    self->switch_id = g_idle_add (switch_server, self);
}

static void
on_server_setting_changed (CrossingApplication *self)
{
  self->server_changed = TRUE;
  queue_server_switch (self);
}

/* For the end-to-end tests: CROSSING_STREAM_WINDOW_MS (how long a new event
 * stream has to show a keepalive before the order polls /status instead)
 * and CROSSING_STREAM_PROBE_MS (how long it polls before trying the stream
 * again). */
static void
set_stream_timing_from_env (CrossingOrder *order)
{
  const char *window = g_getenv ("CROSSING_STREAM_WINDOW_MS");
  const char *probe = g_getenv ("CROSSING_STREAM_PROBE_MS");
  guint64 window_ms = CROSSING_ORDER_DEFAULT_WINDOW_MS;
  guint64 probe_ms = CROSSING_ORDER_DEFAULT_PROBE_MS;

  if (window == NULL && probe == NULL)
    return;
  if (window != NULL)
    g_ascii_string_to_unsigned (window, 10, 1, 3600000, &window_ms, NULL);
  if (probe != NULL)
    g_ascii_string_to_unsigned (probe, 10, 1, 3600000, &probe_ms, NULL);
  crossing_order_set_stream_timing (order, (guint) window_ms, (guint) probe_ms);
}

static CrossingWindow *
open_window (CrossingApplication *self,
             const Request       *request,
             const char          *fallback_server)
{
  g_autofree char *server = NULL;
  g_autofree char *base_path = NULL;
  g_autoptr(CrossingOrder) order = NULL;
  CrossingKind kind = request->kind != NULL ? crossing_kind_from_string (request->kind)
                                            : CROSSING_KIND_LOGIN;
  CrossingWindow *window;

  configured_server (request->server != NULL ? request->server : fallback_server,
                     &server, &base_path);
  g_debug ("server %s, base path %s", server, base_path);
  order = crossing_order_new (server, base_path);
  set_stream_timing_from_env (order);
  crossing_order_set_kind (order, kind);
  crossing_order_set_display (order, request->title, request->summary, request->payload_hash);
  window = crossing_window_new (GTK_APPLICATION (self), order);
  g_signal_connect_object (window, "close-request", G_CALLBACK (on_close_request), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (order, "notify::state", G_CALLBACK (print_link), self,
                           G_CONNECT_SWAPPED);

  if (kind == CROSSING_KIND_LOGIN && self->order == NULL)
    {
      /* The keyring may hold this server's session: asked before any order. */
      self->order = g_object_ref (order);
      g_signal_connect_object (order, "session-started", G_CALLBACK (on_session_started), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (order, "session-ended", G_CALLBACK (on_session_ended), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (order, "notify::state", G_CALLBACK (queue_server_switch), self,
                               G_CONNECT_SWAPPED);
      look_up_session (self, order);
      return window;
    }

  crossing_order_start (order);
  present_when_idle (self);
  return window;
}

static void
crossing_application_activate (GApplication *application)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  Request request = { NULL };

  if (window == NULL)
    open_window (self, &request, NULL);
  else
    gtk_window_present (window);
}

/* Also a second launch's: its options come here from the other process. */
static int
crossing_application_command_line (GApplication            *application,
                                   GApplicationCommandLine *command_line)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  Request request;

  request_from_options (&request, options);
  if (g_variant_dict_contains (options, "print-link"))
    self->print_links = TRUE;
  if (window == NULL)
    open_window (self, &request, NULL);
  else if (request_names_an_order (&request) || request.server != NULL)
    {
      g_debug ("a second launch asks for an order");
      /* Its own window: the first may be signed in, or showing a code. */
      open_window (self, &request, CROSSING_IS_WINDOW (window)
                   ? crossing_order_get_server_url (crossing_window_get_order (CROSSING_WINDOW (window)))
                   : NULL);
    }
  else
    gtk_window_present (window);
  return 0;
}

static void
cancel_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (CROSSING_IS_WINDOW (window))
    crossing_order_cancel (crossing_window_get_order (CROSSING_WINDOW (window)));
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
                        "issue-url", "https://crossing.dev/issues",
                        "comments", _("Sign in on this computer with your phone."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  schema = source != NULL ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    settings = g_settings_new (APP_ID);
  gtk_window_present (GTK_WINDOW (crossing_preferences_window_new (parent, settings)));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  quit_gracefully (user_data);
}

static void
crossing_application_startup (GApplication *application)
{
  CrossingApplication *self = CROSSING_APPLICATION (application);
  static const GActionEntry actions[] = {
    { "about", about_activated },
    { "cancel", cancel_activated },
    { "preferences", preferences_activated },
    { "quit", quit_activated },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *about_accels[] = { "F1", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (crossing_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "window.close",
                                         close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.about",
                                         about_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.preferences",
                                         preferences_accels);
  {
    GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
    g_autoptr(GSettingsSchema) schema = NULL;

    schema = source != NULL ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
    if (schema != NULL)
      {
        self->settings = g_settings_new (APP_ID);
        g_signal_connect_object (self->settings, "changed::server-url",
                                 G_CALLBACK (on_server_setting_changed), self,
                                 G_CONNECT_SWAPPED);
      }
  }
  g_unix_signal_add (SIGTERM, on_unix_signal, application);
  g_unix_signal_add (SIGINT, on_unix_signal, application);
}

static void
crossing_application_dispose (GObject *object)
{
  CrossingApplication *self = (CrossingApplication *) object;

  g_clear_handle_id (&self->present_id, g_source_remove);
  g_clear_handle_id (&self->quit_id, g_source_remove);
  g_clear_handle_id (&self->switch_id, g_source_remove);
  g_clear_object (&self->settings);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->order);

  G_OBJECT_CLASS (crossing_application_parent_class)->dispose (object);
}

static void
crossing_application_class_init (CrossingApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = crossing_application_dispose;
  app_class->activate = crossing_application_activate;
  app_class->command_line = crossing_application_command_line;
  app_class->startup = crossing_application_startup;
  app_class->handle_local_options = crossing_application_handle_local_options;
}

static void
crossing_application_init (CrossingApplication *self)
{
  /* No storage of their own: the options travel in the options dict to
   * the running instance. */
  static const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
      N_("URL of the sign-in server"), N_("URL") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, NULL,
      N_("What to approve: login, sign or transaction"), N_("KIND") },
    { "title", 't', 0, G_OPTION_ARG_STRING, NULL,
      N_("Title shown on the phone"), N_("TITLE") },
    { "summary", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Summary shown on the phone"), N_("TEXT") },
    { "payload-hash", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Hash of what is signed (hex or base64url)"), N_("HASH") },
    { "print-link", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Print the link of each code on standard output, for a terminal phone"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Show the version and quit"), NULL },
    { NULL }
  };

  self->cancellable = g_cancellable_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

CrossingApplication *
crossing_application_new (void)
{
  return g_object_new (CROSSING_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/dev/crossing/Crossing",
                       NULL);
}
