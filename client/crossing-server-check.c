/* crossing-server-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "crossing-api.h"
#include "crossing-protocol.h"

#include "crossing-server-check.h"

/* A check is for a person waiting in the preferences: it gives up soon. */
#define CHECK_TIMEOUT_MS 3000

typedef struct {
  char                  *server_url;
  char                  *base_path;
  GError                *first_error;
  CrossingServerVerdict  verdict;
  char                  *version;
} Check;

static void
check_free (Check *check)
{
  g_free (check->server_url);
  g_free (check->base_path);
  g_clear_error (&check->first_error);
  g_free (check->version);
  g_free (check);
}

static gboolean
is_unreachable (const GError *error)
{
  return error->domain == G_RESOLVER_ERROR ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* What an error of the health call says by itself. */
static CrossingServerVerdict
verdict_of (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return CROSSING_SERVER_INVALID_URL;
  if (is_unreachable (error))
    return CROSSING_SERVER_UNREACHABLE;
  if (error->domain == G_TLS_ERROR)
    return CROSSING_SERVER_UNTRUSTED_CERTIFICATE;
  if (g_error_matches (error, CROSSING_ERROR, CROSSING_ERROR_INTERNAL))
    return CROSSING_SERVER_UNAVAILABLE;
  return CROSSING_SERVER_NOT_CROSSING;
}

static char *
with_scheme (const char *url,
             const char *scheme)
{
  const char *rest = strstr (url, "://");

  return rest != NULL ? g_strconcat (scheme, rest, NULL) : NULL;
}

static CrossingApi *
new_api (Check      *check,
         const char *url)
{
  CrossingApi *api = crossing_api_new (url, check->base_path);

  crossing_api_set_timeout (api, CHECK_TIMEOUT_MS);
  return api;
}

static void
on_other_scheme (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *version = crossing_api_health_finish (CROSSING_API (source), result, &error);

  if (g_task_return_error_if_cancelled (task))
    return;
  /* The other scheme reaches a companion, or (https) a TLS server whose
   * certificate is the next thing to fix: that is the scheme it speaks. */
  if (version != NULL || error->domain == G_TLS_ERROR)
    check->verdict = g_str_has_prefix (check->server_url, "https:")
                     ? CROSSING_SERVER_WANTS_HTTP : CROSSING_SERVER_WANTS_HTTPS;
  else
    check->verdict = verdict_of (check->first_error);
  g_debug ("server check %s: %s; with the other scheme: %s", check->server_url,
           check->first_error->message, error != NULL ? error->message : "a companion");
  g_task_return_int (task, check->verdict);
}

static void
on_health (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *version = crossing_api_health_finish (CROSSING_API (source), result, &error);
  gboolean https = g_str_has_prefix (check->server_url, "https:");
  g_autofree char *other = NULL;
  g_autoptr(CrossingApi) api = NULL;
  GCancellable *cancellable;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (version != NULL)
    {
      check->version = g_steal_pointer (&version);
      g_task_return_int (task, CROSSING_SERVER_OK);
      return;
    }

  check->first_error = g_steal_pointer (&error);
  /* A TLS handshake with a plain-http server fails as "not TLS", or hangs
   * until the call times out when the server waits for the end of a
   * request line that never comes (the companion does); a plain-http
   * request to a TLS server gets its connection closed or bytes that are
   * not HTTP. Only then is the other scheme worth a try. */
  if ((https && (g_error_matches (check->first_error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
                 g_error_matches (check->first_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))) ||
      (!https && check->first_error->domain != G_TLS_ERROR &&
       verdict_of (check->first_error) == CROSSING_SERVER_NOT_CROSSING))
    other = with_scheme (check->server_url, https ? "http" : "https");
  if (other == NULL)
    {
      g_debug ("server check %s: %s", check->server_url, check->first_error->message);
      g_task_return_int (task, verdict_of (check->first_error));
      return;
    }
  api = new_api (check, other);
  cancellable = g_task_get_cancellable (task);
  crossing_api_health_async (api, cancellable, on_other_scheme, g_steal_pointer (&task));
}

void
crossing_server_check_async (const char          *server_url,
                             const char          *base_path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(CrossingApi) api = NULL;
  Check *check = g_new0 (Check, 1);

  g_return_if_fail (server_url != NULL);

  g_task_set_source_tag (task, crossing_server_check_async);
  check->server_url = g_strdup (server_url);
  check->base_path = g_strdup (base_path);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      check->first_error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                        "not an http or https URL");
      g_task_return_int (task, CROSSING_SERVER_INVALID_URL);
      return;
    }
  api = new_api (check, server_url);
  crossing_api_health_async (api, cancellable, on_health, g_steal_pointer (&task));
}

CrossingServerVerdict
crossing_server_check_finish (GAsyncResult  *result,
                              char         **version,
                              char         **detail,
                              GError       **error)
{
  Check *check;
  gssize verdict;

  g_return_val_if_fail (g_task_is_valid (result, NULL), CROSSING_SERVER_UNREACHABLE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == crossing_server_check_async,
                        CROSSING_SERVER_UNREACHABLE);

  check = g_task_get_task_data (G_TASK (result));
  verdict = g_task_propagate_int (G_TASK (result), error);
  if (verdict < 0)
    return CROSSING_SERVER_UNREACHABLE;
  if (version != NULL)
    *version = g_strdup (check->version);
  if (detail != NULL)
    *detail = check->first_error != NULL ? g_strdup (check->first_error->message) : NULL;
  return (CrossingServerVerdict) verdict;
}

char *
crossing_server_verdict_describe (CrossingServerVerdict  verdict,
                                  const char            *server_url)
{
  switch (verdict)
    {
    case CROSSING_SERVER_OK:
      return g_strdup_printf (_("%s is a Crossing server."), server_url);
    case CROSSING_SERVER_INVALID_URL:
      return g_strdup (_("This is not a web address. It starts with https:// or http://."));
    case CROSSING_SERVER_UNREACHABLE:
      return g_strdup_printf (_("Nothing answers at %s. Check the address and your network "
                                "connection."), server_url);
    case CROSSING_SERVER_NOT_CROSSING:
      return g_strdup_printf (_("The server at %s is not a Crossing server. Check the address "
                                "and the API base path."), server_url);
    case CROSSING_SERVER_UNTRUSTED_CERTIFICATE:
      return g_strdup_printf (_("The certificate of %s is not trusted. Ask the server’s "
                                "administrator for a certificate this computer trusts."),
                              server_url);
    case CROSSING_SERVER_WANTS_HTTPS:
      return g_strdup (_("This server only speaks https. Write the address with https://."));
    case CROSSING_SERVER_WANTS_HTTP:
      return g_strdup (_("This server does not speak https. Write the address with http://."));
    case CROSSING_SERVER_UNAVAILABLE:
      return g_strdup_printf (_("The Crossing server at %s answers, but is not working right "
                                "now. Try again later."), server_url);
    default:
      g_assert_not_reached ();
    }
}
