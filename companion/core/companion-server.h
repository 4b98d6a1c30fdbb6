/* companion-server.h: the HTTP face of the companion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listens, routes each request through the route table of the core and the
 * features (companion-features.c), and writes their replies.
 */
#pragma once

#include <libsoup/soup.h>

#include "companion-config.h"
#include "companion-event-hub.h"
#include "companion-limits.h"
#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_SERVER (companion_server_get_type ())
G_DECLARE_FINAL_TYPE (CompanionServer, companion_server, COMPANION, SERVER, GObject)

/* @config must outlive the server; its public_url is filled in by
 * companion_server_listen() when it was not set. */
CompanionServer   *companion_server_new         (CompanionConfig  *config,
                                                 CompanionStore   *store);

/* Listens on config->listen_host:listen_port (https when TLS is set). */
gboolean           companion_server_listen      (CompanionServer  *self,
                                                 GError          **error);

/* "http://127.0.0.1:PORT" as actually bound. */
const char        *companion_server_get_url     (CompanionServer  *self);

/* The state of a feature by name ("cross-device"), once listening. */
gpointer           companion_server_get_feature (CompanionServer  *self,
                                                 const char       *name);
CompanionEventHub *companion_server_get_hub     (CompanionServer  *self);
CompanionLimits   *companion_server_get_limits  (CompanionServer  *self);
/* The libsoup server once listening, to hand it connections of one's own
 * (soup_server_accept_iostream(), as the fuzz targets do). */
SoupServer        *companion_server_get_soup_server (CompanionServer *self);

/* Stops accepting connections and ends open event streams cleanly. */
void               companion_server_stop_accepting (CompanionServer *self);
/* Closes every connection. */
void               companion_server_disconnect  (CompanionServer  *self);

G_END_DECLS
