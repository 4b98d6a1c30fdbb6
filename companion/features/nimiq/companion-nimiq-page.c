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

static GBytes *
lookup (const char *file)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, file, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (companion_nimiq_page_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Only names from the table above get here, and they are all bundled. */
  g_assert_no_error (error);
  return bytes;
}

/* The script reads the API's path from a meta element: nothing is inlined. */
static GBytes *
with_api_base (GBytes     *html,
               const char *api_base)
{
  g_autofree char *escaped = g_markup_escape_text (api_base, -1);
  GString *text;

  text = g_string_new_len (g_bytes_get_data (html, NULL), (gssize) g_bytes_get_size (html));
  g_string_replace (text, API_MARKER, escaped, 1);
  return g_string_free_to_bytes (text);
}

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
          g_autoptr(GBytes) bytes = lookup (files[i].file);

          if (i == 0)
            {
              g_autoptr(GBytes) page = with_api_base (bytes, api_base);

              companion_reply_set_bytes (reply, SOUP_STATUS_OK, files[i].content_type, page);
            }
          else
            {
              companion_reply_set_bytes (reply, SOUP_STATUS_OK, files[i].content_type, bytes);
            }
          return;
        }
    }

  companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
