/* companion-nimiq-page.h: the same-browser sign-in page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-reply.h"

G_BEGIN_DECLS

/* Serves @rel_path (relative to {publicPrefix}/nimiq/: "sign-in" or one of
 * the page's assets) into @reply, or NOT_FOUND. The page calls @api_base. */
void companion_nimiq_page_serve (const char     *rel_path,
                                 const char     *api_base,
                                 CompanionReply *reply);

G_END_DECLS
