/* companion-page.h: the phone approval page the companion serves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Serves the phone page and its assets. @rel_path is the request path after
 * "{publicPrefix}/cross-device/", e.g. "claim/ORDERID" or "assets/claim.js".
 * @api_base is the same-origin path of the API, e.g. "/api/auth/cross-device".
 * Answers 404 (JSON error body {"code":"NOT_FOUND","message":...}) for anything unknown,
 * 405 with Allow for non GET/HEAD. */
void companion_page_handle (SoupServerMessage *msg,
                            const char        *rel_path,
                            const char        *api_base);

G_END_DECLS
