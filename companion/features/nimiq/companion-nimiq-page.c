/* companion-nimiq-page.c: the same-browser sign-in page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * As for the phone page, the files are compiled into the program and a
 * request names one only by matching an entry of the table exactly.
 */
#define G_LOG_DOMAIN "companion-nimiq"

#include "config.h"

#include <string.h>

#include "companion-nimiq-page.h"
#include "companion-nimiq-page-resources.h"
#include "companion-pages.h"

#define RESOURCE_DIR "/dev/crossing/companion/nimiq/"
#define API_MARKER   "@API_BASE@"

static const struct {
  const char *path;          /* relative to {publicPrefix}/nimiq/ */
  const char *file;          /* in the resource bundle */
  const char *content_type;
} files[] = {
  { "sign-in",               "sign-in.html", "text/html; charset=utf-8" },
  { "assets/sign-in.js",     "sign-in.js",   "text/javascript; charset=utf-8" },
  { "assets/sign-in.css",    "sign-in.css",  "text/css; charset=utf-8" },
};

void
companion_nimiq_page_serve (const char     *rel_path,
                            const char     *api_base,
                            CompanionReply *reply)
{
  g_return_if_fail (rel_path != NULL);
  g_return_if_fail (api_base != NULL);
  g_return_if_fail (reply != NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      if (strcmp (rel_path, files[i].path) == 0)
        {
          g_autofree char *path = g_strconcat (RESOURCE_DIR, files[i].file, NULL);
          const char *markers[] = { API_MARKER, api_base, NULL };

          /* The first is the page, the rest its assets. */
          if (i == 0)
            companion_reply_set_html (reply, companion_nimiq_page_get_resource (), path, markers);
          else
            companion_reply_set_asset (reply, companion_nimiq_page_get_resource (), path,
                                       files[i].content_type);
          return;
        }
    }

  companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
