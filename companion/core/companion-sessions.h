/* companion-sessions.h: Better Auth sessions, made one way for every sign-in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every sign-in flow (cross-device finalize, and the Nimiq and mobile-QR
 * flows after it) makes its session here: a 256-bit token from libsodium,
 * stored only as its hash, with the address and User-Agent of the request
 * that signed in. get-session and sign-out read it back here, in Better
 * Auth's own shapes (shared/PROTOCOL.md, "Sessions").
 */
#pragma once

#include <json-glib/json-glib.h>

#include "companion-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *subject;        /* who signed in */
  gboolean    create_user;    /* registration is open */
  guint       ttl_seconds;    /* the session's lifetime */
  const char *ip_address;     /* of the request signing in, nullable */
  const char *user_agent;     /* likewise */
  /* The approved order the sign-in finalizes, in the same transaction,
   * and its "finalized" event; both NULL for a sign-in without an order
   * (Nimiq direct). */
  const char *order_id;
  const char *event_data;
} CompanionSessionRequest;

/* Creates the user when needed and allowed, and the session; returns the
 * new token in @out_token (for the response only, never for a log). Fails
 * with CROSSING_ERROR: FINALIZE_ALREADY_USED when the order is no longer
 * approved (a lost race), UNABLE_TO_RESOLVE_APPROVED_LOGIN when the
 * subject has no user and none may be created, else the store error's
 * wire code (companion-errors.h). */
gboolean  companion_sessions_create   (CompanionStore                 *store,
                                       const CompanionSessionRequest  *request,
                                       char                          **out_token,
                                       gint64                         *out_seq,
                                       GError                        **error);

/* The get-session answer {session, user} for @token, or JSON null when it
 * is malformed, unknown or expired. Errors are CROSSING_ERROR. */
JsonNode *companion_sessions_get      (CompanionStore                 *store,
                                       const char                     *token,
                                       GError                        **error);

/* Ends the session of @token at once; TRUE also when there was none. */
gboolean  companion_sessions_sign_out (CompanionStore                 *store,
                                       const char                     *token,
                                       GError                        **error);

/* {session:{id, userId, expiresAt, createdAt, updatedAt, ipAddress,
 * userAgent}, user:{id, name, email, emailVerified, image, createdAt,
 * updatedAt, subject, role}}, times as ISO-8601 UTC with milliseconds. */
JsonNode *companion_sessions_to_json  (const CompanionSession         *session,
                                       const CompanionUser            *user);

/* The operator's name, else the subject's short form: a Nimiq address as
 * written, "ed25519:" and the first 16 hex digits of a key. */
char     *companion_user_display_name (const CompanionUser            *user);

G_END_DECLS
