/* companion-core.h: what every feature may use of the core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-config.h"
#include "companion-event-hub.h"
#include "companion-limits.h"
#include "companion-reply.h"
#include "companion-request.h"
#include "companion-store.h"

G_BEGIN_DECLS

CompanionConfig   *companion_core_get_config    (CompanionCore          *core);
CompanionStore    *companion_core_get_store     (CompanionCore          *core);
CompanionEventHub *companion_core_get_hub       (CompanionCore          *core);
CompanionLimits   *companion_core_get_limits    (CompanionCore          *core);
/* The state another feature's create() returned, or NULL. */
gpointer           companion_core_get_feature   (CompanionCore          *core,
                                                 const char             *name);
/* TRUE when the public URL is https (cookies get Secure). */
gboolean           companion_core_is_https      (CompanionCore          *core);
/* A failed token check by @request's client, beyond what the route's
 * COMPANION_ROUTE_CHECKS_TOKEN counts (a session token that matched none). */
void               companion_core_count_failure (CompanionCore          *core,
                                                 const CompanionRequest *request);
/* How every sign-in hands out its session: the set-auth-token header and
 * the session cookie. */
void               companion_core_reply_session (CompanionCore          *core,
                                                 CompanionReply         *reply,
                                                 const char             *session_token);
/* Clears the session cookie. */
void               companion_core_reply_end_session (CompanionCore      *core,
                                                     CompanionReply     *reply);
/* A cookie of the companion's: HttpOnly, Secure behind https. @max_age -1
 * for a session cookie, 0 to clear it. Takes nothing; adds to @reply. */
void               companion_core_reply_cookie  (CompanionCore          *core,
                                                 CompanionReply         *reply,
                                                 const char             *name,
                                                 const char             *value,
                                                 const char             *path,
                                                 const char             *same_site,
                                                 int                     max_age);

/* A ledger mutation for the metrics: @type is the entry type ("credit",
 * ...), @result "applied", "replayed" or "refused" (static strings, never
 * an id). Nothing without --metrics on. */
void               companion_core_count_ledger_mutation (CompanionCore *core,
                                                         const char    *type,
                                                         const char    *result);

G_END_DECLS
