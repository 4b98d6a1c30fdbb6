/* crossing-order.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every request of one order carries that order's GCancellable; a new order,
 * a cancel or the object's disposal cancels it, so no reply lands on an order
 * that is no longer shown. The event stream is stopped at the same moments.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "crossing-api.h"
#include "crossing-error.h"
#include "crossing-server-check.h"
#include "crossing-sse-client.h"

#include "crossing-order-private.h"

struct _CrossingOrder
{
  GObject             parent_instance;

  CrossingApi        *api;
  CrossingKind        kind;
  char               *title;
  char               *summary;
  char               *payload_hash;

  CrossingOrderState  state;
  GCancellable       *cancellable;   /* of the current order */
  CrossingSseClient  *events;
  char               *order_id;
  char               *desktop_token;
  char               *event_token;
  char               *claim_url;
  char               *check_code;
  gint64              expires_at;
  guint               renewals;
  CrossingRejectReason reject_reason;
  char               *error;
  char               *base_path;
  GError             *start_error;   /* kept while the server check runs */

  /* a code to type instead of scanning, and the address to type it at */
  char               *user_code;
  char               *verification_uri;
  /* identified orders: who the next start asks for, who the order is for */
  char               *wanted_subject;
  char               *order_subject;
  /* who was signed in before a sign-out or an expired session */
  char               *last_subject;

  /* The events, or polling when they do not come through (a proxy that
   * buffers): see "following" below. */
  guint               window_ms;     /* the stream must prove itself within this */
  guint               probe_ms;      /* while polling, try the stream again after this */
  guint               window_id;
  guint               probe_id;
  guint               poll_id;
  gboolean            stream_proven; /* an event or keepalive came on this stream */
  guint               stream_losses; /* connections lost since it last proved itself */
  gboolean            polling;
  gboolean            poll_failing;  /* the last poll did not reach the server */
  guint               poll_failures;
  guint               poll_interval; /* seconds */
  gboolean            prefer_polling; /* the last order's stream never came through */
  gint64              sequence;      /* the latest event's id, -1 before any */

  /* the result */
  char               *session_token;
  char               *subject;
  char               *user_name;
  gint64              session_expires_at;
  gint64              session_created_at;
  CrossingPasskey     passkey;
  char               *signature;
  char               *public_key;
  char               *signed_message;
};

