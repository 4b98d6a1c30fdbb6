/* companion-limits.h: rate limits and connection deadlines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What one client may cost the companion: orders started per minute,
 * failed token checks per minute (guessing), open connections, and how long
 * a connection may take to send a request or sit idle. Addresses are counted
 * per IPv4 address and per IPv6 /64, so one host cannot dodge a limit by
 * walking its own prefix.
 */
#pragma once

#include <libsoup/soup.h>

#include "companion-config.h"
#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_LIMITS (companion_limits_get_type ())
G_DECLARE_FINAL_TYPE (CompanionLimits, companion_limits, COMPANION, LIMITS, GObject)

/* @config must outlive the limits. */
CompanionLimits *companion_limits_new            (const CompanionConfig *config,
                                                  CompanionStore        *store);

/* Follows @server's connections: deadlines for reading a request, for
 * answering it and for idling between requests, and the open connections
 * per address. A connection past its deadline is shut down. */
void             companion_limits_watch_server   (CompanionLimits       *self,
                                                  SoupServer            *server);

/* An event stream may stay open as long as the hub keeps it. */
void             companion_limits_keep_open      (CompanionLimits       *self,
                                                  SoupServerMessage     *msg);

/* Each returns FALSE with the seconds to wait in @retry_after when the
 * request must be refused with RATE_LIMITED. Starting an order takes one
 * from @ip's allowance; checking failures takes nothing. */
gboolean         companion_limits_allow_start    (CompanionLimits       *self,
                                                  const char            *ip,
                                                  guint                 *retry_after);
gboolean         companion_limits_allow_attempt  (CompanionLimits       *self,
                                                  const char            *ip,
                                                  guint                 *retry_after);
/* A failed claim, approve or other token check from @ip. */
void             companion_limits_count_failure  (CompanionLimits       *self,
                                                  const char            *ip);

/* The key an address is counted under: itself for IPv4 (also when mapped
 * into IPv6), its /64 for IPv6 ("2001:db8:1:2::/64"). */
char            *companion_limits_client_key     (const char            *ip);

/* For tests. */
guint            companion_limits_get_n_connections (CompanionLimits    *self);

G_END_DECLS
