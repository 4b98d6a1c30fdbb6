/* crossing-order.h: one sign-in order, followed from start to session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The order logic of the client: it starts orders through CrossingApi,
 * follows their events through CrossingSseClient, finalizes, and exposes a
 * single state the window renders. The stream being lost is not a state of
 * its own but the "reconnecting" property, shown over whatever state the
 * order was in: the server's events after reconnecting decide what comes
 * next. No GTK and no libsoup here.
 */
#pragma once

#include <glib-object.h>

#include "crossing-api.h"
#include "crossing-protocol.h"

G_BEGIN_DECLS

typedef enum {
  CROSSING_PASSKEY_NONE,    /* not a passkey subject, or no flags given */
  CROSSING_PASSKEY_DEVICE,  /* a passkey on this device only */
  CROSSING_PASSKEY_SYNCED,  /* a passkey backed up (synced) */
} CrossingPasskey;

typedef enum {
  CROSSING_ORDER_IDLE,
  CROSSING_ORDER_STARTING,
  CROSSING_ORDER_WAITING,      /* QR on screen */
  CROSSING_ORDER_SCANNED,      /* claimed: check code on screen */
  CROSSING_ORDER_APPROVED,     /* approved on the phone, finalize not sent yet */
  CROSSING_ORDER_FINALIZING,   /* finalize (and for login get-session) under way */
  CROSSING_ORDER_SIGNED_IN,    /* login done: session kept */
  CROSSING_ORDER_DONE,         /* sign / transaction done: proof kept */
  CROSSING_ORDER_REJECTED,
  CROSSING_ORDER_CANCELLED,
  CROSSING_ORDER_EXPIRED,
  CROSSING_ORDER_RESUMING,     /* asking the server about a remembered session */
  CROSSING_ORDER_ERROR,        /* see crossing_order_get_error() */
} CrossingOrderState;

#define CROSSING_ORDER_MAX_RENEWALS 3
/* The companion sends a keepalive at least every 15 s: a stream that shows
 * nothing for longer is held back on its way (a buffering proxy). */
#define CROSSING_ORDER_DEFAULT_WINDOW_MS 20000
/* While polling, how long until the stream is tried again. */
#define CROSSING_ORDER_DEFAULT_PROBE_MS 30000
/* Seconds between polls until the server says otherwise (its poll-interval). */
#define CROSSING_ORDER_DEFAULT_POLL_INTERVAL 3

/* Why an order was rejected, from the `reason` of its rejected event. */
typedef enum {
  CROSSING_REJECT_UNKNOWN,           /* none given (an older companion) or not one of these */
  CROSSING_REJECT_USER,              /* "user": declined on the phone */
  CROSSING_REJECT_CHECK_CODE,        /* "check_code": three wrong check codes */
  CROSSING_REJECT_SUBJECT_MISMATCH,  /* "subject_mismatch": signed by another account */
} CrossingRejectReason;

#define CROSSING_TYPE_ORDER (crossing_order_get_type ())
G_DECLARE_FINAL_TYPE (CrossingOrder, crossing_order, CROSSING, ORDER, GObject)

/* @base_path NULL for CROSSING_DEFAULT_BASE_PATH. */
CrossingOrder      *crossing_order_new              (const char    *server_url,
                                                     const char    *base_path);

const char         *crossing_order_get_server_url   (CrossingOrder *self);
/* The companion's calls, for reads beside the order (the ledger). */
CrossingApi        *crossing_order_get_api          (CrossingOrder *self);
void                crossing_order_set_kind         (CrossingOrder *self,
                                                     CrossingKind   kind);
CrossingKind        crossing_order_get_kind         (CrossingOrder *self);
void                crossing_order_set_display      (CrossingOrder *self,
                                                     const char    *title,
                                                     const char    *summary,
                                                     const char    *payload_hash);