G_DEFINE_FINAL_TYPE (CrossingOrder, crossing_order, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_RECONNECTING,
  PROP_SLOW_CONNECTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "session-started" when a sign-in made a new session (the token is to be
 * kept), "session-ended" when the token is no longer any good. */
enum {
  SESSION_STARTED,
  SESSION_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_order (CrossingOrder *self);

const char *
crossing_order_state_to_string (CrossingOrderState state)
{
  static const char *names[] = {
    "idle", "starting", "waiting", "scanned", "approved", "finalizing", "signed-in", "done",
    "rejected", "cancelled", "expired", "resuming", "error",
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == CROSSING_ORDER_ERROR + 1);
  g_return_val_if_fail (state <= CROSSING_ORDER_ERROR, "invalid");
  return names[state];
}

static void
set_state (CrossingOrder      *self,
           CrossingOrderState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  /* The e2e test reads the check code from here; it is not a secret. */
  if (state == CROSSING_ORDER_SCANNED)
    g_debug ("state: %s, check code %s", crossing_order_state_to_string (state),
             self->check_code != NULL ? self->check_code : "none");
  else if (state == CROSSING_ORDER_WAITING)
    g_debug ("state: %s, order %s", crossing_order_state_to_string (state), self->order_id);
  else
    g_debug ("state: %s", crossing_order_state_to_string (state));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static gboolean
is_following (CrossingOrder *self)
{
  return self->state == CROSSING_ORDER_WAITING || self->state == CROSSING_ORDER_SCANNED;
}

static void
on_events_reconnecting (CrossingOrder *self)
{
  /* While polling, the stream is only being tried again: no banner. */
  if (!self->polling)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static void
set_polling (CrossingOrder *self,
             gboolean       polling)
{
  gboolean was_reconnecting;

  if (self->polling == polling)
    return;
  was_reconnecting = crossing_order_get_reconnecting (self);
  self->polling = polling;
  self->poll_failing = FALSE;
  self->poll_failures = 0;
  g_debug (polling ? "slow connection: polling the status" : "polling stopped");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SLOW_CONNECTION]);
  /* The banner is the stream's while it is followed, the polls' while polling. */
  if (was_reconnecting != crossing_order_get_reconnecting (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static void
drop_stream (CrossingOrder *self)
{
  g_clear_handle_id (&self->window_id, g_source_remove);
  if (self->events != NULL)
    {
      crossing_sse_client_stop (self->events);
      g_signal_handlers_disconnect_by_data (self->events, self);
      g_clear_object (&self->events);
    }
}

/* Stops listening, by stream or by polling; requests under way go on. */
static void
stop_following (CrossingOrder *self)
{
  gboolean was_reconnecting = crossing_order_get_reconnecting (self);

  drop_stream (self);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  set_polling (self, FALSE);
  if (was_reconnecting)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

/* Forgets the current order's follow-up: its requests and its stream. */
static void
drop_order (CrossingOrder *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  stop_following (self);
}

static void
clear_result (CrossingOrder *self)
{
  g_clear_pointer (&self->session_token, g_free);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->user_name, g_free);
  g_clear_pointer (&self->signature, g_free);
  g_clear_pointer (&self->public_key, g_free);
  g_clear_pointer (&self->signed_message, g_free);
  g_clear_pointer (&self->check_code, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->user_code, g_free);
  g_clear_pointer (&self->verification_uri, g_free);
  g_clear_pointer (&self->order_subject, g_free);
  self->sequence = -1;
  self->reject_reason = CROSSING_REJECT_UNKNOWN;
  self->session_expires_at = 0;
  self->session_created_at = 0;
  self->passkey = CROSSING_PASSKEY_NONE;
}

static void
fail (CrossingOrder *self,
      const GError  *error)
{
  drop_order (self);
  g_free (self->error);
  self->error = crossing_error_describe (error, crossing_api_get_server_url (self->api));
  g_debug ("error: %s", error->message);
  set_state (self, CROSSING_ORDER_ERROR);
}

/* ---- finalize and session ------------------------------------------------ */

static CrossingPasskey
passkey_of (const CrossingSessionInfo *info)
{
  if (!info->passkey)
    return CROSSING_PASSKEY_NONE;
  return info->passkey_backup_state ? CROSSING_PASSKEY_SYNCED : CROSSING_PASSKEY_DEVICE;
}

static void
on_session (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingSessionInfo) info = NULL;

  info = crossing_api_get_session_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* The session works even when its details cannot be read. */
  if (error != NULL)
    g_debug ("get-session: %s", error->message);
  else if (info == NULL)
    g_debug ("get-session: the new session is not known");
  if (info != NULL)
    {
      g_free (self->user_name);
      self->user_name = g_strdup (info->user_name);
      if (info->subject != NULL)
        {
          g_free (self->subject);
          self->subject = g_strdup (info->subject);
        }
      self->session_expires_at = info->expires_at;
      self->session_created_at = info->created_at;
      self->passkey = passkey_of (info);
    }
  if (self->session_created_at == 0)
    self->session_created_at = crossing_now_ms ();
  set_state (self, CROSSING_ORDER_SIGNED_IN);
  g_signal_emit (self, signals[SESSION_STARTED], 0);
}

static void
on_resumed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingSessionInfo) info = NULL;

  info = crossing_api_get_session_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      /* The server is down or odd: the session may still be good, so it
       * is kept for the next try. */
      fail (self, error);
      return;
    }
  if (info == NULL)
    {
      g_debug ("the remembered session is no longer valid");
      g_clear_pointer (&self->session_token, g_free);
      g_signal_emit (self, signals[SESSION_ENDED], 0);
      crossing_order_start (self);
      return;
    }
  g_free (self->user_name);
  self->user_name = g_strdup (info->user_name);
  g_free (self->subject);
  self->subject = g_strdup (info->subject);
  self->session_expires_at = info->expires_at;
  self->session_created_at = info->created_at;
  self->passkey = passkey_of (info);
  g_debug ("resumed the remembered session");
  set_state (self, CROSSING_ORDER_SIGNED_IN);
}

void
crossing_order_resume (CrossingOrder *self,
                       const char    *session_token)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_return_if_fail (session_token != NULL);

  drop_order (self);
  clear_result (self);
  self->session_token = g_strdup (session_token);
  set_state (self, CROSSING_ORDER_RESUMING);
  crossing_api_get_session_async (self->api, self->session_token, self->cancellable,
                                  on_resumed, g_object_ref (self));
}

