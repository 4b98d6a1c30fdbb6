/* companion-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include <string.h>

#include "companion-store.h"
#include "companion-store-marshal.h"
#include "companion-sqlite-store.h"

G_DEFINE_QUARK (companion-store-error-quark, companion_store_error)

G_DEFINE_INTERFACE (CompanionStore, companion_store, G_TYPE_OBJECT)

enum {
  EVENT_COMMITTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
companion_store_default_init (CompanionStoreInterface *iface)
{
  /* Emitted for every committed event: a generated marshaller calls the
   * handlers directly, where the generic one goes through libffi. (No
   * va_list marshaller: GLib skips the GValues only for an object type's
   * signals, not an interface's.) */
  signals[EVENT_COMMITTED] =
    g_signal_new ("event-committed",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  companion_store_marshal_VOID__STRING_INT64_INT_STRING,
                  G_TYPE_NONE,
                  4,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64,
                  G_TYPE_INT,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static const char *role_names[] = { "user", "admin" };

const char *
companion_role_to_string (CompanionRole role)
{
  if ((guint) role >= G_N_ELEMENTS (role_names))
    return NULL;
  return role_names[role];
}

int
companion_role_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (role_names); i++)
    if (strcmp (str, role_names[i]) == 0)
      return (int) i;
  return -1;
}

/* "scheme" of "scheme://…", or NULL for a plain path. */
static char *
uri_scheme (const char *uri)
{
  const char *p = uri;

  if (!g_ascii_isalpha (*p))
    return NULL;
  while (g_ascii_isalnum (*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  if (!g_str_has_prefix (p, "://"))
    return NULL;
  return g_ascii_strdown (uri, p - uri);
}

CompanionStore *
companion_store_open (const char  *uri,
                      GError     **error)
{
  g_autofree char *scheme = NULL;
  const char *path = uri;

  g_return_val_if_fail (uri != NULL, NULL);

  if (g_str_has_prefix (uri, "sqlite://"))
    path = uri + strlen ("sqlite://");
  else if (g_str_has_prefix (uri, "sqlite:"))
    path = uri + strlen ("sqlite:");
  else if ((scheme = uri_scheme (uri)) != NULL)
    {
      g_set_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED,
                   "The store backend \"%s\" is not built into this companion "
                   "(built in: sqlite; give a file path or sqlite:PATH)", scheme);
      return NULL;
    }

  if (*path == '\0')
    {
      g_set_error_literal (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_FAILED,
                           "The store URI names no database file");
      return NULL;
    }

  return (CompanionStore *) companion_sqlite_store_open (path, error);
}

void
companion_store_emit_event_committed (CompanionStore *self,
                                      const char     *order_id,
                                      gint64          seq,
                                      CrossingStatus  status,
                                      const char     *data)
{
  g_return_if_fail (COMPANION_IS_STORE (self));
  g_signal_emit (self, signals[EVENT_COMMITTED], 0, order_id, seq, (int) status, data);
}

CompanionOrder *
companion_order_new (void)
{
  return g_new0 (CompanionOrder, 1);
}

void
companion_order_free (CompanionOrder *order)
{
  if (order == NULL)
    return;

  g_free (order->id);
  g_free (order->claim_token_hash);
  g_free (order->desktop_token_hash);
  g_free (order->event_token_hash);
  g_free (order->challenge_token_hash);
  g_free (order->origin);
  g_free (order->return_to);
  g_free (order->title);
  g_free (order->summary);
  g_free (order->payload_hash);
  g_free (order->app_name);
  g_free (order->challenge_id);
  g_free (order->nonce);
  g_free (order->message);
  g_free (order->requester_ip);
  g_free (order->requester_user_agent);
  g_free (order->check_code);
  g_free (order->subject);
  g_free (order->public_key_hex);
  g_free (order->signature_hex);
  g_free (order->session_id);
  g_free (order->challenge_id_hash);
  g_free (order->user_code_hash);
  g_free (order->extra_details);
  g_free (order->approved_extra);
  g_free (order);
}

void
companion_user_free (CompanionUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->subject);
  g_free (user->name);
  g_free (user);
}

