/* companion-store.h: where orders, events, users and sessions live
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one interface between the companion and its database. Everything above
 * it (engine, server, commands) speaks only this; the SQLite backend is
 * CompanionSqliteStore, and a PostgreSQL one can implement the same methods.
 * Every state change is a compare-and-set on the order's status and appends
 * the order's next event in the same transaction.
 */
#pragma once

#include <glib-object.h>

#include "companion-ledger-record.h"
#include "companion-order-record.h"

G_BEGIN_DECLS

/* The store's own errors; core/companion-errors.c maps them to the wire. */
typedef enum {
  COMPANION_STORE_ERROR_FAILED,        /* anything else */
  COMPANION_STORE_ERROR_NOT_FOUND,     /* no such order, user or live session */
  COMPANION_STORE_ERROR_CONFLICT,      /* a compare-and-set found another status,
                                        * or a unique key exists */
  COMPANION_STORE_ERROR_UNAVAILABLE,   /* cannot reach the database, busy, locked,
                                        * closed; worth a retry */
  COMPANION_STORE_ERROR_CORRUPT,       /* not a database of ours, or a bad row */
  COMPANION_STORE_ERROR_UNSUPPORTED,   /* a backend not built in, a newer schema */
  /* issue 12: an approval whose attached hold cannot be captured: it was
   * captured or released, or it expired. */
  COMPANION_STORE_ERROR_HOLD_NOT_HELD,
  COMPANION_STORE_ERROR_HOLD_EXPIRED,
} CompanionStoreError;

#define COMPANION_STORE_ERROR (companion_store_error_quark ())
GQuark companion_store_error_quark (void);

typedef enum {
  COMPANION_ROLE_USER,
  COMPANION_ROLE_ADMIN,
} CompanionRole;

/* "user", "admin"; from_string gives -1 for anything else. */
const char *companion_role_to_string   (CompanionRole  role);
int         companion_role_from_string (const char    *str);

typedef struct {
  char          *id;
  char          *subject;
  char          *name;        /* may be NULL: the operator gave none */
  CompanionRole  role;
  gint64         created_at;
  gint64         updated_at;  /* 0 on add: created_at */
} CompanionUser;

typedef struct {
  char   *id;
  char   *user_id;
  char   *order_id;     /* the order it was made from, may be NULL */
  char   *ip_address;   /* of the request that finalized, may be NULL */
  char   *user_agent;   /* likewise */
  gint64  created_at;
  gint64  updated_at;
  gint64  expires_at;
} CompanionSession;

typedef struct {
  gint64          seq;
  CrossingStatus  status;
  char           *data;   /* the JSON of the SSE "data:" line */
} CompanionEvent;

/* What a transition writes besides the status. NULL / 0 fields are kept. */
typedef struct {
  CrossingStatus  to;
  const char     *challenge_token_hash;
  const char     *check_code;
  const char     *subject;
  const char     *public_key_hex;
  const char     *signature_hex;
  gint64          expires_at;
  gint64          approved_at;
  gint64          finalized_at;
  /* When not 0, the change applies only if the order's expires_at is at or
   * before this time (so an expiry cannot undo a just-extended order). */
  gint64          only_if_expires_by;
} CompanionOrderChange;

/* A login finalize: the user is found by subject (or created), a session is
 * created and the order finalized, all or nothing. Built by
 * companion_sessions_prepare() (core/companion-sessions.h). */
typedef struct {
  const char *subject;
  gboolean    create_user;
  const char *new_user_id;
  const char *session_id;
  const char *session_token_hash;
  const char *ip_address;          /* nullable */
  const char *user_agent;          /* nullable */
  gint64      session_expires_at;
  gint64      now;
} CompanionLoginFinalize;

/* A Nimiq direct sign-in nonce as issued: /verify rebuilds the message from
 * it. Found by the hash of its nonceId, which is never stored. */