static void
on_finalized (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingFinalizeReply) reply = NULL;

  reply = crossing_api_finalize_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      fail (self, error);
      return;
    }

  if (reply->kind == CROSSING_KIND_LOGIN)
    {
      self->session_token = g_steal_pointer (&reply->session_token);
      crossing_api_get_session_async (self->api, self->session_token, self->cancellable,
                                      on_session, g_object_ref (self));
      return;
    }

  self->subject = g_steal_pointer (&reply->subject);
  self->signature = g_steal_pointer (&reply->signature_hex);
  self->public_key = g_steal_pointer (&reply->public_key_hex);
  self->signed_message = g_steal_pointer (&reply->message);
  set_state (self, CROSSING_ORDER_DONE);
}

static void
finalize_order (CrossingOrder *self)
{
  set_state (self, CROSSING_ORDER_APPROVED);
  /* Nothing more will happen on the stream that matters to us. */
  stop_following (self);
  set_state (self, CROSSING_ORDER_FINALIZING);
  crossing_api_finalize_async (self->api, self->order_id, self->desktop_token, self->cancellable,
                               on_finalized, g_object_ref (self));
}

/* ---- events -------------------------------------------------------------- */

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static CrossingRejectReason
reject_reason_from_string (const char *reason)
{
  if (g_strcmp0 (reason, "user") == 0)
    return CROSSING_REJECT_USER;
  if (g_strcmp0 (reason, "check_code") == 0)
    return CROSSING_REJECT_CHECK_CODE;
  if (g_strcmp0 (reason, "subject_mismatch") == 0)
    return CROSSING_REJECT_SUBJECT_MISMATCH;
  return CROSSING_REJECT_UNKNOWN;
}

/* One news of the order, from an event or a poll of its status: both carry
 * the same data. */
static void
apply_update (CrossingOrder  *self,
              CrossingStatus  status,
              JsonObject     *object)
{
  const char *check_code;

  /* News of another order (a stale stream or poll) changes nothing. */
  if (!is_following (self) || g_strcmp0 (member_string (object, "orderId"), self->order_id) != 0)
    return;

  switch (status)
    {
    case CROSSING_STATUS_CLAIMED:
    case CROSSING_STATUS_WAITING_USER:
      check_code = member_string (object, "checkCode");
      if (check_code != NULL && crossing_string_is_clean (check_code) && strlen (check_code) <= 8)
        {
          g_free (self->check_code);
          self->check_code = g_strdup (check_code);
        }
      set_state (self, CROSSING_ORDER_SCANNED);
      break;

    case CROSSING_STATUS_APPROVED:
      finalize_order (self);
      break;

    case CROSSING_STATUS_REJECTED:
      self->reject_reason = reject_reason_from_string (member_string (object, "reason"));
      drop_order (self);
      set_state (self, CROSSING_ORDER_REJECTED);
      break;

    case CROSSING_STATUS_CANCELLED:
      drop_order (self);
      set_state (self, CROSSING_ORDER_CANCELLED);
      break;

    case CROSSING_STATUS_EXPIRED:
      /* Nobody scanned it: show a fresh code, a few times, then ask. */
      if (self->state == CROSSING_ORDER_WAITING && self->renewals < CROSSING_ORDER_MAX_RENEWALS)
        {
          self->renewals++;
          g_debug ("unclaimed order expired, renewing (%u of %u)", self->renewals,
                   CROSSING_ORDER_MAX_RENEWALS);
          start_order (self);
          return;
        }
      drop_order (self);
      set_state (self, CROSSING_ORDER_EXPIRED);
      break;

    case CROSSING_STATUS_FINALIZED: /* only we finalize, and stop listening first */
    case CROSSING_STATUS_CREATED:
    case CROSSING_STATUS_INVALID:
    default:
      break;
    }
}

