/* crossing-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window only renders the order: every change of the order's state
 * calls render(), which picks the page and fills it in. What the buttons
 * do is in crossing-window-actions.c.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "crossing-qr-paintable.h"
#include "crossing-window-private.h"

G_DEFINE_FINAL_TYPE (CrossingWindow, crossing_window, ADW_TYPE_APPLICATION_WINDOW)

static void
update_time_left (CrossingWindow *self)
{
  gint64 expires_at = crossing_order_get_expires_at (self->order);
  gint64 left = (expires_at - crossing_now_ms () + 999) / 1000;
  g_autofree char *text = NULL;

  if (expires_at <= 0)
    {
      gtk_label_set_label (self->time_left_label, "");
      return;
    }
  left = CLAMP (left, 0, 24 * 3600);
  /* Translators: the time left to scan the code, minutes:seconds */
  text = g_strdup_printf (_("Expires in %d:%02d"), (int) (left / 60), (int) (left % 60));
  gtk_label_set_label (self->time_left_label, text);
  if (left <= 15)
    gtk_widget_add_css_class (GTK_WIDGET (self->time_left_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->time_left_label), "warning");
}

static gboolean
on_tick (gpointer user_data)
{
  update_time_left (user_data);
  return G_SOURCE_CONTINUE;
}

