/* companion-mobile-qr-page.c: the phone page at /qr/phone/{challengeId}
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * As the cross-device page: files compiled into the program, named only by
 * an exact match, the same HTML for every challenge (the script reads the
 * challenge ID from the URL). The style sheet and icon are the cross-device
 * page's, linked from there.
 */
#define G_LOG_DOMAIN "companion-mobile-qr"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-mobile-qr-page.h"
#include "companion-mobile-qr-page-resources.h"

#define RESOURCE_DIR "/dev/crossing/companion/mobile-qr/"

static GBytes *
lookup (const char *file)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, file, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (companion_mobile_qr_page_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Only the two names below get here, and both are bundled. */
  g_assert_no_error (error);
  return bytes;
}

static void
send_page (CompanionReply *reply,
           const char     *api_base,
           const char     *page_base)
{
  g_autoptr(GBytes) html = lookup ("phone.html");
  g_autofree char *api = g_markup_escape_text (api_base, -1);
  g_autofree char *base = g_markup_escape_text (page_base, -1);
  g_autoptr(GBytes) page = NULL;
  GString *text;

  text = g_string_new_len (g_bytes_get_data (html, NULL), (gssize) g_bytes_get_size (html));
  g_string_replace (text, "@API_BASE@", api, 1);
  g_string_replace (text, "@PAGE_BASE@", base, 0);
  page = g_string_free_to_bytes (text);
  companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/html; charset=utf-8", page);
}

void
companion_mobile_qr_page_serve (const char     *rel_path,
                                const char     *api_base,
                                const char     *page_base,
                                CompanionReply *reply)
{
  g_return_if_fail (rel_path != NULL);
  g_return_if_fail (api_base != NULL);
  g_return_if_fail (page_base != NULL);
  g_return_if_fail (reply != NULL);

  if (crossing_token_is_well_formed (rel_path))
    send_page (reply, api_base, page_base);
  else if (strcmp (rel_path, "assets/phone.js") == 0)
    {
      g_autoptr(GBytes) script = lookup ("phone.js");

      companion_reply_set_bytes (reply, SOUP_STATUS_OK, "text/javascript; charset=utf-8", script);
    }
  else
    companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
