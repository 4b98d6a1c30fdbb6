/* crossing-secret.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "crossing-secret.h"

static const SecretSchema *
session_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".Session", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "subject", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

void
crossing_secret_store_async (const char          *server_url,
                             const char          *subject,
                             const char          *session_token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *label = NULL;

  g_return_if_fail (server_url != NULL);
  g_return_if_fail (session_token != NULL);

  /* Translators: the keyring item's name; %s is the server's address */
  label = g_strdup_printf (_("Crossing session for %s"), server_url);
  secret_password_store (session_schema (), SECRET_COLLECTION_DEFAULT, label, session_token,
                         cancellable, callback, user_data,
                         "server", server_url,
                         "subject", subject != NULL ? subject : "",
                         NULL);
}

gboolean
crossing_secret_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
crossing_secret_lookup_async (const char          *server_url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (server_url != NULL);

  secret_password_lookup (session_schema (), cancellable, callback, user_data,
                          "server", server_url, NULL);
}

char *
crossing_secret_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  return secret_password_lookup_finish (result, error);
}

void
crossing_secret_clear_async (const char          *server_url,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (server_url != NULL);

  secret_password_clear (session_schema (), cancellable, callback, user_data,
                         "server", server_url, NULL);
}

gboolean
crossing_secret_clear_finish (GAsyncResult  *result,
                              GError       **error)
{
  return secret_password_clear_finish (result, error);
}

void
crossing_secret_lookup_subject_async (const char          *server_url,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (server_url != NULL);

  /* Attributes only: the secret is neither loaded nor unlocked for this. */
  secret_password_search (session_schema (), SECRET_SEARCH_NONE, cancellable, callback, user_data,
                          "server", server_url, NULL);
}

char *
crossing_secret_lookup_subject_finish (GAsyncResult  *result,
                                       GError       **error)
{
  GList *items = secret_password_search_finish (result, error);
  char *subject = NULL;

  if (items != NULL)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (items->data);
      const char *value = g_hash_table_lookup (attributes, "subject");

      if (value != NULL && *value != '\0')
        subject = g_strdup (value);
    }
  g_list_free_full (items, g_object_unref);
  return subject;
}