const char         *crossing_order_get_title        (CrossingOrder *self);
const char         *crossing_order_get_summary      (CrossingOrder *self);
CrossingOrderState  crossing_order_get_state        (CrossingOrder *self);
const char         *crossing_order_get_claim_url    (CrossingOrder *self);
const char         *crossing_order_get_check_code   (CrossingOrder *self);
gint64              crossing_order_get_expires_at   (CrossingOrder *self);
gboolean            crossing_order_get_reconnecting (CrossingOrder *self);
/* A sentence for the user when the state is ERROR. */
const char         *crossing_order_get_error        (CrossingOrder *self);
const char         *crossing_order_get_subject      (CrossingOrder *self);
const char         *crossing_order_get_user_name    (CrossingOrder *self);
gint64              crossing_order_get_session_expires_at (CrossingOrder *self);
gint64              crossing_order_get_session_created_at (CrossingOrder *self);
/* How a passkey user signed in (get-session's user.passkey.backupState). */
CrossingPasskey     crossing_order_get_passkey      (CrossingOrder *self);
/* The token of the session, for the keyring only: never log it. */
const char         *crossing_order_get_session_token (CrossingOrder *self);
const char         *crossing_order_get_signature    (CrossingOrder *self);
const char         *crossing_order_get_public_key   (CrossingOrder *self);
/* The exact text the phone signed (sign and transaction). */
const char         *crossing_order_get_signed_message (CrossingOrder *self);
gboolean            crossing_order_has_session      (CrossingOrder *self);
guint               crossing_order_get_renewals     (CrossingOrder *self);
/* Meaningful in the REJECTED state. */
CrossingRejectReason crossing_order_get_reject_reason (CrossingOrder *self);
/* The code to type instead of scanning ("WDJB-MJHT") and where to type it,
 * while the QR is shown; NULL when the companion gave none. */
const char         *crossing_order_get_user_code    (CrossingOrder *self);
const char         *crossing_order_get_verification_uri (CrossingOrder *self);
/* The only signer who may approve the order on screen, when the companion
 * confirmed it (an identified order); else NULL. */
const char         *crossing_order_get_required_subject (CrossingOrder *self);
/* Who was signed in before a sign-out or an expired session, for "Sign in
 * again as"; the app sets it from the keyring. */
const char         *crossing_order_get_last_subject (CrossingOrder *self);
void                crossing_order_set_last_subject (CrossingOrder *self,
                                                     const char    *subject);
/* TRUE while the order is followed by polling: its event stream did not
 * come through. */
gboolean            crossing_order_get_slow_connection (CrossingOrder *self);
/* How long a new stream has to show an event or a keepalive before the
 * order polls instead, and how long polling goes on before the stream is
 * tried again. */
void                crossing_order_set_stream_timing (CrossingOrder *self,
                                                      guint          window_ms,
                                                      guint          probe_ms);

/* Whether an order is on the server that a phone could still approve. */
gboolean            crossing_order_is_live          (CrossingOrder *self);

/* Asks the server about a remembered session: SIGNED_IN when it is valid;
 * when the server no longer knows it, "session-ended" and a fresh order. */
void                crossing_order_resume           (CrossingOrder *self,
                                                     const char    *session_token);
/* Starts a fresh order (cancelling the local follow-up of any previous). */
void                crossing_order_start            (CrossingOrder *self);
/* Starts an order only @subject may approve (an identified order). */
void                crossing_order_start_identified (CrossingOrder *self,
                                                     const char    *subject);
/* Cancels the order on the companion. */
void                crossing_order_cancel           (CrossingOrder *self);
/* Ends the session on the companion and goes back to IDLE. */
void                crossing_order_sign_out         (CrossingOrder *self);

/* Applies one event of the order's stream, as the stream client does.
 * Public so the state machine can be driven by scripted events. */
void                crossing_order_handle_event     (CrossingOrder *self,
                                                     const char    *event_type,
                                                     const char    *data);

const char         *crossing_order_state_to_string  (CrossingOrderState state);

G_END_DECLS
