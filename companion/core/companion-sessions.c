/* companion-sessions.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-sessions"

#include "config.h"

#include <string.h>

#include "crossing-proof.h"
#include "crossing-token.h"

#include "companion-errors.h"
#include "companion-reply.h"
#include "companion-sessions.h"

/* issue 16 */
#define PASSKEY_PREFIX "passkey:"

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       epoch_ms)
{
  g_autofree char *iso = crossing_format_iso8601_ms (epoch_ms);

  companion_json_add_string (builder, name, iso);
}

char *
companion_user_display_name (const CompanionUser *user)
{
  g_return_val_if_fail (user != NULL && user->subject != NULL, NULL);

  if (user->name != NULL && *user->name != '\0')
    return g_strdup (user->name);
  return crossing_subject_short_form (user->subject);
}

JsonNode *
companion_sessions_to_json (const CompanionSession *session,
                            const CompanionUser    *user)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *name = NULL;

  g_return_val_if_fail (session != NULL && user != NULL, NULL);

  name = companion_user_display_name (user);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "session");
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", session->id);
  companion_json_add_string (b, "userId", session->user_id);
  add_time (b, "expiresAt", session->expires_at);
  add_time (b, "createdAt", session->created_at);
  add_time (b, "updatedAt", session->updated_at != 0 ? session->updated_at
                                                     : session->created_at);
  companion_json_add_string (b, "ipAddress", session->ip_address);
  companion_json_add_string (b, "userAgent", session->user_agent);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  companion_json_add_string (b, "id", user->id);
  companion_json_add_string (b, "name", name);
  companion_json_add_string (b, "email", NULL);
  json_builder_set_member_name (b, "emailVerified");
  json_builder_add_boolean_value (b, FALSE);
  companion_json_add_string (b, "image", NULL);
  add_time (b, "createdAt", user->created_at);
  add_time (b, "updatedAt", user->updated_at != 0 ? user->updated_at : user->created_at);
  companion_json_add_string (b, "subject", user->subject);
  companion_json_add_string (b, "role", companion_role_to_string (user->role));
  json_builder_end_object (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

gboolean
companion_sessions_create (CompanionStore                 *store,
                           const CompanionSessionRequest  *request,
                           char                          **out_token,
                           gint64                         *out_seq,
                           GError                        **error)
{
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *user_id = NULL;
  g_autoptr(GError) local_error = NULL;
  CompanionLoginFinalize login = { 0, };
  gint64 now;

  g_return_val_if_fail (COMPANION_IS_STORE (store), FALSE);
  g_return_val_if_fail (request != NULL && request->subject != NULL, FALSE);
  g_return_val_if_fail ((request->order_id == NULL) == (request->event_data == NULL), FALSE);
  g_return_val_if_fail (out_token != NULL, FALSE);

  token = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  token_hash = crossing_token_hash (token);
  session_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  user_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  now = crossing_now_ms ();

  login.subject = request->subject;
  login.create_user = request->create_user;
  login.new_user_id = user_id;
  login.session_id = session_id;
  login.session_token_hash = token_hash;
  login.ip_address = request->ip_address;
  login.user_agent = request->user_agent;
  login.session_expires_at = now + (gint64) request->ttl_seconds * 1000;
  login.now = now;

  if (!companion_store_finalize_login (store, request->order_id, &login, request->event_data,
                                       NULL, out_seq, &local_error))
    {
      CrossingError code;

      /* Of two racing, the loser learns the login was used. */
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT))
        code = CROSSING_ERROR_FINALIZE_ALREADY_USED;
      else if (g_error_matches (local_error, COMPANION_STORE_ERROR,
                                COMPANION_STORE_ERROR_NOT_FOUND))
        code = CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN;
      else
        {
          companion_error_from_store (&local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error_literal (error, CROSSING_ERROR, code, crossing_error_default_message (code));
      return FALSE;
    }

  *out_token = g_steal_pointer (&token);
  return TRUE;
}

/* issue 16 (beyond Better Auth's shape): a user who signed in with a
 * passkey gets user.passkey = {backupEligible, backupState}, so the desktop
 * can say "synced" (BS) or "this device only". */
static gboolean
add_passkey_flags (CompanionStore       *store,
                   const CompanionUser  *user,
                   JsonNode             *response,
                   GError              **error)
{
  g_autoptr(CompanionPasskey) passkey = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) flags = NULL;
  JsonObject *object;

  if (!g_str_has_prefix (user->subject, PASSKEY_PREFIX))
    return TRUE;
  passkey = companion_store_get_passkey (store, user->subject + strlen (PASSKEY_PREFIX),
                                         &local_error);
  if (passkey == NULL)
    {
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        return TRUE;
      companion_error_from_store (&local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  flags = json_node_new (JSON_NODE_OBJECT);
  object = json_object_new ();
  json_object_set_boolean_member (object, "backupEligible", passkey->backup_eligible);
  json_object_set_boolean_member (object, "backupState", passkey->backup_state);
  json_node_take_object (flags, object);
  json_object_set_member (json_object_get_object_member (json_node_get_object (response), "user"),
                          "passkey", g_steal_pointer (&flags));
  return TRUE;
}

JsonNode *
companion_sessions_get (CompanionStore  *store,
                        const char      *token,
                        GError         **error)
{
  g_autoptr(CompanionSession) session = NULL;
  g_autoptr(CompanionUser) user = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  JsonNode *response;

  g_return_val_if_fail (COMPANION_IS_STORE (store), NULL);

  if (token == NULL || !crossing_token_is_well_formed (token))
    return json_node_new (JSON_NODE_NULL);

  hash = crossing_token_hash (token);
  if (!companion_store_lookup_session (store, hash, crossing_now_ms (), &session, &user,
                                       &local_error))
    {
      if (g_error_matches (local_error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_NOT_FOUND))
        return json_node_new (JSON_NODE_NULL);
      companion_error_from_store (&local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  response = companion_sessions_to_json (session, user);
  if (!add_passkey_flags (store, user, response, error))
    g_clear_pointer (&response, json_node_unref);
  return response;
}

gboolean
companion_sessions_sign_out (CompanionStore  *store,
                             const char      *token,
                             GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;

  g_return_val_if_fail (COMPANION_IS_STORE (store), FALSE);

  if (token == NULL || !crossing_token_is_well_formed (token))
    return TRUE;

  hash = crossing_token_hash (token);
  if (!companion_store_delete_session (store, hash, &local_error))
    {
      companion_error_from_store (&local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
