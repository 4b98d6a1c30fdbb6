/* companion-mobile-qr-page.h: the phone page at /qr/phone/{challengeId}
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-reply.h"

G_BEGIN_DECLS

/* @rel_path is what follows /qr/phone/: a challenge ID (the page) or one of
 * the page's assets; anything else is a 404. @api_base is the mobile-QR
 * API's path, @page_base the public URL's path ("" or "/sub"). */
void companion_mobile_qr_page_serve (const char     *rel_path,
                                     const char     *api_base,
                                     const char     *page_base,
                                     CompanionReply *reply);

G_END_DECLS