void
companion_session_free (CompanionSession *session)
{
  if (session == NULL)
    return;
  g_free (session->id);
  g_free (session->user_id);
  g_free (session->order_id);
  g_free (session->ip_address);
  g_free (session->user_agent);
  g_free (session);
}

void
companion_event_free (CompanionEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->data);
  g_free (event);
}

void
companion_nimiq_nonce_free (CompanionNimiqNonce *nonce)
{
  if (nonce == NULL)
    return;
  g_free (nonce->id_hash);
  g_free (nonce->nonce);
  g_free (nonce->origin);
  g_free (nonce->app_name);
  g_free (nonce);
}

#define IFACE(self) COMPANION_STORE_GET_IFACE (self)

static GQuark
latency_observer_quark (void)
{
  static GQuark quark;

  if (quark == 0)
    quark = g_quark_from_static_string ("companion-store-latency-observer");
  return quark;
}

typedef struct {
  CompanionStoreLatencyFunc func;
  gpointer                  data;
} LatencyObserver;

void
companion_store_set_latency_observer (CompanionStore            *self,
                                      CompanionStoreLatencyFunc  func,
                                      gpointer                   user_data)
{
  LatencyObserver *observer = NULL;

  g_return_if_fail (COMPANION_IS_STORE (self));

  if (func != NULL)
    {
      observer = g_new0 (LatencyObserver, 1);
      observer->func = func;
      observer->data = user_data;
    }
  g_object_set_qdata_full (G_OBJECT (self), latency_observer_quark (), observer, g_free);
}

/* 0, or the time a call starts when someone observes them. */
static gint64
latency_start (CompanionStore *self)
{
  return g_object_get_qdata (G_OBJECT (self), latency_observer_quark ()) != NULL
           ? g_get_monotonic_time ()
           : 0;
}

static void
latency_end (CompanionStore *self,
             gint64          start)
{
  LatencyObserver *observer = g_object_get_qdata (G_OBJECT (self), latency_observer_quark ());

  if (observer != NULL && start != 0)
    observer->func (g_get_monotonic_time () - start, observer->data);
}

/* Runs one store call, and tells the observer how long it took. */
#define TIMED(self, call)                    \
  ({                                         \
    gint64 start_ = latency_start (self);    \
    __auto_type result_ = (call);            \
                                             \
    latency_end (self, start_);              \
    result_;                                 \
  })

const char *
companion_store_get_backend_name (CompanionStore *self)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return IFACE (self)->get_backend_name (self);
}

void
companion_store_close (CompanionStore *self)
{
  g_return_if_fail (COMPANION_IS_STORE (self));
  IFACE (self)->close (self);
}

gboolean
companion_store_insert_order (CompanionStore        *self,
                              const CompanionOrder  *order,
                              GError               **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order != NULL, FALSE);
  return TIMED (self, IFACE (self)->insert_order (self, order, error));
}

CompanionOrder *
companion_store_get_order (CompanionStore  *self,
                           const char      *order_id,
                           GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (order_id != NULL, NULL);
  return TIMED (self, IFACE (self)->get_order (self, order_id, error));
}

gboolean
companion_store_transition (CompanionStore              *self,
                            const char                  *order_id,
                            guint                        from_mask,
                            const CompanionOrderChange  *change,
                            const char                  *event_data,
                            gint64                      *out_seq,
                            GError                     **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order_id != NULL && change != NULL && event_data != NULL, FALSE);
  return TIMED (self, IFACE (self)->transition (self, order_id, from_mask, change, event_data,
                                                out_seq, error));
}

gboolean
companion_store_add_check_code_failure (CompanionStore  *self,
                                        const char      *order_id,
                                        guint           *out_failures,
                                        GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);
  return TIMED (self, IFACE (self)->add_check_code_failure (self, order_id, out_failures, error));
}

gboolean
companion_store_finalize_login (CompanionStore                *self,
                                const char                    *order_id,
                                const CompanionLoginFinalize  *login,
                                const char                    *event_data,
                                CompanionUser                **out_user,
                                gint64                        *out_seq,
                                GError                       **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (login != NULL && (order_id == NULL) == (event_data == NULL), FALSE);
  return TIMED (self, IFACE (self)->finalize_login (self, order_id, login, event_data, out_user,
                                                    out_seq, error));
}