void
crossing_order_handle_event (CrossingOrder *self,
                             const char    *event_type,
                             const char    *data)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  CrossingStatus status;

  g_return_if_fail (CROSSING_IS_ORDER (self));

  status = event_type != NULL ? crossing_status_from_string (event_type) : CROSSING_STATUS_INVALID;
  if (status == CROSSING_STATUS_INVALID || data == NULL || !is_following (self))
    return;

  parser = json_parser_new ();
  /* json-glib recurses once per nesting level: no stack for a hostile depth. */
  if (!crossing_json_is_strict (data, strlen (data), CROSSING_JSON_MAX_DEPTH) ||
      !json_parser_load_from_data (parser, data, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_debug ("ignoring a malformed %s event", event_type);
      return;
    }
  apply_update (self, status, json_node_get_object (root));
}

/* ---- following: events, else polling -------------------------------------
 *
 * An order is followed on its event stream. A stream that proves nothing
 * (no event and no keepalive) within the first keepalive window, or whose
 * connection is lost twice before it proves itself, is given up for polling
 * GET /status at the order's interval (raised by SLOW_DOWN). A stream the
 * server refuses or breaks is an error, as before: /status would be refused
 * the same way. While polling, the stream is tried again now and then from
 * the last sequence number seen (Last-Event-ID); once it proves itself,
 * polling stops. The window only shows a quiet note while polling. */

static void follow_events (CrossingOrder *self);
static void poll_status   (CrossingOrder *self);

static void
stream_proven (CrossingOrder *self)
{
  self->stream_proven = TRUE;
  self->stream_losses = 0;
  self->prefer_polling = FALSE;
  g_clear_handle_id (&self->window_id, g_source_remove);
  if (self->polling)
    {
      g_clear_handle_id (&self->probe_id, g_source_remove);
      g_clear_handle_id (&self->poll_id, g_source_remove);
      set_polling (self, FALSE);
    }
}

static gboolean
on_probe_due (gpointer user_data)
{
  CrossingOrder *self = user_data;

  self->probe_id = 0;
  if (self->polling && is_following (self))
    {
      g_debug ("trying the event stream again");
      follow_events (self);
    }
  return G_SOURCE_REMOVE;
}

