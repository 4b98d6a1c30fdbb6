/* companion-page.h: the phone approval page the companion serves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-reply.h"

G_BEGIN_DECLS

/* Fills @reply with the phone page or one of its assets. @rel_path is the
 * request path after "{publicPrefix}/cross-device/": "claim/ORDERID" (the
 * link in the QR code), "code" (the entry screen for a typed code) or
 * "assets/claim.js"; @api_base is the same-origin path of the API, e.g.
 * "/api/auth/cross-device"; @accept_language (nullable) picks the language
 * of the page. Anything else is a 404 NOT_FOUND. The route table answers
 * methods other than GET and HEAD. */
void                companion_page_serve           (const char     *rel_path,
                                                    const char     *api_base,
                                                    const char     *accept_language,
                                                    CompanionReply *reply);

/* The language of the page for an Accept-Language header (nullable): the
 * supported one with the highest q-value, of equals the first listed,
 * else English. Never fails, whatever the header holds. */
const char         *companion_page_choose_language (const char     *accept_language);

/* The languages the page speaks, English first. */
const char * const *companion_page_get_languages   (guint          *n_languages);

/* The message catalog of a supported @language: a JSON object of message
 * names and texts, "{name}" marking what the script fills in. */
GBytes             *companion_page_get_catalog     (const char     *language);

G_END_DECLS
