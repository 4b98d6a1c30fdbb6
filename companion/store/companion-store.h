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

#include "companion-order.h"

G_BEGIN_DECLS

typedef struct {
  char   *id;
  char   *subject;
  char   *name;        /* may be NULL */
  gint64  created_at;
} CompanionUser;

typedef struct {
  char   *id;
  char   *user_id;
  char   *order_id;
  gint64  created_at;
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
 * created and the order finalized, all or nothing. */
typedef struct {
  const char *subject;
  gboolean    create_user;
  const char *new_user_id;
  const char *session_id;
  const char *session_token_hash;
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

void  companion_user_free    (CompanionUser    *user);
void  companion_session_free (CompanionSession *session);
void  companion_event_free   (CompanionEvent   *event);
void  companion_nimiq_nonce_free (CompanionNimiqNonce *nonce);

#define COMPANION_TYPE_STORE (companion_store_get_type ())
G_DECLARE_INTERFACE (CompanionStore, companion_store, COMPANION, STORE, GObject)

struct _CompanionStoreInterface
{
  GTypeInterface parent_iface;

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
  /* A sign-in without an order (features/nimiq). */
  gboolean         (*sign_in_subject)   (CompanionStore             *self,
                                         const CompanionLoginFinalize *login,
                                         CompanionUser             **out_user,
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
};

/* Errors are in CROSSING_ERROR: CROSSING_ERROR_INTERNAL for a database
 * failure (its message is for the log, never for a response),
 * CROSSING_ERROR_TRANSITION_RACE when a compare-and-set found another status,
 * CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN when a login finalize may
 * not create a user that does not exist. */

gboolean         companion_store_insert_order   (CompanionStore             *self,
                                                 const CompanionOrder       *order,
                                                 GError                    **error);
/* NULL without an error when there is no such order. */
CompanionOrder  *companion_store_get_order      (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 GError                    **error);
gboolean         companion_store_transition     (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 guint                       from_mask,
                                                 const CompanionOrderChange *change,
                                                 const char                 *event_data,
                                                 gint64                     *out_seq,
                                                 GError                    **error);
/* Counts a wrong check code on a claimed or waiting order. */
gboolean         companion_store_add_check_code_failure (CompanionStore     *self,
                                                 const char                 *order_id,
                                                 guint                      *out_failures,
                                                 GError                    **error);
gboolean         companion_store_finalize_login (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 const CompanionLoginFinalize *login,
                                                 const char                 *event_data,
                                                 CompanionUser             **out_user,
                                                 gint64                     *out_seq,
                                                 GError                    **error);
/* Events with seq > @after_seq, oldest first (CompanionEvent). */
GPtrArray       *companion_store_list_events    (CompanionStore             *self,
                                                 const char                 *order_id,
                                                 gint64                      after_seq,
                                                 GError                    **error);
/* Non-terminal orders whose expires_at <= @now (CompanionOrder). */
GPtrArray       *companion_store_list_due_orders (CompanionStore            *self,
                                                 gint64                      now,
                                                 guint                       limit,
                                                 GError                    **error);
/* The earliest expires_at of a non-terminal order, or G_MAXINT64. */
gint64           companion_store_next_expiry    (CompanionStore             *self,
                                                 GError                    **error);
/* How many orders are not terminal yet (0 on error). */
guint64          companion_store_count_pending  (CompanionStore             *self,
                                                 GError                    **error);
gboolean         companion_store_add_user       (CompanionStore             *self,
                                                 const CompanionUser        *user,
                                                 GError                    **error);
CompanionUser   *companion_store_get_user_by_subject (CompanionStore        *self,
                                                 const char                 *subject,
                                                 GError                    **error);
GPtrArray       *companion_store_list_users     (CompanionStore             *self,
                                                 GError                    **error);
/* FALSE without an error when there was no such user. */
gboolean         companion_store_remove_user    (CompanionStore             *self,
                                                 const char                 *subject,
                                                 GError                    **error);
/* FALSE without an error when no live session has that token hash. */
gboolean         companion_store_lookup_session (CompanionStore             *self,
                                                 const char                 *token_hash,
                                                 gint64                      now,
                                                 CompanionSession          **out_session,
                                                 CompanionUser             **out_user,
                                                 GError                    **error);
gboolean         companion_store_delete_session (CompanionStore             *self,
                                                 const char                 *token_hash,
                                                 GError                    **error);
/* Finds the user of @login's subject (or creates it when create_user) and
 * creates the session, all or nothing; order_id is unused. Without the user
 * under create_user FALSE: CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN. */
gboolean         companion_store_sign_in_subject (CompanionStore           *self,
                                                 const CompanionLoginFinalize *login,
                                                 CompanionUser             **out_user,
                                                 GError                    **error);
gboolean         companion_store_insert_nimiq_nonce (CompanionStore        *self,
                                                 const CompanionNimiqNonce  *nonce,
                                                 GError                    **error);
/* Deletes the nonce and returns it in one step, so of two racing callers
 * only one gets it. NULL without an error when there was none, or it had
 * expired by @now (it is deleted all the same). */
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionUser, companion_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionSession, companion_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionEvent, companion_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionNimiqNonce, companion_nimiq_nonce_free)

G_END_DECLS
