/* companion-engine.h: the order engine, the contract's behaviour
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Validated requests in, JSON responses (or a CROSSING_ERROR) out. It owns
 * the expiry timer and draws tokens and check codes; the store announces
 * each committed change ("event-committed") and the event hub fans it out.
 * Store errors leave here as wire codes (core/companion-errors.h). No HTTP.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "companion-config.h"
#include "companion-order.h"
#include "companion-requester.h"
#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_ENGINE (companion_engine_get_type ())
G_DECLARE_FINAL_TYPE (CompanionEngine, companion_engine, COMPANION, ENGINE, GObject)

#define COMPANION_MAX_CHECK_CODE_FAILURES 3
#define COMPANION_MAX_SUBJECT_MISMATCHES  3

/* issue 12: inserts @order where companion_store_insert_order() would, in
 * the caller's own store transaction with what must hold or fail with it;
 * @response is what start answers once it returns TRUE. */
typedef gboolean (*CompanionStartInsertFunc) (CompanionStore        *store,
                                              const CompanionOrder  *order,
                                              JsonNode              *response,
                                              gpointer               user_data,
                                              GError               **error);

typedef struct {
  CrossingKind     kind;
  CrossingAdapter  adapter;
  const char      *return_to;      /* nullable */
  const char      *title;          /* nullable */
  const char      *summary;        /* nullable */
  const char      *payload_hash;   /* nullable */
  const char      *origin;         /* the request's Origin header, nullable */
  const char      *requester_ip;
  const char      *requester_user_agent;
  /* Mobile QR: the challenge ID is the phone's credential; the store keeps
   * its hash to find the order by, and the response carries "challengeId". */
  gboolean         challenge_id_is_credential;
  /* issue 14: a code to type instead of scanning (none when max-user-codes
   * are live) */
  gboolean         user_code;
  /* issue 14: an identified order, only this signer may approve. As people
   * type it (normalized here); with @adapter CROSSING_ADAPTER_INVALID the
   * adapter follows from it. */
  const char      *subject;        /* nullable */
  /* issue 14: more lines for the signed details, a NULL-terminated key,
   * value, ... array (nullable): a start's custom context, or what another
   * feature's order states (a ledger order's amount, asset, reservationId).
   * None may be a detail the order sets itself (kind, orderId, summary,
   * title, subject) or come twice. */
  const char *const *details;
  /* issue 12: another feature's order (a ledger hold approved on the
   * phone). @insert (nullable; not with @user_code) writes the order;
   * @approved_extra (nullable) is the text of a JSON object whose members
   * the approved event and the finalize answer add, kept with the order. */
  CompanionStartInsertFunc insert;
  gpointer                 insert_data;
  const char              *approved_extra;
} CompanionStartRequest;

/* issue 16: a passkey's answer (adapter webauthn), binary fields base64url. */
typedef struct {
  const char      *type;                 /* "webauthn.create" or "webauthn.get" */
  const char      *credential_id;
  const char      *client_data_json;
  const char      *attestation_object;   /* create */
  const char      *transports;           /* create: comma-separated, nullable */
  const char      *authenticator_data;   /* get */
  const char      *signature;            /* get */
} CompanionPasskeyAnswer;

typedef struct {
  const char      *order_id;
  const char      *challenge_token;
  const char      *public_key_hex;
  const char      *signature_hex;
  const char      *address;        /* nullable, nimiq-pay */
  const char      *check_code;     /* nullable */
  const char      *origin;         /* the request's Origin header, nullable */
  /* Mobile QR: instead of order_id and challenge_token; then @adapter must
   * be the order's. */
  const char      *challenge_id;
  CrossingAdapter  adapter;
  /* issue 16: instead of public_key_hex and signature_hex */
  const CompanionPasskeyAnswer *passkey;
} CompanionApproveRequest;

/* The config must have its public_url set (after listening). */
CompanionEngine *companion_engine_new        (CompanionConfig               *config,
                                              CompanionStore                *store);

/* issue 14: where "requester.location" comes from; NULL for none. */
void             companion_engine_set_geoip  (CompanionEngine               *self,
                                              CompanionGeoip                *geoip);

/* Arms the expiry timer for what the store already holds (after a restart). */
void             companion_engine_start_timers (CompanionEngine             *self);

/* Starts an order: what POST /start does, for any feature that makes orders
 * from C (an identified `transaction` order for a ledger hold, "sign in
 * again as"). INVALID_REQUEST for a malformed subject, UNSUPPORTED_ADAPTER
 * when @adapter is not the subject's, UNTRUSTED_ORIGIN; the response is
 * /start's JSON. */
JsonNode        *companion_engine_start      (CompanionEngine               *self,
                                              const CompanionStartRequest   *request,
                                              GError                       **error);
