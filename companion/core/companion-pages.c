/* companion-pages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-pages"

#include "config.h"

#include "companion-pages.h"

GBytes *
companion_page_lookup (GResource  *resource,
                       const char *path)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (resource, path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return bytes;
}

void
companion_reply_set_html (CompanionReply     *reply,
                          GResource          *resource,
                          const char         *path,
                          const char * const *markers)
{
  g_autoptr(GBytes) html = companion_page_lookup (resource, path);
  g_autoptr(GBytes) page = NULL;
  GString *text;

  text = g_string_new_len (g_bytes_get_data (html, NULL), (gssize) g_bytes_get_size (html));
  for (gsize i = 0; markers != NULL && markers[i] != NULL; i += 2)
    {
      g_autofree char *escaped = g_markup_escape_text (markers[i + 1], -1);

      g_string_replace (text, markers[i], escaped, 0);
    }
  page = g_string_free_to_bytes (text);
  companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/html; charset=utf-8", page);
}

void
companion_reply_set_asset (CompanionReply *reply,
                           GResource      *resource,
                           const char     *path,
                           const char     *content_type)
{
  g_autoptr(GBytes) bytes = companion_page_lookup (resource, path);

  companion_reply_set_bytes (reply, SOUP_STATUS_OK, content_type, bytes);
}