typedef struct {
  char   *id_hash;
  char   *nonce;
  char   *origin;
  char   *app_name;
  gint64  issued_at;
  gint64  expires_at;
} CompanionNimiqNonce;

/* User codes: the misses counted for one scope (a client address key, or
 * COMPANION_USER_CODE_MISSES_ALL) in the window running at a time. A window
 * starts with the first miss when none runs and lasts window_ms. */
typedef struct {
  guint   misses;       /* 0 when no window runs */
  gint64  window_ends;  /* epoch ms; 0 when no window runs */
} CompanionMissWindow;

#define COMPANION_USER_CODE_MISSES_ALL "*"

/* issue 16: a passkey (the cross-device adapter webauthn), found by its
 * credential id. Its user is the one whose subject is "passkey:{id}". */
typedef struct {
  char     *credential_id;       /* base64url, as the browser names it */
  int       alg;                 /* COSE: -7 ES256, -8 EdDSA, -257 RS256 */
  char     *public_key_cose;     /* base64url of the COSE key */
  guint32   sign_count;
  gboolean  backup_eligible;     /* BE: may be synced */
  gboolean  backup_state;        /* BS: is synced (as last seen) */
  char     *transports;          /* comma-separated, may be NULL */
  char     *attestation_format;  /* "none", "packed", ... (not verified) */
  gint64    created_at;
  gint64    last_used_at;        /* 0 until it signs an approval */
} CompanionPasskey;

/* issue 16: the passkey answer that approved an order, kept for its proof
 * artifact. Binary fields base64url. A create has an attestation object, a
 * get has authenticator data and a signature. */
typedef struct {
  char *order_id;
  char *credential_id;
  char *client_data_json;
  char *attestation_object;      /* create, else NULL */
  char *authenticator_data;      /* get, else NULL */
  char *signature;               /* get, else NULL */
} CompanionWebauthnProof;

void  companion_passkey_free        (CompanionPasskey       *passkey);
void  companion_webauthn_proof_free (CompanionWebauthnProof *proof);

void  companion_user_free    (CompanionUser    *user);
void  companion_session_free (CompanionSession *session);
void  companion_event_free   (CompanionEvent   *event);
void  companion_nimiq_nonce_free (CompanionNimiqNonce *nonce);

#define COMPANION_TYPE_STORE (companion_store_get_type ())
G_DECLARE_INTERFACE (CompanionStore, companion_store, COMPANION, STORE, GObject)

/* Signal "event-committed" (const char *order_id, gint64 seq,
 * CrossingStatus status, const char *data): emitted once per order event,
 * right after the transaction that appended it committed and before the
 * store call returns; never for a change that did not commit. The event
 * hub fans out from it. A backend that learns of other processes' commits
 * (PostgreSQL LISTEN) emits it for those too. */

/* A table of declarations, aligned as one (uncrustify would align each
 * on its own). */
/* *INDENT-OFF* */
struct _CompanionStoreInterface
{
  GTypeInterface parent_iface;