JsonNode        *companion_engine_claim      (CompanionEngine               *self,
                                              const char                    *order_id,
                                              const char                    *claim_token,
                                              GError                       **error);
JsonNode        *companion_engine_challenge  (CompanionEngine               *self,
                                              const char                    *order_id,
                                              const char                    *challenge_token,
                                              GError                       **error);
JsonNode        *companion_engine_approve    (CompanionEngine               *self,
                                              const CompanionApproveRequest *request,
                                              GError                       **error);
JsonNode        *companion_engine_reject     (CompanionEngine               *self,
                                              const char                    *order_id,
                                              const char                    *challenge_token,
                                              GError                       **error);
JsonNode        *companion_engine_cancel     (CompanionEngine               *self,
                                              const char                    *order_id,
                                              const char                    *desktop_token,
                                              GError                       **error);
/* For a login, @out_session_token receives the new session token (the
 * response also carries it as "token"); the session records
 * @requester_ip and @requester_user_agent (the finalizing request's,
 * nullable) as its ipAddress and userAgent. */
JsonNode        *companion_engine_finalize   (CompanionEngine               *self,
                                              const char                    *order_id,
                                              const char                    *desktop_token,
                                              const char                    *requester_ip,
                                              const char                    *requester_user_agent,
                                              char                         **out_session_token,
                                              GError                       **error);

/* Mobile QR: the order started with challenge_id_is_credential whose
 * challenge ID is @challenge_id (ORDER_NOT_FOUND otherwise), brought up to
 * date with the clock. */
CompanionOrder  *companion_engine_get_by_challenge_id (CompanionEngine      *self,
                                                       const char           *challenge_id,
                                                       GError              **error);
/* Mobile QR: claim and challenge in one step, created -> waiting_user, with
 * a check code when @check_code; on a later call only the envelope, with
 * its current status. */
JsonNode        *companion_engine_open_by_challenge_id (CompanionEngine     *self,
                                                        const char          *challenge_id,
                                                        gboolean             check_code,
                                                        GError             **error);

/* Checks the event token and returns the order, or sets an error. */
CompanionOrder  *companion_engine_open_events (CompanionEngine              *self,
                                               const char                   *order_id,
                                               const char                   *event_token,
                                               GError                      **error);

/* The "data:" JSON of an event for @order in @status. */
char            *companion_engine_event_data  (const CompanionOrder         *order,
                                               CrossingStatus                status);

/* Why an order was rejected or expired: the "reason" of those events. */
#define COMPANION_REASON_USER             "user"
#define COMPANION_REASON_CHECK_CODE       "check_code"
#define COMPANION_REASON_SUBJECT_MISMATCH "subject_mismatch"
#define COMPANION_REASON_EXPIRED          "expired"

/* The same with the "reason" of a rejected event (NULL: "user"); an
 * expired event always says "expired", other events carry none. */
char            *companion_engine_event_data_with_reason (const CompanionOrder *order,
                                                          CrossingStatus        status,
                                                          const char           *reason);

/* ---- status polling (issue 14) ---- */

#define COMPANION_POLL_SLACK_MS        100
#define COMPANION_POLL_SLOW_DOWN_STEP  5
#define COMPANION_POLL_MAX_INTERVAL    30

/* GET /status: the latest event's data plus checkCode, sequence,
 * expiresAt and interval. A poll less than the order's interval after the
 * last answered one raises the interval by 5 s (up to 30) and fails with
 * SLOW_DOWN; @out_interval is the interval either way. */
JsonNode        *companion_engine_status      (CompanionEngine              *self,
                                               const char                   *order_id,
                                               const char                   *event_token,
                                               guint                        *out_interval,
                                               GError                      **error);

/* ---- user codes (issue 14) ---- */

/* RFC 8628 §6.1's base-20 alphabet: no vowels, no digits. */
#define COMPANION_USER_CODE_ALPHABET "BCDFGHJKLMNPQRSTVWXZ"
#define COMPANION_USER_CODE_LENGTH   8
#define COMPANION_USER_CODE_WINDOW_MS (60 * 1000)

/* The 8 letters of @input (ASCII letters upper-cased, spaces and '-'
 * removed), or NULL when that is not 8 letters of the alphabet. */
char            *companion_user_code_normalize (const char                  *input);

/* POST /claim-by-code: exactly /claim's answer, with a check code even when
 * they are off. INVALID_REQUEST for a malformed code (no lookup, no miss),
 * INVALID_USER_CODE for one no live order has (a miss), RATE_LIMITED with
 * @out_retry_after seconds while @client_ip or everyone is over the misses
 * allowed in the running minute. */
JsonNode        *companion_engine_claim_by_code (CompanionEngine           *self,
                                                 const char                *user_code,
                                                 const char                *client_ip,
                                                 guint                     *out_retry_after,
                                                 GError                   **error);

G_END_DECLS
