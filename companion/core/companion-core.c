/* companion-core.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-core"

#include "config.h"

#include <string.h>

#include "companion-core-private.h"

CompanionCore *
companion_core_new (CompanionConfig   *config,
                    CompanionStore    *store,
                    CompanionEventHub *hub,
                    CompanionLimits   *limits)
{
  CompanionCore *core = g_new0 (CompanionCore, 1);

  core->config = config;
  core->store = g_object_ref (store);
  core->hub = g_object_ref (hub);
  core->limits = g_object_ref (limits);
  if (config->metrics)
    core->metrics = companion_metrics_new (store, hub);
  while (companion_features[core->n_states] != NULL)
    core->n_states++;
  core->states = g_new0 (gpointer, core->n_states);
  return core;
}

gboolean
companion_core_create_features (CompanionCore  *core,
                                GError        **error)
{
  for (gsize i = 0; i < core->n_states; i++)
    {
      const CompanionFeature *feature = companion_features[i];

      core->states[i] = feature->create (core, error);
      if (core->states[i] == NULL)
        {
          g_prefix_error (error, "%s: ", feature->name);
          return FALSE;
        }
    }
  for (gsize i = 0; i < core->n_states; i++)
    if (companion_features[i]->start != NULL)
      companion_features[i]->start (core->states[i]);
  return TRUE;
}

void
companion_core_free (CompanionCore *core)
{
  if (core == NULL)
    return;
  /* Later features may use earlier ones: undo in reverse. */
  for (gsize i = core->n_states; i > 0; i--)
    if (core->states[i - 1] != NULL)
      companion_features[i - 1]->destroy (core->states[i - 1]);
  g_free (core->states);
  g_clear_pointer (&core->metrics, companion_metrics_free);
  g_clear_object (&core->limits);
  g_clear_object (&core->hub);
  g_clear_object (&core->store);
  g_free (core);
}

CompanionConfig *
companion_core_get_config (CompanionCore *core)
{
  return core->config;
}

CompanionStore *
companion_core_get_store (CompanionCore *core)
{
  return core->store;
}

CompanionEventHub *
companion_core_get_hub (CompanionCore *core)
{
  return core->hub;
}

CompanionLimits *
companion_core_get_limits (CompanionCore *core)
{
  return core->limits;
}

gpointer
companion_core_get_feature (CompanionCore *core,
                            const char    *name)
{
  for (gsize i = 0; i < core->n_states; i++)
    if (strcmp (companion_features[i]->name, name) == 0)
      return core->states[i];
  return NULL;
}

gboolean
companion_core_is_https (CompanionCore *core)
{
  return g_str_has_prefix (core->config->public_url, "https:");
}

void
companion_core_count_failure (CompanionCore          *core,
                              const CompanionRequest *request)
{
  companion_limits_count_failure (core->limits, request->client_ip);
}

void
companion_core_reply_cookie (CompanionCore  *core,
                             CompanionReply *reply,
                             const char     *name,
                             const char     *value,
                             const char     *path,
                             const char     *same_site,
                             int             max_age)
{
  g_autofree char *bare = g_strconcat (name, "=", NULL);
  /* soup_cookie_new() insists on a Domain; a host-only cookie has none. */
  SoupCookie *cookie = soup_cookie_parse (bare, NULL);

  g_assert (cookie != NULL);
  soup_cookie_set_value (cookie, value);
  soup_cookie_set_path (cookie, path);
  /* SoupCookie writes the lifetime as Expires (0 is in the past). */
  if (max_age >= 0)
    soup_cookie_set_max_age (cookie, max_age);
  soup_cookie_set_http_only (cookie, TRUE);
  soup_cookie_set_secure (cookie, companion_core_is_https (core));
  soup_cookie_set_same_site_policy (cookie, strcmp (same_site, "Strict") == 0
                                              ? SOUP_SAME_SITE_POLICY_STRICT
                                              : SOUP_SAME_SITE_POLICY_LAX);
  companion_reply_take_cookie (reply, cookie);
}

void
companion_core_reply_session (CompanionCore  *core,
                              CompanionReply *reply,
                              const char     *session_token)
{
  companion_reply_set_header (reply, "set-auth-token", session_token);
  companion_core_reply_cookie (core, reply, CROSSING_SESSION_COOKIE, session_token, "/", "Lax",
                               (int) core->config->session_ttl);
}

void
companion_core_reply_end_session (CompanionCore  *core,
                                  CompanionReply *reply)
{
  companion_core_reply_cookie (core, reply, CROSSING_SESSION_COOKIE, "", "/", "Lax", 0);
}

void
companion_core_count_ledger_mutation (CompanionCore *core,
                                      const char    *type,
                                      const char    *result)
{
  if (core->metrics != NULL)
    companion_metrics_count_ledger_mutation (core->metrics, type, result);
}