/* The stream did not come through: poll, and try the stream later. */
static void
fall_back_to_polling (CrossingOrder *self,
                      const char    *why)
{
  gboolean was_reconnecting = crossing_order_get_reconnecting (self);

  drop_stream (self);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  self->probe_id = g_timeout_add (self->probe_ms, on_probe_due, self);
  if (self->polling)
    {
      g_debug ("the event stream still does not come through (%s)", why);
      return;
    }
  g_debug ("the event stream does not come through (%s)", why);
  self->prefer_polling = TRUE;
  set_polling (self, TRUE);
  if (was_reconnecting && !crossing_order_get_reconnecting (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
  poll_status (self);
}

static void
on_event (CrossingOrder *self,
          const char    *event_type,
          const char    *data,
          const char    *last_event_id)
{
  guint64 id;

  stream_proven (self);
  if (last_event_id != NULL &&
      g_ascii_string_to_unsigned (last_event_id, 10, 0, G_MAXINT64, &id, NULL))
    self->sequence = (gint64) id;
  crossing_order_handle_event (self, event_type, data);
}

static void
on_events_alive (CrossingOrder *self)
{
  stream_proven (self);
}

static void
on_events_lost (CrossingOrder *self,
                const GError  *error)
{
  /* A stream that breaks the protocol is a broken server, not a proxy in
   * the way: the stream client gives up on it by itself. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    return;
  if (self->stream_proven)
    {
      /* It worked: a reconnection is a hiccup, and must prove itself anew. */
      self->stream_proven = FALSE;
      self->stream_losses = 0;
    }
  if (++self->stream_losses >= 2 || self->polling)
    fall_back_to_polling (self, "lost twice");
}

static void
on_events_failed (CrossingOrder *self,
                  const GError  *error)
{
  if (!is_following (self))
    return;
  /* While polling, the stream was only being tried: polling goes on. */
  if (self->polling)
    {
      fall_back_to_polling (self, error->message);
      return;
    }
  /* Refused (the order is gone, or its token: /status would say the same),
   * or broken by the server itself. */
  fail (self, error);
}

static gboolean
on_window_over (gpointer user_data)
{
  CrossingOrder *self = user_data;

  self->window_id = 0;
  if (!self->stream_proven)
    fall_back_to_polling (self, "nothing within the keepalive window");
  return G_SOURCE_REMOVE;
}

static void
follow_events (CrossingOrder *self)
{
  g_autofree char *url = crossing_api_events_url (self->api, self->order_id, self->event_token);
  g_autofree char *from = self->sequence >= 0
                          ? g_strdup_printf ("%" G_GINT64_FORMAT, self->sequence)
                          /* Without it, a stream opened after the phone claimed would
                           * carry only the current state, "waiting_user", which has no
                           * check code: replaying from the start brings the "claimed"
                           * event that does. */
                          : g_strdup ("0");

  drop_stream (self);
  self->events = crossing_sse_client_new (url);
  crossing_sse_client_set_initial_event_id (self->events, from);
  g_signal_connect_swapped (self->events, "event", G_CALLBACK (on_event), self);
  g_signal_connect_swapped (self->events, "alive", G_CALLBACK (on_events_alive), self);
  g_signal_connect_swapped (self->events, "lost", G_CALLBACK (on_events_lost), self);
  g_signal_connect_swapped (self->events, "failed", G_CALLBACK (on_events_failed), self);
  g_signal_connect_swapped (self->events, "notify::reconnecting",
                            G_CALLBACK (on_events_reconnecting), self);
  self->stream_proven = FALSE;
  self->stream_losses = 0;
  self->window_id = g_timeout_add (self->window_ms, on_window_over, self);
  crossing_sse_client_start (self->events);
}

/* A new order: on its stream, unless the last order's never came through;
 * then polling at once, with the stream tried in a while. */
static void
follow_order (CrossingOrder *self)
{
  if (self->prefer_polling)
    fall_back_to_polling (self, "it did not for the last order");
  else
    follow_events (self);
}

static gboolean
on_poll_due (gpointer user_data)
{
  CrossingOrder *self = user_data;

  self->poll_id = 0;
  poll_status (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (CrossingOrder *self,
               guint          seconds)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  /* Not g_timeout_add_seconds(): it may fire early, and the server counts. */
  self->poll_id = g_timeout_add (MAX (seconds, 1) * 1000, on_poll_due, self);
}

static void
set_poll_failing (CrossingOrder *self,
                  gboolean       failing)
{
  if (self->poll_failing == failing)
    return;
  self->poll_failing = failing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static void
on_polled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingStatusReply) reply = NULL;

  reply = crossing_api_status_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->polling ||
      !is_following (self))
    return;

  if (reply == NULL && error->domain == CROSSING_ERROR && error->code != CROSSING_ERROR_INTERNAL)
    {
      /* The server knows no such order, or refuses its token. */
      fail (self, error);
      return;
    }
  if (reply == NULL)
    {
      /* Not reached, or not answered: again, ever more slowly. */
      guint delay = MIN (self->poll_interval << MIN (self->poll_failures, 4), 30);

      self->poll_failures++;
      g_debug ("status: %s; polling again in %u s", error->message, delay);
      set_poll_failing (self, TRUE);
      schedule_poll (self, delay);
      return;
    }

  self->poll_failures = 0;
  set_poll_failing (self, FALSE);
  if (reply->interval > 0)
    self->poll_interval = reply->interval;
  if (reply->too_early)
    {
      g_debug ("status polled too early: the interval is now %u s", self->poll_interval);
      schedule_poll (self, MAX (self->poll_interval, reply->retry_after));
      return;
    }
  if (reply->sequence >= 0)
    self->sequence = reply->sequence;
  apply_update (self, reply->status, reply->data);
  if (self->polling && is_following (self))
    schedule_poll (self, self->poll_interval);
}

static void
poll_status (CrossingOrder *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (!self->polling || !is_following (self))
    return;
  crossing_api_status_async (self->api, self->order_id, self->event_token, self->cancellable,
                             on_polled, g_object_ref (self));
}

/* ---- start, cancel, sign out ---------------------------------------------- */

/* Errors of the first call that name no cause a person can act on: a TLS
 * failure may be an http server asked for https, a closed connection an
 * https server asked for http. */
