/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Its files are bundled and served by name from the table below
 * (companion-pages.h).
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-page.h"
#include "companion-pages.h"
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

  /* The HTML is the same for every order; the script reads the order from
   * the URL. */
  if (is_claim_page (rel_path))
    {
      const char *markers[] = { API_MARKER, api_base, NULL };

      companion_reply_set_html (reply, companion_page_get_resource (), RESOURCE_DIR "claim.html",
                                markers);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      if (strcmp (rel_path, assets[i].path) == 0)
        {
          g_autofree char *path = g_strconcat (RESOURCE_DIR, assets[i].file, NULL);

          companion_reply_set_asset (reply, companion_page_get_resource (), path,
                                     assets[i].content_type);
          return;
        }
    }

  /* issue 14: the entry screen for a typed code; it never claims on load. */
  if (strcmp (rel_path, "code") == 0)
    {
      const char *markers[] = { API_MARKER, api_base, NULL };

      companion_reply_set_html (reply, companion_page_get_resource (), RESOURCE_DIR "code.html",
                                markers);
      return;
    }

  companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
