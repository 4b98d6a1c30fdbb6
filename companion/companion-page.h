/* companion-page.h: the phone approval page the companion serves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Serves the page and its assets. @rel_path is the request path after
 * "{publicPrefix}/cross-device/" ("claim/ORDERID", "assets/claim.js");
 * @api_base the same-origin path of the API ("/api/auth/cross-device"). */
void companion_page_handle (SoupServerMessage *msg,
                            const char        *rel_path,
                            const char        *api_base);

G_END_DECLS
