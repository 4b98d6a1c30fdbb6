/* companion-requester.h: who is asking, from where
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The companion's estimate of the desktop that started an order, for the
 * phone to decide with (PROTOCOL.md, "Request context"): its device in
 * words from the User-Agent, the kind of network its address is on, and a
 * location from a MaxMind-format database. None of it is signed, and none
 * of it is a guess presented as fact: what is not recognised is left out.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* "Firefox on Linux", "Crossing 1.2" (the desktop client's "crossing/1.2"),
 * "Safari on iOS"; a browser or a system alone when only one is known;
 * NULL when nothing is recognised. */
char       *companion_requester_device  (const char *user_agent);

/* "loopback", "private" (RFC 1918, RFC 4193, link-local, CGNAT 100.64/10)
 * or "public"; NULL for something that is not an IP address. */
const char *companion_requester_network (const char *ip);

/* A city database, read with libmaxminddb. */
#define COMPANION_TYPE_GEOIP (companion_geoip_get_type ())
G_DECLARE_FINAL_TYPE (CompanionGeoip, companion_geoip, COMPANION, GEOIP, GObject)

/* Opens @path; on failure a G_IO_ERROR naming the file. */
CompanionGeoip *companion_geoip_open   (const char      *path,
                                        GError         **error);
/* Opens the file again (after it was replaced); on failure the database
 * in use stays. */
gboolean        companion_geoip_reopen (CompanionGeoip  *self,
                                        GError         **error);

typedef struct {
  char *country;        /* ISO 3166-1 alpha-2, "DE"; may be NULL */
  char *country_name;   /* in English, "Germany"; may be NULL */
  char *city;           /* in English, "Berlin"; may be NULL */
} CompanionLocation;

void            companion_location_free (CompanionLocation *location);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionLocation, companion_location_free)

/* NULL without a match (or for an address that is not one). */
CompanionLocation *companion_geoip_lookup (CompanionGeoip *self,
                                           const char     *ip);

G_END_DECLS
