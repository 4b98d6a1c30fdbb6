/* companion-page.h: the phone approval page the companion serves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-reply.h"

G_BEGIN_DECLS

/* Fills @reply with the phone page or one of its assets. @rel_path is the
 * request path after "{publicPrefix}/cross-device/", e.g. "claim/ORDERID"
 * or "assets/claim.js"; @api_base is the same-origin path of the API, e.g.
 * "/api/auth/cross-device". Anything else is a 404 NOT_FOUND. The route
 * table answers methods other than GET and HEAD. */
void companion_page_serve (const char     *rel_path,
                           const char     *api_base,
                           CompanionReply *reply);

G_END_DECLS