static char *
format_time (gint64 epoch_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (epoch_ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  if (epoch_ms <= 0 || local == NULL)
    return g_strdup (_("Unknown"));
  /* Translators: a date and time, see g_date_time_format() */
  return g_date_time_format (local, _("%A, %-e %B %Y, %H:%M"));
}

/* AdwStatusPage's description is Pango markup; ours is plain text, some of
 * it from the server. */
static void
set_description (AdwStatusPage *page,
                 const char    *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  adw_status_page_set_description (page, escaped);
}

static void
show_ended (CrossingWindow *self,
            const char     *icon,
            const char     *title,
            const char     *description)
{
  adw_status_page_set_icon_name (self->ended_page, icon);
  adw_status_page_set_title (self->ended_page, title);
  set_description (self->ended_page, description);
  gtk_stack_set_visible_child_name (self->stack, "ended");
}

static void
show_working (CrossingWindow *self,
              const char     *text)
{
  gtk_label_set_label (self->working_label, text);
  gtk_stack_set_visible_child_name (self->stack, "working");
}

/* The subject's short form of the contract ("Sessions"), the same on the
 * phone and in the terminal: "ed25519:" and the first 16 hex digits,
 * "passkey:" and the first 16 characters of the id; a
 * Nimiq address as it is written. */
static char *
short_subject (const char *subject)
{
  if (subject == NULL)
    return g_strdup (_("Unknown"));
  if (g_str_has_prefix (subject, "ed25519:") && strlen (subject) > 8 + 16)
    return g_strdup_printf ("%.24s", subject);
  if (g_str_has_prefix (subject, "passkey:") && strlen (subject) > 8 + 16)
    return g_strdup_printf ("%.24s", subject);
  return g_strdup (subject);
}

/* Letters one by one, so a screen reader spells the code. */
static char *
spelled (const char *code)
{
  GString *out = g_string_new (NULL);

  for (const char *p = code; *p != '\0'; p++)
    {
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* "Can't scan?": the code and where to type it, for this order. */
static void
render_user_code (CrossingWindow *self)
{
  const char *code = crossing_order_get_user_code (self->order);
  const char *uri = crossing_order_get_verification_uri (self->order);
  g_autofree char *code_text = NULL;
  g_autofree char *where = NULL;
  g_autofree char *letters = NULL;

  gtk_widget_set_visible (self->user_code_box, code != NULL && uri != NULL);
  if (code == NULL || uri == NULL)
    return;
  letters = spelled (code);
  /* Translators: read out by screen readers; %s is the code, letter by letter */
  code_text = g_strdup_printf (_("Code to type: %s"), letters);
  /* Translators: read out by screen readers; %s is a web address */
  where = g_strdup_printf (_("Type it at %s on your phone"), uri);
  gtk_label_set_label (self->user_code_label, code);
  gtk_label_set_label (self->verification_uri_label, uri);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->user_code_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, code_text,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, where, -1);
}

/* Who may approve: only the account an identified order names; else,
 * after a sign-out or an expired session, a way to ask for that account. */
static void
render_accounts (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  const char *required = crossing_order_get_required_subject (order);
  const char *last = crossing_order_get_last_subject (order);
  gboolean login = crossing_order_get_kind (order) == CROSSING_KIND_LOGIN;
  g_autofree char *only = NULL;
  g_autofree char *again = NULL;

  if (required != NULL)
    {
      g_autofree char *who = short_subject (required);

      /* Translators: %s is a key ("ed25519:…") or a Nimiq address */
      only = g_strdup_printf (_("Only %s can approve"), who);
      gtk_label_set_label (GTK_LABEL (self->identified_label), only);
    }
  gtk_widget_set_visible (self->identified_label, required != NULL);
  gtk_widget_set_visible (self->other_account_button, required != NULL && login);

  if (last != NULL && required == NULL && login)
    {
      g_autofree char *who = short_subject (last);

      /* Translators: %s is a key ("ed25519:…") or a Nimiq address */
      again = g_strdup_printf (_("Sign _In Again as %s"), who);
      gtk_button_set_label (GTK_BUTTON (self->qr_again_button), again);
      gtk_button_set_label (GTK_BUTTON (self->start_again_button), again);
    }
  gtk_widget_set_visible (self->qr_again_button, again != NULL);
  gtk_widget_set_visible (self->start_again_button, again != NULL);
}

static void
render_signed_in (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  const char *name = crossing_order_get_user_name (order);
  g_autofree char *title = NULL;
  g_autofree char *who = short_subject (crossing_order_get_subject (order));
  g_autofree char *account = NULL;
  g_autofree char *expiry = format_time (crossing_order_get_session_expires_at (order));
  g_autofree char *since = format_time (crossing_order_get_session_created_at (order));

  if (name != NULL && *name != '\0')
    /* Translators: %s is the user's name */
    title = g_strdup_printf (_("Signed In as %s"), name);
  if (name != NULL && *name != '\0' && g_strcmp0 (name, who) != 0)
    /* Translators: the user's name, then their key or address */
    account = g_strdup_printf (_("%s (%s)"), name, who);
  adw_status_page_set_icon_name (self->signed_in_page, "emblem-ok-symbolic");
  adw_status_page_set_title (self->signed_in_page, title != NULL ? title : _("Signed In"));
  set_description (self->signed_in_page,
                   _("This computer is signed in with your phone, and stays signed in when "
                     "Crossing is closed."));
  gtk_label_set_label (self->subject_label, account != NULL ? account : who);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subject_label),
                               crossing_order_get_subject (order));
  switch (crossing_order_get_passkey (order))
    {
    case CROSSING_PASSKEY_SYNCED:
      gtk_label_set_label (self->passkey_label, _("Signed in with a passkey (synced)"));
      break;
    case CROSSING_PASSKEY_DEVICE:
      gtk_label_set_label (self->passkey_label, _("Signed in with a passkey (this device only)"));
      break;
    case CROSSING_PASSKEY_NONE:
    default:
      gtk_label_set_label (self->passkey_label, "");
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->passkey_label),
                          crossing_order_get_passkey (order) != CROSSING_PASSKEY_NONE);
  gtk_label_set_label (self->session_since_label, since);
  gtk_label_set_label (self->session_server_label, crossing_order_get_server_url (order));
  gtk_label_set_label (self->session_expiry_label, expiry);
  gtk_stack_set_visible_child_name (self->stack, "signed-in");
}

/* What the phone is asked to sign, beside the code: the title and summary
 * the order was started with (a login has none of its own). */