GPtrArray *
companion_store_list_events (CompanionStore  *self,
                             const char      *order_id,
                             gint64           after_seq,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (order_id != NULL, NULL);
  return TIMED (self, IFACE (self)->list_events (self, order_id, after_seq, error));
}

GPtrArray *
companion_store_list_due_orders (CompanionStore  *self,
                                 gint64           now,
                                 guint            limit,
                                 GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return TIMED (self, IFACE (self)->list_due_orders (self, now, limit, error));
}

gint64
companion_store_next_expiry (CompanionStore  *self,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), G_MAXINT64);
  return TIMED (self, IFACE (self)->next_expiry (self, error));
}

guint64
companion_store_count_pending (CompanionStore  *self,
                               GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return TIMED (self, IFACE (self)->count_pending (self, error));
}

gboolean
companion_store_add_user (CompanionStore       *self,
                          const CompanionUser  *user,
                          GError              **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL && user->subject != NULL, FALSE);
  return TIMED (self, IFACE (self)->add_user (self, user, error));
}

CompanionUser *
companion_store_get_user_by_subject (CompanionStore  *self,
                                     const char      *subject,
                                     GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (subject != NULL, NULL);
  return TIMED (self, IFACE (self)->get_user_by_subject (self, subject, error));
}

GPtrArray *
companion_store_list_users (CompanionStore  *self,
                            GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return TIMED (self, IFACE (self)->list_users (self, error));
}

gboolean
companion_store_remove_user (CompanionStore  *self,
                             const char      *subject,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (subject != NULL, FALSE);
  return TIMED (self, IFACE (self)->remove_user (self, subject, error));
}

gboolean
companion_store_lookup_session (CompanionStore     *self,
                                const char         *token_hash,
                                gint64              now,
                                CompanionSession  **out_session,
                                CompanionUser     **out_user,
                                GError            **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  return TIMED (self, IFACE (self)->lookup_session (self, token_hash, now, out_session, out_user,
                                                    error));
}

gboolean
companion_store_delete_session (CompanionStore  *self,
                                const char      *token_hash,
                                GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  return TIMED (self, IFACE (self)->delete_session (self, token_hash, error));
}

CompanionOrder *
companion_store_get_order_by_challenge_hash (CompanionStore  *self,
                                             const char      *challenge_id_hash,
                                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (challenge_id_hash != NULL, NULL);
  return TIMED (self, IFACE (self)->get_order_by_challenge_hash (self, challenge_id_hash, error));
}

gboolean
companion_store_insert_nimiq_nonce (CompanionStore             *self,
                                    const CompanionNimiqNonce  *nonce,
                                    GError                    **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (nonce != NULL && nonce->id_hash != NULL, FALSE);
  return TIMED (self, IFACE (self)->insert_nimiq_nonce (self, nonce, error));
}

CompanionNimiqNonce *
companion_store_consume_nimiq_nonce (CompanionStore  *self,
                                     const char      *id_hash,
                                     gint64           now,
                                     GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (id_hash != NULL, NULL);
  return TIMED (self, IFACE (self)->consume_nimiq_nonce (self, id_hash, now, error));
}

guint64
companion_store_count_nimiq_nonces (CompanionStore  *self,
                                    gint64           now,
                                    GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return TIMED (self, IFACE (self)->count_nimiq_nonces (self, now, error));
}

guint64
companion_store_sweep_nimiq_nonces (CompanionStore  *self,
                                    gint64           now,
                                    GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return TIMED (self, IFACE (self)->sweep_nimiq_nonces (self, now, error));
}

gboolean
companion_store_update_poll (CompanionStore  *self,
                             const char      *order_id,
                             gint64           seen_last_poll_at,
                             guint            seen_interval,
                             gint64           last_poll_at,
                             guint            interval,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);
  return TIMED (self, IFACE (self)->update_poll (self, order_id, seen_last_poll_at, seen_interval,
                                                 last_poll_at, interval, error));
}