  const char      *(*get_backend_name)  (CompanionStore             *self);
  void             (*close)             (CompanionStore             *self);
  gboolean         (*insert_order)      (CompanionStore             *self,
                                         const CompanionOrder       *order,
                                         GError                    **error);
  CompanionOrder  *(*get_order)         (CompanionStore             *self,
                                         const char                 *order_id,
                                         GError                    **error);
  gboolean         (*transition)        (CompanionStore             *self,
                                         const char                 *order_id,
                                         guint                       from_mask,
                                         const CompanionOrderChange *change,
                                         const char                 *event_data,
                                         gint64                     *out_seq,
                                         GError                    **error);
  gboolean         (*add_check_code_failure) (CompanionStore        *self,
                                         const char                 *order_id,
                                         guint                      *out_failures,
                                         GError                    **error);
  gboolean         (*finalize_login)    (CompanionStore             *self,
                                         const char                 *order_id,
                                         const CompanionLoginFinalize *login,
                                         const char                 *event_data,
                                         CompanionUser             **out_user,
                                         gint64                     *out_seq,
                                         GError                    **error);
  GPtrArray       *(*list_events)       (CompanionStore             *self,
                                         const char                 *order_id,
                                         gint64                      after_seq,
                                         GError                    **error);
  GPtrArray       *(*list_due_orders)   (CompanionStore             *self,
                                         gint64                      now,
                                         guint                       limit,
                                         GError                    **error);
  gint64           (*next_expiry)       (CompanionStore             *self,
                                         GError                    **error);
  guint64          (*count_pending)     (CompanionStore             *self,
                                         GError                    **error);
  gboolean         (*add_user)          (CompanionStore             *self,
                                         const CompanionUser        *user,
                                         GError                    **error);
  CompanionUser   *(*get_user_by_subject) (CompanionStore           *self,
                                         const char                 *subject,
                                         GError                    **error);
  GPtrArray       *(*list_users)        (CompanionStore             *self,
                                         GError                    **error);
  gboolean         (*remove_user)       (CompanionStore             *self,
                                         const char                 *subject,
                                         GError                    **error);
  gboolean         (*lookup_session)    (CompanionStore             *self,
                                         const char                 *token_hash,
                                         gint64                      now,
                                         CompanionSession          **out_session,
                                         CompanionUser             **out_user,
                                         GError                    **error);
  gboolean         (*delete_session)    (CompanionStore             *self,
                                         const char                 *token_hash,
                                         GError                    **error);
  CompanionOrder  *(*get_order_by_challenge_hash) (CompanionStore   *self,
                                         const char                 *challenge_id_hash,
                                         GError                    **error);
  gboolean         (*insert_nimiq_nonce) (CompanionStore            *self,
                                         const CompanionNimiqNonce  *nonce,
                                         GError                    **error);
  CompanionNimiqNonce *(*consume_nimiq_nonce) (CompanionStore       *self,
                                         const char                 *id_hash,
                                         gint64                      now,
                                         GError                    **error);
  guint64          (*count_nimiq_nonces) (CompanionStore            *self,
                                         gint64                      now,
                                         GError                    **error);
  guint64          (*sweep_nimiq_nonces) (CompanionStore            *self,
                                         gint64                      now,
                                         GError                    **error);
  /* issue 14: status polling */
  gboolean         (*update_poll)       (CompanionStore             *self,
                                         const char                 *order_id,
                                         gint64                      seen_last_poll_at,
                                         guint                       seen_interval,
                                         gint64                      last_poll_at,
                                         guint                       interval,
                                         GError                    **error);
  /* issue 14: user codes */
  guint64          (*count_user_codes)  (CompanionStore             *self,
                                         gint64                      now,
                                         GError                    **error);
  CompanionOrder  *(*get_order_by_user_code) (CompanionStore        *self,
                                         const char                 *user_code_hash,
                                         gint64                      now,
                                         GError                    **error);
  gboolean         (*get_user_code_misses) (CompanionStore          *self,
                                         const char                 *scope,
                                         gint64                      now,
                                         CompanionMissWindow        *out,
                                         GError                    **error);
  gboolean         (*add_user_code_miss) (CompanionStore            *self,
                                         const char                 *scope,
                                         gint64                      now,
                                         gint64                      window_ms,
                                         CompanionMissWindow        *out,
                                         GError                    **error);
  /* issue 14: identified orders */
  gboolean         (*add_subject_mismatch) (CompanionStore          *self,
                                         const char                 *order_id,
                                         guint                      *out_mismatches,
                                         GError                    **error);
  /* issue 16: passkeys */
  gboolean         (*add_passkey)       (CompanionStore             *self,
                                         const CompanionPasskey     *passkey,
                                         GError                    **error);
  CompanionPasskey *(*get_passkey)      (CompanionStore             *self,
                                         const char                 *credential_id,
                                         GError                    **error);
  gboolean         (*use_passkey)       (CompanionStore             *self,
                                         const char                 *credential_id,
                                         guint32                     seen_sign_count,
                                         guint32                     sign_count,
                                         gboolean                    backup_state,
                                         gint64                      now,
                                         GError                    **error);
  gboolean         (*put_webauthn_proof) (CompanionStore            *self,
                                         const CompanionWebauthnProof *proof,
                                         GError                    **error);
  CompanionWebauthnProof *(*get_webauthn_proof) (CompanionStore     *self,
                                         const char                 *order_id,
                                         GError                    **error);