static void
render_order_details (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  CrossingKind kind = crossing_order_get_kind (order);
  const char *title = crossing_order_get_title (order);
  const char *summary = crossing_order_get_summary (order);

  if (kind == CROSSING_KIND_LOGIN && title == NULL && summary == NULL)
    {
      gtk_widget_set_visible (self->order_card, FALSE);
      gtk_label_set_label (self->qr_heading, _("Scan With Your Phone"));
      return;
    }
  gtk_label_set_label (self->qr_heading, kind == CROSSING_KIND_LOGIN ? _("Scan to Sign In")
                                         : kind == CROSSING_KIND_TRANSACTION
                                         ? _("Scan to Approve") : _("Scan to Sign"));
  gtk_label_set_label (self->order_kind_label,
                       kind == CROSSING_KIND_TRANSACTION ? _("Transaction")
                       : kind == CROSSING_KIND_SIGN ? _("Signature Request") : _("Sign-In"));
  gtk_label_set_label (self->order_title_label,
                       title != NULL ? title
                       : kind == CROSSING_KIND_TRANSACTION ? _("Approve a transaction")
                       : _("Sign a request"));
  gtk_label_set_label (self->order_summary_label, summary != NULL ? summary : "");
  gtk_widget_set_visible (GTK_WIDGET (self->order_summary_label), summary != NULL);
  gtk_widget_set_visible (self->order_card, TRUE);
}

/* libadwaita 1.2 (Debian 12) has no AdwBreakpoint: the window's own
 * allocation decides. Changing the layout inside an allocation would queue
 * a resize during it, so the change waits for the next idle: the old
 * layout shows for at most one frame. */
#define WIDE_WIDTH 720

static gboolean
update_layout (gpointer user_data)
{
  CrossingWindow *self = user_data;
  gboolean wide = gtk_widget_get_width (GTK_WIDGET (self)) >= WIDE_WIDTH;

  self->layout_id = 0;
  self->wide = wide;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->qr_layout),
                                  wide ? GTK_ORIENTATION_HORIZONTAL : GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (self->qr_layout, wide ? 36 : 12);
  gtk_box_set_homogeneous (self->qr_layout, wide);
  gtk_widget_set_hexpand (self->qr_words, wide);
  gtk_widget_set_halign (self->steps_box, wide ? GTK_ALIGN_START : GTK_ALIGN_CENTER);
  gtk_label_set_xalign (self->qr_heading, wide ? 0.0f : 0.5f);
  gtk_label_set_xalign (self->time_left_label, wide ? 0.0f : 0.5f);
  return G_SOURCE_REMOVE;
}

static void
crossing_window_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  CrossingWindow *self = CROSSING_WINDOW (widget);

  GTK_WIDGET_CLASS (crossing_window_parent_class)->size_allocate (widget, width, height, baseline);
  if ((width >= WIDE_WIDTH) != self->wide && self->layout_id == 0)
    self->layout_id = g_idle_add (update_layout, self);
}

static void
render_done (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  gboolean transaction = crossing_order_get_kind (order) == CROSSING_KIND_TRANSACTION;
  const char *title = crossing_order_get_title (order);
  g_autofree char *what = NULL;

  if (title != NULL)
    what = g_strdup_printf (transaction
                            /* Translators: %s is the title of the transaction */
                            ? _("Your phone approved “%s”.")
                            /* Translators: %s is the title of what was signed */
                            : _("Your phone signed “%s”."), title);
  adw_status_page_set_icon_name (self->done_page, "emblem-ok-symbolic");
  adw_status_page_set_title (self->done_page, transaction ? _("Transaction Approved")
                                                          : _("Signed"));
  set_description (self->done_page,
                   what != NULL ? what
                   : transaction ? _("Your phone approved the transaction.")
                   : _("Your phone signed the request."));
  gtk_label_set_label (self->signer_label, crossing_order_get_subject (order));
  gtk_label_set_label (self->signature_label, crossing_order_get_signature (order));
  gtk_stack_set_visible_child_name (self->stack, "done");
}

