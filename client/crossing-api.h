/* crossing-api.h: the companion's JSON endpoints, asynchronously
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The HTTP layer under the order logic. Its header names no libsoup type,
 * so the order state machine above it does not depend on the transport.
 *
 * A refusal by the server (a non-2xx answer with the contract's body
 * {code, message}) is a CROSSING_ERROR whose message is the server's own;
 * network and TLS failures keep their G_IO_ERROR, G_RESOLVER_ERROR and
 * G_TLS_ERROR domains; an answer that is not what the contract promises is
 * G_IO_ERROR_INVALID_DATA. A hostile or broken server cannot hold a call or
 * its memory: an answer over 256 KiB is G_IO_ERROR_MESSAGE_TOO_LARGE (and is
 * not read further), a redirect G_IO_ERROR_NOT_SUPPORTED (none is followed),
 * and a call not answered in full within the timeout G_IO_ERROR_TIMED_OUT,
 * however slowly the server drips its bytes. crossing_error_describe() words
 * any of them.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "crossing-json.h"
#include "crossing-protocol.h"

G_BEGIN_DECLS

/* What POST /start asks for. */
typedef struct {
  CrossingKind  kind;
  const char   *title;          /* NULL: the companion's default */
  const char   *summary;
  const char   *payload_hash;
  gboolean      user_code;      /* ask for a code to type instead of scanning */
  const char   *subject;        /* an identified order: only this signer may approve */
} CrossingStartRequest;

typedef struct {
  char   *order_id;
  char   *claim_url;
  char   *desktop_token;
  char   *event_token;
  gint64  expires_at;     /* epoch ms, 0 when the server gave none */
  /* Only when asked for and given in a form the window can show; a code
   * always comes with the address to type it at. */
  char   *user_code;         /* "WDJB-MJHT" */
  char   *verification_uri;
  char   *subject;           /* the identified order's signer, as the companion wrote it */
} CrossingStartReply;

/* GET /cross-device/status, or its refusal as too early. */
typedef struct {
  CrossingStatus  status;
  JsonObject     *data;        /* the whole answer, read as an event's data */
  gint64          sequence;    /* the latest event's id, -1 when not given */
  guint           interval;    /* seconds between polls, 0 when not given */
  /* 429 SLOW_DOWN or RATE_LIMITED: wait max (interval, retry_after) */
  gboolean        too_early;
  guint           retry_after; /* seconds, 0 when not given */
} CrossingStatusReply;

typedef struct {
  CrossingKind  kind;
  char         *session_token;   /* login only */
  /* sign and transaction only: the proof artifact */
  char         *subject;
  char         *public_key_hex;
  char         *signature_hex;
  char         *message;
} CrossingFinalizeReply;

typedef struct {
  char   *user_name;     /* may be NULL */
  char   *subject;
  gint64  expires_at;    /* epoch ms, 0 when unknown */
  gint64  created_at;    /* epoch ms, 0 when unknown */
  /* A passkey subject's user.passkey, when given as two booleans. */
  gboolean passkey;
  gboolean passkey_backup_eligible;
  gboolean passkey_backup_state;
} CrossingSessionInfo;

void crossing_start_reply_free    (CrossingStartReply    *reply);
void crossing_finalize_reply_free (CrossingFinalizeReply *reply);
void crossing_session_info_free   (CrossingSessionInfo   *info);
void crossing_status_reply_free   (CrossingStatusReply   *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingStartReply, crossing_start_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingFinalizeReply, crossing_finalize_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingSessionInfo, crossing_session_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingStatusReply, crossing_status_reply_free)

/* The most one call may take, from sending to the last byte of the answer. */
#define CROSSING_API_DEFAULT_TIMEOUT_MS 30000

#define CROSSING_TYPE_API (crossing_api_get_type ())
G_DECLARE_FINAL_TYPE (CrossingApi, crossing_api, CROSSING, API, GObject)

/* @server_url is the companion's public URL; @base_path NULL for
 * CROSSING_DEFAULT_BASE_PATH. */
CrossingApi           *crossing_api_new                 (const char           *server_url,
                                                         const char           *base_path);
const char            *crossing_api_get_server_url      (CrossingApi          *self);
/* Calls started afterwards fail with G_IO_ERROR_TIMED_OUT after @timeout_ms. */
void                   crossing_api_set_timeout         (CrossingApi          *self,
                                                         guint                 timeout_ms);
/* "{server}{basePath}/cross-device/{endpoint}" */
char                  *crossing_api_cross_device_url    (CrossingApi          *self,
                                                         const char           *endpoint);
/* The event stream of one order, with its query escaped. */
char                  *crossing_api_events_url          (CrossingApi          *self,
                                                         const char           *order_id,
                                                         const char           *event_token);

