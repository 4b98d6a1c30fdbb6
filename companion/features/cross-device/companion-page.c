/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page's files are compiled into the program. A request names one of them
 * only by matching an entry of the table below exactly, so no request path is
 * ever turned into a file name and nothing outside the bundle can be served.
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-page.h"
#include "companion-page-resources.h"

#define RESOURCE_DIR   "/dev/crossing/companion/page/"
#define CLAIM_PREFIX   "claim/"
#define API_MARKER     "@API_BASE@"

static const struct {
  const char *path;          /* relative to {publicPrefix}/cross-device/ */
  const char *file;          /* in the resource bundle */
  const char *content_type;
} assets[] = {
  { "assets/claim.js",  "claim.js",  "text/javascript; charset=utf-8" },
  { "assets/claim.css", "claim.css", "text/css; charset=utf-8" },
  { "assets/icon.svg",  "icon.svg",  "image/svg+xml; charset=utf-8" },
};

static GBytes *
lookup (const char *file)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, file, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (companion_page_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Only names from the table above get here, and they are all bundled. */
  g_assert_no_error (error);
  return bytes;
}

/* The HTML is the same for every order; the script reads the order from the
 * URL and the API's path from a meta element, so no script is inlined. */
static void
send_page (CompanionReply *reply,
           const char     *api_base)
{
  g_autoptr(GBytes) html = lookup ("claim.html");
  g_autofree char *escaped = g_markup_escape_text (api_base, -1);
  g_autoptr(GBytes) page = NULL;
  GString *text;

  text = g_string_new_len (g_bytes_get_data (html, NULL), (gssize) g_bytes_get_size (html));
  g_string_replace (text, API_MARKER, escaped, 1);
  page = g_string_free_to_bytes (text);
  companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/html; charset=utf-8", page);
}

static gboolean
is_claim_page (const char *rel_path)
{
  return g_str_has_prefix (rel_path, CLAIM_PREFIX) &&
         crossing_token_is_well_formed (rel_path + strlen (CLAIM_PREFIX));
}

void
companion_page_serve (const char     *rel_path,
                      const char     *api_base,
                      CompanionReply *reply)
{
  g_return_if_fail (rel_path != NULL);
  g_return_if_fail (api_base != NULL);
  g_return_if_fail (reply != NULL);

  if (is_claim_page (rel_path))
    {
      send_page (reply, api_base);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      if (strcmp (rel_path, assets[i].path) == 0)
        {
          g_autoptr(GBytes) bytes = lookup (assets[i].file);

          companion_reply_set_bytes (reply, SOUP_STATUS_OK, assets[i].content_type, bytes);
          return;
        }
    }

  companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