/* In the words of what happened, from the reason the companion gave. */
static void
render_rejected (CrossingWindow *self)
{
  switch (crossing_order_get_reject_reason (self->order))
    {
    case CROSSING_REJECT_USER:
      show_ended (self, "action-unavailable-symbolic", _("Declined on Your Phone"),
                  _("The request was declined on your phone. Nothing was signed."));
      break;
    case CROSSING_REJECT_CHECK_CODE:
      show_ended (self, "dialog-warning-symbolic", _("Too Many Wrong Codes"),
                  _("The number shown here was typed wrong on the phone three times, so the "
                    "request was stopped. Start again to get a new code."));
      break;
    case CROSSING_REJECT_SUBJECT_MISMATCH:
      show_ended (self, "dialog-warning-symbolic", _("Signed by Another Account"),
                  _("The phone signed three times with an account other than the one this "
                    "request was for, so the request was stopped."));
      break;
    case CROSSING_REJECT_UNKNOWN:
    default:
      show_ended (self, "action-unavailable-symbolic", _("Request Declined"),
                  _("The request was declined on your phone. Nothing was signed."));
      break;
    }
}

/* The page's main button takes the focus; otherwise the first selectable
 * label would, with all its text selected. */
static void
focus_page (CrossingWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  static const struct {
    const char *page;
    gsize offset;
  } buttons[] = {
    { "start", G_STRUCT_OFFSET (CrossingWindow, start_button) },
    { "qr", G_STRUCT_OFFSET (CrossingWindow, copy_link_button) },
    { "scanned", G_STRUCT_OFFSET (CrossingWindow, scanned_cancel_button) },
    { "done", G_STRUCT_OFFSET (CrossingWindow, copy_proof_button) },
    { "ended", G_STRUCT_OFFSET (CrossingWindow, ended_button) },
    { "error", G_STRUCT_OFFSET (CrossingWindow, error_button) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    if (g_strcmp0 (page, buttons[i].page) == 0)
      {
        gtk_widget_grab_focus (G_STRUCT_MEMBER (GtkWidget *, self, buttons[i].offset));
        return;
      }
  /* Signed in, nothing is focused: Enter must not sign out. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
}

void
crossing_window_render (CrossingWindow *self)
{
  CrossingOrder *order = self->order;
  CrossingOrderState state = crossing_order_get_state (order);
  g_autoptr(CrossingQrPaintable) qr = NULL;
  g_autofree char *code_text = NULL;
  const char *code;

  /* Each status page gets its icon when it is shown: the stack measures
   * every page, so icons in the template were all loaded at start, with
   * librsvg for the SVG ones (8 MB), for pages that may never show. */
  /* Signed out, but the server is not told until Undo is no longer offered. */
  if (state == CROSSING_ORDER_SIGNED_IN && self->sign_out_pending)
    state = CROSSING_ORDER_IDLE;

  /* The ledger is read only while its page shows. */
  if (state != CROSSING_ORDER_SIGNED_IN)
    crossing_window_ledger_stop (self, TRUE);

  switch (state)
    {
    case CROSSING_ORDER_RESUMING:
      show_working (self, _("Checking your sign-in…"));
      break;

    case CROSSING_ORDER_IDLE:
      render_accounts (self);
      adw_status_page_set_icon_name (self->start_page, APP_ID "-symbolic");
      gtk_stack_set_visible_child_name (self->stack, "start");
      break;

    case CROSSING_ORDER_STARTING:
      show_working (self, crossing_order_get_renewals (order) > 0
                          ? _("The code expired. Getting a new one…")
                          : _("Getting a sign-in code…"));
      break;

    case CROSSING_ORDER_WAITING:
      qr = crossing_qr_paintable_new (crossing_order_get_claim_url (order));
      gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr));
      gtk_label_set_label (self->link_label, crossing_order_get_claim_url (order));
      render_order_details (self);
      render_user_code (self);
      render_accounts (self);
      update_time_left (self);
      /* No cross-fade: a half-transparent code does not scan. */
      gtk_stack_set_visible_child_full (self->stack, "qr", GTK_STACK_TRANSITION_TYPE_NONE);
      break;

    case CROSSING_ORDER_SCANNED:
      /* Nobody else may scan it now. */
      gtk_picture_set_paintable (self->qr_picture, NULL);
      code = crossing_order_get_check_code (order);
      gtk_label_set_label (self->check_code_label, code != NULL ? code : "–");
      if (code != NULL)
        {
          /* Translators: %s is a two-digit number */
          code_text = g_strdup_printf (_("Enter %s on your phone"), code);
          gtk_accessible_update_property (GTK_ACCESSIBLE (self->check_code_label),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, code_text, -1);
        }
      set_description (self->scanned_page, _("Your phone asks for it before you approve."));
      gtk_stack_set_visible_child_name (self->stack, "scanned");
      break;

    case CROSSING_ORDER_APPROVED:
    case CROSSING_ORDER_FINALIZING:
      show_working (self, crossing_order_get_kind (order) == CROSSING_KIND_LOGIN
                          ? _("Approved. Signing you in…") : _("Approved. Fetching the signature…"));
      break;

    case CROSSING_ORDER_SIGNED_IN:
      render_signed_in (self);
      crossing_window_ledger_refresh (self);
      break;

    case CROSSING_ORDER_DONE:
      render_done (self);
      break;

    case CROSSING_ORDER_REJECTED:
      render_rejected (self);
      break;

    case CROSSING_ORDER_CANCELLED:
      show_ended (self, "process-stop-symbolic", _("Request Cancelled"),
                  _("You cancelled the request on this computer."));
      break;

    case CROSSING_ORDER_EXPIRED:
      show_ended (self, "alarm-symbolic", _("Code Expired"),
                  crossing_order_get_renewals (order) >= CROSSING_ORDER_MAX_RENEWALS
                  ? _("Nobody scanned the code for a while, so Crossing stopped making new ones.")
                  : _("The request was not approved in time."));
      break;

    case CROSSING_ORDER_ERROR:
      adw_status_page_set_icon_name (self->error_page, "network-error-symbolic");
      set_description (self->error_page, crossing_order_get_error (order));
      gtk_stack_set_visible_child_name (self->stack, "error");
      break;

    default:
      g_assert_not_reached ();
    }

  gtk_spinner_set_spinning (self->working_spinner,
                            g_str_equal (gtk_stack_get_visible_child_name (self->stack), "working"));
  gtk_spinner_set_spinning (self->scanned_spinner, state == CROSSING_ORDER_SCANNED);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel",
                                 state == CROSSING_ORDER_STARTING ||
                                 state == CROSSING_ORDER_WAITING ||
                                 state == CROSSING_ORDER_SCANNED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-link",
                                 state == CROSSING_ORDER_WAITING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out",
                                 state == CROSSING_ORDER_SIGNED_IN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-sign-out", self->sign_out_pending);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start",
                                 crossing_order_get_state (order) != CROSSING_ORDER_SIGNED_IN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-again",
                                 crossing_order_get_state (order) != CROSSING_ORDER_SIGNED_IN &&
                                 crossing_order_get_last_subject (order) != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-proof",
                                 state == CROSSING_ORDER_DONE);

  if (state == CROSSING_ORDER_WAITING && self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, on_tick, self);
  else if (state != CROSSING_ORDER_WAITING)
    g_clear_handle_id (&self->tick_id, g_source_remove);

  focus_page (self);
}