void                   crossing_api_start_async         (CrossingApi          *self,
                                                         const CrossingStartRequest *request,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
CrossingStartReply    *crossing_api_start_finish        (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* The order's state without a stream. A 429 (SLOW_DOWN, RATE_LIMITED) is
 * not an error but a reply with too_early set. */
void                   crossing_api_status_async        (CrossingApi          *self,
                                                         const char           *order_id,
                                                         const char           *event_token,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
CrossingStatusReply   *crossing_api_status_finish       (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

void                   crossing_api_cancel_async        (CrossingApi          *self,
                                                         const char           *order_id,
                                                         const char           *desktop_token,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean               crossing_api_cancel_finish       (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

void                   crossing_api_finalize_async      (CrossingApi          *self,
                                                         const char           *order_id,
                                                         const char           *desktop_token,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
CrossingFinalizeReply *crossing_api_finalize_finish     (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Returns NULL without an error when the server says there is no session. */
void                   crossing_api_get_session_async   (CrossingApi          *self,
                                                         const char           *session_token,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
CrossingSessionInfo   *crossing_api_get_session_finish  (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

void                   crossing_api_sign_out_async      (CrossingApi          *self,
                                                         const char           *session_token,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean               crossing_api_sign_out_finish     (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* GET {basePath}/health: the companion's version ("" when it gave none),
 * or the error of the call (a 503 is CROSSING_ERROR_INTERNAL; a server
 * that is not a companion, G_IO_ERROR_INVALID_DATA). */
void                   crossing_api_health_async        (CrossingApi          *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
char                  *crossing_api_health_finish       (CrossingApi          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Turns an HTTP answer into a JSON object or an error, as the calls above
 * do; public so the mapping can be tested without a server. Returns NULL
 * without an error for a 2xx "null" body. */
JsonObject            *crossing_api_parse_reply         (guint                 status,
                                                         const char           *reason,
                                                         GBytes               *body,
                                                         GError              **error);

/* What the calls make of the object crossing_api_parse_reply() returned for a
 * 2xx answer (NULL for a "null" body): the reply, or NULL and
 * G_IO_ERROR_INVALID_DATA (get-session: NULL without an error for "null").
 * Public so that hostile answers can be fuzzed without a server. */
CrossingStartReply    *crossing_api_start_reply_from_json    (JsonObject  *object,
                                                              GError     **error);
CrossingFinalizeReply *crossing_api_finalize_reply_from_json (JsonObject  *object,
                                                              GError     **error);
CrossingSessionInfo   *crossing_api_session_info_from_json   (JsonObject  *object,
                                                              GError     **error);
CrossingStatusReply   *crossing_api_status_reply_from_json   (JsonObject  *object,
                                                              GError     **error);

/* ---- ledger (PROTOCOL.md "Ledger" → "Reads") ---------------------------- */

/* No configured asset has more decimals than this here: 2^53 − 1 minor
 * units at scale 18 are still shown exactly. */
#define CROSSING_LEDGER_MAX_SCALE 18
/* Amounts and balances are JSON integers of at most 2^53 − 1. */
#define CROSSING_LEDGER_MAX_AMOUNT G_GINT64_CONSTANT (9007199254740991)
#define CROSSING_LEDGER_MAX_BALANCES 64

typedef struct {
  char   *asset;       /* ^[a-z][a-z0-9_]{0,31}$ */
  guint   scale;       /* decimals, at most CROSSING_LEDGER_MAX_SCALE */
  gint64  posted;
  gint64  reserved;
  gint64  available;
} CrossingLedgerBalance;

typedef struct {
  char   *id;
  char   *type;          /* "credit", "debit", "adjust", "reserve", "release", "capture" */
  char   *asset;
  gint64  amount;        /* > 0; the signs are in the deltas */
  gint64  posted_delta;
  gint64  reserved_delta;
  char   *reason;        /* "" when the server gave none */
  gint64  created_at;    /* epoch ms, 0 when unknown */
} CrossingLedgerEntry;

void crossing_ledger_balance_free (CrossingLedgerBalance *balance);
void crossing_ledger_entry_free   (CrossingLedgerEntry   *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingLedgerBalance, crossing_ledger_balance_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingLedgerEntry, crossing_ledger_entry_free)

/* @minor minor units of an asset with @scale decimals, in major units with
 * integer arithmetic only: 1250 at scale 2 is "12.50", -5 at 2 "-0.05". */
char                  *crossing_ledger_format_amount       (gint64                minor,
                                                            guint                 scale);

/* GET {basePath}/ledger/balance: a GPtrArray of CrossingLedgerBalance. A
 * companion without the ledger answers 404 (CROSSING_ERROR_NOT_FOUND). */
void                   crossing_api_ledger_balance_async   (CrossingApi          *self,
                                                            const char           *session_token,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GPtrArray             *crossing_api_ledger_balance_finish  (CrossingApi          *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
/* GET {basePath}/ledger/entries?limit=@limit (1–100): a GPtrArray of
 * CrossingLedgerEntry, newest first. */
void                   crossing_api_ledger_entries_async   (CrossingApi          *self,
                                                            const char           *session_token,
                                                            guint                 limit,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GPtrArray             *crossing_api_ledger_entries_finish  (CrossingApi          *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
/* The calls' reading of a 2xx object, for tests and the fuzz target. */
GPtrArray             *crossing_api_ledger_balances_from_json (JsonObject  *object,
                                                               GError     **error);
GPtrArray             *crossing_api_ledger_entries_from_json  (JsonObject  *object,
                                                               GError     **error);

/* Whether @url's host is this machine (localhost, 127.0.0.0/8, ::1). No
 * proxy can reach such a server, so the sessions for it look none up: the
 * system's proxy settings would be read on the first request, off the main
 * loop, delaying the first code on screen. */
gboolean               crossing_api_url_is_loopback     (const char           *url);

G_END_DECLS