static gboolean
needs_diagnosis (const GError *error)
{
  return error->domain == G_TLS_ERROR ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
         (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_FAILED);
}

static void
on_diagnosed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  CrossingServerVerdict verdict;

  verdict = crossing_server_check_finish (result, NULL, NULL, &error);
  if (error != NULL || self->state != CROSSING_ORDER_STARTING)
    return;
  if (verdict == CROSSING_SERVER_WANTS_HTTPS || verdict == CROSSING_SERVER_WANTS_HTTP ||
      verdict == CROSSING_SERVER_UNTRUSTED_CERTIFICATE || verdict == CROSSING_SERVER_NOT_CROSSING)
    {
      drop_order (self);
      g_free (self->error);
      self->error = crossing_server_verdict_describe (verdict,
                                                      crossing_api_get_server_url (self->api));
      g_debug ("the failed start, diagnosed: %s", self->error);
      set_state (self, CROSSING_ORDER_ERROR);
      return;
    }
  fail (self, self->start_error);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingStartReply) reply = NULL;

  reply = crossing_api_start_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL && needs_diagnosis (error))
    {
      g_debug ("start: %s; asking the server's /health what is wrong", error->message);
      g_clear_error (&self->start_error);
      self->start_error = g_steal_pointer (&error);
      crossing_server_check_async (crossing_api_get_server_url (self->api), self->base_path,
                                   self->cancellable, on_diagnosed, g_object_ref (self));
      return;
    }
  if (reply == NULL)
    {
      fail (self, error);
      return;
    }

  g_free (self->order_id);
  self->order_id = g_steal_pointer (&reply->order_id);
  g_free (self->desktop_token);
  self->desktop_token = g_steal_pointer (&reply->desktop_token);
  g_free (self->event_token);
  self->event_token = g_steal_pointer (&reply->event_token);
  g_free (self->claim_url);
  self->claim_url = g_steal_pointer (&reply->claim_url);
  self->expires_at = reply->expires_at;
  self->user_code = g_steal_pointer (&reply->user_code);
  self->verification_uri = g_steal_pointer (&reply->verification_uri);
  /* Only what the companion echoes is promised: an older one ignores the
   * subject it was asked for, and anyone may approve. */
  self->order_subject = g_steal_pointer (&reply->subject);

  set_state (self, CROSSING_ORDER_WAITING);
  follow_order (self);
}

static void
start_order (CrossingOrder *self)
{
  CrossingStartRequest request = {
    .kind = self->kind,
    .title = self->title,
    .summary = self->summary,
    .payload_hash = self->payload_hash,
    .user_code = TRUE,
    .subject = self->wanted_subject,
  };

  drop_order (self);
  clear_result (self);
  g_clear_pointer (&self->order_id, g_free);
  g_clear_pointer (&self->claim_url, g_free);
  self->poll_interval = CROSSING_ORDER_DEFAULT_POLL_INTERVAL;
  set_state (self, CROSSING_ORDER_STARTING);
  crossing_api_start_async (self->api, &request, self->cancellable, on_started,
                            g_object_ref (self));
}

static void
on_retired (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!crossing_api_cancel_finish (CROSSING_API (source), result, &error))
    g_debug ("cancelling the replaced order: %s", error->message);
  else
    g_debug ("the replaced order is cancelled");
}

/* An order replaced by a new one on request is cancelled on the server: no
 * phone can approve a code nobody waits for any more. Not tied to the
 * order's cancellable, which the new order's start cancels. */
static void
retire_live_order (CrossingOrder *self)
{
  if (!crossing_order_is_live (self) || self->desktop_token == NULL)
    return;
  crossing_api_cancel_async (self->api, self->order_id, self->desktop_token, NULL, on_retired,
                             NULL);
}

void
crossing_order_start (CrossingOrder *self)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  retire_live_order (self);
  g_clear_pointer (&self->wanted_subject, g_free);
  self->renewals = 0;
  start_order (self);
}

void
crossing_order_start_identified (CrossingOrder *self,
                                 const char    *subject)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_return_if_fail (subject != NULL);

  retire_live_order (self);
  g_free (self->wanted_subject);
  self->wanted_subject = g_strdup (subject);
  self->renewals = 0;
  start_order (self);
}

