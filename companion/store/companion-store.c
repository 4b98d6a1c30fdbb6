/* companion-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-store.h"

G_DEFINE_INTERFACE (CompanionStore, companion_store, G_TYPE_OBJECT)

static void
companion_store_default_init (CompanionStoreInterface *iface)
{
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

gboolean
companion_store_insert_order (CompanionStore        *self,
                              const CompanionOrder  *order,
                              GError               **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order != NULL, FALSE);
  return IFACE (self)->insert_order (self, order, error);
}

CompanionOrder *
companion_store_get_order (CompanionStore  *self,
                           const char      *order_id,
                           GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (order_id != NULL, NULL);
  return IFACE (self)->get_order (self, order_id, error);
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
  return IFACE (self)->transition (self, order_id, from_mask, change, event_data, out_seq, error);
}

gboolean
companion_store_add_check_code_failure (CompanionStore  *self,
                                        const char      *order_id,
                                        guint           *out_failures,
                                        GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);
  return IFACE (self)->add_check_code_failure (self, order_id, out_failures, error);
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
  g_return_val_if_fail (order_id != NULL && login != NULL && event_data != NULL, FALSE);
  return IFACE (self)->finalize_login (self, order_id, login, event_data, out_user, out_seq, error);
}

GPtrArray *
companion_store_list_events (CompanionStore  *self,
                             const char      *order_id,
                             gint64           after_seq,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (order_id != NULL, NULL);
  return IFACE (self)->list_events (self, order_id, after_seq, error);
}

GPtrArray *
companion_store_list_due_orders (CompanionStore  *self,
                                 gint64           now,
                                 guint            limit,
                                 GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return IFACE (self)->list_due_orders (self, now, limit, error);
}

gint64
companion_store_next_expiry (CompanionStore  *self,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), G_MAXINT64);
  return IFACE (self)->next_expiry (self, error);
}

guint64
companion_store_count_pending (CompanionStore  *self,
                               GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return IFACE (self)->count_pending (self, error);
}

gboolean
companion_store_add_user (CompanionStore       *self,
                          const CompanionUser  *user,
                          GError              **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL && user->subject != NULL, FALSE);
  return IFACE (self)->add_user (self, user, error);
}

CompanionUser *
companion_store_get_user_by_subject (CompanionStore  *self,
                                     const char      *subject,
                                     GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (subject != NULL, NULL);
  return IFACE (self)->get_user_by_subject (self, subject, error);
}

GPtrArray *
companion_store_list_users (CompanionStore  *self,
                            GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  return IFACE (self)->list_users (self, error);
}

gboolean
companion_store_remove_user (CompanionStore  *self,
                             const char      *subject,
                             GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (subject != NULL, FALSE);
  return IFACE (self)->remove_user (self, subject, error);
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
  return IFACE (self)->lookup_session (self, token_hash, now, out_session, out_user, error);
}

gboolean
companion_store_delete_session (CompanionStore  *self,
                                const char      *token_hash,
                                GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  return IFACE (self)->delete_session (self, token_hash, error);
}

gboolean
companion_store_sign_in_subject (CompanionStore                *self,
                                 const CompanionLoginFinalize  *login,
                                 CompanionUser                **out_user,
                                 GError                       **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (login != NULL && login->subject != NULL, FALSE);
  return IFACE (self)->sign_in_subject (self, login, out_user, error);
}

gboolean
companion_store_insert_nimiq_nonce (CompanionStore             *self,
                                    const CompanionNimiqNonce  *nonce,
                                    GError                    **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), FALSE);
  g_return_val_if_fail (nonce != NULL && nonce->id_hash != NULL, FALSE);
  return IFACE (self)->insert_nimiq_nonce (self, nonce, error);
}

CompanionNimiqNonce *
companion_store_consume_nimiq_nonce (CompanionStore  *self,
                                     const char      *id_hash,
                                     gint64           now,
                                     GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), NULL);
  g_return_val_if_fail (id_hash != NULL, NULL);
  return IFACE (self)->consume_nimiq_nonce (self, id_hash, now, error);
}

guint64
companion_store_count_nimiq_nonces (CompanionStore  *self,
                                    gint64           now,
                                    GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return IFACE (self)->count_nimiq_nonces (self, now, error);
}

guint64
companion_store_sweep_nimiq_nonces (CompanionStore  *self,
                                    gint64           now,
                                    GError         **error)
{
  g_return_val_if_fail (COMPANION_IS_STORE (self), 0);
  return IFACE (self)->sweep_nimiq_nonces (self, now, error);
}
