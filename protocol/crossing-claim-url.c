/* crossing-claim-url.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-claim-url.h"
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

CrossingClaimUrl *
crossing_claim_url_parse (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) origin = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(CrossingClaimUrl) result = NULL;
  const char *scheme, *path, *query, *segment, *token;

  if (url == NULL || !g_utf8_validate (url, -1, NULL))
    return fail (error, "This is not a Crossing sign-in link");

  uri = g_uri_parse (url,
                     G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_PATH, NULL);
  if (uri == NULL)
    return fail (error, "This is not a Crossing sign-in link");

  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return fail (error, "The link must start with http:// or https://");
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return fail (error, "The link has no server name");

  path = g_uri_get_path (uri);
  segment = g_strrstr (path, CLAIM_SEGMENT);
  if (segment == NULL)
    return fail (error, "This is not a Crossing sign-in link");

  query = g_uri_get_query (uri);
  if (query == NULL)
    return fail (error, "The link has no token");
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  token = params != NULL ? g_hash_table_lookup (params, "token") : NULL;
  if (token == NULL || *token == '\0')
    return fail (error, "The link has no token");

  result = g_new0 (CrossingClaimUrl, 1);
  result->order_id = g_strdup (segment + strlen (CLAIM_SEGMENT));
  if (!crossing_token_is_well_formed (result->order_id))
    return fail (error, "The link's order is missing or malformed");
  if (!crossing_token_is_well_formed (token))
    return fail (error, "The link's token is malformed");
  result->claim_token = g_strdup (token);
  result->prefix = g_strndup (path, segment - path);

  origin = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (uri),
                        g_uri_get_port (uri), "", NULL, NULL);
  result->origin = g_uri_to_string (origin);
  return g_steal_pointer (&result);
}

char *
crossing_claim_url_api_base (const CrossingClaimUrl *claim_url,
                             const char             *base_path)
{
  g_return_val_if_fail (claim_url != NULL, NULL);
  return g_strconcat (claim_url->origin, claim_url->prefix,
                      base_path != NULL ? base_path : "/api/auth", "/cross-device", NULL);
}