static void
on_cancelled (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The order may have ended on its own meanwhile: it is over either way. */
  if (!crossing_api_cancel_finish (CROSSING_API (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("cancel: %s", error->message);
    }
  if (!is_following (self))
    return;
  drop_order (self);
  set_state (self, CROSSING_ORDER_CANCELLED);
}

void
crossing_order_cancel (CrossingOrder *self)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  if (self->state == CROSSING_ORDER_STARTING)
    {
      drop_order (self);
      set_state (self, CROSSING_ORDER_CANCELLED);
      return;
    }
  if (!is_following (self))
    return;

  crossing_api_cancel_async (self->api, self->order_id, self->desktop_token, self->cancellable,
                             on_cancelled, g_object_ref (self));
}

/* Who was signed in, for "Sign in again as". */
static void
remember_subject (CrossingOrder *self)
{
  if (self->subject == NULL)
    return;
  g_free (self->last_subject);
  self->last_subject = g_strdup (self->subject);
}

static void
on_signed_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CrossingOrder) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!crossing_api_sign_out_finish (CROSSING_API (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Forgetting the token locally is what signs this desktop out. */
      g_debug ("sign-out: %s", error->message);
    }
  else
    g_debug ("signed out on the server");
  remember_subject (self);
  clear_result (self);
  set_state (self, CROSSING_ORDER_IDLE);
  g_signal_emit (self, signals[SESSION_ENDED], 0);
}

void
crossing_order_sign_out (CrossingOrder *self)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  if (self->session_token == NULL)
    {
      remember_subject (self);
      clear_result (self);
      set_state (self, CROSSING_ORDER_IDLE);
      return;
    }
  crossing_api_sign_out_async (self->api, self->session_token, self->cancellable, on_signed_out,
                               g_object_ref (self));
}

/* ---- object --------------------------------------------------------------- */

CrossingOrder *
crossing_order_new (const char *server_url,
                    const char *base_path)
{
  CrossingOrder *self;

  g_return_val_if_fail (server_url != NULL, NULL);

  self = g_object_new (CROSSING_TYPE_ORDER, NULL);
  self->api = crossing_api_new (server_url, base_path);
  self->base_path = g_strdup (base_path);
  return self;
}

static void
crossing_order_dispose (GObject *object)
{
  CrossingOrder *self = (CrossingOrder *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_stream (self);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->api);

  G_OBJECT_CLASS (crossing_order_parent_class)->dispose (object);
}

static void
crossing_order_finalize (GObject *object)
{
  CrossingOrder *self = (CrossingOrder *) object;

  clear_result (self);
  g_clear_error (&self->start_error);
  g_free (self->base_path);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->payload_hash);
  g_free (self->order_id);
  g_free (self->desktop_token);
  g_free (self->event_token);
  g_free (self->claim_url);
  g_free (self->wanted_subject);
  g_free (self->last_subject);

  G_OBJECT_CLASS (crossing_order_parent_class)->finalize (object);
}

static void
crossing_order_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CrossingOrder *self = CROSSING_ORDER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_RECONNECTING:
      g_value_set_boolean (value, crossing_order_get_reconnecting (self));
      break;
    case PROP_SLOW_CONNECTION:
      g_value_set_boolean (value, self->polling);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