  /* Users by id and their role; the ledger (companion-ledger-record.h). */
  CompanionUser   *(*get_user_by_id)    (CompanionStore             *self,
                                         const char                 *user_id,
                                         GError                    **error);
  gboolean         (*set_user_role)     (CompanionStore             *self,
                                         const char                 *subject,
                                         CompanionRole               role,
                                         GError                    **error);
  gboolean         (*ledger_post)       (CompanionStore             *self,
                                         const CompanionLedgerPosting *posting,
                                         CompanionLedgerResult      *out_result,
                                         GError                    **error);
  gboolean         (*ledger_get_balance) (CompanionStore            *self,
                                         const char                 *user_id,
                                         const char                 *asset,
                                         gint64                      now,
                                         CompanionLedgerBalance     *out_balance,
                                         GError                    **error);
  GPtrArray       *(*ledger_list_entries) (CompanionStore           *self,
                                         const char                 *user_id,
                                         const char                 *asset,
                                         gint64                      before_seq,
                                         guint                       limit,
                                         GError                    **error);
  CompanionLedgerHold *(*ledger_get_hold) (CompanionStore           *self,
                                         const char                 *hold_id,
                                         GError                    **error);
  GPtrArray       *(*ledger_list_due_holds) (CompanionStore         *self,
                                         gint64                      now,
                                         guint                       limit,
                                         GError                    **error);
  gint64           (*ledger_next_hold_expiry) (CompanionStore       *self,
                                         GError                    **error);
};

/* Every function fails with a COMPANION_STORE_ERROR, never another domain;
 * a message is for the log, never for a response (it may name a file or
 * quote the database). */

/* Picks the backend from @uri: a plain path, "sqlite:PATH" or
 * "sqlite://PATH" is SQLite (":memory:" too); any other "scheme://" fails
 * with UNSUPPORTED, naming the backends built in. */
CompanionStore  *companion_store_open           (const char                 *uri,
                                                 GError                    **error);
/* "sqlite", "postgresql": what /health reports. */
const char      *companion_store_get_backend_name (CompanionStore           *self);
/* Lets go of the database; every later call fails with UNAVAILABLE. */
void             companion_store_close          (CompanionStore             *self);

/* CONFLICT when the id exists. */
gboolean         companion_store_insert_order   (CompanionStore             *self,
                                                 const CompanionOrder       *order,
                                                 GError                    **error);
/* NOT_FOUND when there is no such order; CORRUPT for a row this program
 * cannot read (a status or kind from a later version). */
CompanionOrder  *companion_store_get_order      (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 GError                    **error);
/* The compare-and-set: applies @change when the order's status is one of
 * @from_mask (COMPANION_STATUS_BIT()s) and only_if_expires_by holds, and
 * appends the event @event_data in the same transaction. CONFLICT when it
 * did not apply (also for no such order); "event-committed" after commit.
 * issue 12: a hold attached to the order (CompanionLedgerPosting.order)
 * settles in the same transaction: to approved captures all of it, or the
 * transition fails with HOLD_NOT_HELD or HOLD_EXPIRED and nothing is
 * written; to rejected, cancelled or expired releases it (reason
 * order_rejected, order_cancelled, order_expired) when it is still held. */