static void
on_reconnecting_changed (CrossingWindow *self)
{
  gtk_revealer_set_reveal_child (self->offline_revealer,
                                 crossing_order_get_reconnecting (self->order));
}

static void
on_slow_connection_changed (CrossingWindow *self)
{
  gtk_revealer_set_reveal_child (self->slow_revealer,
                                 crossing_order_get_slow_connection (self->order));
}

void
crossing_window_show_toast (CrossingWindow *self,
                            const char     *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 2);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
crossing_window_get_visible_page (CrossingWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

CrossingOrder *
crossing_window_get_order (CrossingWindow *self)
{
  g_return_val_if_fail (CROSSING_IS_WINDOW (self), NULL);
  return self->order;
}

static void
crossing_window_dispose (GObject *object)
{
  CrossingWindow *self = (CrossingWindow *) object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->sign_out_id, g_source_remove);
  g_clear_handle_id (&self->layout_id, g_source_remove);
  if (self->sign_out_toast != NULL)
    g_signal_handlers_disconnect_by_data (self->sign_out_toast, self);
  g_clear_object (&self->sign_out_toast);
  crossing_window_ledger_stop (self, TRUE);
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
  widget_class->size_allocate = crossing_window_size_allocate;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/dev/crossing/Crossing/crossing-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, CrossingWindow, name)
  BIND (toast_overlay);
  BIND (window_title);
  BIND (offline_revealer);
  BIND (stack);
  BIND (start_page);
  BIND (start_button);
  BIND (start_server_label);
  BIND (working_spinner);
  BIND (working_label);
  BIND (qr_layout);
  BIND (qr_words);
  BIND (qr_heading);
  BIND (order_card);
  BIND (order_kind_label);
  BIND (order_title_label);
  BIND (order_summary_label);
  BIND (steps_box);
  BIND (qr_picture);
  BIND (time_left_label);
  BIND (link_label);
  BIND (identified_label);
  BIND (qr_again_button);
  BIND (other_account_button);
  BIND (user_code_box);
  BIND (user_code_toggle);
  BIND (verification_uri_label);
  BIND (user_code_label);
  BIND (start_again_button);
  BIND (slow_revealer);
  BIND (scanned_page);
  BIND (check_code_label);
  BIND (scanned_spinner);
  BIND (signed_in_page);
  BIND (subject_label);
  BIND (passkey_label);
  BIND (session_expiry_label);
  BIND (session_since_label);
  BIND (session_server_label);
  BIND (ledger_box);
  BIND (balances_list);
  BIND (entries_list);
  BIND (ledger_status_label);
  BIND (done_page);
  BIND (signer_label);
  BIND (signature_label);
  BIND (ended_page);
  BIND (error_page);
  BIND (copy_link_button);
  BIND (scanned_cancel_button);
  BIND (sign_out_button);
  BIND (copy_proof_button);
  BIND (ended_button);
  BIND (error_button);