crossing_order_class_init (CrossingOrderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = crossing_order_dispose;
  object_class->finalize = crossing_order_finalize;
  object_class->get_property = crossing_order_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, CROSSING_ORDER_IDLE, CROSSING_ORDER_ERROR,
                      CROSSING_ORDER_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECONNECTING] =
    g_param_spec_boolean ("reconnecting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SLOW_CONNECTION] =
    g_param_spec_boolean ("slow-connection", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SESSION_STARTED] =
    g_signal_new ("session-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
crossing_order_init (CrossingOrder *self)
{
  self->cancellable = g_cancellable_new ();
  self->kind = CROSSING_KIND_LOGIN;
  self->sequence = -1;
  self->window_ms = CROSSING_ORDER_DEFAULT_WINDOW_MS;
  self->probe_ms = CROSSING_ORDER_DEFAULT_PROBE_MS;
  self->poll_interval = CROSSING_ORDER_DEFAULT_POLL_INTERVAL;
}

#define GETTER(type, name, field) \
  type crossing_order_get_##name (CrossingOrder *self) \
  { \
    g_return_val_if_fail (CROSSING_IS_ORDER (self), 0); \
    return self->field; \
  }

GETTER (CrossingKind, kind, kind)
GETTER (CrossingOrderState, state, state)
GETTER (const char *, title, title)
GETTER (const char *, summary, summary)
GETTER (const char *, claim_url, claim_url)
GETTER (const char *, check_code, check_code)
GETTER (gint64, expires_at, expires_at)
GETTER (const char *, error, error)
GETTER (const char *, subject, subject)
GETTER (const char *, user_name, user_name)
GETTER (gint64, session_expires_at, session_expires_at)
GETTER (gint64, session_created_at, session_created_at)
GETTER (CrossingPasskey, passkey, passkey)
GETTER (const char *, session_token, session_token)
GETTER (const char *, signature, signature)
GETTER (const char *, public_key, public_key)
GETTER (const char *, signed_message, signed_message)
GETTER (guint, renewals, renewals)
GETTER (CrossingRejectReason, reject_reason, reject_reason)
GETTER (const char *, user_code, user_code)
GETTER (const char *, verification_uri, verification_uri)
GETTER (const char *, required_subject, order_subject)
GETTER (const char *, last_subject, last_subject)
GETTER (gboolean, slow_connection, polling)

CrossingApi *
crossing_order_get_api (CrossingOrder *self)
{
  g_return_val_if_fail (CROSSING_IS_ORDER (self), NULL);
  return self->api;
}

const char *
crossing_order_get_server_url (CrossingOrder *self)
{
  g_return_val_if_fail (CROSSING_IS_ORDER (self), NULL);
  return crossing_api_get_server_url (self->api);
}

gboolean
crossing_order_get_reconnecting (CrossingOrder *self)
{
  g_return_val_if_fail (CROSSING_IS_ORDER (self), FALSE);
  if (self->polling)
    return self->poll_failing;
  return self->events != NULL && crossing_sse_client_get_reconnecting (self->events);
}

gboolean
crossing_order_is_live (CrossingOrder *self)
{
  g_return_val_if_fail (CROSSING_IS_ORDER (self), FALSE);
  return is_following (self) && self->order_id != NULL;
}

gboolean
crossing_order_has_session (CrossingOrder *self)
{
  g_return_val_if_fail (CROSSING_IS_ORDER (self), FALSE);
  return self->session_token != NULL;
}

void
crossing_order_set_kind (CrossingOrder *self,
                         CrossingKind   kind)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_return_if_fail (kind != CROSSING_KIND_INVALID);
  self->kind = kind;
}

void
crossing_order_set_display (CrossingOrder *self,
                            const char    *title,
                            const char    *summary,
                            const char    *payload_hash)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_free (self->title);
  self->title = g_strdup (title);
  g_free (self->summary);
  self->summary = g_strdup (summary);
  g_free (self->payload_hash);
  self->payload_hash = g_strdup (payload_hash);
}

void
crossing_order_follow_for_test (CrossingOrder *self,
                                const char    *order_id,
                                guint          renewals)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  drop_order (self);
  clear_result (self);
  g_free (self->order_id);
  self->order_id = g_strdup (order_id);
  g_free (self->desktop_token);
  self->desktop_token = g_strdup ("test-desktop-token");
  g_free (self->claim_url);
  self->claim_url = g_strdup_printf ("%s/cross-device/claim/%s?token=test",
                                     crossing_api_get_server_url (self->api), order_id);
  self->renewals = renewals;
  self->expires_at = crossing_now_ms () + 120000;
  set_state (self, CROSSING_ORDER_WAITING);
}

void
crossing_order_set_last_subject (CrossingOrder *self,
                                 const char    *subject)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));

  g_free (self->last_subject);
  self->last_subject = subject != NULL && *subject != '\0' ? g_strdup (subject) : NULL;
}

void
crossing_order_set_stream_timing (CrossingOrder *self,
                                  guint          window_ms,
                                  guint          probe_ms)
{
  g_return_if_fail (CROSSING_IS_ORDER (self));
  g_return_if_fail (window_ms > 0 && probe_ms > 0);

  self->window_ms = window_ms;
  self->probe_ms = probe_ms;
}