gboolean         companion_store_transition     (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 guint                       from_mask,
                                                 const CompanionOrderChange *change,
                                                 const char                 *event_data,
                                                 gint64                     *out_seq,
                                                 GError                    **error);
/* Counts a wrong check code on a claimed or waiting order; CONFLICT when
 * the order is in another state. */
gboolean         companion_store_add_check_code_failure (CompanionStore     *self,
                                                 const char                 *order_id,
                                                 guint                      *out_failures,
                                                 GError                    **error);
/* approved -> finalized, the user (found by subject, or created when
 * @login->create_user) and the session, all or nothing. CONFLICT when the
 * order is not approved (a lost race); NOT_FOUND when the user does not
 * exist and may not be created. "event-committed" after commit. With
 * @order_id and @event_data NULL, a sign-in without an order: only the
 * user and the session. */
gboolean         companion_store_finalize_login (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 const CompanionLoginFinalize *login,
                                                 const char                 *event_data,
                                                 CompanionUser             **out_user,
                                                 gint64                     *out_seq,
                                                 GError                    **error);
/* Events with seq > @after_seq, oldest first (CompanionEvent); empty for an
 * unknown order. */
GPtrArray       *companion_store_list_events    (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 gint64                      after_seq,
                                                 GError                    **error);
/* Non-terminal orders whose expires_at <= @now, earliest first, at most
 * @limit (CompanionOrder); rows this program cannot read are skipped. */
GPtrArray       *companion_store_list_due_orders (CompanionStore            *self,
                                                 gint64                      now,
                                                 guint                       limit,
                                                 GError                    **error);
/* The earliest expires_at of a non-terminal order, or G_MAXINT64 (also on
 * error). */
gint64           companion_store_next_expiry    (CompanionStore             *self,
                                                 GError                    **error);
/* How many orders are not terminal yet (0 on error). */
guint64          companion_store_count_pending  (CompanionStore             *self,
                                                 GError                    **error);
/* CONFLICT when a user with that subject (or id) exists. */
gboolean         companion_store_add_user       (CompanionStore             *self,
                                                 const CompanionUser        *user,
                                                 GError                    **error);
/* NOT_FOUND when there is none. */
CompanionUser   *companion_store_get_user_by_subject (CompanionStore        *self,
                                                 const char                 *subject,
                                                 GError                    **error);
/* Oldest first (CompanionUser). */
GPtrArray       *companion_store_list_users     (CompanionStore             *self,
                                                 GError                    **error);
/* Removes the user and their sessions; NOT_FOUND when there was none. */
gboolean         companion_store_remove_user    (CompanionStore             *self,
                                                 const char                 *subject,
                                                 GError                    **error);
/* The live session with that token hash (compared in constant time) and
 * its user; NOT_FOUND when there is none or it has expired at @now. */
gboolean         companion_store_lookup_session (CompanionStore             *self,
                                                 const char                 *token_hash,
                                                 gint64                      now,
                                                 CompanionSession          **out_session,
                                                 CompanionUser             **out_user,
                                                 GError                    **error);
/* TRUE also when there was no such session (signing out twice is fine). */
gboolean         companion_store_delete_session (CompanionStore             *self,
                                                 const char                 *token_hash,
                                                 GError                    **error);
/* The order whose challenge_id_hash is @challenge_id_hash (only mobile-QR
 * orders have one); NOT_FOUND when there is none. */
CompanionOrder  *companion_store_get_order_by_challenge_hash (CompanionStore *self,
                                                 const char                 *challenge_id_hash,
                                                 GError                    **error);

/* For backends: emits "event-committed". */
void             companion_store_emit_event_committed (CompanionStore       *self,
                                                 const char                 *order_id,
                                                 gint64                      seq,
                                                 CrossingStatus              status,
                                                 const char                 *data);

/* Called after every store call with how long it took, for the metrics. */
typedef void (*CompanionStoreLatencyFunc) (gint64   microseconds,
                                           gpointer user_data);
