/* crossing-claim-url.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-claim-url.h"
#include "crossing-protocol.h"
#include "crossing-token.h"

#define CLAIM_SEGMENT "/cross-device/claim/"

void
crossing_claim_url_free (CrossingClaimUrl *claim_url)
{
  if (claim_url == NULL)
    return;
  g_free (claim_url->origin);
  g_free (claim_url->prefix);
  g_free (claim_url->order_id);
  g_free (claim_url->claim_token);
  g_free (claim_url);
}

static CrossingClaimUrl *
fail (GError    **error,
      const char *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return NULL;
}

/* "scheme://host[:port]" as a browser serialises an origin: lowercase host, IPv6 in
 * brackets, no default port. */
static char *
build_origin (const char *scheme,
              const char *host,
              int         port)
{
  g_autofree char *lower_host = g_ascii_strdown (host, -1);
  gboolean ipv6 = strchr (lower_host, ':') != NULL;
  int default_port = strcmp (scheme, "https") == 0 ? 443 : 80;
  GString *origin = g_string_new (scheme);

  g_string_append (origin, "://");
  if (ipv6)
    g_string_append_printf (origin, "[%s]", lower_host);
  else
    g_string_append (origin, lower_host);
  if (port > 0 && port != default_port)
    g_string_append_printf (origin, ":%d", port);
  return g_string_free (origin, FALSE);
}

static gboolean
host_is_plain (const char *host)
{
  /* What GUri decoded from the authority: refuse anything that would read
   * differently once printed again (spaces, slashes, '@', percent signs). */
  for (const char *p = host; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_' || *p == ':'))
      return FALSE;
  return TRUE;
}

CrossingClaimUrl *
crossing_claim_url_parse (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(CrossingClaimUrl) result = NULL;
  const char *scheme, *host, *path, *query, *segment, *order_id, *token;

  if (url == NULL || *url == '\0' || !g_utf8_validate (url, -1, NULL))
    return fail (error, "This is not a Crossing sign-in link");

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_PATH, NULL);
  if (uri == NULL)
    return fail (error, "This is not a Crossing sign-in link");

  /* GUri lowercases the scheme. */
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return fail (error, "A sign-in link must start with http:// or https://");

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return fail (error, "The link names no server");
  if (!host_is_plain (host))
    return fail (error, "The link's server name is not valid");
  if (g_uri_get_port (uri) == 0)
    return fail (error, "The link's port is not valid");
  if (g_uri_get_userinfo (uri) != NULL)
    return fail (error, "A sign-in link must not carry a user name or password");

  path = g_uri_get_path (uri);
  segment = g_strrstr (path, CLAIM_SEGMENT);
  if (segment == NULL)
    return fail (error, "This is not a Crossing sign-in link");
  order_id = segment + strlen (CLAIM_SEGMENT);
  if (*order_id == '\0')
    return fail (error, "The link has no order");
  if (!crossing_token_is_well_formed (order_id))
    return fail (error, "The link's order is malformed");

  query = g_uri_get_query (uri);
  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (query != NULL && params == NULL)
    return fail (error, "The link's query is malformed");
  token = params != NULL ? g_hash_table_lookup (params, "token") : NULL;
  if (token == NULL || *token == '\0')
    return fail (error, "The link has no token");
  if (!crossing_token_is_well_formed (token))
    return fail (error, "The link's token is malformed");

  result = g_new0 (CrossingClaimUrl, 1);
  result->origin = build_origin (scheme, host, g_uri_get_port (uri));
  result->prefix = g_strndup (path, (gsize) (segment - path));
  result->order_id = g_strdup (order_id);
  result->claim_token = g_strdup (token);
  return g_steal_pointer (&result);
}

char *
crossing_claim_url_api_base (const CrossingClaimUrl *claim_url,
                             const char             *base_path)
{
  g_return_val_if_fail (claim_url != NULL, NULL);

  return g_strconcat (claim_url->origin, claim_url->prefix,
                      base_path != NULL ? base_path : CROSSING_DEFAULT_BASE_PATH,
                      CROSSING_CROSS_DEVICE_PREFIX, NULL);
}
