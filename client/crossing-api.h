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
 * G_IO_ERROR_INVALID_DATA. crossing_error_describe() words any of them.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "crossing-protocol.h"

G_BEGIN_DECLS

typedef struct {
  char   *order_id;
  char   *claim_url;
  char   *desktop_token;
  char   *event_token;
  gint64  expires_at;     /* epoch ms, 0 when the server gave none */
} CrossingStartReply;

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
} CrossingSessionInfo;

void crossing_start_reply_free    (CrossingStartReply    *reply);
void crossing_finalize_reply_free (CrossingFinalizeReply *reply);
void crossing_session_info_free   (CrossingSessionInfo   *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingStartReply, crossing_start_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingFinalizeReply, crossing_finalize_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrossingSessionInfo, crossing_session_info_free)

#define CROSSING_TYPE_API (crossing_api_get_type ())
G_DECLARE_FINAL_TYPE (CrossingApi, crossing_api, CROSSING, API, GObject)

/* @server_url is the companion's public URL; @base_path NULL for
 * CROSSING_DEFAULT_BASE_PATH. */
CrossingApi           *crossing_api_new                 (const char           *server_url,
                                                         const char           *base_path);
const char            *crossing_api_get_server_url      (CrossingApi          *self);
/* "{server}{basePath}/cross-device/{endpoint}" */
char                  *crossing_api_cross_device_url    (CrossingApi          *self,
                                                         const char           *endpoint);
/* The event stream of one order, with its query escaped. */
char                  *crossing_api_events_url          (CrossingApi          *self,
                                                         const char           *order_id,
                                                         const char           *event_token);

void                   crossing_api_start_async         (CrossingApi          *self,
                                                         CrossingKind          kind,
                                                         const char           *title,
                                                         const char           *summary,
                                                         const char           *payload_hash,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
CrossingStartReply    *crossing_api_start_finish        (CrossingApi          *self,
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

/* Turns an HTTP answer into a JSON object or an error, as the calls above
 * do; public so the mapping can be tested without a server. Returns NULL
 * without an error for a 2xx "null" body. */
JsonObject            *crossing_api_parse_reply         (guint                 status,
                                                         const char           *reason,
                                                         GBytes               *body,
                                                         GError              **error);

G_END_DECLS