/* One observer per store; NULL removes it. */
void             companion_store_set_latency_observer (CompanionStore            *self,
                                                       CompanionStoreLatencyFunc  func,
                                                       gpointer                   user_data);

/* CONFLICT when a nonce with the same id_hash exists. */
gboolean         companion_store_insert_nimiq_nonce (CompanionStore        *self,
                                                 const CompanionNimiqNonce  *nonce,
                                                 GError                    **error);
/* Deletes the nonce and returns it in one step, so of two racing callers
 * only one gets it. NOT_FOUND when there was none, or it had expired by
 * @now (it is deleted all the same). */
CompanionNimiqNonce *companion_store_consume_nimiq_nonce (CompanionStore   *self,
                                                 const char                 *id_hash,
                                                 gint64                      now,
                                                 GError                    **error);
/* Nonces not expired at @now (0 on error): they count as pending orders. */
guint64          companion_store_count_nimiq_nonces (CompanionStore        *self,
                                                 gint64                      now,
                                                 GError                    **error);
/* Deletes the nonces expired at @now; returns how many. */
guint64          companion_store_sweep_nimiq_nonces (CompanionStore        *self,
                                                 gint64                      now,
                                                 GError                    **error);

/* Status polling, a compare-and-set: sets the order's last answered poll
 * and interval when they are still @seen_last_poll_at and @seen_interval
 * (as last read). CONFLICT when they are not, or there is no such order. */
gboolean         companion_store_update_poll    (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 gint64                      seen_last_poll_at,
                                                 guint                       seen_interval,
                                                 gint64                      last_poll_at,
                                                 guint                       interval,
                                                 GError                    **error);
/* User codes. Live codes: orders created, not expired at @now, with a
 * user_code_hash (0 on error). insert_order() is CONFLICT for a hash that
 * another created order holds. */
guint64          companion_store_count_user_codes (CompanionStore           *self,
                                                 gint64                      now,
                                                 GError                    **error);
/* The created order, unexpired at @now, whose code hashes to
 * @user_code_hash; NOT_FOUND when there is none (unknown, claimed, ended). */
CompanionOrder  *companion_store_get_order_by_user_code (CompanionStore     *self,
                                                 const char                 *user_code_hash,
                                                 gint64                      now,
                                                 GError                    **error);
/* The misses of @scope in the window running at @now. */
gboolean         companion_store_get_user_code_misses (CompanionStore       *self,
                                                 const char                 *scope,
                                                 gint64                      now,
                                                 CompanionMissWindow        *out,
                                                 GError                    **error);
/* Counts one miss of @scope at @now (starting a window of @window_ms when
 * none runs) in one atomic step, so companions sharing the store count
 * together; @out is the window after it. Forgets windows that ended. */
gboolean         companion_store_add_user_code_miss (CompanionStore         *self,
                                                 const char                 *scope,
                                                 gint64                      now,
                                                 gint64                      window_ms,
                                                 CompanionMissWindow        *out,
                                                 GError                    **error);
/* Identified orders: counts an approval by another signer on a claimed or
 * waiting order; CONFLICT when the order is in another state. */
gboolean         companion_store_add_subject_mismatch (CompanionStore       *self,
                                                 const char                 *order_id,
                                                 guint                      *out_mismatches,
                                                 GError                    **error);

/* issue 16: passkeys. CONFLICT when the credential id is registered. */
gboolean         companion_store_add_passkey    (CompanionStore             *self,
                                                 const CompanionPasskey     *passkey,
                                                 GError                    **error);
/* NOT_FOUND when there is none. */
CompanionPasskey *companion_store_get_passkey   (CompanionStore             *self,
                                                 const char                 *credential_id,
                                                 GError                    **error);
