/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page itself (issue 4) is not built yet: until it is, its paths answer
 * the contract's NOT_FOUND so a phone gets a clear error, never a crash.
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"

#include "companion-page.h"

void
companion_page_handle (SoupServerMessage *msg,
                       const char        *rel_path,
                       const char        *api_base)
{
  static const char body[] =
    "{\"code\":\"NOT_FOUND\",\"message\":\"This companion has no phone page yet: "
    "approve with crossing-companion approve LINK\"}";

  soup_server_message_set_status (msg, crossing_error_to_http_status (CROSSING_ERROR_NOT_FOUND),
                                  NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Referrer-Policy", "no-referrer");
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_STATIC,
                                    body, strlen (body));
}