#undef BIND

  crossing_window_class_add_actions (widget_class);
}

static void
crossing_window_init (CrossingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->undo_seconds = 5;
}

void
crossing_window_set_undo_seconds (CrossingWindow *self,
                                  guint           seconds)
{
  g_return_if_fail (CROSSING_IS_WINDOW (self));
  self->undo_seconds = MAX (1, seconds);
}

/* Back at the window, the balance may have moved meanwhile. */
static void
on_active_changed (CrossingWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)) && !self->sign_out_pending &&
      crossing_order_get_state (self->order) == CROSSING_ORDER_SIGNED_IN)
    crossing_window_ledger_refresh (self);
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
  /* Translators: %s is the address of the sign-in server */
  server = g_strdup_printf (_("Signs in at %s"), crossing_order_get_server_url (order));
  adw_window_title_set_subtitle (self->window_title, crossing_order_get_server_url (order));
  set_description (self->start_page,
                   _("Scan a code with your phone and approve there. "
                     "No password is typed on this computer."));
  gtk_label_set_label (self->start_server_label, server);

  g_signal_connect_object (order, "notify::state", G_CALLBACK (crossing_window_render), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (order, "notify::reconnecting", G_CALLBACK (on_reconnecting_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (order, "notify::slow-connection",
                           G_CALLBACK (on_slow_connection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_active_changed), NULL);
  crossing_window_render (self);
  on_reconnecting_changed (self);
  on_slow_connection_changed (self);
  return self;
}