/* A compare-and-set after a verified assertion: the new sign count, the
 * backup state as the authenticator reports it now, last_used_at = @now,
 * when the stored count is still @seen_sign_count. CONFLICT when it is not
 * (another assertion of the same credential came first), or there is no
 * such passkey. */
gboolean         companion_store_use_passkey    (CompanionStore             *self,
                                                 const char                 *credential_id,
                                                 guint32                     seen_sign_count,
                                                 guint32                     sign_count,
                                                 gboolean                    backup_state,
                                                 gint64                      now,
                                                 GError                    **error);
/* Keeps @proof for its order, replacing what that order had; NOT_FOUND
 * when there is no such order. Gone with the order. */
gboolean         companion_store_put_webauthn_proof (CompanionStore        *self,
                                                 const CompanionWebauthnProof *proof,
                                                 GError                    **error);
/* NOT_FOUND when the order has none. */
CompanionWebauthnProof *companion_store_get_webauthn_proof (CompanionStore *self,
                                                 const char                 *order_id,
                                                 GError                    **error);

/* ---- users by id, roles, and the ledger ---- */

/* NOT_FOUND when there is none. */
CompanionUser   *companion_store_get_user_by_id (CompanionStore             *self,
                                                 const char                 *user_id,
                                                 GError                    **error);
/* NOT_FOUND when no user has @subject. */
gboolean         companion_store_set_user_role  (CompanionStore             *self,
                                                 const char                 *subject,
                                                 CompanionRole               role,
                                                 GError                    **error);
/* One write transaction (companion-ledger-record.h): the idempotency key
 * first (REPLAYED, KEY_CONFLICT), then the user or hold, then the balance
 * check against the live balance at @posting->now; when all pass, the
 * entry, the balance, the hold and the key with the answer
 * @posting->respond builds. Returns TRUE with @out_result->outcome saying
 * what happened (nothing is written unless APPLIED); FALSE only for a store
 * error. Clear @out_result with companion_ledger_result_clear(). */
gboolean         companion_store_ledger_post    (CompanionStore             *self,
                                                 const CompanionLedgerPosting *posting,
                                                 CompanionLedgerResult      *out_result,
                                                 GError                    **error);
/* The balance of (@user_id, @asset) at @now: zeros when nothing was ever
 * posted; holds past their expiry do not count in reserved. */
gboolean         companion_store_ledger_get_balance (CompanionStore         *self,
                                                 const char                 *user_id,
                                                 const char                 *asset,
                                                 gint64                      now,
                                                 CompanionLedgerBalance     *out_balance,
                                                 GError                    **error);
/* @user_id's entries (of @asset, or all when NULL) with seq < @before_seq
 * (0: from the newest), newest first, at most @limit
 * (CompanionLedgerEntry). */
GPtrArray       *companion_store_ledger_list_entries (CompanionStore        *self,
                                                 const char                 *user_id,
                                                 const char                 *asset,
                                                 gint64                      before_seq,
                                                 guint                       limit,
                                                 GError                    **error);
/* NOT_FOUND when there is none. */
CompanionLedgerHold *companion_store_ledger_get_hold (CompanionStore        *self,
                                                 const char                 *hold_id,
                                                 GError                    **error);
/* Holds still held whose expires_at <= @now, earliest first, at most
 * @limit (CompanionLedgerHold). */
GPtrArray       *companion_store_ledger_list_due_holds (CompanionStore      *self,
                                                 gint64                      now,
                                                 guint                       limit,
                                                 GError                    **error);
/* The earliest expires_at of a held hold, or G_MAXINT64 (also on error). */
gint64           companion_store_ledger_next_hold_expiry (CompanionStore    *self,
                                                 GError                    **error);
/* *INDENT-ON* */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionUser, companion_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionSession, companion_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionEvent, companion_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionNimiqNonce, companion_nimiq_nonce_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionPasskey, companion_passkey_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionWebauthnProof, companion_webauthn_proof_free)

G_END_DECLS