guint64
companion_store_count_user_codes (CompanionStore  *self,
                                  gint64           now,
                                  GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return TIMED (self, IFACE (self)->count_user_codes (self, now, error));
}

CompanionOrder *
companion_store_get_order_by_user_code (CompanionStore  *self,
                                        const char      *user_code_hash,
                                        gint64           now,
                                        GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (user_code_hash != NULL, NULL);
  return TIMED (self, IFACE (self)->get_order_by_user_code (self, user_code_hash, now, error));
}

gboolean
companion_store_get_user_code_misses (CompanionStore      *self,
                                      const char          *scope,
                                      gint64               now,
                                      CompanionMissWindow *out,
                                      GError             **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (scope != NULL && out != NULL, FALSE);
  return TIMED (self, IFACE (self)->get_user_code_misses (self, scope, now, out, error));
}

gboolean
companion_store_add_user_code_miss (CompanionStore      *self,
                                    const char          *scope,
                                    gint64               now,
                                    gint64               window_ms,
                                    CompanionMissWindow *out,
                                    GError             **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (scope != NULL && window_ms > 0 && out != NULL, FALSE);
  return TIMED (self, IFACE (self)->add_user_code_miss (self, scope, now, window_ms, out, error));
}

gboolean
companion_store_add_subject_mismatch (CompanionStore  *self,
                                      const char      *order_id,
                                      guint           *out_mismatches,
                                      GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order_id != NULL && out_mismatches != NULL, FALSE);
  return TIMED (self, IFACE (self)->add_subject_mismatch (self, order_id, out_mismatches, error));
}

/* issue 16: passkeys */

void
companion_passkey_free (CompanionPasskey *passkey)
{
  if (passkey == NULL)
    return;
  g_free (passkey->credential_id);
  g_free (passkey->public_key_cose);
  g_free (passkey->transports);
  g_free (passkey->attestation_format);
  g_free (passkey);
}

void
companion_webauthn_proof_free (CompanionWebauthnProof *proof)
{
  if (proof == NULL)
    return;
  g_free (proof->order_id);
  g_free (proof->credential_id);
  g_free (proof->client_data_json);
  g_free (proof->attestation_object);
  g_free (proof->authenticator_data);
  g_free (proof->signature);
  g_free (proof);
}

gboolean
companion_store_add_passkey (CompanionStore          *self,
                             const CompanionPasskey  *passkey,
                             GError                 **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (passkey != NULL && passkey->credential_id != NULL &&
                        passkey->public_key_cose != NULL &&
                        passkey->attestation_format != NULL, FALSE);
  return TIMED (self, IFACE (self)->add_passkey (self, passkey, error));
}

CompanionPasskey *
companion_store_get_passkey (CompanionStore  *self,
                             const char      *credential_id,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (credential_id != NULL, NULL);
  return TIMED (self, IFACE (self)->get_passkey (self, credential_id, error));
}

gboolean
companion_store_use_passkey (CompanionStore  *self,
                             const char      *credential_id,
                             guint32          seen_sign_count,
                             guint32          sign_count,
                             gboolean         backup_state,
                             gint64           now,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (credential_id != NULL, FALSE);
  return TIMED (self, IFACE (self)->use_passkey (self, credential_id, seen_sign_count,
                                                 sign_count, backup_state, now, error));
}

gboolean
companion_store_put_webauthn_proof (CompanionStore                *self,
                                    const CompanionWebauthnProof  *proof,
                                    GError                       **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (proof != NULL && proof->order_id != NULL &&
                        proof->credential_id != NULL && proof->client_data_json != NULL, FALSE);
  return TIMED (self, IFACE (self)->put_webauthn_proof (self, proof, error));
}

CompanionWebauthnProof *
companion_store_get_webauthn_proof (CompanionStore  *self,
                                    const char      *order_id,
                                    GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (order_id != NULL, NULL);
  return TIMED (self, IFACE (self)->get_webauthn_proof (self, order_id, error));
}

/* ---- users by id, roles, and the ledger ---------------------------------- */

