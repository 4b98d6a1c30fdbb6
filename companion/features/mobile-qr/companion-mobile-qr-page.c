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
#include "companion-pages.h"
#include "companion-mobile-qr-page-resources.h"

#define RESOURCE_DIR "/dev/crossing/companion/mobile-qr/"

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
    {
      const char *markers[] = { "@API_BASE@", api_base, "@PAGE_BASE@", page_base, NULL };

      companion_reply_set_html (reply, companion_mobile_qr_page_get_resource (),
                                RESOURCE_DIR "phone.html", markers);
    }
  else if (strcmp (rel_path, "assets/phone.js") == 0)
    companion_reply_set_asset (reply, companion_mobile_qr_page_get_resource (),
                               RESOURCE_DIR "phone.js", "text/javascript; charset=utf-8");
  else
    companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
}