static const char *hold_status_names[] = { "held", "captured", "released", "expired" };

const char *
companion_hold_status_to_string (CompanionHoldStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (hold_status_names))
    return NULL;
  return hold_status_names[status];
}

int
companion_hold_status_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (hold_status_names); i++)
    if (strcmp (str, hold_status_names[i]) == 0)
      return (int) i;
  return -1;
}

void
companion_ledger_entry_free (CompanionLedgerEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->user_id);
  g_free (entry->type);
  g_free (entry->asset);
  g_free (entry->reason);
  g_free (entry->hold_id);
  g_free (entry->order_id);
  g_free (entry);
}

void
companion_ledger_hold_free (CompanionLedgerHold *hold)
{
  if (hold == NULL)
    return;
  g_free (hold->id);
  g_free (hold->user_id);
  g_free (hold->asset);
  g_free (hold->reason);
  g_free (hold->order_id);
  g_free (hold);
}

void
companion_ledger_result_clear (CompanionLedgerResult *result)
{
  g_clear_pointer (&result->entry, companion_ledger_entry_free);
  g_clear_pointer (&result->hold, companion_ledger_hold_free);
  g_clear_pointer (&result->body, g_free);
  g_clear_pointer (&result->cancelled_order_id, g_free);
  memset (result, 0, sizeof *result);
}

CompanionUser *
companion_store_get_user_by_id (CompanionStore  *self,
                                const char      *user_id,
                                GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);
  return TIMED (self, IFACE (self)->get_user_by_id (self, user_id, error));
}

gboolean
companion_store_set_user_role (CompanionStore  *self,
                               const char      *subject,
                               CompanionRole    role,
                               GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (subject != NULL && companion_role_to_string (role) != NULL, FALSE);
  return TIMED (self, IFACE (self)->set_user_role (self, subject, role, error));
}

gboolean
companion_store_ledger_post (CompanionStore                *self,
                             const CompanionLedgerPosting  *posting,
                             CompanionLedgerResult         *out_result,
                             GError                       **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (posting != NULL && out_result != NULL, FALSE);
  g_return_val_if_fail (posting->entry_id != NULL && posting->type != NULL &&
                        posting->reason != NULL, FALSE);
  g_return_val_if_fail ((posting->idempotency_key == NULL) ==
                        (posting->fingerprint == NULL), FALSE);
  g_return_val_if_fail (posting->idempotency_key == NULL || posting->respond != NULL, FALSE);
  return TIMED (self, IFACE (self)->ledger_post (self, posting, out_result, error));
}

gboolean
companion_store_ledger_get_balance (CompanionStore          *self,
                                    const char              *user_id,
                                    const char              *asset,
                                    gint64                   now,
                                    CompanionLedgerBalance  *out_balance,
                                    GError                 **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (user_id != NULL && asset != NULL && out_balance != NULL, FALSE);
  return TIMED (self, IFACE (self)->ledger_get_balance (self, user_id, asset, now, out_balance,
                                                        error));
}

GPtrArray *
companion_store_ledger_list_entries (CompanionStore  *self,
                                     const char      *user_id,
                                     const char      *asset,
                                     gint64           before_seq,
                                     guint            limit,
                                     GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);
  return TIMED (self, IFACE (self)->ledger_list_entries (self, user_id, asset, before_seq, limit,
                                                         error));
}

CompanionLedgerHold *
companion_store_ledger_get_hold (CompanionStore  *self,
                                 const char      *hold_id,
                                 GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (hold_id != NULL, NULL);
  return TIMED (self, IFACE (self)->ledger_get_hold (self, hold_id, error));
}

GPtrArray *
companion_store_ledger_list_due_holds (CompanionStore  *self,
                                       gint64           now,
                                       guint            limit,
                                       GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return TIMED (self, IFACE (self)->ledger_list_due_holds (self, now, limit, error));
}

gint64
companion_store_ledger_next_hold_expiry (CompanionStore  *self,
                                         GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), G_MAXINT64);
  return TIMED (self, IFACE (self)->ledger_next_hold_expiry (self, error));
}
